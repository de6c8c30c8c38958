//! The shared kernel: the small vocabulary every other Redress crate speaks.
//!
//! It owns typed identifiers ([`id`]), exact money ([`money`]), the injected
//! [`clock`], cursor [`page`]ination, and the roles and principal of
//! [`access`]. Everything here is plain data and pure functions.
//!
//! It must never depend on axum, sqlx, tokio or any I/O: the domain crates
//! (`register`, `commission`, `ratification`) build on it and stay testable
//! without a runtime, a database or a network.

pub mod access;
pub mod clock;
pub mod id;
pub mod money;
pub mod page;

pub use access::{Action, Permission, Principal, Role, permission};
pub use clock::{Clock, FixedClock, SystemClock};
pub use money::{Currency, Money, MoneyError};
pub use page::{Cursor, KeyCursor, KeyPageRequest, Page, PageRequest};
