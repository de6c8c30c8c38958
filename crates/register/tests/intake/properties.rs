use super::*;
use kernel::Currency;
use proptest::prelude::*;
use register::{
    ClaimAction, ClaimStatus, EligibilityConfig, Reason, prescreen, total_claimed, transition,
};
use rust_decimal::Decimal;

fn any_date() -> impl Strategy<Value = Date> {
    // 2010 to 2030: either side of both start dates and of "today".
    (0i64..(20 * 366)).prop_map(|d| date!(2010 - 01 - 01) + time::Duration::days(d))
}

fn any_incident() -> impl Strategy<Value = Incident> {
    prop_oneof![
        any_date().prop_map(|date| Incident::On { date }),
        (any_date(), any_date()).prop_map(|(from, to)| Incident::Between { from, to }),
    ]
}

fn any_currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["EUR", "USD", "UAH", "JPY", "GBP"])
        .prop_map(|c| Currency::from_code(c).unwrap())
}

fn any_status() -> impl Strategy<Value = ClaimStatus> {
    prop::sample::select(ClaimStatus::ALL.to_vec())
}

proptest! {
    #[test]
    fn prescreen_never_accepts_an_incident_before_the_start_date(
        incident in any_incident(),
        start in prop::sample::select(vec![EligibilityConfig::START_2022, EligibilityConfig::START_2014]),
        today in any_date(),
    ) {
        let mut draft = house_claim();
        draft.incident = Some(incident);
        let config = EligibilityConfig { start_date: start, ..EligibilityConfig::default() };
        let category = category("A3.1");
        let result = prescreen(&draft, Some(&category), &regions(), &config, today);
        if incident.start() < start {
            let failures = result.unwrap_err();
            prop_assert!(failures.iter().any(|f| f.reason == Reason::IncidentBeforeStartDate));
        }
        if incident.end() > today {
            prop_assert!(prescreen(&draft, Some(&category), &regions(), &config, today).is_err());
        }
    }

    #[test]
    fn total_claimed_per_currency_is_the_sum_of_that_currencys_losses(
        losses in prop::collection::vec((1i64..10_000_000_000, any_currency()), 0..40)
    ) {
        let losses: Vec<Loss> = losses
            .into_iter()
            .map(|(cents, currency)| Loss {
                description: "x".into(),
                amount: Money::new(Decimal::new(cents, 2), currency),
                valuation_basis: None,
            })
            .collect();
        let totals = total_claimed(&losses).unwrap();
        let mut currencies: Vec<Currency> = losses.iter().map(|l| l.amount.currency()).collect();
        currencies.sort_by_key(|c| c.code());
        currencies.dedup();
        prop_assert_eq!(totals.len(), currencies.len());
        for total in &totals {
            let expected: Decimal = losses
                .iter()
                .filter(|l| l.amount.currency() == total.currency())
                .map(|l| l.amount.amount())
                .sum();
            prop_assert_eq!(total.amount(), expected);
        }
        prop_assert!(totals.windows(2).all(|w| w[0].currency().code() < w[1].currency().code()));
    }

    #[test]
    fn no_sequence_of_actions_leads_out_of_a_final_status(
        start in any_status(),
        actions in prop::collection::vec(prop::sample::select(ClaimAction::ALL.to_vec()), 0..30),
    ) {
        let mut status = start;
        let mut reached_final = status.is_final();
        for action in actions {
            match transition(status, action) {
                Ok(next) => {
                    prop_assert!(!reached_final, "{status} -> {next} by {action}");
                    status = next;
                    reached_final |= status.is_final();
                }
                Err(err) => prop_assert_eq!(err.from, status),
            }
        }
    }

    #[test]
    fn no_action_leads_back_to_draft(status in any_status(), action in prop::sample::select(ClaimAction::ALL.to_vec())) {
        prop_assert_ne!(transition(status, action).ok(), Some(ClaimStatus::Draft));
    }

    #[test]
    fn sanitized_file_names_are_plain_display_names(name in ".{0,300}") {
        let clean = register::sanitize_file_name(&name);
        prop_assert!(!clean.is_empty());
        prop_assert!(!clean.contains(['/', '\\']));
        prop_assert!(!clean.starts_with('.'));
        prop_assert!(!clean.chars().any(char::is_control));
        prop_assert!(clean.chars().count() <= register::evidence::FILE_NAME_MAX_CHARS);
        prop_assert_eq!(register::sanitize_file_name(&clean), clean.clone());
    }

    #[test]
    fn sniffing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200), zip in any::<bool>()) {
        let mut bytes = bytes;
        if zip {
            bytes.splice(0..0, *b"PK\x03\x04");
        }
        let _ = register::sniff(&bytes, Some(register::ContentType::Docx));
        let _ = register::check_upload("application/pdf", &bytes);
    }
}
