//! The Register's claims: filing, the pre-screen at submission, review, the Board's decisions, duplicates, history.
