//! The Register: taking in claims and deciding which are recorded.
//!
//! Owns the claim category catalogue, claimants and representatives, claims
//! and their lifecycle, the eligibility pre-screen, duplicate keys and
//! reference numbers. The Register values nothing and pays nothing.
//!
//! Plain Rust only: no axum, sqlx, tokio or I/O. Every rule is a function
//! from inputs to a result, with "now" passed in.
