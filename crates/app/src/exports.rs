//! Exports of claims and awards.
