//! The use cases without HTTP, each on SQLite and, when
//! `REDRESS_TEST_POSTGRES_URL` names a server, on PostgreSQL.

#![allow(unreachable_pub, reason = "a test binary exports nothing")]

#[macro_use]
mod support;

mod awards;
mod batches;
mod cases;
mod catalogue;
mod claims;
mod convention;
mod decisions;
mod letters;
