//! Bulk imports of claims.
