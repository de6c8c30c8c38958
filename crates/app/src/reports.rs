//! Aggregate figures on claims and awards.
