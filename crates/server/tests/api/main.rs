//! HTTP tests of the whole application, on SQLite and PostgreSQL.

#![allow(unreachable_pub, reason = "a test binary exports nothing")]

#[macro_use]
mod support;

mod accounts;
mod attacks;
mod audit;
mod authorization;
mod cases;
mod claims;
mod console_day;
mod contract;
mod convention;
mod conventions;
mod decisions;
mod evidence;
mod evidence_ranges;
mod evidence_s3;
mod exports;
mod foundation;
mod hostile;
mod idempotency;
mod imports;
mod letters;
mod lists;
mod need_to_know;
mod notices;
mod payfiles;
mod progress;
mod reports;
mod security;
mod treaty_record;
mod typed_contract;
mod web;
mod webhooks;
