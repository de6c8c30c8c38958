use super::*;
use register::{CategoryStatus, ClaimantType, FieldKind, RegionKind};

#[test]
fn the_seed_categories_parse_with_their_rules() {
    let catalogue = catalogue();
    assert_eq!(catalogue.len(), 27);
    let a31 = catalogue.get(&code("A3.1")).unwrap();
    assert_eq!(a31.status, CategoryStatus::Open);
    assert_eq!(a31.opened_on, Some(date!(2024 - 04 - 02)));
    assert_eq!(a31.claimant_type, ClaimantType::NaturalPerson);
    assert!(a31.losses_required);
    assert!(
        a31.field("floor_area_m2")
            .is_some_and(|f| f.kind == FieldKind::Decimal)
    );

    // The quoted name with a comma inside survives.
    let c31 = catalogue.get(&code("C3.1")).unwrap();
    assert_eq!(
        c31.name_en,
        "Damage, destruction or loss of assets (including lost profits)"
    );
    assert_eq!(c31.claimant_type, ClaimantType::LegalEntity);

    let a21 = catalogue.get(&code("A2.1")).unwrap();
    let names: Vec<&str> = a21
        .required_fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert!(names.starts_with(&["deceased_name", "date_of_death", "relationship"]));
    assert!(!a21.losses_required);
    assert_eq!(
        a21.name_uk.as_deref(),
        Some("Смерть члена найближчої родини")
    );

    assert!(catalogue.get(&code("A2.4")).unwrap().sensitive);
    assert!(catalogue.get(&code("A1.2")).unwrap().harm_abroad_allowed);
    assert!(!catalogue.get(&code("A1.1")).unwrap().harm_abroad_allowed);
    assert!(
        catalogue
            .get(&code("A3.6"))
            .unwrap()
            .occupied_territory_required
    );
    assert_eq!(
        catalogue.get(&code("A3.7")).unwrap().status,
        CategoryStatus::Planned
    );
    assert_eq!(
        catalogue.get(&code("B1.1")).unwrap().claimant_type,
        ClaimantType::State
    );

    // Every category's code letter agrees with its claimant type, and every
    // choice field has options.
    for c in catalogue.iter() {
        assert_eq!(c.code.claimant_type(), c.claimant_type, "{}", c.code);
        for f in &c.required_fields {
            assert_eq!(
                f.kind == FieldKind::Choice,
                !f.options.is_empty(),
                "{}.{}",
                c.code,
                f.name
            );
        }
    }
}

#[test]
fn the_seed_regions_parse_and_include_crimea_and_sevastopol() {
    let regions = regions();
    assert_eq!(regions.len(), 27);
    let find = |c: &str| regions.iter().find(|r| r.code.as_str() == c).unwrap();
    assert_eq!(find("UA-43").kind, RegionKind::Republic);
    assert_eq!(find("UA-40").kind, RegionKind::City);
    assert_eq!(find("UA-30").name_en, "Kyiv");
}

#[test]
fn the_seed_catalogue_round_trips_through_json() {
    for c in catalogue().iter() {
        let json = serde_json::to_string(c).unwrap();
        assert_eq!(&serde_json::from_str::<Category>(&json).unwrap(), c);
    }
}
