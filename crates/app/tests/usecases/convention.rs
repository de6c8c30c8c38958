//! The ratification tracker's use cases: treaty actions are checked
//! against the record, counted, audited, and gate the Commission.

use app::ErrorClass;
use app::convention::{self, ActionInput};
use kernel::{Action, Role};
use store::AuditFilter;

fn ratification(participant: &str, date: &str) -> ActionInput {
    ActionInput {
        participant: participant.into(),
        kind: "ratification".into(),
        date: date.into(),
        text: None,
        supersedes: None,
        withdraws: None,
        reason: Some("Instrument deposited with the Secretary General.".into()),
        ..ActionInput::default()
    }
}

both! {
    async fn a_ratification_is_counted_and_on_record(w: World) {
        let depositary = w.actor("Depositary", &[Role::Depositary], false, Action::RecordTreatyAction).await;
        let before = convention::standing(&w.app).await.unwrap().status.counted_consents;
        let today = w.app.clock.today().to_string();
        let recorded = convention::record_action(&w.app, &depositary, ratification("AT", &today)).await.unwrap();
        assert_eq!(recorded.recorded_by, Some(depositary.principal.account));
        let after = convention::standing(&w.app).await.unwrap().status;
        assert_eq!(after.counted_consents, before + 1);
        assert!(!after.in_force);

        let auditor = w.actor("Auditor", &[Role::Auditor], false, Action::ReadAuditLog).await;
        let filter = AuditFilter { target_type: Some("participant".into()), target_id: Some("AT".into()), ..AuditFilter::default() };
        let entries = app::audit::entries(&w.app, &auditor, &filter, kernel::PageRequest::new(Some(500), None)).await.unwrap().items;
        let entry = entries.iter().find(|e| e.actor == Some(depositary.principal.account))
            .unwrap_or_else(|| panic!("not on record: {entries:?}"));
        assert_eq!(entry.reason.as_deref(), Some("Instrument deposited with the Secretary General."));
        assert_eq!(entry.actor_role.as_deref(), Some("depositary"));
    }

    async fn a_treaty_action_the_record_does_not_allow_is_refused_with_its_field(w: World) {
        let depositary = w.actor("Depositary", &[Role::Depositary], false, Action::RecordTreatyAction).await;
        let today = w.app.clock.today();
        let cases = [
            (ratification("ZZ", &today.to_string()), "participant"),
            (ActionInput { kind: "ratify".into(), ..ratification("AT", &today.to_string()) }, "kind"),
            (ratification("AT", "14 March 2026"), "date"),
            (ratification("AT", &(today + time::Duration::days(3)).to_string()), "date"),
        ];
        for (input, field) in cases {
            let refused = convention::record_action(&w.app, &depositary, input.clone()).await.unwrap_err();
            assert_eq!(refused.class, ErrorClass::Invalid, "{input:?}");
            assert!(refused.errors.iter().any(|e| e.field == field), "{input:?}: {:?}", refused.errors);
        }
        // Nothing was recorded.
        let record = convention::record(&w.app).await.unwrap();
        assert!(record.treaty_actions().iter().all(|a| !matches!(a.kind, ratification::ActionKind::Consent(_))));
    }

    async fn the_commission_may_not_act_before_entry_into_force(w: World) {
        let Err(refused) = convention::commission_may_act(&w.app).await else {
            panic!("the Commission may act on the seeded record");
        };
        assert_eq!(refused.class, ErrorClass::Conflict);
        assert_eq!(refused.kind, ratification::NotInForce::PROBLEM_TYPE);
        assert_eq!(refused.facts.get("counted_consents"), Some(&serde_json::json!(0)));
    }
}
