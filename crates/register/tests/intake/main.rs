//! Tests of the Register's public API, as the HTTP and storage layers use it.

mod duplicates;
mod lifecycle;
mod prescreen;
mod properties;
mod seed;

use kernel::{Currency, Money};
use register::{
    Catalogue, Category, CategoryCode, ClaimDraft, Claimant, Contact, CountryCode, Incident,
    Location, Loss, NaturalPerson, Region, RegionCode, Rnokpp,
};
use rust_decimal_macros::dec;
use serde_json::json;
use time::Date;
use time::macros::date;

/// A day when every open category in the seed file has opened.
pub const TODAY: Date = date!(2026 - 04 - 01);

pub fn catalogue() -> Catalogue {
    Catalogue::new(register::seed::categories().unwrap())
}

pub fn regions() -> Vec<Region> {
    register::seed::regions().unwrap()
}

pub fn code(text: &str) -> CategoryCode {
    CategoryCode::parse(text).unwrap()
}

pub fn category(text: &str) -> Category {
    catalogue().get(&code(text)).unwrap().clone()
}

pub fn person() -> NaturalPerson {
    NaturalPerson {
        given_name: "Olena".into(),
        family_name: "Kovalenko".into(),
        patronymic: Some("Petrivna".into()),
        date_of_birth: Some(date!(1980 - 05 - 17)),
        tax_number: Some(Rnokpp::parse("3184710691").unwrap()),
        nationalities: vec![CountryCode::ukraine()],
        contact: Contact {
            email: Some("olena@example.ua".into()),
            phone: Some("+380 44 123 45 67".into()),
            address: None,
        },
    }
}

pub fn eur(amount: rust_decimal::Decimal) -> Money {
    Money::new(amount, Currency::EUR)
}

/// A complete, eligible claim for a destroyed house (A3.1).
pub fn house_claim() -> ClaimDraft {
    ClaimDraft {
        claimant: Some(Claimant::NaturalPerson(person())),
        representation: None,
        category: Some(code("A3.1")),
        incident: Some(Incident::On {
            date: date!(2022 - 03 - 14),
        }),
        location: Location {
            region: Some(RegionCode::parse("UA-32").unwrap()),
            settlement: Some("Irpin".into()),
            address: Some("vul. Universytetska 1".into()),
            cadastral_number: Some("3210900000:01:001:0001".parse().unwrap()),
            occupied_territory: true,
            country: None,
        },
        narrative: "The house was hit by artillery and burned down.".into(),
        losses: vec![Loss {
            description: "House".into(),
            amount: eur(dec!(85000.00)),
            valuation_basis: Some("valuation report".into()),
        }],
        external_references: vec![register::ExternalReference {
            register: "drrp".into(),
            id: "123456789".into(),
        }],
        language: None,
        category_fields: [
            ("property_type", json!("house")),
            ("floor_area_m2", json!("112.5")),
            (
                "ownership_document",
                json!("Certificate of ownership 45/2010"),
            ),
            ("damage_extent", json!("destroyed")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    }
}
