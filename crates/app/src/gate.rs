//! The Commission's go-live gate, and the convention's settings.
//!
//! The Commission has no power to act before the convention establishing it
//! is in force. Every Commission operation that issues recommendations,
//! decisions or awards calls [`commission_may_act`] first. It reads the
//! current record from the store on every call (no cache: another instance
//! may have recorded the 25th ratification a moment ago) and evaluates it
//! with the injected clock, so the gate opens on the computed date without a
//! restart, and tests move the clock to see it open.
//!
//! # Settings
//! - the entry-into-force rule (`REDRESS_CONVENTION_RULE`) defaults to the
//!   *assumed reading* [`EntryIntoForceRule::convention_default`] (25
//!   consents by R, A or AA, organisations counting, plus the Council's
//!   funding determination, first day of the month after three months);
//! - the funding target (`REDRESS_FUNDING_TARGET`, default 50,000,000 EUR,
//!   an **assumption**) is only the tracker's "confirmed against target"
//!   figure; its currency is the reference currency totals convert to. The
//!   funding *condition* is the Council's determination, not this figure.

use crate::error::{AppError, ErrorClass};
use crate::{Actor, App, Config};
use kernel::Money;
use ratification::{
    ConventionEvent, ConventionStatus, EntryIntoForceRule, NotInForce, evaluate, parse_signatures,
};
use store::{AuditContext, ConventionRecord, NewConventionEvent, StoreError};
use time::Date;

/// The entry-into-force rule in force for this deployment.
pub fn rule(config: &Config) -> EntryIntoForceRule {
    config.convention_rule.clone()
}

/// The funding target the tracker shows confirmed contributions against.
pub fn funding_target(config: &Config) -> Money {
    config.funding_target
}

/// Seeds the published participants and signatures on first start; a no-op
/// once any participant is recorded. Safe to run from several instances at
/// once (the store serialises it).
pub async fn seed_convention(app: &App) -> Result<usize, StoreError> {
    let seed =
        parse_signatures(ratification::CONVENTION_SIGNATURES_CSV).map_err(StoreError::internal)?;
    let ctx = AuditContext {
        reason: Some("first start: the published signatures of the convention".into()),
        ..AuditContext::system()
    };
    let added = app.store.seed_convention(&ctx, &seed).await?;
    // The assumed 2025 budget total: recorded once (by its fixed id), also
    // on a record seeded before weighted conditions existed.
    let ctx = AuditContext {
        reason: Some(
            "first start: the assumed total of the Register of Damage's 2025 budget".into(),
        ),
        ..AuditContext::system()
    };
    app.store
        .seed_basis_totals(&ctx, &ratification::seed_basis_totals())
        .await?;
    Ok(added)
}

/// The record and its evaluation on one day.
pub struct Current {
    pub record: ConventionRecord,
    pub status: ConventionStatus,
    pub today: Date,
}

/// The event to store for a change of standing. Entry into force is keyed
/// by its date, so that noticing it twice (two instances, or a write and a
/// read) stores it once.
pub fn new_event(event: ConventionEvent) -> NewConventionEvent {
    let dedupe_key = match event {
        ConventionEvent::EnteredIntoForce { on } => Some(format!("entered_into_force:{on}")),
        _ => None,
    };
    NewConventionEvent { event, dedupe_key }
}

/// Loads the current record and evaluates it today (seeding it first if
/// that could not be done at start).
///
/// When the date of entry into force has simply been reached (no write
/// changed anything), the first evaluation that sees it stores the
/// `entered_into_force` event; a failure to store it is logged and does not
/// fail the read.
pub async fn current(app: &App) -> Result<Current, AppError> {
    let mut record = app.store.convention_record().await?;
    if record.participants.is_empty() {
        // Seeding at start failed (the database was down): do it now.
        seed_convention(app).await?;
        record = app.store.convention_record().await?;
    }
    let today = app.clock.today();
    let items = record.items();
    let status = evaluate(&rule(&app.config), &items.input(), today);
    if let (true, Some(on)) = (status.in_force, status.entry_into_force) {
        let known = record
            .events
            .iter()
            .any(|e| e.event == ConventionEvent::EnteredIntoForce { on });
        if !known {
            let ctx = AuditContext {
                reason: Some("the date of entry into force was reached".into()),
                ..AuditContext::system()
            };
            let event = new_event(ConventionEvent::EnteredIntoForce { on });
            if let Err(e) = app.store.append_convention_event(&ctx, event).await {
                tracing::warn!("could not store the entered_into_force event: {e}");
            }
        }
    }
    Ok(Current {
        record,
        status,
        today,
    })
}

/// The 409 problem of a closed gate, with the figures as extension members.
pub fn not_in_force(refusal: &NotInForce) -> AppError {
    AppError::new(
        ErrorClass::Conflict,
        NotInForce::PROBLEM_TYPE,
        "The Commission may not act yet",
        format!("The Commission may act only once the convention is in force; {refusal}."),
    )
    .with("code", refusal.code())
    .with("counted_consents", refusal.counted_consents)
    .with("threshold", refusal.threshold)
    .with("missing", &refusal.missing)
    .with(
        "projected_entry_into_force",
        refusal.projected_entry_into_force.map(|d| d.to_string()),
    )
}

/// What the go-live gate relied on when it let an act through: recorded
/// with the act's audit entry, so that the act keeps its footing whatever
/// is recorded about the convention later.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    /// The date of entry into force, ISO 8601.
    pub entry_into_force: String,
    pub counted_consents: u32,
    /// `sha256:` and the first 16 hex digits of the rule's JSON: which
    /// rule (and version of its configuration) the standing was read by.
    pub rule_version: String,
    pub rule_is_assumed_reading: bool,
    /// The day the gate was checked, ISO 8601.
    pub as_of: String,
}

/// Fingerprint of a rule, stable for equal rules.
pub fn rule_version(rule: &EntryIntoForceRule) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(rule).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let hex: String = digest
        .iter()
        .take(8)
        .flat_map(|b| [b >> 4, b & 0xf])
        .map(|nibble| char::from_digit(u32::from(nibble), 16).unwrap_or('0'))
        .collect();
    format!("sha256:{hex}")
}

/// The go-live gate: the standing it relies on once the convention is in
/// force today, otherwise the 409 `commission-not-in-force` problem. Reads
/// the record every call.
pub async fn commission_may_act(app: &App) -> Result<Standing, AppError> {
    let current = current(app).await?;
    ratification::commission_may_act(&current.status, current.today)
        .map_err(|refusal| not_in_force(&refusal))?;
    let rule = &current.status.rule;
    Ok(Standing {
        entry_into_force: current
            .status
            .entry_into_force
            .unwrap_or(current.today)
            .to_string(),
        counted_consents: current.status.counted_consents,
        rule_version: rule_version(rule),
        rule_is_assumed_reading: *rule == EntryIntoForceRule::convention_default(),
        as_of: current.today.to_string(),
    })
}

/// The actor, for an act of the Commission's organs: refused with 409
/// while the convention is not in force; otherwise carrying the standing
/// the gate relied on into every audit entry of the act.
pub async fn acting_in_force(app: &App, actor: &Actor) -> Result<Actor, AppError> {
    let standing = commission_may_act(app).await?;
    Ok(Actor {
        standing: serde_json::to_value(&standing).ok(),
        ..actor.clone()
    })
}
