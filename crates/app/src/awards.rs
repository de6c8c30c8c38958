//! Awards, their payees and payments, and payment rounds.
