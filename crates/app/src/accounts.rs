//! Accounts, their roles and clearances, and API tokens.
