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

use crate::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::ops::Range;

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
}
