//! A decision letter sent as a file: the printable web page or the PDF,
//! for the API and the pages alike. What the letter says is assembled in
//! `app::letters` and laid out in `views::letter`; this module picks the
//! form and speaks HTTP.

use crate::error::{ApiError, ApiResult};
use crate::views::letter::{PrintedLetter, printed};
use crate::views::letter_pdf;
use app::letters::Letter;
use askama::Template;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The letter's printed forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Html,
}

impl Format {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Html => "html",
        }
    }

    /// `format` if given (`pdf` or `html`), otherwise what `Accept` asks
    /// for: HTML when it names `text/html` before any PDF, PDF otherwise.
    pub fn wanted(format: Option<&str>, headers: &HeaderMap) -> ApiResult<Self> {
        match format {
            Some("pdf") => return Ok(Self::Pdf),
            Some("html") => return Ok(Self::Html),
            Some(_) => {
                return Err(ApiError::invalid_field("format", "invalid", "pdf or html"));
            }
            None => {}
        }
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Ok(
            match (accept.find("text/html"), accept.find("application/pdf")) {
                (Some(h), Some(p)) if h < p => Self::Html,
                (Some(_), None) => Self::Html,
                _ => Self::Pdf,
            },
        )
    }
}

#[derive(Template)]
#[template(path = "letter.html")]
struct LetterPage<'a> {
    l: &'a PrintedLetter,
    /// Where the site is reached, as the request named it.
    site: String,
    pdf_href: &'a str,
    back: Option<(&'a str, &'a str)>,
}

/// The site's host as the request named it, to print the verification
/// address; empty when the request named none.
fn site(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or_default()
        .to_owned()
}

/// The letter in `format`: the PDF as an attachment named by the decision
/// number, or the page (with a link to its PDF at `pdf_href` and, on the
/// site's pages, one back to where the reader came from).
pub fn respond(
    letter: &Letter,
    format: Format,
    headers: &HeaderMap,
    pdf_href: &str,
    back: Option<(&str, &str)>,
) -> ApiResult<Response> {
    let l = printed(letter);
    let site = site(headers);
    match format {
        Format::Pdf => {
            let bytes = letter_pdf::render(&l, &site);
            if bytes.is_empty() {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "the letter's font did not load"
                )));
            }
            let disposition = format!("attachment; filename=\"{}.pdf\"", l.number);
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/pdf"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                bytes,
            )
                .into_response())
        }
        Format::Html => {
            let body = LetterPage {
                l: &l,
                site,
                pdf_href,
                back,
            }
            .render()
            .map_err(ApiError::internal)?;
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                body,
            )
                .into_response())
        }
    }
}
