//! The Claims Commission: review, assessment and decision of recorded claims.
//!
//! Owns cases, valuation rules and their evaluation, assessments with their
//! breakdowns, mass-claims batches and sampling, recommendations, decisions,
//! awards and payment rounds.
//!
//! Plain Rust only: no axum, sqlx, tokio or I/O. Whether the Commission may
//! act at all is decided by the `ratification` crate's go-live gate.
