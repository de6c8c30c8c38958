//! Panels, their recommendations and votes, and the Council's decisions and corrections.
