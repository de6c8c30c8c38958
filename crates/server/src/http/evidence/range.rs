//! Byte ranges of evidence downloads (RFC 9110 §14): one range per
//! request, `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`.
//!
//! Large files (survey scans, video) are fetched in parts by download
//! managers and resumed after a broken connection; a range must not cost
//! the whole object. A plain file's range is read from the object store
//! as that range only. A sealed file's range reads the stored header and
//! the chunks that cover it (`crypto::sealed_span`), opens them where they
//! stand, and trims the first and last chunk to the bytes asked for.
//!
//! What is not served as a range gets the whole file (200): a unit other
//! than bytes, several ranges at once (rare, and a multipart body is more
//! code than it is worth here), or an `If-Range` that names another
//! version. A bytes range that cannot be read (malformed, or starting past
//! the end) is refused with 416 and `Content-Range: bytes */SIZE`.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use app::crypto::ChunkOpener;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::{Stream, StreamExt as _};
use object_store::{GetOptions, ObjectStoreExt as _};
use std::ops::Range;
use store::{EvidenceId, EvidenceRecord};

/// What the request asks of a file of known size.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Requested {
    Whole,
    /// Bytes `start..end` (end exclusive, never past the file).
    Part(Range<u64>),
    Unsatisfiable,
}

/// Reads `Range` (and `If-Range`, against the file's strong `etag`).
pub(super) fn requested(headers: &HeaderMap, size: u64, etag: &str) -> Requested {
    let Some(range) = headers.get(header::RANGE) else {
        return Requested::Whole;
    };
    if let Some(if_range) = headers.get(header::IF_RANGE)
        && if_range.as_bytes() != etag.as_bytes()
    {
        return Requested::Whole;
    }
    let Ok(range) = range.to_str() else {
        return Requested::Unsatisfiable;
    };
    parse(range, size)
}

fn parse(value: &str, size: u64) -> Requested {
    let Some((unit, spec)) = value.trim().split_once('=') else {
        return Requested::Unsatisfiable;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Requested::Whole;
    }
    if spec.contains(',') {
        return Requested::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Requested::Unsatisfiable;
    };
    let number = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let range = match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-SUFFIX: the last SUFFIX bytes.
        (true, _, Some(suffix)) if suffix > 0 => size.saturating_sub(suffix)..size,
        (false, Some(first), None) if last.trim().is_empty() => first..size,
        (false, Some(first), Some(last)) if first <= last => {
            first..last.saturating_add(1).min(size)
        }
        _ => return Requested::Unsatisfiable,
    };
    if range.start >= size || range.is_empty() {
        return Requested::Unsatisfiable;
    }
    Requested::Part(range)
}

/// 416, as problem+json, naming the file's length.
pub(super) fn unsatisfiable(size: u64, request_id: Option<&str>) -> Response {
    let mut response = ApiError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range-not-satisfiable",
        "The range cannot be served",
        format!(
            "Ask for one byte range within the file's {size} bytes, e.g. `Range: bytes=0-1023`."
        ),
    )
    .with("size", size)
    .render(request_id);
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    response
}

/// The body of bytes `range` of a stored file.
pub(super) async fn body(
    state: &AppState,
    evidence: &EvidenceRecord,
    range: Range<u64>,
) -> ApiResult<Body> {
    let location = object_store::path::Path::from(evidence.storage_key.as_str());
    let objects = state.evidence.objects();
    let Some(key_id) = &evidence.sealed_key_id else {
        let stored = objects
            .get_opts(&location, GetOptions::new().with_range(Some(range)))
            .await
            .map_err(ApiError::internal)?
            .into_stream();
        return Ok(Body::from_stream(stored));
    };
    let chunk = app::crypto::STREAM_CHUNK as u64;
    let (first, last) = (range.start / chunk, (range.end - 1) / chunk);
    let header = objects
        .get_range(&location, 0..app::crypto::STREAM_HEADER_BYTES)
        .await
        .map_err(ApiError::internal)?;
    let opener = state
        .sealer
        .chunk_opener(
            key_id,
            evidence.id.as_uuid().as_bytes(),
            &header,
            evidence.size,
            first..=last,
        )
        .map_err(ApiError::internal)?;
    let span = app::crypto::sealed_span(evidence.size, first, last);
    let stored = objects
        .get_opts(&location, GetOptions::new().with_range(Some(span)))
        .await
        .map_err(ApiError::internal)?
        .into_stream();
    Ok(Body::from_stream(opened(
        stored,
        opener,
        range.start - first * chunk,
        range.end - range.start,
        evidence.id,
    )))
}

struct Opening {
    inner: futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>,
    opener: Option<ChunkOpener>,
    /// Plaintext bytes still to drop before the range starts.
    skip: u64,
    /// Plaintext bytes of the range still to send.
    left: u64,
}

/// Opens the stored chunks as they arrive and keeps the bytes of the range.
fn opened(
    inner: futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>,
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
    fn ranges_are_read_as_rfc_9110_says() {
        let part = |r: Range<u64>| Requested::Part(r);
        assert_eq!(parse("bytes=0-9", 100), part(0..10));
        assert_eq!(
            parse("bytes=90-200", 100),
            part(90..100),
            "clipped to the end"
        );
        assert_eq!(parse("bytes=10-", 100), part(10..100));
        assert_eq!(parse("bytes=-10", 100), part(90..100));
        assert_eq!(parse("bytes=-1000", 100), part(0..100));
        assert_eq!(parse("Bytes = 5-5", 100), part(5..6));
        assert_eq!(parse("bytes=99-99", 100), part(99..100));
        for bad in [
            "bytes=100-",
            "bytes=100-200",
            "bytes=9-1",
            "bytes=-0",
            "bytes=x-1",
            "bytes=1-x",
            "bytes=-",
            "bytes=",
            "bytes",
            "bytes=+1-2",
            "bytes=18446744073709551616-",
        ] {
            assert_eq!(parse(bad, 100), Requested::Unsatisfiable, "{bad}");
        }
        assert_eq!(
            parse("bytes=0-0", 0),
            Requested::Unsatisfiable,
            "an empty file has no bytes"
        );
        assert_eq!(parse("items=0-1", 100), Requested::Whole);
        assert_eq!(parse("bytes=0-1,5-6", 100), Requested::Whole);
    }

    #[test]
    fn if_range_must_name_this_version() {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_static("bytes=0-1"));
        assert_eq!(requested(&h, 10, "\"abc\""), Requested::Part(0..2));
        h.insert(header::IF_RANGE, HeaderValue::from_static("\"abc\""));
        assert_eq!(requested(&h, 10, "\"abc\""), Requested::Part(0..2));
        h.insert(header::IF_RANGE, HeaderValue::from_static("\"old\""));
        assert_eq!(requested(&h, 10, "\"abc\""), Requested::Whole);
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
