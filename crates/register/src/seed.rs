//! The seed data compiled in: the real Register's categories and Ukraine's
//! regions as of early 2026.
//!
//! `seed/categories.csv` and `seed/regions-ua.csv` in this crate are copies
//! of the project's shared seed data (`shared/data/`), kept here so the
//! crate builds and tests on its own. When the shared files change, copy
//! them again; the tests check that the copies still parse.

use crate::category::{Category, parse_categories_csv};
use crate::error::SeedError;
use crate::region::{Region, parse_regions_csv};

/// The category seed file.
pub const CATEGORIES_CSV: &str = include_str!("../seed/categories.csv");

/// The region seed file.
pub const REGIONS_CSV: &str = include_str!("../seed/regions-ua.csv");

/// The categories of [`CATEGORIES_CSV`].
pub fn categories() -> Result<Vec<Category>, SeedError> {
    parse_categories_csv(CATEGORIES_CSV)
}

/// The regions of [`REGIONS_CSV`].
pub fn regions() -> Result<Vec<Region>, SeedError> {
    parse_regions_csv(REGIONS_CSV)
}
