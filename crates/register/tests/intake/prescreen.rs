use super::*;
use register::{
    AuthorityKind, Edrpou, EligibilityConfig, LegalEntity, Reason, Representation, Representative,
    missing_fields, prescreen,
};

/// The (reason, field) pairs the pre-screen reports for `draft` today.
fn failures(draft: &ClaimDraft) -> Vec<(Reason, String)> {
    failures_with(draft, &EligibilityConfig::default(), TODAY)
}

fn failures_with(
    draft: &ClaimDraft,
    config: &EligibilityConfig,
    today: Date,
) -> Vec<(Reason, String)> {
    let catalogue = catalogue();
    let category = draft.category.as_ref().and_then(|c| catalogue.get(c));
    match prescreen(draft, category, &regions(), config, today) {
        Ok(()) => Vec::new(),
        Err(failures) => failures.into_iter().map(|f| (f.reason, f.field)).collect(),
    }
}

fn only(reason: Reason, field: &str) -> Vec<(Reason, String)> {
    vec![(reason, field.to_owned())]
}

fn person_mut(draft: &mut ClaimDraft) -> &mut NaturalPerson {
    match draft.claimant.as_mut() {
        Some(Claimant::NaturalPerson(p)) => p,
        _ => panic!("not a natural person"),
    }
}

#[test]
fn a_complete_eligible_claim_passes() {
    assert_eq!(failures(&house_claim()), Vec::new());
}

#[test]
fn an_empty_draft_is_told_everything_it_lacks() {
    let draft = ClaimDraft::default();
    let missing: Vec<String> = missing_fields(&draft, None)
        .into_iter()
        .map(|f| f.field)
        .collect();
    assert_eq!(
        missing,
        [
            "claimant",
            "category",
            "incident",
            "location.region",
            "narrative"
        ]
    );
    assert!(
        failures(&draft)
            .iter()
            .all(|(r, _)| *r == Reason::RequiredFieldMissing)
    );
}

#[test]
fn missing_fields_of_a_draft_include_the_category_form() {
    let mut draft = house_claim();
    draft.category_fields.remove("floor_area_m2");
    draft
        .category_fields
        .insert("damage_extent".into(), json!(" "));
    person_mut(&mut draft).given_name = String::new();
    let missing: Vec<(Reason, String)> = missing_fields(&draft, Some(&category("A3.1")))
        .into_iter()
        .map(|f| (f.reason, f.field))
        .collect();
    assert_eq!(
        missing,
        vec![
            (
                Reason::RequiredFieldMissing,
                "claimant.given_name".to_owned()
            ),
            (
                Reason::RequiredFieldMissing,
                "category_fields.floor_area_m2".to_owned()
            ),
            (
                Reason::RequiredFieldMissing,
                "category_fields.damage_extent".to_owned()
            ),
        ]
    );
}

#[test]
fn every_failure_is_reported_at_once() {
    let mut draft = house_claim();
    draft.incident = Some(Incident::On {
        date: date!(2021 - 12 - 31),
    });
    draft.location.region = Some(RegionCode::parse("UA-99").unwrap());
    draft.losses[0].amount = eur(dec!(-5.001));
    draft
        .category_fields
        .insert("floor_area_m2".into(), json!("big"));
    person_mut(&mut draft).nationalities = vec![CountryCode::russia()];
    let found = failures(&draft);
    let reasons: Vec<Reason> = found.iter().map(|(r, _)| *r).collect();
    for expected in [
        Reason::IncidentBeforeStartDate,
        Reason::UnknownRegion,
        Reason::AmountNotPositive,
        Reason::AmountTooPrecise,
        Reason::FieldInvalid,
        Reason::AggressorNationalOnly,
    ] {
        assert!(
            reasons.contains(&expected),
            "{expected} missing from {found:?}"
        );
    }
    assert!(found.contains(&(Reason::AmountTooPrecise, "losses[0].amount".into())));
    assert!(found.contains(&(Reason::FieldInvalid, "category_fields.floor_area_m2".into())));
}

#[test]
fn failures_carry_readable_messages_and_serialize_for_the_api() {
    let mut draft = house_claim();
    draft.incident = Some(Incident::On {
        date: date!(2030 - 01 - 01),
    });
    let err = prescreen(
        &draft,
        Some(&category("A3.1")),
        &regions(),
        &EligibilityConfig::default(),
        TODAY,
    )
    .unwrap_err();
    assert_eq!(
        serde_json::to_value(&err[0]).unwrap(),
        json!({
            "reason": "incident_in_future",
            "field": "incident.date",
            "message": "the incident cannot be in the future"
        })
    );
}

#[test]
fn incidents_must_fall_between_the_start_date_and_today() {
    let mut draft = house_claim();
    draft.incident = Some(Incident::On {
        date: date!(2022 - 02 - 24),
    });
    assert_eq!(failures(&draft), Vec::new());
    draft.incident = Some(Incident::On {
        date: date!(2022 - 02 - 23),
    });
    assert_eq!(
        failures(&draft),
        only(Reason::IncidentBeforeStartDate, "incident.date")
    );
    draft.incident = Some(Incident::Between {
        from: date!(2021 - 06 - 01),
        to: date!(2022 - 06 - 01),
    });
    assert_eq!(
        failures(&draft),
        only(Reason::IncidentBeforeStartDate, "incident.from")
    );
    draft.incident = Some(Incident::Between {
        from: date!(2022 - 06 - 01),
        to: TODAY.next_day().unwrap(),
    });
    assert_eq!(
        failures(&draft),
        only(Reason::IncidentInFuture, "incident.to")
    );
    draft.incident = Some(Incident::Between {
        from: date!(2023 - 06 - 01),
        to: date!(2023 - 05 - 01),
    });
    assert_eq!(
        failures(&draft),
        only(Reason::IncidentRangeInverted, "incident")
    );
}

#[test]
fn the_start_date_is_configurable() {
    let mut draft = house_claim();
    draft.incident = Some(Incident::On {
        date: date!(2014 - 03 - 01),
    });
    assert_eq!(
        failures(&draft),
        only(Reason::IncidentBeforeStartDate, "incident.date")
    );
    let config = EligibilityConfig {
        start_date: EligibilityConfig::START_2014,
        ..EligibilityConfig::default()
    };
    assert_eq!(failures_with(&draft, &config, TODAY), Vec::new());
}

#[test]
fn harm_abroad_only_where_the_category_allows_it() {
    let mut draft = house_claim();
    draft.location.country = Some(CountryCode::parse("PL").unwrap());
    assert_eq!(
        failures(&draft),
        only(Reason::LocationOutsideUkraine, "location.country")
    );
    draft.location.country = Some(CountryCode::ukraine());
    assert_eq!(failures(&draft), Vec::new());

    let mut abroad = house_claim();
    abroad.category = Some(code("A1.2"));
    abroad.incident = Some(Incident::On {
        date: date!(2022 - 03 - 05),
    });
    abroad.location = Location {
        country: Some(CountryCode::parse("PL").unwrap()),
        ..Location::default()
    };
    abroad.losses.clear();
    abroad.external_references.clear();
    abroad.category_fields = [
        ("date_left_ukraine".to_owned(), json!("2022-03-05")),
        ("host_country".to_owned(), json!("PL")),
    ]
    .into();
    assert_eq!(failures(&abroad), Vec::new());
}

#[test]
fn regions_must_be_known() {
    let mut draft = house_claim();
    draft.location.region = Some(RegionCode::parse("UA-43").unwrap());
    assert_eq!(failures(&draft), Vec::new());
    draft.location.region = Some(RegionCode::parse("UA-99").unwrap());
    assert_eq!(
        failures(&draft),
        only(Reason::UnknownRegion, "location.region")
    );
    draft.location.region = None;
    assert_eq!(
        failures(&draft),
        only(Reason::RequiredFieldMissing, "location.region")
    );
}

#[test]
fn the_category_must_accept_claims() {
    let mut draft = house_claim();
    let mut catalogue = catalogue();
    let regions = regions();
    let config = EligibilityConfig::default();
    let reasons = |draft: &ClaimDraft, catalogue: &Catalogue, today| -> Vec<Reason> {
        let category = draft.category.as_ref().and_then(|c| catalogue.get(c));
        prescreen(draft, category, &regions, &config, today)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.reason)
            .collect()
    };

    catalogue.get_mut(&code("A3.1")).unwrap().filing_deadline = Some(date!(2026 - 03 - 31));
    assert_eq!(
        reasons(&draft, &catalogue, TODAY),
        vec![Reason::CategoryDeadlinePassed]
    );
    assert_eq!(
        reasons(&draft, &catalogue, date!(2026 - 03 - 31)),
        Vec::<Reason>::new()
    );

    draft.category = Some(code("A3.7"));
    draft.category_fields = [("loss_kind".to_owned(), json!("loss_of_income"))].into();
    assert_eq!(
        reasons(&draft, &catalogue, TODAY),
        vec![Reason::CategoryNotOpen]
    );

    draft.category = Some(code("A3.5"));
    draft.category_fields = [
        ("enterprise_name".to_owned(), json!("Kovalenko bakery")),
        ("date_enterprise_lost".to_owned(), json!("2022-03-14")),
    ]
    .into();
    assert_eq!(
        reasons(&draft, &catalogue, date!(2026 - 03 - 09)),
        vec![Reason::CategoryNotYetOpen]
    );
    assert_eq!(
        reasons(&draft, &catalogue, date!(2026 - 03 - 10)),
        Vec::<Reason>::new()
    );

    draft.category = Some(code("A9.9"));
    assert_eq!(
        reasons(&draft, &catalogue, TODAY),
        vec![Reason::UnknownCategory]
    );

    let other = category("A3.2");
    let found = prescreen(&house_claim(), Some(&other), &regions, &config, TODAY).unwrap_err();
    assert_eq!(found[0].reason, Reason::CategoryMismatch);
}

#[test]
fn the_claimant_must_be_of_the_categorys_type() {
    let mut draft = house_claim();
    draft.claimant = Some(Claimant::LegalEntity(LegalEntity {
        name: "Ukrposhta".into(),
        edrpou: Edrpou::parse("21560045").unwrap(),
        contact: Contact {
            email: Some("info@ukrposhta.ua".into()),
            ..Contact::default()
        },
    }));
    assert_eq!(
        failures(&draft),
        only(Reason::ClaimantTypeMismatch, "claimant.claimant_type")
    );
}

#[test]
fn nationals_of_the_aggressor_state_need_another_nationality() {
    let mut draft = house_claim();
    person_mut(&mut draft).nationalities = vec![CountryCode::russia()];
    assert_eq!(
        failures(&draft),
        only(Reason::AggressorNationalOnly, "claimant.nationalities")
    );
    person_mut(&mut draft).nationalities = vec![CountryCode::russia(), CountryCode::ukraine()];
    assert_eq!(failures(&draft), Vec::new());
    person_mut(&mut draft).nationalities = Vec::new();
    assert_eq!(
        failures(&draft),
        only(Reason::RequiredFieldMissing, "claimant.nationalities")
    );
}

#[test]
fn claimant_details_are_checked() {
    let mut draft = house_claim();
    person_mut(&mut draft).date_of_birth = Some(TODAY.next_day().unwrap());
    person_mut(&mut draft).contact.email = Some("olena at example".into());
    person_mut(&mut draft).contact.phone = Some("call me".into());
    assert_eq!(
        failures(&draft),
        vec![
            (Reason::FieldInvalid, "claimant.date_of_birth".into()),
            (Reason::FieldInvalid, "claimant.contact.email".into()),
            (Reason::FieldInvalid, "claimant.contact.phone".into()),
        ]
    );
    person_mut(&mut draft).date_of_birth = None;
    person_mut(&mut draft).contact = Contact::default();
    assert_eq!(
        failures(&draft),
        vec![
            (
                Reason::RequiredFieldMissing,
                "claimant.date_of_birth".into()
            ),
            (Reason::RequiredFieldMissing, "claimant.contact".into()),
        ]
    );
}

#[test]
fn category_fields_are_checked_against_the_form() {
    let mut draft = house_claim();
    draft
        .category_fields
        .insert("floor_area".into(), json!("112.5"));
    draft
        .category_fields
        .insert("property_type".into(), json!("castle"));
    assert_eq!(
        failures(&draft),
        vec![
            (Reason::UnknownField, "category_fields.floor_area".into()),
            (Reason::FieldInvalid, "category_fields.property_type".into()),
        ]
    );
}

fn death_claim(relationship: &str) -> ClaimDraft {
    let mut draft = house_claim();
    draft.category = Some(code("A2.1"));
    draft.losses.clear();
    draft.location.cadastral_number = None;
    draft.category_fields = [
        ("deceased_name".to_owned(), json!("Petro Kovalenko")),
        ("date_of_death".to_owned(), json!("2022-03-14")),
        ("relationship".to_owned(), json!(relationship)),
    ]
    .into();
    draft
}

#[test]
fn relatives_outside_the_immediate_family_must_show_a_legitimate_interest() {
    assert_eq!(failures(&death_claim("step_parent")), Vec::new());
    let mut draft = death_claim("sibling");
    assert_eq!(
        failures(&draft),
        only(
            Reason::RequiredFieldMissing,
            "category_fields.legitimate_interest"
        )
    );
    draft.category_fields.insert(
        "legitimate_interest".into(),
        json!("He supported me financially"),
    );
    assert_eq!(failures(&draft), Vec::new());
}

#[test]
fn losses_are_needed_where_the_category_says_so_and_must_be_exact_and_positive() {
    assert_eq!(failures(&death_claim("spouse")), Vec::new());
    let mut draft = house_claim();
    draft.losses.clear();
    assert_eq!(failures(&draft), only(Reason::NoLosses, "losses"));
    draft.losses = vec![
        Loss {
            description: "Furniture".into(),
            amount: eur(dec!(0)),
            valuation_basis: None,
        },
        Loss {
            description: " ".into(),
            amount: eur(dec!(10.005)),
            valuation_basis: None,
        },
        Loss {
            description: "Car".into(),
            amount: Money::new(dec!(150000), Currency::UAH),
            valuation_basis: None,
        },
    ];
    assert_eq!(
        failures(&draft),
        vec![
            (Reason::RequiredFieldMissing, "losses[1].description".into()),
            (Reason::AmountNotPositive, "losses[0].amount".into()),
            (Reason::AmountTooPrecise, "losses[1].amount".into()),
        ]
    );
}

#[test]
fn occupied_territory_categories_need_the_flag() {
    let mut draft = house_claim();
    draft.category = Some(code("A3.6"));
    draft.location.occupied_territory = false;
    draft.category_fields = [
        ("property_type".to_owned(), json!("apartment")),
        ("ownership_document".to_owned(), json!("Certificate 1/2001")),
        ("date_access_lost".to_owned(), json!("2022-03-01")),
    ]
    .into();
    assert_eq!(
        failures(&draft),
        only(
            Reason::OccupiedTerritoryRequired,
            "location.occupied_territory"
        )
    );
    draft.location.occupied_territory = true;
    assert_eq!(failures(&draft), Vec::new());
}

#[test]
fn the_narrative_has_a_length_limit() {
    let mut draft = house_claim();
    draft.narrative = "я".repeat(register::eligibility::NARRATIVE_MAX_CHARS);
    assert_eq!(failures(&draft), Vec::new());
    draft.narrative.push('!');
    assert_eq!(failures(&draft), only(Reason::TextTooLong, "narrative"));
}

fn lawyer(from: Date, until: Option<Date>) -> Representation {
    Representation {
        representative: Representative {
            account: None,
            name: "Advocate Bondarenko".into(),
        },
        kind: AuthorityKind::Lawyer,
        document_reference: "Power of attorney 12/2026".into(),
        valid_from: from,
        valid_until: until,
    }
}

#[test]
fn representation_must_hold_on_the_day_of_submission() {
    let mut draft = house_claim();
    draft.representation = Some(lawyer(date!(2026 - 01 - 01), None));
    assert_eq!(failures(&draft), Vec::new());
    draft.representation = Some(lawyer(date!(2026 - 01 - 01), Some(date!(2026 - 03 - 31))));
    assert_eq!(
        failures(&draft),
        only(Reason::RepresentationNotValid, "representation.valid_until")
    );
    draft.representation = Some(lawyer(date!(2026 - 05 - 01), None));
    assert_eq!(
        failures(&draft),
        only(Reason::RepresentationNotValid, "representation.valid_from")
    );
    draft.representation = Some(lawyer(date!(2026 - 05 - 01), Some(date!(2026 - 01 - 01))));
    assert_eq!(
        failures(&draft),
        only(Reason::RepresentationNotValid, "representation.valid_until")
    );
    let mut blank = lawyer(date!(2026 - 01 - 01), None);
    blank.representative.name = String::new();
    blank.document_reference = String::new();
    draft.representation = Some(blank);
    assert_eq!(
        failures(&draft),
        vec![
            (
                Reason::RequiredFieldMissing,
                "representation.representative".into()
            ),
            (
                Reason::RequiredFieldMissing,
                "representation.document_reference".into()
            ),
        ]
    );
}

#[test]
fn the_kind_of_authority_must_fit_the_claimant() {
    let mut draft = house_claim();
    let mut parent = lawyer(date!(2026 - 01 - 01), None);
    parent.kind = AuthorityKind::Parent;
    draft.representation = Some(parent.clone());
    assert_eq!(
        failures(&draft),
        only(Reason::AuthorityKindMismatch, "representation.kind")
    );
    person_mut(&mut draft).date_of_birth = Some(date!(2012 - 06 - 01));
    assert_eq!(failures(&draft), Vec::new());

    let mut entity = house_claim();
    entity.category = Some(code("C3.1"));
    entity.claimant = Some(Claimant::LegalEntity(LegalEntity {
        name: "Ukrposhta".into(),
        edrpou: Edrpou::parse("21560045").unwrap(),
        contact: Contact {
            email: Some("info@ukrposhta.ua".into()),
            ..Contact::default()
        },
    }));
    entity.category_fields = [
        ("asset_description".to_owned(), json!("Sorting centre")),
        ("date_of_loss".to_owned(), json!("2022-03-14")),
    ]
    .into();
    let mut guardian = parent;
    guardian.kind = AuthorityKind::Guardian;
    entity.representation = Some(guardian);
    assert_eq!(
        failures(&entity),
        only(Reason::AuthorityKindMismatch, "representation.kind")
    );
}

#[test]
fn drafts_round_trip_through_json() {
    let draft = house_claim();
    let json = serde_json::to_value(&draft).unwrap();
    assert_eq!(json["claimant"]["claimant_type"], "natural_person");
    assert_eq!(
        json["incident"],
        json!({"kind": "on", "date": "2022-03-14"})
    );
    assert_eq!(
        json["losses"][0]["amount"],
        json!({"amount": "85000.00", "currency": "EUR"})
    );
    assert_eq!(serde_json::from_value::<ClaimDraft>(json).unwrap(), draft);
}
