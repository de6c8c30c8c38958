//! The ratification tracker: the convention that creates the Commission.
//!
//! Owns participants, treaty actions (signatures, instruments of consent,
//! reservations, declarations, denunciations), funding pledges and
//! confirmations, the entry-into-force engine and the go-live gate that keeps
//! the Commission closed until the convention is in force.
//!
//! Plain Rust only: no axum, sqlx, tokio or I/O.
