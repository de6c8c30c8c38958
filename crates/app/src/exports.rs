//! Bulk exports of claims and of the awards ledger, as JSON Lines or CSV.
//!
//! The store is paged through with the keyset cursor, one page at a time,
//! each page rendered and handed to the door before the next is read:
//! memory stays constant whatever the number of rows. The filters are those
//! of the claims list; sensitive claims are only exported to staff with the
//! sensitive clearance. Personal data (names, tax numbers, dates of birth,
//! contact, address) is only in `fields=full`, which the Register's
//! secretariat and Board may ask for; everyone else gets `fields=minimal`.
//! Every export is on record in the audit log (written to the primary);
//! the rows are read from the replica when one is configured, which keeps
//! long exports off the primary at the price of its replay lag.
//!
//! CSV cells that a spreadsheet would read as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) get a leading `'`.

use crate::claims::ListParams;
use crate::error::{AppError, AppResult};
use crate::{Actor, App};
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use kernel::access::Clearance;
use kernel::{PageRequest, Role};
use serde_json::{Map, Value, json};
use store::claims::{ClaimFilter, ClaimRecord, Visibility};
use store::{Change, StoreError};

/// Rows read from the store per query (the store's largest page).
pub const EXPORT_PAGE: u32 = PageRequest::MAX_LIMIT;

/// Columns of every export.
const MINIMAL: &[&str] = &[
    "id",
    "reference",
    "status",
    "category",
    "sensitive",
    "region",
    "claimant_type",
    "total_claimed",
    "duplicate_flagged",
    "submitted_at",
    "decided_at",
    "created_at",
];
/// Personal data, added by `fields=full`.
const PERSONAL: &[&str] = &[
    "claimant_name",
    "given_name",
    "family_name",
    "patronymic",
    "date_of_birth",
    "tax_number",
    "email",
    "phone",
    "settlement",
    "address",
    "cadastral_number",
];

/// How an export is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines: one object per row.
    Jsonl,
    /// CSV with a header line, CRLF line ends.
    Csv,
}

impl Format {
    /// The media type of an export in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jsonl => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
        }
    }
}

/// An export under way: its rows, rendered a page at a time as the door
/// reads them.
pub struct Export {
    pub format: Format,
    pub chunks: BoxStream<'static, Result<Vec<u8>, StoreError>>,
}

/// A CSV cell a spreadsheet will not run: a leading `'` before `=`, `+`,
/// `-`, `@`, tab or carriage return.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A JSON value as the text of a CSV cell.
fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Renders rows of named values, in `columns` order, as JSON Lines or CSV.
pub struct Renderer {
    format: Format,
    columns: Vec<&'static str>,
}

impl Renderer {
    pub fn new(format: Format, columns: Vec<&'static str>) -> Self {
        Self { format, columns }
    }

    /// The CSV header line (nothing for JSON Lines).
    pub fn header(&self) -> Result<Vec<u8>, StoreError> {
        match self.format {
            Format::Jsonl => Ok(Vec::new()),
            Format::Csv => Self::csv_line(self.columns.iter().map(|c| (*c).to_owned())),
        }
    }

    fn csv_line(cells: impl Iterator<Item = String>) -> Result<Vec<u8>, StoreError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        writer
            .write_record(cells.map(|c| neutralise(&c).into_owned()))
            .map_err(StoreError::internal)?;
        writer
            .into_inner()
            .map_err(|e| StoreError::internal(std::io::Error::other(e.to_string())))
    }

    /// One row; `row` holds a value per column (missing ones are empty).
    pub fn row(&self, row: &Map<String, Value>, out: &mut Vec<u8>) -> Result<(), StoreError> {
        match self.format {
            Format::Jsonl => {
                let ordered: Map<String, Value> = self
                    .columns
                    .iter()
                    .map(|c| ((*c).to_owned(), row.get(*c).cloned().unwrap_or(Value::Null)))
                    .collect();
                serde_json::to_writer(&mut *out, &ordered).map_err(StoreError::internal)?;
                out.push(b'\n');
            }
            Format::Csv => {
                let line = Self::csv_line(
                    self.columns
                        .iter()
                        .map(|c| row.get(*c).map(cell_text).unwrap_or_default()),
                )?;
                out.extend_from_slice(&line);
            }
        }
        Ok(())
    }
}

/// Amounts as `85000.00 EUR; 1200.00 UAH`.
fn totals_text(totals: &Value) -> Value {
    match totals {
        Value::Array(items) => Value::String(
            items
                .iter()
                .map(|m| match (m.get("amount"), m.get("currency")) {
                    (Some(a), Some(c)) => {
                        let (a, c) = (cell_text(a), cell_text(c));
                        // At the currency's minor unit, whatever was stored.
                        let amount = kernel::money::parse_amount(&a)
                            .zip(kernel::Currency::from_code(&c).ok())
                            .map_or(a, |(d, cur)| kernel::money::amount_text(d, cur));
                        format!("{amount} {c}")
                    }
                    _ => m.to_string(),
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Value::Null => Value::Null,
        other => Value::String(other.to_string()),
    }
}

fn time_value(t: Option<time::OffsetDateTime>) -> Value {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .map_or(Value::Null, Value::String)
}

/// One claim as an export row.
fn claim_row(app: &App, c: &ClaimRecord, full: bool) -> Result<Map<String, Value>, StoreError> {
    let content = if full {
        crate::claims::open_content(app, c)
            .map_err(|e| StoreError::internal(std::io::Error::other(e.detail.clone())))?
    } else {
        c.content.clone()
    };
    let claimant = content.get("claimant").cloned().unwrap_or(Value::Null);
    let mut row = Map::new();
    row.insert("id".into(), json!(c.id.to_string()));
    row.insert("reference".into(), json!(c.reference));
    row.insert(
        "status".into(),
        serde_json::to_value(c.status).unwrap_or(Value::Null),
    );
    row.insert("category".into(), json!(c.category));
    row.insert("sensitive".into(), json!(c.sensitive));
    row.insert("region".into(), json!(c.region));
    row.insert(
        "claimant_type".into(),
        claimant
            .get("claimant_type")
            .cloned()
            .unwrap_or(Value::Null),
    );
    row.insert("total_claimed".into(), totals_text(&c.totals));
    row.insert("duplicate_flagged".into(), json!(c.duplicate_flagged));
    row.insert("submitted_at".into(), time_value(c.submitted_at));
    row.insert("decided_at".into(), time_value(c.decided_at));
    row.insert("created_at".into(), time_value(Some(c.created_at)));
    if full {
        row.insert("claimant_name".into(), json!(c.claimant_name));
        for key in [
            "given_name",
            "family_name",
            "patronymic",
            "date_of_birth",
            "tax_number",
        ] {
            row.insert(
                key.into(),
                claimant.get(key).cloned().unwrap_or(Value::Null),
            );
        }
        let contact = claimant.get("contact").cloned().unwrap_or(Value::Null);
        for key in ["email", "phone"] {
            row.insert(key.into(), contact.get(key).cloned().unwrap_or(Value::Null));
        }
        let location = content.get("location").cloned().unwrap_or(Value::Null);
        for key in ["settlement", "address", "cadastral_number"] {
            row.insert(
                key.into(),
                location.get(key).cloned().unwrap_or(Value::Null),
            );
        }
    }
    Ok(row)
}

/// Whether the actor may have the claimants' personal data in an export.
fn may_see_personal_data(actor: &Actor) -> bool {
    actor.principal.has_role(Role::Registrar) || actor.principal.has_role(Role::Board)
}

fn cleared(actor: &Actor) -> bool {
    actor.principal.has_clearance(Clearance::Sensitive)
}

struct ClaimPages {
    app: App,
    visibility: Visibility,
    filter: ClaimFilter,
    renderer: Renderer,
    full: bool,
    after: Option<kernel::Cursor>,
    /// The last page was sent.
    done: bool,
    /// The header goes with the first page.
    first: bool,
}

async fn next_claims(mut p: ClaimPages) -> Result<Option<(Vec<u8>, ClaimPages)>, StoreError> {
    if p.done {
        return Ok(None);
    }
    let page = p
        .app
        .reads
        .claims(
            p.visibility,
            &p.filter,
            PageRequest::new(Some(EXPORT_PAGE), p.after),
        )
        .await?;
    let mut out = if p.first {
        p.renderer.header()?
    } else {
        Vec::new()
    };
    p.first = false;
    for c in &page.items {
        p.renderer.row(&claim_row(&p.app, c, p.full)?, &mut out)?;
    }
    p.after = page.next_cursor.as_deref().and_then(kernel::Cursor::decode);
    p.done = p.after.is_none();
    Ok(Some((out, p)))
}

/// Columns of every awards export.
const AWARD_MINIMAL: &[&str] = &[
    "award_id",
    "claim_id",
    "case_id",
    "decision_id",
    "category",
    "region",
    "claimant_kind",
    "amount",
    "currency",
    "paid",
    "outstanding",
    "status",
    "payable",
    "payee_unreachable",
    "payments",
    "created_at",
    "updated_at",
];
/// Personal data of awards: who is paid (names of representatives and
/// heirs), added by `fields=full`.
const AWARD_PERSONAL: &[&str] = &["payee_kind", "payees"];

fn money_parts(m: Result<kernel::Money, commission::AwardError>) -> (Value, Value) {
    let v = m
        .ok()
        .and_then(|m| serde_json::to_value(m).ok())
        .unwrap_or(Value::Null);
    (
        v.get("amount").cloned().unwrap_or(Value::Null),
        v.get("currency").cloned().unwrap_or(Value::Null),
    )
}

fn award_row(a: &store::decisions::AwardRecord, full: bool) -> Map<String, Value> {
    let award = &a.award;
    let (amount, currency) = money_parts(Ok(award.amount));
    let mut row = Map::new();
    row.insert("award_id".into(), json!(award.id.to_string()));
    row.insert("claim_id".into(), json!(a.claim_id.to_string()));
    row.insert("case_id".into(), json!(award.case.to_string()));
    row.insert("decision_id".into(), json!(award.decision.to_string()));
    row.insert("category".into(), json!(a.category));
    row.insert("region".into(), json!(a.region));
    row.insert(
        "claimant_kind".into(),
        serde_json::to_value(a.claimant_kind).unwrap_or(Value::Null),
    );
    row.insert("amount".into(), amount);
    row.insert("currency".into(), currency);
    row.insert("paid".into(), money_parts(award.paid()).0);
    row.insert("outstanding".into(), money_parts(award.outstanding()).0);
    row.insert(
        "status".into(),
        serde_json::to_value(award.status()).unwrap_or(Value::Null),
    );
    row.insert("payable".into(), json!(award.payable));
    row.insert("payee_unreachable".into(), json!(award.payee_unreachable));
    row.insert("payments".into(), json!(award.payments.len()));
    row.insert("created_at".into(), time_value(Some(a.created_at)));
    row.insert("updated_at".into(), time_value(Some(a.updated_at)));
    if full {
        let payees = serde_json::to_value(&award.payees).unwrap_or(Value::Null);
        let kind = match &award.payees {
            commission::Payees::Claimant { .. } => "claimant",
            commission::Payees::Representative { .. } => "representative",
            commission::Payees::Heirs { .. } => "heirs",
        };
        row.insert("payee_kind".into(), json!(kind));
        let names = match &award.payees {
            commission::Payees::Claimant { .. } => Value::Null,
            _ => Value::String(payees.to_string()),
        };
        row.insert("payees".into(), names);
    }
    row
}

struct AwardPages {
    app: App,
    renderer: Renderer,
    full: bool,
    /// Categories whose awards the caller may not see (sensitive ones
    /// without the clearance).
    hidden: std::collections::HashSet<String>,
    after: Option<commission::AwardId>,
    done: bool,
    first: bool,
}

async fn next_awards(mut p: AwardPages) -> Result<Option<(Vec<u8>, AwardPages)>, StoreError> {
    if p.done {
        return Ok(None);
    }
    let ids = p.app.reads.award_ids(p.after, EXPORT_PAGE).await?;
    let mut out = if p.first {
        p.renderer.header()?
    } else {
        Vec::new()
    };
    p.first = false;
    for id in &ids {
        let award = match p.app.reads.award(*id).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e),
        };
        if p.hidden.contains(&award.category) {
            continue;
        }
        p.renderer.row(&award_row(&award, p.full), &mut out)?;
    }
    p.done = ids.len() < EXPORT_PAGE as usize;
    p.after = ids.last().copied();
    Ok(Some((out, p)))
}

/// `fields=full|minimal`: full only when `personal` (the caller may see
/// personal data), and the default then.
fn fields(asked: Option<&str>, personal: bool, who: &str) -> AppResult<bool> {
    match asked {
        None => Ok(personal),
        Some("minimal") => Ok(false),
        Some("full") if personal => Ok(true),
        Some("full") => Err(AppError::forbidden(format!(
            "Personal data is exported to {who} only; ask for fields=minimal."
        ))),
        Some(other) => Err(AppError::invalid_field(
            "fields",
            "unknown",
            format!("{other:?} is not full or minimal."),
        )),
    }
}

/// Puts an export on record.
async fn record_export(
    app: &App,
    actor: &Actor,
    action: &'static str,
    full: bool,
    format: Format,
    sensitive: bool,
    filters: Value,
) -> AppResult<()> {
    app.store
        .record_event(
            &actor.audit(None),
            Change {
                action,
                target_type: "export",
                target_id: actor
                    .request_id
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
                summary: json!({
                    "fields": if full { "full" } else { "minimal" },
                    "format": format.name(),
                    "sensitive": sensitive,
                    "filters": filters,
                }),
            },
        )
        .await?;
    Ok(())
}

/// A claims export as asked for.
#[derive(Clone, Debug)]
pub struct ClaimExport {
    /// The filters of the claims list.
    pub filters: ListParams,
    /// `full` or `minimal`; none for the caller's default.
    pub fields: Option<String>,
    pub format: Format,
}

/// The claims the actor may see, filtered as the claims list is. Personal
/// data only with `fields=full` (registrar and board; the default for
/// them); sensitive claims only with the sensitive clearance. The export is
/// on record before the first row is read.
pub async fn claims(app: &App, actor: &Actor, request: ClaimExport) -> AppResult<Export> {
    let filter = crate::claims::filter(&request.filters)?;
    let full = fields(
        request.fields.as_deref(),
        may_see_personal_data(actor),
        "the Register's secretariat and Board",
    )?;
    let cleared = cleared(actor);
    let visibility = if cleared {
        Visibility::All
    } else {
        Visibility::NonSensitive
    };
    let f = &request.filters;
    let filters = json!({
        "status": f.status, "category": f.category, "region": f.region,
        "submitted_from": f.submitted_from, "submitted_to": f.submitted_to,
        "duplicate": f.duplicate, "q": f.q,
    });
    record_export(
        app,
        actor,
        "claims.exported",
        full,
        request.format,
        cleared,
        filters,
    )
    .await?;
    let mut columns = MINIMAL.to_vec();
    if full {
        columns.extend_from_slice(PERSONAL);
    }
    let pages = ClaimPages {
        app: app.clone(),
        visibility,
        filter,
        renderer: Renderer::new(request.format, columns),
        full,
        after: None,
        done: false,
        first: true,
    };
    Ok(Export {
        format: request.format,
        chunks: futures_util::stream::try_unfold(pages, next_claims).boxed(),
    })
}

/// The awards ledger, oldest first. Payees (names of representatives and
/// heirs) only with `fields=full` (the Council, its default); awards on
/// sensitive claims only with the sensitive clearance.
pub async fn awards(
    app: &App,
    actor: &Actor,
    fields_asked: Option<&str>,
    format: Format,
) -> AppResult<Export> {
    let full = fields(
        fields_asked,
        actor.principal.has_role(Role::Council),
        "the Council",
    )?;
    let cleared = cleared(actor);
    let hidden = if cleared {
        std::collections::HashSet::new()
    } else {
        app.reads
            .categories()
            .await?
            .into_iter()
            .filter(|c| c.category.sensitive)
            .map(|c| c.category.code.as_str().to_owned())
            .collect()
    };
    record_export(
        app,
        actor,
        "awards.exported",
        full,
        format,
        cleared,
        json!({}),
    )
    .await?;
    let mut columns = AWARD_MINIMAL.to_vec();
    if full {
        columns.extend_from_slice(AWARD_PERSONAL);
    }
    let pages = AwardPages {
        app: app.clone(),
        renderer: Renderer::new(format, columns),
        full,
        hidden,
        after: None,
        done: false,
        first: true,
    };
    Ok(Export {
        format,
        chunks: futures_util::stream::try_unfold(pages, next_awards).boxed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=SUM(A1)", "+1", "-1", "@x", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        assert_eq!(neutralise("Коваленко"), "Коваленко");
        assert_eq!(neutralise(""), "");
    }
}
