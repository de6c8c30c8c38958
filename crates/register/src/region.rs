//! Ukraine's regions, by ISO 3166-2:UA code.
//!
//! A [`RegionCode`] checks the shape of a code (`UA-` and two digits); which
//! codes exist is data, read from the seed file `regions-ua.csv` (24 oblasts,
//! Kyiv, Sevastopol and the Autonomous Republic of Crimea, all within
//! Ukraine's internationally recognised borders). The eligibility pre-screen
//! asks a [`KnownRegions`] whether a code is one of them, so an unknown code
//! is reported with the claim's other problems instead of failing a request.

use crate::csv::Table;
use crate::error::SeedError;
use crate::text::validated_string;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;

validated_string!(
    /// An ISO 3166-2:UA subdivision code such as `UA-32` (Kyiv Oblast).
    RegionCode,
    "ISO 3166-2:UA region code",
    check_region_code
);

fn check_region_code(text: &str) -> Result<String, &'static str> {
    let code = text.trim().to_ascii_uppercase();
    match code.strip_prefix("UA-") {
        Some(n) if n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()) => Ok(code),
        _ => Err("\"UA-\" followed by two digits (e.g. UA-32)"),
    }
}

/// What kind of subdivision a region is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    Oblast,
    /// A city with special status (Kyiv, Sevastopol).
    City,
    /// The Autonomous Republic of Crimea.
    Republic,
}

impl RegionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Oblast => "oblast",
            Self::City => "city",
            Self::Republic => "republic",
        }
    }
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Oblast, Self::City, Self::Republic]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown region kind {s:?}"))
    }
}

/// A region of Ukraine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name_en: String,
    pub kind: RegionKind,
}

/// Reads the region seed file (`iso_code,name_en,kind`).
pub fn parse_regions_csv(text: &str) -> Result<Vec<Region>, SeedError> {
    let table = Table::parse(text, &["iso_code", "name_en", "kind"])?;
    let mut regions: Vec<Region> = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let err = |message: String| SeedError::new(row.line, message);
        let code = RegionCode::parse(table.get(row, "iso_code")).map_err(|e| err(e.to_string()))?;
        if regions.iter().any(|r| r.code == code) {
            return Err(err(format!("region {code} appears twice")));
        }
        let name_en = table.get(row, "name_en");
        if name_en.is_empty() {
            return Err(err("name_en is empty".into()));
        }
        let kind = table.get(row, "kind").parse().map_err(err)?;
        regions.push(Region {
            code,
            name_en: name_en.to_owned(),
            kind,
        });
    }
    Ok(regions)
}

/// The set of region codes the pre-screen accepts.
pub trait KnownRegions {
    fn contains_region(&self, code: &RegionCode) -> bool;
}

impl KnownRegions for [Region] {
    fn contains_region(&self, code: &RegionCode) -> bool {
        self.iter().any(|r| &r.code == code)
    }
}

impl KnownRegions for Vec<Region> {
    fn contains_region(&self, code: &RegionCode) -> bool {
        self.as_slice().contains_region(code)
    }
}

impl KnownRegions for BTreeSet<RegionCode> {
    fn contains_region(&self, code: &RegionCode) -> bool {
        self.contains(code)
    }
}

impl<S: std::hash::BuildHasher> KnownRegions for HashSet<RegionCode, S> {
    fn contains_region(&self, code: &RegionCode) -> bool {
        self.contains(code)
    }
}

impl<F: Fn(&RegionCode) -> bool> KnownRegions for F {
    fn contains_region(&self, code: &RegionCode) -> bool {
        self(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_are_validated_and_canonical() {
        assert_eq!(RegionCode::parse("ua-43").unwrap().as_str(), "UA-43");
        for bad in ["", "UA-4", "UA-400", "PL-12", "UA43", "UA-4x"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn region_rows_are_checked() {
        let header = "iso_code,name_en,kind\n";
        assert!(parse_regions_csv(&format!("{header}UA-30,Kyiv,city\n")).is_ok());
        assert!(parse_regions_csv(&format!("{header}UA-30,Kyiv,town\n")).is_err());
        assert!(parse_regions_csv(&format!("{header}UA-3,Kyiv,city\n")).is_err());
        assert!(parse_regions_csv(&format!("{header}UA-30,,city\n")).is_err());
        assert!(parse_regions_csv(&format!("{header}UA-30,Kyiv,city\nUA-30,Kyiv,city\n")).is_err());
        assert!(parse_regions_csv("iso_code,name\nUA-30,Kyiv\n").is_err());
    }

    #[test]
    fn known_regions_come_in_several_shapes() {
        let kyiv = RegionCode::parse("UA-30").unwrap();
        let lviv = RegionCode::parse("UA-46").unwrap();
        let set: BTreeSet<RegionCode> = [kyiv.clone()].into();
        assert!(set.contains_region(&kyiv));
        assert!(!set.contains_region(&lviv));
        let only_kyiv = |c: &RegionCode| c.as_str() == "UA-30";
        assert!(only_kyiv.contains_region(&kyiv));
        assert!(!only_kyiv.contains_region(&lviv));
    }
}
