//! Bulk import of claims from JSON Lines or CSV (see `docs/import.md`).
//!
//! The file is read line by line through a bounded reader: a line longer
//! than the limit is skipped up to its newline and reported, never held in
//! memory, so memory stays bounded whatever the file. Each row passes the
//! checks `POST /v1/claims` makes (amounts, category) and, when it is to be
//! submitted, the pre-screen and duplicate detection of
//! `POST /v1/claims/{id}/submit`. Valid rows are written in chunks, one
//! transaction each ([`store::ImportStore::import_claims`]); rejected rows
//! go to a report (line, field, reason code, message). Rows carry an
//! external id, unique in the database: running a file again imports
//! nothing twice.

use app::imports::{Session, reject_lines};
use kernel::id::AccountId;
use register::{Category, ClaimDraft, ClaimId, DuplicateKeys};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use store::imports::{ImportJob, ImportOutcome, ImportReject, ImportRow};
use store::{AuditContext, StoreError};

/// Default longest line accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// Rows per transaction.
pub const CHUNK_ROWS: usize = 1000;

/// The file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// From a file name: `.csv` is CSV, anything else JSON Lines.
    pub fn guess(name: &str) -> Self {
        if name.to_ascii_lowercase().ends_with(".csv") {
            Self::Csv
        } else {
            Self::Jsonl
        }
    }
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub read: u64,
    pub imported: u64,
    pub skipped: u64,
    pub rejected: u64,
}

/// An import that could not run at all (as opposed to rejected rows).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("wrong CSV header: {0}")]
    Header(String),
    #[error("reading the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("storing: {0}")]
    Store(#[from] StoreError),
}

/// One line as the bounded reader returns it.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The line's bytes are in the buffer; `terminated` is false for a last
    /// line without a newline.
    Read { terminated: bool },
    /// Longer than the limit: skipped up to the next newline.
    TooLong { bytes: u64 },
}

/// Reads lines of at most `max` bytes without ever holding more.
pub struct BoundedLines<R> {
    inner: R,
    max: usize,
    /// Bytes consumed so far (for progress).
    pub position: u64,
}

impl<R: BufRead> BoundedLines<R> {
    pub fn new(inner: R, max: usize) -> Self {
        Self {
            inner,
            max: max.max(1),
            position: 0,
        }
    }

    /// The next line (without its `\n` or `\r\n`) into `buf`; `None` at the end.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<Line>> {
        buf.clear();
        let mut total: u64 = 0;
        let mut too_long = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if total == 0 {
                    return Ok(None);
                }
                if too_long {
                    return Ok(Some(Line::TooLong { bytes: total }));
                }
                strip_cr(buf);
                return Ok(Some(Line::Read { terminated: false }));
            }
            let (chunk, found) = match available.iter().position(|b| *b == b'\n') {
                Some(i) => (&available[..i], Some(i)),
                None => (available, None),
            };
            total += chunk.len() as u64;
            if !too_long {
                if buf.len() + chunk.len() > self.max {
                    too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            let used = found.map_or(chunk.len(), |i| i + 1);
            self.inner.consume(used);
            self.position += used as u64;
            if found.is_some() {
                if too_long {
                    return Ok(Some(Line::TooLong { bytes: total }));
                }
                strip_cr(buf);
                return Ok(Some(Line::Read { terminated: true }));
            }
        }
    }
}

fn strip_cr(buf: &mut Vec<u8>) {
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
}

/// A parsed row before validation.
struct RawRow {
    external_id: String,
    filed_by: Option<String>,
    claim: Value,
    submit: bool,
}

fn reject(
    line: u64,
    external_id: Option<&str>,
    field: Option<&str>,
    code: &str,
    message: impl Into<String>,
) -> ImportReject {
    ImportReject {
        line,
        external_id: external_id.map(str::to_owned),
        field: field.map(str::to_owned),
        code: code.to_owned(),
        message: message.into(),
    }
}

#[derive(Deserialize)]
struct JsonRow {
    external_id: Option<Value>,
    #[serde(default)]
    filed_by: Option<String>,
    claim: Option<Value>,
    #[serde(default)]
    submit: Option<Value>,
}

fn parse_json(line: u64, text: &str, terminated: bool) -> Result<RawRow, ImportReject> {
    let row: JsonRow = serde_json::from_str(text).map_err(|e| {
        if !terminated && e.is_eof() {
            reject(
                line,
                None,
                None,
                "truncated_line",
                format!("The last line ends without a newline and is incomplete JSON: {e}."),
            )
        } else {
            reject(
                line,
                None,
                None,
                "json_invalid",
                format!("Not a JSON object: {e}."),
            )
        }
    })?;
    let external_id = match row.external_id {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            return Err(reject(
                line,
                None,
                Some("external_id"),
                "required",
                "Each row needs a non-empty string external_id.",
            ));
        }
    };
    let submit = match row.submit {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => {
            return Err(reject(
                line,
                Some(&external_id),
                Some("submit"),
                "field_invalid",
                "submit is true or false.",
            ));
        }
    };
    let Some(claim) = row.claim else {
        return Err(reject(
            line,
            Some(&external_id),
            Some("claim"),
            "required",
            "Each row needs a claim object.",
        ));
    };
    Ok(RawRow {
        external_id,
        filed_by: row.filed_by,
        claim,
        submit,
    })
}

/// The CSV columns, in the order of the documented header.
pub const CSV_COLUMNS: [&str; 22] = [
    "external_id",
    "filed_by",
    "submit",
    "category",
    "given_name",
    "family_name",
    "patronymic",
    "date_of_birth",
    "tax_number",
    "nationality",
    "email",
    "phone",
    "incident_date",
    "region",
    "settlement",
    "address",
    "cadastral_number",
    "occupied_territory",
    "narrative",
    "loss_description",
    "loss_amount",
    "loss_currency",
];
/// Optional trailing columns.
pub const CSV_OPTIONAL: [&str; 2] = ["valuation_basis", "category_fields"];

fn csv_fields(text: &str) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(str::to_owned).collect()),
        Ok(false) => Ok(Vec::new()),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks the header: the documented columns in order, then optional ones.
fn csv_header(text: &str) -> Result<Vec<String>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let fields = csv_fields(text).map_err(ImportError::Header)?;
    let expected = CSV_COLUMNS.join(",");
    if fields.len() < CSV_COLUMNS.len()
        || fields.iter().zip(CSV_COLUMNS).any(|(a, b)| a.trim() != b)
    {
        return Err(ImportError::Header(format!(
            "the first line must be `{expected}` (optionally followed by {}); found `{}`",
            CSV_OPTIONAL.join(", "),
            text.chars().take(300).collect::<String>()
        )));
    }
    for extra in &fields[CSV_COLUMNS.len()..] {
        if !CSV_OPTIONAL.contains(&extra.trim()) {
            return Err(ImportError::Header(format!(
                "unknown column `{extra}`; optional columns are {}",
                CSV_OPTIONAL.join(", ")
            )));
        }
    }
    Ok(fields.into_iter().map(|f| f.trim().to_owned()).collect())
}

fn parse_csv(line: u64, text: &str, header: &[String]) -> Result<RawRow, ImportReject> {
    let fields = csv_fields(text).map_err(|e| {
        reject(
            line,
            None,
            None,
            "csv_invalid",
            format!("Not a CSV record: {e}."),
        )
    })?;
    if fields.len() != header.len() {
        return Err(reject(
            line,
            fields.first().map(String::as_str),
            None,
            "csv_columns",
            format!(
                "{} columns where the header has {}.",
                fields.len(),
                header.len()
            ),
        ));
    }
    let col: HashMap<&str, &str> = header
        .iter()
        .map(String::as_str)
        .zip(fields.iter().map(|f| f.trim()))
        .collect();
    let get = |name: &str| col.get(name).copied().filter(|v| !v.is_empty());
    let external_id = get("external_id").ok_or_else(|| {
        reject(
            line,
            None,
            Some("external_id"),
            "required",
            "Each row needs an external_id.",
        )
    })?;
    let submit = match get("submit").map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no") => false,
        Some("true" | "1" | "yes") => true,
        Some(_) => {
            return Err(reject(
                line,
                Some(external_id),
                Some("submit"),
                "field_invalid",
                "submit is true or false.",
            ));
        }
    };
    let mut claim = Map::new();
    if get("given_name").is_some() || get("family_name").is_some() {
        let mut contact = Map::new();
        if let Some(v) = get("email") {
            contact.insert("email".into(), json!(v));
        }
        if let Some(v) = get("phone") {
            contact.insert("phone".into(), json!(v));
        }
        claim.insert(
            "claimant".into(),
            json!({
                "claimant_type": "natural_person",
                "given_name": get("given_name").unwrap_or_default(),
                "family_name": get("family_name").unwrap_or_default(),
                "patronymic": get("patronymic"),
                "date_of_birth": get("date_of_birth"),
                "tax_number": get("tax_number"),
                "nationalities": get("nationality").map(|n| vec![n]).unwrap_or_default(),
                "contact": contact,
            }),
        );
    }
    if let Some(v) = get("category") {
        claim.insert("category".into(), json!(v));
    }
    if let Some(v) = get("incident_date") {
        claim.insert("incident".into(), json!({"kind": "on", "date": v}));
    }
    let occupied = match get("occupied_territory")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("false" | "0" | "no") => false,
        Some("true" | "1" | "yes") => true,
        Some(_) => {
            return Err(reject(
                line,
                Some(external_id),
                Some("occupied_territory"),
                "field_invalid",
                "occupied_territory is true or false.",
            ));
        }
    };
    claim.insert(
        "location".into(),
        json!({
            "region": get("region"),
            "settlement": get("settlement"),
            "address": get("address"),
            "cadastral_number": get("cadastral_number"),
            "occupied_territory": occupied,
        }),
    );
    claim.insert(
        "narrative".into(),
        json!(get("narrative").unwrap_or_default()),
    );
    if get("loss_amount").is_some() || get("loss_description").is_some() {
        claim.insert(
            "losses".into(),
            json!([{
                "description": get("loss_description").unwrap_or_default(),
                "amount": {"amount": get("loss_amount").unwrap_or_default(),
                           "currency": get("loss_currency").unwrap_or_default()},
                "valuation_basis": get("valuation_basis"),
            }]),
        );
    }
    if let Some(v) = get("category_fields") {
        let fields: Value = serde_json::from_str(v).map_err(|e| {
            reject(
                line,
                Some(external_id),
                Some("category_fields"),
                "field_invalid",
                format!("category_fields is a JSON object: {e}."),
            )
        })?;
        claim.insert("category_fields".into(), fields);
    }
    Ok(RawRow {
        external_id: external_id.to_owned(),
        filed_by: get("filed_by").map(str::to_owned),
        claim: Value::Object(claim),
        submit,
    })
}

/// Where an import's rejects go.
pub enum Rejects<'a> {
    /// Stored with the job's chunks (imports through the API).
    Job,
    /// Written as JSON Lines (the command line).
    Writer(&'a mut (dyn Write + Send)),
    Discard,
}

/// How to run an import.
pub struct Options {
    pub format: Format,
    /// Used for rows without `filed_by`.
    pub filed_by: Option<AccountId>,
    pub max_line_bytes: usize,
    pub chunk_rows: usize,
}

impl Options {
    pub fn new(format: Format, filed_by: Option<AccountId>) -> Self {
        Self {
            format,
            filed_by,
            max_line_bytes: MAX_LINE_BYTES,
            chunk_rows: CHUNK_ROWS,
        }
    }
}

struct Pipeline<'a> {
    /// The checks and writes of the rows (`app::imports`).
    session: Session,
    ctx: &'a AuditContext,
    job: Option<&'a ImportJob>,
    rejects: Rejects<'a>,
    options: &'a Options,
    /// Rows read and parsed (or refused by the parser) since the last chunk.
    parsed: Vec<(u64, Result<RawRow, ImportReject>)>,
    rows: Vec<ImportRow>,
    pending: Vec<ImportReject>,
    /// The previous chunk's write, still running while this chunk is
    /// validated: parsing and checking overlap the database's work.
    in_flight: Option<tokio::task::JoinHandle<Result<Vec<ImportOutcome>, StoreError>>>,
    /// Lookup keys of the in-flight chunk's submitted rows: duplicates of
    /// them must be found before they are visible in the database.
    in_flight_keys: Vec<DuplicateKeys>,
    summary: Summary,
}

impl Pipeline<'_> {
    /// Validates and writes the rows parsed since the last chunk. Rows
    /// whose external id is already imported are skipped before any
    /// validation, so a re-run costs one lookup per chunk.
    async fn chunk(&mut self) -> Result<(), ImportError> {
        let parsed = std::mem::take(&mut self.parsed);
        let ids: Vec<String> = parsed
            .iter()
            .filter_map(|(_, p)| p.as_ref().ok().map(|r| r.external_id.clone()))
            .collect();
        let known = self.session.already_imported(&ids).await?;
        let mut skipped = 0_u64;
        for (line, p) in parsed {
            match p {
                Err(r) => self.add_rejects(vec![r])?,
                Ok(raw) if known.contains(&raw.external_id) => skipped += 1,
                Ok(raw) => match self.validate(line, raw).await? {
                    Ok(row) => self.rows.push(row),
                    Err(rs) => self.add_rejects(rs)?,
                },
            }
        }
        self.summary.skipped += skipped;
        self.session
            .flag_duplicates(&mut self.rows, &self.in_flight_keys)
            .await?;
        self.flush(skipped).await?;
        Ok(())
    }

    /// Validates one row; `Err` lists why it is rejected.
    async fn validate(
        &mut self,
        line: u64,
        raw: RawRow,
    ) -> Result<Result<ImportRow, Vec<ImportReject>>, StoreError> {
        let ext = raw.external_id.as_str();
        let filed_by = match raw.filed_by.as_deref() {
            Some(text) => match uuid::Uuid::parse_str(text.trim()) {
                Ok(u) => AccountId::from_uuid(u),
                Err(_) => {
                    return Ok(Err(vec![reject(
                        line,
                        Some(ext),
                        Some("filed_by"),
                        "field_invalid",
                        format!("{text:?} is not an account id."),
                    )]));
                }
            },
            None => match self.options.filed_by {
                Some(a) => a,
                None => {
                    return Ok(Err(vec![reject(
                        line,
                        Some(ext),
                        Some("filed_by"),
                        "required",
                        "The row names no filed_by account and the import has no default.",
                    )]));
                }
            },
        };
        if !self.session.account_exists(filed_by).await? {
            return Ok(Err(vec![reject(
                line,
                Some(ext),
                Some("filed_by"),
                "unknown_account",
                format!("There is no account {filed_by}."),
            )]));
        }
        let draft: ClaimDraft = match serde_json::from_value(raw.claim) {
            Ok(d) => d,
            Err(e) => {
                return Ok(Err(vec![reject(
                    line,
                    Some(ext),
                    Some("claim"),
                    "claim_invalid",
                    format!("The claim does not have the shape of a claim: {e}."),
                )]));
            }
        };
        let id = ClaimId::new();
        let (content, submission) = match self.session.admit(id, &draft, raw.submit).await? {
            Ok(admitted) => admitted,
            Err(e) => return Ok(Err(reject_lines(line, ext, &e))),
        };
        Ok(Ok(ImportRow {
            external_id: raw.external_id,
            id,
            filed_by,
            draft: content,
            submission,
        }))
    }

    fn add_rejects(&mut self, rejects: Vec<ImportReject>) -> std::io::Result<()> {
        self.summary.rejected += 1;
        match &mut self.rejects {
            Rejects::Job => self.pending.extend(rejects),
            Rejects::Writer(w) => {
                for r in rejects {
                    serde_json::to_writer(&mut **w, &r)?;
                    w.write_all(b"\n")?;
                }
            }
            Rejects::Discard => {}
        }
        Ok(())
    }

    /// Starts writing this chunk once the previous one is written: at most
    /// one chunk is in flight, so memory stays bounded and chunks commit in
    /// file order.
    async fn flush(&mut self, skipped_before: u64) -> Result<(), StoreError> {
        self.settle().await?;
        if self.rows.is_empty() && self.pending.is_empty() && skipped_before == 0 {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let rejects = std::mem::take(&mut self.pending);
        self.in_flight_keys = rows
            .iter()
            .filter_map(|r| r.submission.as_ref().map(|s| s.keys.clone()))
            .collect();
        let app = self.session.app().clone();
        let ctx = self.ctx.clone();
        let job = self.job.cloned();
        self.in_flight = Some(tokio::spawn(async move {
            app::imports::write_chunk(&app, &ctx, job.as_ref(), rows, rejects, skipped_before).await
        }));
        Ok(())
    }

    /// Waits for the chunk in flight, if any, and counts its outcome.
    async fn settle(&mut self) -> Result<(), StoreError> {
        let Some(write) = self.in_flight.take() else {
            return Ok(());
        };
        self.in_flight_keys.clear();
        let outcomes = write.await.map_err(StoreError::internal)??;
        for o in outcomes {
            match o {
                ImportOutcome::Imported { .. } => self.summary.imported += 1,
                ImportOutcome::AlreadyImported { .. } => self.summary.skipped += 1,
            }
        }
        Ok(())
    }
}

/// Runs an import of `input`. `progress` is called after each chunk with
/// the bytes read so far and the running summary.
pub async fn run<'a>(
    app: &'a app::App,
    ctx: &'a AuditContext,
    job: Option<&'a ImportJob>,
    input: impl BufRead,
    options: &'a Options,
    rejects: Rejects<'a>,
    mut progress: impl FnMut(u64, &Summary),
) -> Result<Summary, ImportError> {
    let mut lines = BoundedLines::new(input, options.max_line_bytes);
    let mut pipeline = Pipeline {
        session: Session::start(app).await?,
        ctx,
        job,
        rejects,
        options,
        parsed: Vec::new(),
        rows: Vec::new(),
        pending: Vec::new(),
        in_flight: None,
        in_flight_keys: Vec::new(),
        summary: Summary::default(),
    };
    let mut buf = Vec::new();
    let mut line_no: u64 = 0;
    let mut header: Option<Vec<String>> = None;
    loop {
        let read = match lines.next_line(&mut buf) {
            Ok(Some(read)) => read,
            Ok(None) => break,
            Err(e) => {
                // The chunk already handed to the database still commits:
                // wait for it, so that what the caller is told is complete.
                pipeline.settle().await?;
                return Err(e.into());
            }
        };
        line_no += 1;
        let parsed = match read {
            Line::TooLong { bytes } => {
                if options.format == Format::Csv && header.is_none() {
                    return Err(ImportError::Header(format!(
                        "the header line is longer than {} bytes",
                        options.max_line_bytes
                    )));
                }
                Err(reject(
                    line_no,
                    None,
                    None,
                    "line_too_long",
                    format!(
                        "The line has {bytes} bytes; at most {} are accepted.",
                        options.max_line_bytes
                    ),
                ))
            }
            Line::Read { terminated } => match std::str::from_utf8(&buf) {
                Err(e) => {
                    if options.format == Format::Csv && header.is_none() {
                        return Err(ImportError::Header("the header is not valid UTF-8".into()));
                    }
                    Err(reject(
                        line_no,
                        None,
                        None,
                        "encoding_invalid",
                        format!(
                            "The line is not valid UTF-8 (invalid byte at position {}); files must be UTF-8.",
                            e.valid_up_to() + 1
                        ),
                    ))
                }
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => match options.format {
                    Format::Jsonl => parse_json(line_no, text, terminated),
                    Format::Csv => match &header {
                        None => {
                            header = Some(csv_header(text)?);
                            continue;
                        }
                        Some(h) => parse_csv(line_no, text, h).map_err(|mut r| {
                            if !terminated && r.code == "csv_columns" {
                                r.code = "truncated_line".into();
                                r.message = format!(
                                    "The last line ends without a newline and is incomplete: {}",
                                    r.message
                                );
                            }
                            r
                        }),
                    },
                },
            },
        };
        pipeline.summary.read += 1;
        pipeline.parsed.push((line_no, parsed));
        if pipeline.parsed.len() >= options.chunk_rows {
            if let Err(e) = pipeline.chunk().await {
                let _settled = pipeline.settle().await;
                return Err(e);
            }
            progress(lines.position, &pipeline.summary);
        }
    }
    if options.format == Format::Csv && header.is_none() {
        return Err(ImportError::Header(
            "the file is empty: no header line".into(),
        ));
    }
    pipeline.chunk().await?;
    pipeline.settle().await?;
    progress(lines.position, &pipeline.summary);
    Ok(pipeline.summary)
}

/// Everything an import does with untrusted bytes before it needs the
/// database: the bounded reader, the CSV header, each row's parser and
/// [`dry_check`]. The fuzz targets in `fuzz/` drive it, so it must not
/// panic whatever the bytes; it returns how many rows would be stored.
#[doc(hidden)]
pub fn dry_run(format: Format, bytes: &[u8], config: &app::Config, today: time::Date) -> u64 {
    let catalogue = register::seed::categories().unwrap_or_default();
    let regions = register::seed::regions().unwrap_or_default();
    let mut lines = BoundedLines::new(bytes, MAX_LINE_BYTES);
    let mut buf = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let (mut line, mut accepted) = (0, 0);
    while let Ok(Some(read)) = lines.next_line(&mut buf) {
        line += 1;
        let Line::Read { terminated } = read else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(&buf) else {
            continue;
        };
        let raw = match (format, &header) {
            (Format::Jsonl, _) => parse_json(line, text, terminated),
            (Format::Csv, None) => match csv_header(text) {
                Ok(h) => {
                    header = Some(h);
                    continue;
                }
                Err(_) => return 0,
            },
            (Format::Csv, Some(h)) => parse_csv(line, text, h),
        };
        if let Ok(raw) = raw
            && dry_check(raw.claim, raw.submit, config, &catalogue, &regions, today)
        {
            accepted += 1;
        }
    }
    accepted
}

/// Whether a parsed row's claim would be imported: the checks of an
/// import (and of `POST /v1/claims` and its submission, which are the
/// same), against a catalogue in memory instead of the database, with the
/// deployment's configuration.
#[doc(hidden)]
pub fn dry_check(
    claim: Value,
    submit: bool,
    config: &app::Config,
    catalogue: &[Category],
    regions: &[register::Region],
    today: time::Date,
) -> bool {
    let Ok(draft) = serde_json::from_value::<ClaimDraft>(claim) else {
        return false;
    };
    app::imports::would_admit(config, today, catalogue, regions, &draft, submit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_to_their_newline() {
        let data = format!("short\n{}\nafter\nlast", "x".repeat(100));
        let mut lines =
            BoundedLines::new(std::io::BufReader::with_capacity(8, data.as_bytes()), 10);
        let mut buf = Vec::new();
        assert_eq!(
            lines.next_line(&mut buf).unwrap(),
            Some(Line::Read { terminated: true })
        );
        assert_eq!(buf, b"short");
        assert_eq!(
            lines.next_line(&mut buf).unwrap(),
            Some(Line::TooLong { bytes: 100 })
        );
        assert_eq!(
            lines.next_line(&mut buf).unwrap(),
            Some(Line::Read { terminated: true })
        );
        assert_eq!(buf, b"after");
        assert_eq!(
            lines.next_line(&mut buf).unwrap(),
            Some(Line::Read { terminated: false })
        );
        assert_eq!(buf, b"last");
        assert_eq!(lines.next_line(&mut buf).unwrap(), None);
    }

    #[test]
    fn a_wrong_header_is_an_error() {
        assert!(csv_header("id,name").is_err());
        assert!(csv_header(&CSV_COLUMNS.join(",")).is_ok());
    }
}

/// `redress import ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Import claims from a JSON Lines or CSV file (see docs/import.md).
    /// Rows already imported (same external_id) are skipped.
    Claims {
        /// The file to import.
        file: std::path::PathBuf,
        /// jsonl or csv (default: from the file name, `.csv` is CSV).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Account the claims are filed for, for rows without `filed_by`.
        #[arg(long, value_name = "ACCOUNT")]
        filed_by: Option<uuid::Uuid>,
        /// Where to write the rejected rows, as JSON Lines
        /// (default: FILE.rejects.jsonl).
        #[arg(long, value_name = "REPORT")]
        rejects: Option<std::path::PathBuf>,
        /// Longest line accepted, in bytes.
        #[arg(long, default_value_t = MAX_LINE_BYTES)]
        max_line_bytes: usize,
    },
}

/// Runs `redress import claims`: a progress bar on the terminal, a summary
/// at the end. Exit 0 when the file was read through (rows may have been
/// rejected: see the report), 1 when the import could not run.
pub async fn run_cli(state: crate::state::AppState, cmd: ImportCommand) -> std::process::ExitCode {
    let ImportCommand::Claims {
        file,
        format,
        filed_by,
        rejects,
        max_line_bytes,
    } = cmd;
    let format = format.unwrap_or_else(|| Format::guess(&file.to_string_lossy()));
    let input = match std::fs::File::open(&file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("redress: cannot open {}: {e}", file.display());
            return std::process::ExitCode::FAILURE;
        }
    };
    let size = input.metadata().map_or(0, |m| m.len());
    let report_path = rejects.unwrap_or_else(|| {
        let mut p = file.clone().into_os_string();
        p.push(".rejects.jsonl");
        p.into()
    });
    let mut report = match std::fs::File::create(&report_path) {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => {
            eprintln!("redress: cannot write {}: {e}", report_path.display());
            return std::process::ExitCode::FAILURE;
        }
    };
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(size),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {percent:>3}% {msg} · {binary_bytes_per_sec} · ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let ctx = AuditContext {
        actor_role: Some("operator".into()),
        reason: Some(format!("import of {}", file.display())),
        ..AuditContext::default()
    };
    let mut options = Options::new(format, filed_by.map(AccountId::from_uuid));
    options.max_line_bytes = max_line_bytes;
    let result = run(
        &state.app,
        &ctx,
        None,
        std::io::BufReader::with_capacity(256 * 1024, input),
        &options,
        Rejects::Writer(&mut report),
        |position, summary| {
            bar.set_position(position);
            #[allow(clippy::cast_precision_loss, reason = "a rate for display")]
            let rate = summary.read as f64 / started.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!("{} rows · {rate:.0} rows/s", summary.read));
        },
    )
    .await;
    bar.finish_and_clear();
    let _ = report.flush();
    match result {
        Ok(s) => {
            let secs = started.elapsed().as_secs_f64();
            #[allow(clippy::cast_precision_loss, reason = "a rate for display")]
            let rate = s.read as f64 / secs.max(0.001);
            println!(
                "read {}, imported {}, skipped (already imported) {}, rejected {} in {secs:.1} s ({rate:.0} rows/s)",
                s.read, s.imported, s.skipped, s.rejected
            );
            if s.rejected > 0 {
                println!("rejected rows: {}", report_path.display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("redress: import failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
