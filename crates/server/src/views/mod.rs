//! What the doors show: the shapes the API answers with and the pages
//! render, built from the use cases' outcomes. Shared so that a page and
//! the API never tell a reader different things.

pub mod convention;
pub mod letter;
pub mod letter_pdf;
pub mod money;
pub mod schema;
