//! Evidence files of claims: upload, listing, download.
//!
//! A file arrives as a stream (the door takes care of its framing, e.g.
//! multipart): its type is sniffed from the first bytes and checked against
//! the allow-list and the declared type (`register::check_upload`), then it
//! is hashed (SHA-256) and written to the object store part by part, so no
//! file is ever held whole in memory. A file over `evidence_max_bytes` is
//! refused and its partial object deleted. The stored object is named from
//! ids only; the client's file name is kept as a sanitised display name.
//!
//! A sensitive claim's files are encrypted before they reach the store
//! (chunked AES-256-GCM, see `crypto::StreamSealer`) and decrypted on the
//! fly when read, a byte range included.
//!
//! Who may do what is the claim's: the filer uploads (while the claim is a
//! draft or information is requested); whoever may see the claim lists and
//! downloads its files; anyone else gets "not found".

use crate::claims::visible_noting;
use crate::crypto::{ChunkOpener, StreamOpener, StreamSealer};
use crate::error::{AppError, AppResult, ErrorClass};
use crate::evidence_storage::EvidenceStorage;
use crate::{Actor, App};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt as _};
use object_store::{GetOptions, ObjectStoreExt as _, WriteMultipart};
use register::{ClaimId, ClaimStatus, ContentType, EvidenceProblem};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::ops::Range;
use store::claims::ClaimRecord;
use store::{EvidenceId, EvidenceRecord, NewEvidence, StoreError};

/// Size of the parts written to the object store (the S3 minimum).
const STORE_PART: usize = 5 * 1024 * 1024;
/// Parts written to the object store at once.
const STORE_CONCURRENCY: usize = 2;

/// The bytes of a file as they arrive, with what the sender said of it.
pub trait FileSource {
    /// The type the sender declared (may be empty).
    fn declared_type(&self) -> &str;
    /// The file's name as sent.
    fn file_name(&self) -> Option<&str>;
    /// The next piece of the file; `None` at its end. A framing error the
    /// door met (a body over the limit, a broken part) is its refusal.
    fn chunk(&mut self) -> impl Future<Output = AppResult<Option<Bytes>>> + Send;
}

/// A file received and stored, not yet on the claim's record.
#[derive(Debug)]
pub struct Stored {
    id: EvidenceId,
    key: object_store::path::Path,
    file_name: String,
    content_type: ContentType,
    sha256: String,
    size: u64,
    sealed_key_id: Option<String>,
}

/// The refusal of a file over the limit.
pub fn too_large(max: u64) -> AppError {
    AppError::new(
        ErrorClass::TooLarge,
        "payload-too-large",
        "Request body too large",
        format!("An evidence file may be at most {max} bytes."),
    )
    .with("max_bytes", max)
}

fn allowed_types() -> Vec<&'static str> {
    ContentType::ALL.iter().map(|t| t.mime()).collect()
}

/// A refused file: an unsupported type for a type not on the allow-list,
/// invalid for bytes that contradict the declared type or an empty file.
pub fn refused(problem: &EvidenceProblem) -> AppError {
    let (class, kind, title) = match problem {
        EvidenceProblem::TypeNotAllowed { .. } | EvidenceProblem::ContentNotRecognised => (
            ErrorClass::UnsupportedType,
            "evidence-type-not-allowed",
            "This type of file is not accepted",
        ),
        EvidenceProblem::ContentTypeMismatch { .. } => (
            ErrorClass::Invalid,
            "evidence-type-mismatch",
            "The file's contents do not match its declared type",
        ),
        EvidenceProblem::Empty => (ErrorClass::Invalid, "evidence-empty", "The file is empty"),
    };
    let mut detail = problem.to_string();
    if let Some(first) = detail.get(..1) {
        detail = format!("{}{}.", first.to_uppercase(), &detail[1..]);
    }
    let mut e = AppError::new(class, kind, title, detail).with("allowed_types", allowed_types());
    if let Ok(Value::Object(fields)) = serde_json::to_value(problem) {
        e.facts.extend(fields);
    }
    e
}

/// A claim the caller may see; a staff read of a sensitive claim's
/// evidence is recorded with the evidence id.
async fn visible(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    evidence: Option<EvidenceId>,
) -> AppResult<ClaimRecord> {
    visible_noting(
        app,
        actor,
        id,
        json!({ "sensitive": true, "evidence": evidence }),
    )
    .await
}

/// The claim a file is being added to, if it takes evidence now: the filer
/// adds files while it is a draft or information is requested.
pub async fn accepting(app: &App, actor: &Actor, id: ClaimId) -> AppResult<ClaimRecord> {
    let claim = visible(app, actor, id, None).await?;
    if !matches!(
        claim.status,
        ClaimStatus::Draft | ClaimStatus::InformationRequested
    ) {
        let status = serde_json::to_value(claim.status).unwrap_or(Value::Null);
        return Err(AppError::conflict(format!(
            "Evidence is accepted while a claim is a draft or information is requested; this claim is {}.",
            status.as_str().unwrap_or("closed")
        ))
        .with("current_status", claim.status));
    }
    Ok(claim)
}

/// The largest file accepted, in bytes.
pub fn max_bytes(app: &App) -> u64 {
    app.config.evidence_max_bytes
}

/// Where the bytes of one upload go: hashed, counted, perhaps encrypted,
/// and written to the object store a part at a time.
struct Sink {
    writer: WriteMultipart,
    sealer: Option<StreamSealer>,
    hasher: Sha256,
    size: u64,
    max: u64,
}

impl Sink {
    async fn push(&mut self, bytes: &[u8]) -> AppResult<()> {
        self.size += bytes.len() as u64;
        if self.size > self.max {
            return Err(too_large(self.max));
        }
        self.hasher.update(bytes);
        self.writer
            .wait_for_capacity(STORE_CONCURRENCY)
            .await
            .map_err(AppError::internal)?;
        match &mut self.sealer {
            Some(sealer) => {
                let sealed = sealer.update(bytes).map_err(AppError::internal)?;
                self.writer.write(&sealed);
            }
            None => self.writer.write(bytes),
        }
        Ok(())
    }

    /// Completes the object; returns the hash, size and key id.
    async fn finish(mut self) -> AppResult<(String, u64, Option<String>)> {
        let key_id = match self.sealer.take() {
            Some(sealer) => {
                let key_id = sealer.key_id().to_owned();
                let last = sealer.finish().map_err(AppError::internal)?;
                self.writer.write(&last);
                Some(key_id)
            }
            None => None,
        };
        self.writer.finish().await.map_err(AppError::internal)?;
        Ok((hex(&self.hasher.finalize()), self.size, key_id))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Deletes what a failed upload may have left.
async fn delete(app: &App, key: &object_store::path::Path) {
    match app.evidence.objects().delete(key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => tracing::warn!(key = %key, "could not delete a partial evidence object: {e}"),
    }
}

/// Forgets a stored file that will not be recorded (the door refused the
/// rest of the request).
pub async fn discard(app: &App, stored: Stored) {
    delete(app, &stored.key).await;
}

/// Receives one file for `claim` (from [`accepting`]): sniffs its type
/// from the first bytes, then streams it to the store. Nothing is stored
/// for a refused file; a partial object is deleted on any failure.
pub async fn receive(
    app: &App,
    claim: &ClaimRecord,
    file: &mut impl FileSource,
) -> AppResult<Stored> {
    let max = max_bytes(app);
    let declared = file.declared_type().to_owned();
    let file_name = register::sanitize_file_name(file.file_name().unwrap_or_default());

    // The first bytes decide the type before anything is stored.
    let mut head: Vec<u8> = Vec::with_capacity(register::evidence::SNIFF_LEN);
    let mut ended = false;
    while head.len() < register::evidence::SNIFF_LEN {
        let Some(chunk) = file.chunk().await? else {
            ended = true;
            break;
        };
        head.extend_from_slice(&chunk);
        if head.len() as u64 > max {
            return Err(too_large(max));
        }
    }
    let sniff_len = head.len().min(register::evidence::SNIFF_LEN);
    let content_type =
        register::check_upload(&declared, &head[..sniff_len]).map_err(|p| refused(&p))?;

    let id = EvidenceId::new();
    let key = EvidenceStorage::key(claim.id, id);
    let upload = app
        .evidence
        .objects()
        .put_multipart(&key)
        .await
        .map_err(AppError::internal)?;
    let mut sink = Sink {
        writer: WriteMultipart::new_with_chunk_size(upload, STORE_PART),
        sealer: claim
            .sensitive
            .then(|| app.sealer.stream_sealer(id.as_uuid().as_bytes())),
        hasher: Sha256::new(),
        size: 0,
        max,
    };
    let streamed = async {
        sink.push(&head).await?;
        drop(head);
        if !ended {
            while let Some(chunk) = file.chunk().await? {
                sink.push(&chunk).await?;
            }
        }
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = streamed {
        let _ = sink.writer.abort().await;
        delete(app, &key).await;
        return Err(e);
    }
    let (sha256, size, sealed_key_id) = match sink.finish().await {
        Ok(done) => done,
        Err(e) => {
            delete(app, &key).await;
            return Err(e);
        }
    };
    Ok(Stored {
        id,
        key,
        file_name,
        content_type,
        sha256,
        size,
        sealed_key_id,
    })
}

/// Puts a received file on the claim's record: the receipt. A file that
/// cannot be recorded is deleted.
pub async fn record(
    app: &App,
    actor: &Actor,
    claim: ClaimId,
    stored: Stored,
) -> AppResult<EvidenceRecord> {
    let key = stored.key.clone();
    let recorded = app
        .store
        .record_evidence(
            &actor.audit(None),
            NewEvidence {
                id: stored.id,
                claim,
                file_name: stored.file_name,
                content_type: stored.content_type.mime().to_owned(),
                size: stored.size,
                sha256: stored.sha256,
                storage_key: key.to_string(),
                sealed_key_id: stored.sealed_key_id,
                uploaded_by: actor.principal.account,
            },
        )
        .await;
    match recorded {
        Ok(record) => Ok(record),
        Err(e) => {
            delete(app, &key).await;
            Err(e.into())
        }
    }
}

/// A claim's evidence files, oldest first.
pub async fn list(app: &App, actor: &Actor, claim: ClaimId) -> AppResult<Vec<EvidenceRecord>> {
    visible(app, actor, claim, None).await?;
    Ok(app.store.claim_evidence(claim).await?)
}

/// A claim's evidence files, oldest first, paged by id.
pub async fn page(
    app: &App,
    actor: &Actor,
    claim: ClaimId,
    page: kernel::PageRequest,
) -> AppResult<kernel::Page<EvidenceRecord>> {
    let all = list(app, actor, claim).await?;
    Ok(kernel::Page::from_all(all, page, |e| e.id.0))
}

/// One evidence file of a claim the caller may see.
pub async fn find(
    app: &App,
    actor: &Actor,
    claim: ClaimId,
    evidence: EvidenceId,
) -> AppResult<EvidenceRecord> {
    visible(app, actor, claim, Some(evidence)).await?;
    match app.store.evidence(evidence).await {
        Ok(e) if e.claim == claim => Ok(e),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::not_found()),
        Err(e) => Err(e.into()),
    }
}

/// The bytes of a file as received: a stream that decrypts a sealed file
/// on the fly.
pub type Content = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// The whole file, opened on the fly when sealed.
pub async fn whole(app: &App, evidence: &EvidenceRecord) -> AppResult<Content> {
    let location = object_store::path::Path::from(evidence.storage_key.as_str());
    let stored = app
        .evidence
        .objects()
        .get(&location)
        .await
        .map_err(AppError::internal)?
        .into_stream();
    Ok(match &evidence.sealed_key_id {
        None => stored.map(|r| r.map_err(std::io::Error::other)).boxed(),
        Some(key_id) => {
            let opener = app
                .sealer
                .stream_opener(key_id, evidence.id.as_uuid().as_bytes())
                .map_err(AppError::internal)?;
            opened(stored, opener, evidence.id).boxed()
        }
    })
}

/// Decrypts a stored stream on the fly.
fn opened(
    inner: BoxStream<'static, object_store::Result<Bytes>>,
    opener: StreamOpener,
    evidence: EvidenceId,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let failed = move |e: anyhow::Error| {
        tracing::error!(%evidence, "stored evidence does not decrypt: {e:#}");
        std::io::Error::other(format!("{e:#}"))
    };
    futures_util::stream::try_unfold(
        (inner, Some(opener)),
        move |(mut inner, opener)| async move {
            let Some(mut opener) = opener else {
                return Ok(None);
            };
            while let Some(chunk) = inner.next().await {
                let chunk = chunk.map_err(std::io::Error::other)?;
                let plain = opener.update(&chunk).map_err(failed)?;
                if !plain.is_empty() {
                    return Ok(Some((Bytes::from(plain), (inner, Some(opener)))));
                }
            }
            let last = opener.finish().map_err(failed)?;
            Ok(Some((Bytes::from(last), (inner, None))))
        },
    )
}

/// Bytes `range` of a stored file (end exclusive, within the file). A
/// plain file's range is read from the object store as that range only; a
/// sealed file's reads the stored header and the chunks that cover it
/// (`crypto::sealed_span`), opens them where they stand, and trims the
/// first and last chunk to the bytes asked for.
pub async fn range(app: &App, evidence: &EvidenceRecord, range: Range<u64>) -> AppResult<Content> {
    let location = object_store::path::Path::from(evidence.storage_key.as_str());
    let objects = app.evidence.objects();
    let Some(key_id) = &evidence.sealed_key_id else {
        let stored = objects
            .get_opts(&location, GetOptions::new().with_range(Some(range)))
            .await
            .map_err(AppError::internal)?
            .into_stream();
        return Ok(stored.map(|r| r.map_err(std::io::Error::other)).boxed());
    };
    let chunk = crate::crypto::STREAM_CHUNK as u64;
    let (first, last) = (range.start / chunk, (range.end - 1) / chunk);
    let header = objects
        .get_range(&location, 0..crate::crypto::STREAM_HEADER_BYTES)
        .await
        .map_err(AppError::internal)?;
    let opener = app
        .sealer
        .chunk_opener(
            key_id,
            evidence.id.as_uuid().as_bytes(),
            &header,
            evidence.size,
            first..=last,
        )
        .map_err(AppError::internal)?;
    let span = crate::crypto::sealed_span(evidence.size, first, last);
    let stored = objects
        .get_opts(&location, GetOptions::new().with_range(Some(span)))
        .await
        .map_err(AppError::internal)?
        .into_stream();
    Ok(opened_range(
        stored,
        opener,
        range.start - first * chunk,
        range.end - range.start,
        evidence.id,
    )
    .boxed())
}

struct Opening {
    inner: BoxStream<'static, object_store::Result<Bytes>>,
    opener: Option<ChunkOpener>,
    /// Plaintext bytes still to drop before the range starts.
    skip: u64,
    /// Plaintext bytes of the range still to send.
    left: u64,
}

/// Opens the stored chunks as they arrive and keeps the bytes of the range.
fn opened_range(
    inner: BoxStream<'static, object_store::Result<Bytes>>,
    opener: ChunkOpener,
    skip: u64,
    left: u64,
    evidence: EvidenceId,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let failed = move |e: anyhow::Error| {
        tracing::error!(%evidence, "stored evidence does not decrypt: {e:#}");
        std::io::Error::other(format!("{e:#}"))
    };
    let state = Opening {
        inner,
        opener: Some(opener),
        skip,
        left,
    };
    futures_util::stream::try_unfold(state, move |mut s| async move {
        loop {
            if s.left == 0 {
                return Ok(None);
            }
            let Some(stored) = s.inner.next().await else {
                let Some(opener) = s.opener.take() else {
                    return Err(failed(anyhow::anyhow!("sealed range is truncated")));
                };
                let last = opener.finish().map_err(failed)?;
                let last = keep(last, &mut s.skip, &mut s.left);
                if s.left > 0 {
                    return Err(failed(anyhow::anyhow!("sealed range is truncated")));
                }
                return Ok((!last.is_empty()).then(|| (Bytes::from(last), s)));
            };
            let stored = stored.map_err(std::io::Error::other)?;
            let Some(opener) = s.opener.as_mut() else {
                return Err(failed(anyhow::anyhow!("stored bytes past the range")));
            };
            let plain = opener.update(&stored).map_err(failed)?;
            let plain = keep(plain, &mut s.skip, &mut s.left);
            if !plain.is_empty() {
                return Ok(Some((Bytes::from(plain), s)));
            }
        }
    })
}

/// Drops the first `skip` bytes and keeps at most `left`, counting both
/// down.
fn keep(mut plain: Vec<u8>, skip: &mut u64, left: &mut u64) -> Vec<u8> {
    let dropped = usize::try_from(*skip)
        .unwrap_or(usize::MAX)
        .min(plain.len());
    plain.drain(..dropped);
    *skip -= dropped as u64;
    let kept = usize::try_from(*left)
        .unwrap_or(usize::MAX)
        .min(plain.len());
    plain.truncate(kept);
    *left -= kept as u64;
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_which_kind() {
        let e = refused(&EvidenceProblem::TypeNotAllowed {
            declared: "application/x-msdownload".into(),
        });
        assert_eq!(e.class, ErrorClass::UnsupportedType);
        assert_eq!(e.kind, "evidence-type-not-allowed");
        assert_eq!(e.facts["reason"], "type_not_allowed");
        let e = refused(&EvidenceProblem::ContentTypeMismatch {
            declared: ContentType::Pdf,
            detected: ContentType::Png,
        });
        assert_eq!(e.class, ErrorClass::Invalid);
        assert_eq!(e.kind, "evidence-type-mismatch");
        assert_eq!(e.facts["detected"], "image/png");
    }

    #[test]
    fn hashes_are_lower_case_hex() {
        assert_eq!(hex(&[0x00, 0xAB, 0x0F]), "00ab0f");
    }

    #[test]
    fn keep_trims_across_pieces() {
        let (mut skip, mut left) = (5, 7);
        assert_eq!(keep(vec![1, 2, 3], &mut skip, &mut left), Vec::<u8>::new());
        assert_eq!(
            keep(vec![4, 5, 6, 7, 8], &mut skip, &mut left),
            vec![6, 7, 8]
        );
        assert_eq!(
            keep((9..20).collect(), &mut skip, &mut left),
            vec![9, 10, 11, 12]
        );
        assert_eq!((skip, left), (0, 0));
    }
}
