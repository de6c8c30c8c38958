//! Reading the audit log and checking its hash chain.
