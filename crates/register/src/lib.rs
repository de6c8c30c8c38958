//! The Register: taking in claims and deciding which are recorded.
//!
//! Owns the claim category catalogue, claimants and representatives, claims
//! and their lifecycle, the eligibility pre-screen, duplicate keys and
//! reference numbers. The Register values nothing and pays nothing.
//!
//! Plain Rust only: no axum, sqlx, tokio or I/O. Every rule is a function
//! from inputs to a result, with "today" passed in.
//!
//! # Map
//! - [`category`]: the catalogue of claim categories as data, and its seed file.
//! - [`region`]: Ukraine's regions (ISO 3166-2:UA), and their seed file.
//! - [`claimant`]: who claims (person, legal entity, State) and who represents them.
//! - [`claim`]: what a claim says: incident, location, losses, category fields.
//! - [`eligibility`]: the pre-screen run at submission, reporting every failure at once.
//! - [`lifecycle`]: claim statuses and the actions that move between them.
//! - [`reference`](mod@reference): the public reference number, `RD-2026-0000123`.
//! - [`duplicate`]: keys and rules for flagging probable duplicates for staff.
//! - [`evidence`]: which files are accepted, how their type is recognised, display names.
//! - [`seed`]: the category and region seed files, compiled in.

pub mod category;
pub mod claim;
pub mod claimant;
mod csv;
mod dates;
pub mod duplicate;
pub mod eligibility;
mod error;
pub mod evidence;
pub mod lifecycle;
pub mod reference;
pub mod region;
pub mod seed;
mod text;

pub use category::{
    Catalogue, Category, CategoryClosed, CategoryCode, CategoryStatus, ClaimantType, FieldKind,
    FieldSpec, Relationship, parse_categories_csv,
};
pub use claim::{
    CadastralNumber, ClaimDraft, ClaimId, ExternalReference, Incident, Language, Location, Loss,
    MAX_CATEGORY_FIELDS, MAX_EXTERNAL_REFERENCES, MAX_LOSSES, MAX_NATIONALITIES, TooMany,
    total_claimed,
};
pub use claimant::{
    AuthorityKind, Claimant, ClaimantKey, Contact, CountryCode, Edrpou, LegalEntity, NaturalPerson,
    Representation, Representative, Rnokpp, StateBody,
};
pub use duplicate::{
    DuplicateFlag, DuplicateFlagId, DuplicateKeys, DuplicateMatch, DuplicateOutcome,
    DuplicateReason, DuplicateResolution, ResolveError, find_duplicates,
};
pub use eligibility::{EligibilityConfig, EligibilityFailure, Reason, missing_fields, prescreen};
pub use error::{FormatError, SeedError};
pub use evidence::{
    ContentType, EvidenceHash, EvidenceProblem, check_upload, sanitize_file_name, sniff,
};
pub use lifecycle::{ClaimAction, ClaimStatus, IllegalTransition, transition};
pub use reference::{InvalidReferenceNumber, ReferenceNumber};
pub use region::{KnownRegions, Region, RegionCode, RegionKind, parse_regions_csv};
