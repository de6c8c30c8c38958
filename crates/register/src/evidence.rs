//! Rules for evidence files: which types are accepted, how a file's real
//! type is recognised, and how its name is made safe to show.
//!
//! The declared content type of an upload is whatever the client says, so
//! the first bytes are checked against it: a file is accepted only if it is
//! of an allowed type and its bytes say the same. Storage and hashing of the
//! bytes belong to other layers; this module only judges the metadata.

use crate::text::validated_string;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How many leading bytes [`sniff`] wants to see. Fewer work for most
/// types; office documents need the first ZIP entry and its name.
pub const SNIFF_LEN: usize = 4096;

/// Longest display name kept, in characters.
pub const FILE_NAME_MAX_CHARS: usize = 200;

/// An accepted type of evidence file. On the wire, its MIME type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContentType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/heic")]
    Heic,
    #[serde(rename = "image/tiff")]
    Tiff,
    #[serde(rename = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    Docx,
    #[serde(rename = "application/vnd.oasis.opendocument.text")]
    Odt,
    #[serde(rename = "text/plain")]
    PlainText,
}

impl ContentType {
    pub const ALL: [Self; 8] = [
        Self::Pdf,
        Self::Jpeg,
        Self::Png,
        Self::Heic,
        Self::Tiff,
        Self::Docx,
        Self::Odt,
        Self::PlainText,
    ];

    pub const fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Heic => "image/heic",
            Self::Tiff => "image/tiff",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::PlainText => "text/plain",
        }
    }

    /// The allowed type a declared MIME type names, ignoring parameters
    /// (`; charset=utf-8`) and case, and accepting the common aliases
    /// `image/jpg` and `image/heif`. `None` if the type is not allowed.
    pub fn from_mime(mime: &str) -> Option<Self> {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/heif" => Some(Self::Heic),
            other => Self::ALL.into_iter().find(|t| t.mime() == other),
        }
    }

    const fn is_zip_based(self) -> bool {
        matches!(self, Self::Docx | Self::Odt)
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

/// Recognises a file's type from its first bytes (ideally [`SNIFF_LEN`]).
///
/// A ZIP archive is a DOCX or ODT only if its first entry says which: ODT
/// stores an uncompressed `mimetype` entry first, DOCX usually starts with
/// `[Content_Types].xml` or has `word/` entries early. When the bytes do not
/// tell, a declared DOCX or ODT type is taken as the tiebreak. Text is the
/// last resort: valid UTF-8 with no NUL byte.
pub fn sniff(bytes: &[u8], declared: Option<ContentType>) -> Option<ContentType> {
    if bytes.is_empty() {
        return None;
    }
    if bytes.starts_with(b"%PDF-") {
        return Some(ContentType::Pdf);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(ContentType::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ContentType::Png);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Some(ContentType::Tiff);
    }
    if is_heic(bytes) {
        return Some(ContentType::Heic);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return zip_document(bytes).or(declared.filter(|d| d.is_zip_based()));
    }
    is_text(bytes).then_some(ContentType::PlainText)
}

fn is_heic(bytes: &[u8]) -> bool {
    const HEIC_BRANDS: [&[u8; 4]; 6] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"];
    if bytes.get(4..8) != Some(b"ftyp") {
        return false;
    }
    let Some(major) = bytes.get(8..12) else {
        return false;
    };
    if HEIC_BRANDS.iter().any(|b| &b[..] == major) {
        return true;
    }
    if major != b"mif1" && major != b"msf1" {
        return false;
    }
    // mif1 is the generic HEIF brand that AVIF images use too; their
    // compatible brands say avif.
    let box_len = bytes
        .get(0..4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, |b: [u8; 4]| u32::from_be_bytes(b) as usize);
    let compatible = bytes.get(16..box_len.min(bytes.len())).unwrap_or_default();
    !compatible
        .chunks_exact(4)
        .any(|brand| brand == b"avif" || brand == b"avis")
}

fn zip_document(bytes: &[u8]) -> Option<ContentType> {
    const ODT: &[u8] = b"application/vnd.oasis.opendocument.text";
    let u16_at = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at + 2)?;
        Some(usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let name_len = u16_at(26)?;
    let extra_len = u16_at(28)?;
    let name = bytes.get(30..30 + name_len)?;
    if name == b"mimetype" {
        let data = bytes.get(30 + name_len + extra_len..)?;
        // Only the exact type: `...opendocument.text-template` and
        // `...opendocument.text-master` are other formats.
        let exact = data.starts_with(ODT)
            && data.get(ODT.len()).is_none_or(|&next| {
                !(next == b'-' || next == b'.' || next.is_ascii_alphanumeric())
            });
        return exact.then_some(ContentType::Odt);
    }
    if name == b"[Content_Types].xml" || contains(bytes, b"word/") {
        return Some(ContentType::Docx);
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn is_text(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        // The sample may end in the middle of a multi-byte character.
        Err(e) => e.error_len().is_none(),
    }
}

/// Why an upload is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum EvidenceProblem {
    #[error("the file is empty")]
    Empty,
    #[error(
        "{declared:?} files are not accepted; send PDF, JPEG, PNG, HEIC, TIFF, DOCX, ODT or plain text"
    )]
    TypeNotAllowed { declared: String },
    #[error("the file's contents are not of an accepted type")]
    ContentNotRecognised,
    #[error("the file was declared as {declared} but its contents are {detected}")]
    ContentTypeMismatch {
        declared: ContentType,
        detected: ContentType,
    },
}

/// Judges an upload by its declared MIME type and first bytes, returning
/// the type to store. An absent declaration (empty or
/// `application/octet-stream`, which browsers send for types they do not
/// know, such as HEIC) defers to the bytes.
pub fn check_upload(
    declared_mime: &str,
    first_bytes: &[u8],
) -> Result<ContentType, EvidenceProblem> {
    if first_bytes.is_empty() {
        return Err(EvidenceProblem::Empty);
    }
    let essence = declared_mime.split(';').next().unwrap_or_default().trim();
    let declared = if essence.is_empty() || essence.eq_ignore_ascii_case("application/octet-stream")
    {
        None
    } else {
        Some(
            ContentType::from_mime(essence).ok_or_else(|| EvidenceProblem::TypeNotAllowed {
                declared: declared_mime.trim().to_owned(),
            })?,
        )
    };
    let detected = sniff(first_bytes, declared).ok_or(EvidenceProblem::ContentNotRecognised)?;
    match declared {
        Some(declared) if declared != detected => {
            Err(EvidenceProblem::ContentTypeMismatch { declared, detected })
        }
        _ => Ok(detected),
    }
}

/// Makes an uploaded file's name safe to show: the last path component
/// only, without control or bidirectional-override characters (which can
/// disguise `exe.pdf` as `fdp.exe`), without characters that are reserved
/// in file names, without leading dots, at most [`FILE_NAME_MAX_CHARS`]
/// long with the extension kept, and never empty.
///
/// The result is a display name. Files are stored under their id, never
/// under this name.
pub fn sanitize_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Trimmed again after shortening, which may leave a dot or space last.
    let shortened = shorten(trim_name(&cleaned));
    let name = trim_name(&shortened);
    if name.is_empty() {
        "file".to_owned()
    } else {
        name.to_owned()
    }
}

/// Strips surrounding white space, leading dots (hidden files, `..`) and
/// trailing dots (which Windows drops), until none is left.
fn trim_name(mut name: &str) -> &str {
    loop {
        let next = name.trim().trim_start_matches('.').trim_end_matches('.');
        if next.len() == name.len() {
            return name;
        }
        name = next;
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= FILE_NAME_MAX_CHARS {
        return name.to_owned();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 10 => (stem, Some(ext)),
        _ => (name, None),
    };
    let keep = FILE_NAME_MAX_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let mut out: String = stem.chars().take(keep).collect();
    if let Some(ext) = ext {
        out.push('.');
        out.push_str(ext);
    }
    out
}

validated_string!(
    /// SHA-256 of an evidence file, 64 hexadecimal digits, stored lower case.
    EvidenceHash,
    "SHA-256 hash",
    check_hash
);

fn check_hash(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err("64 hexadecimal digits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ZIP local file header for an uncompressed entry, then its data.
    fn zip_entry(name: &str, data: &[u8]) -> Vec<u8> {
        let mut b = b"PK\x03\x04".to_vec();
        b.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, method, time, date
        b.extend_from_slice(&[0; 4]); // crc
        let len = u32::try_from(data.len()).unwrap().to_le_bytes();
        b.extend_from_slice(&len);
        b.extend_from_slice(&len);
        b.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn recognises_each_allowed_type_by_its_magic_bytes() {
        let cases: [(&[u8], ContentType); 8] = [
            (b"%PDF-1.7\n", ContentType::Pdf),
            (&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], ContentType::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", ContentType::Png),
            (b"II*\0\x08\0\0\0", ContentType::Tiff),
            (b"MM\0*\0\0\0\x08", ContentType::Tiff),
            (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", ContentType::Heic),
            (b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic", ContentType::Heic),
            (
                "Заява: будинок зруйновано.\n".as_bytes(),
                ContentType::PlainText,
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff(bytes, None), Some(expected), "{expected}");
        }
    }

    #[test]
    fn tells_odt_from_docx_and_uses_the_declared_type_only_as_a_tiebreak() {
        let odt = zip_entry("mimetype", b"application/vnd.oasis.opendocument.text");
        assert_eq!(sniff(&odt, None), Some(ContentType::Odt));
        assert_eq!(sniff(&odt, Some(ContentType::Docx)), Some(ContentType::Odt));
        let template = zip_entry(
            "mimetype",
            b"application/vnd.oasis.opendocument.text-template",
        );
        assert_eq!(sniff(&template, None), None);
        let docx = zip_entry("[Content_Types].xml", b"<?xml");
        assert_eq!(sniff(&docx, None), Some(ContentType::Docx));
        let docx_later = zip_entry(
            "_rels/.rels",
            b"<Relationship Target=\"word/document.xml\"/>",
        );
        assert_eq!(sniff(&docx_later, None), Some(ContentType::Docx));
        let unknown_zip = zip_entry("data.bin", b"\x01\x02");
        assert_eq!(sniff(&unknown_zip, None), None);
        assert_eq!(
            sniff(&unknown_zip, Some(ContentType::Odt)),
            Some(ContentType::Odt)
        );
        assert_eq!(sniff(&unknown_zip, Some(ContentType::Pdf)), None);
    }

    #[test]
    fn avif_and_binary_data_are_not_accepted() {
        assert_eq!(sniff(b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf", None), None);
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0mif1avif", None), None);
        assert_eq!(sniff(b"text\0with nul", None), None);
        assert_eq!(sniff(&[0xC3, 0x28], None), None);
        assert_eq!(sniff(b"", None), None);
        assert_eq!(sniff(b"MZ\x90\0", None), None);
    }

    #[test]
    fn text_cut_inside_a_character_is_still_text() {
        let text = "будинок".as_bytes();
        assert_eq!(
            sniff(&text[..text.len() - 1], None),
            Some(ContentType::PlainText)
        );
    }

    #[test]
    fn uploads_must_be_allowed_and_match_their_contents() {
        assert_eq!(
            check_upload("application/pdf", b"%PDF-1.4"),
            Ok(ContentType::Pdf)
        );
        assert_eq!(
            check_upload("IMAGE/JPG", &[0xFF, 0xD8, 0xFF, 0xDB]),
            Ok(ContentType::Jpeg)
        );
        assert_eq!(
            check_upload("text/plain; charset=utf-8", b"hello"),
            Ok(ContentType::PlainText)
        );
        assert_eq!(
            check_upload("application/octet-stream", b"\0\0\0\x18ftypheic\0\0\0\0"),
            Ok(ContentType::Heic)
        );
        assert_eq!(
            check_upload("application/pdf", b""),
            Err(EvidenceProblem::Empty)
        );
        assert_eq!(
            check_upload("application/x-msdownload", b"MZ"),
            Err(EvidenceProblem::TypeNotAllowed {
                declared: "application/x-msdownload".into()
            })
        );
        assert_eq!(
            check_upload("image/png", b"%PDF-1.4"),
            Err(EvidenceProblem::ContentTypeMismatch {
                declared: ContentType::Png,
                detected: ContentType::Pdf
            })
        );
        assert_eq!(
            check_upload("", &[0xFF, 0xFE, 0x00, 0x01]),
            Err(EvidenceProblem::ContentNotRecognised)
        );
    }

    #[test]
    fn content_types_serialize_as_mime_types() {
        for t in ContentType::ALL {
            assert_eq!(serde_json::to_value(t).unwrap(), t.mime());
            assert_eq!(ContentType::from_mime(t.mime()), Some(t));
        }
    }

    #[test]
    fn file_names_are_reduced_to_safe_display_names() {
        assert_eq!(
            sanitize_file_name("C:\\Users\\olena\\scan 1.pdf"),
            "scan 1.pdf"
        );
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name(".."), "file");
        assert_eq!(sanitize_file_name(""), "file");
        assert_eq!(sanitize_file_name(".hidden"), "hidden");
        assert_eq!(sanitize_file_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(
            sanitize_file_name("invoice\u{202E}fdp.exe"),
            "invoicefdp.exe"
        );
        assert_eq!(sanitize_file_name("what?.pdf. "), "what_.pdf");
        assert_eq!(sanitize_file_name(". .x"), "x");
        let cut_at_a_dot = format!("{}.{}", "a".repeat(FILE_NAME_MAX_CHARS - 1), "b".repeat(20));
        assert_eq!(
            sanitize_file_name(&cut_at_a_dot),
            "a".repeat(FILE_NAME_MAX_CHARS - 1)
        );
        assert_eq!(
            sanitize_file_name("акт обстеження.pdf"),
            "акт обстеження.pdf"
        );
        let long = format!("{}.pdf", "я".repeat(500));
        let short = sanitize_file_name(&long);
        assert_eq!(short.chars().count(), FILE_NAME_MAX_CHARS);
        assert_eq!(
            std::path::Path::new(&short).extension(),
            Some("pdf".as_ref())
        );
    }

    #[test]
    fn evidence_hashes_are_64_hex_digits_lower_case() {
        let h = "A".repeat(64);
        assert_eq!(EvidenceHash::parse(&h).unwrap().as_str(), "a".repeat(64));
        assert!(EvidenceHash::parse(&"a".repeat(63)).is_err());
        assert!(EvidenceHash::parse(&"g".repeat(64)).is_err());
    }
}
