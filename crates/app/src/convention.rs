//! The ratification tracker: treaty actions, the funding determination,
//! pledges, contributions and exchange rates, and the convention's standing.
//!
//! Entries that depend on the record are validated by the domain *inside*
//! the store's transaction (`store::ratification`), which also stores the
//! event when the convention's standing changes: the decision of whether an
//! entry changes the standing is `ratification::standing_change`.

use crate::error::{AppError, AppResult, FieldError};
use crate::gate::{self, Current};
use crate::{Actor, App};
use kernel::{Currency, Money, MoneyError, Permission};
use ratification::{
    ActionError, ActionId, ActionKind, BasisCode, BasisTotal, BasisTotalError, BasisTotalId,
    ContributionConfirmation, ContributionId, ExchangeRate, FundingDetermination,
    FundingDeterminationError, FundingDeterminationId, NewEntry, Participant, ParticipantCode,
    ParticipantKind, Pledge, PledgeId, RevisionRefused, TreatyAction, Weight, WeightError,
    WeightId, standing_change, validate_action, validate_basis_total,
    validate_funding_determination, validate_weight,
};
use rust_decimal::Decimal;
use std::str::FromStr;
use store::{
    ConventionRecord, NewConventionEvent, Recorded, Refused, StoreError, StoredConventionEvent,
};
use time::Date;

/// The record and its evaluation today.
pub async fn standing(app: &App) -> AppResult<Current> {
    gate::current(app).await
}

/// The whole record, corrected entries included, for the timeline.
pub async fn record(app: &App) -> AppResult<ConventionRecord> {
    Ok(app.store.convention_record().await?)
}

/// The changes of the convention's standing, oldest first. Evaluating
/// first stores `entered_into_force` if its date was reached.
pub async fn events(app: &App) -> AppResult<Vec<StoredConventionEvent>> {
    gate::current(app).await?;
    Ok(app.store.convention_events().await?)
}

/// Whether the Commission may act today: the standing when it may, the
/// gate's refusal (with its figures) when it may not.
pub async fn commission_may_act(app: &App) -> AppResult<Current> {
    let current = gate::current(app).await?;
    ratification::commission_may_act(&current.status, current.today)
        .map_err(|refusal| gate::not_in_force(&refusal))?;
    Ok(current)
}

/// Collects field errors, then answers all at once.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    fn date(&mut self, field: &str, text: &str) -> Option<Date> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        if let Ok(d) = Date::parse(text.trim(), format) {
            Some(d)
        } else {
            self.push(field, "format", "A calendar date, YYYY-MM-DD.");
            None
        }
    }

    fn participant(&mut self, field: &str, text: &str) -> Option<ParticipantCode> {
        match ParticipantCode::parse(text.trim()) {
            Ok(c) => Some(c),
            Err(e) => {
                self.push(field, "format", e.to_string());
                None
            }
        }
    }

    fn currency(&mut self, field: &str, text: &str) -> Option<Currency> {
        match Currency::from_code(text.trim()) {
            Ok(c) => Some(c),
            Err(e) => {
                self.push(field, "unknown_currency", e.to_string());
                None
            }
        }
    }

    fn text(&mut self, field: &str, text: Option<String>, max: usize) -> Option<String> {
        let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if text.as_ref().is_some_and(|t| t.chars().count() > max) {
            self.push(field, "length", format!("At most {max} characters."));
        }
        text
    }

    /// A participant new to the record, joining it with an action of
    /// `kind`: only a signature, or an accession where the rule allows one.
    fn new_participant(
        &mut self,
        input: ParticipantInput,
        code: Option<&ParticipantCode>,
        kind: Option<ActionKind>,
        config: &crate::Config,
    ) -> Option<Participant> {
        let before = self.0.len();
        let name = self.text("new_participant.name", Some(input.name), 200);
        if name.is_none() {
            self.push(
                "new_participant.name",
                "required",
                "The participant's name in English.",
            );
        }
        let name_uk = self.text("new_participant.name_uk", input.name_uk, 200);
        let participant_kind = match input.kind.trim() {
            "state" => Some(ParticipantKind::State),
            "organisation" => Some(ParticipantKind::Organisation),
            other => {
                self.push(
                    "new_participant.kind",
                    "unknown_kind",
                    format!("{other:?} is not state or organisation."),
                );
                None
            }
        };
        if let (Some(code), Some(k)) = (code, participant_kind) {
            let expected = if code.is_european_union() {
                ParticipantKind::Organisation
            } else {
                ParticipantKind::State
            };
            if k != expected {
                self.push(
                    "new_participant.kind",
                    "kind_mismatch",
                    format!("{code} is recorded as a {expected}."),
                );
            }
            if input.council_of_europe_member != code.is_council_of_europe_member() {
                self.push(
                    "new_participant.council_of_europe_member",
                    "membership_mismatch",
                    format!(
                        "{code} is {}a member state of the Council of Europe.",
                        if code.is_council_of_europe_member() {
                            ""
                        } else {
                            "not "
                        }
                    ),
                );
            }
        }
        match kind {
            Some(ActionKind::Consent(ratification::ConsentKind::Accession))
                if !gate::rule(config).admits_accession() =>
            {
                self.push(
                    "kind",
                    "accession_closed",
                    "The rule in force admits no accession.",
                );
            }
            Some(
                ActionKind::Signature | ActionKind::Consent(ratification::ConsentKind::Accession),
            )
            | None => {}
            Some(_) => self.push(
                "kind",
                "joins_by_signature_or_accession",
                "A participant joins the record with its signature or its accession.",
            ),
        }
        if self.0.len() > before {
            return None;
        }
        Some(Participant {
            code: *code?,
            name: name?,
            name_uk,
            kind: participant_kind?,
            council_of_europe_member: input.council_of_europe_member,
        })
    }

    fn decimal(&mut self, field: &str, text: &str) -> Option<Decimal> {
        if let Some(d) = kernel::money::parse_amount(text.trim()) {
            Some(d)
        } else {
            self.push(
                field,
                "format",
                "A decimal number as a string, e.g. \"125000.00\".",
            );
            None
        }
    }

    fn basis(&mut self, field: &str, text: &str) -> Option<BasisCode> {
        match BasisCode::parse(text.trim()) {
            Ok(b) => Some(b),
            Err(e) => {
                self.push(field, "format", e.to_string());
                None
            }
        }
    }

    fn finish(self, what: &str) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(
                format!("The {what} is not valid."),
                self.0,
            ))
        }
    }
}

/// What has gone wrong when a field was reported but no value is missing
/// is a fault of ours, not the caller's.
fn reported() -> AppError {
    AppError::internal(anyhow::anyhow!("a field was refused without a problem"))
}

/// A treaty action to record (or a correction of one), as sent.
#[derive(Clone, Debug, Default)]
pub struct ActionInput {
    /// ISO 3166-1 alpha-2 code, or `EU`.
    pub participant: String,
    /// `signature`, `ratification`, ..., `denunciation`.
    pub kind: String,
    /// YYYY-MM-DD.
    pub date: String,
    pub text: Option<String>,
    pub supersedes: Option<uuid::Uuid>,
    pub withdraws: Option<uuid::Uuid>,
    /// Kept in the audit log.
    pub reason: Option<String>,
    /// A state or organisation new to the record, joining it with this
    /// signature (or accession).
    pub new_participant: Option<ParticipantInput>,
    /// The entry corrects the record in a way that moves or undoes an entry
    /// into force already reached; needs a `reason`.
    pub correction: bool,
}

/// A participant new to the record, as sent.
#[derive(Clone, Debug, Default)]
pub struct ParticipantInput {
    /// The name in English.
    pub name: String,
    /// The name in Ukrainian.
    pub name_uk: Option<String>,
    /// `state` or `organisation` (a regional integration organisation).
    pub kind: String,
    /// Whether it is a member state of the Council of Europe.
    pub council_of_europe_member: bool,
}

/// The field a refused action is about, or `None` for a conflict with the
/// record.
fn action_error_field(e: &ActionError) -> Option<&'static str> {
    if e.is_conflict() {
        return None;
    }
    Some(match e {
        ActionError::UnknownParticipant(_) => "participant",
        ActionError::UnknownSupersededAction(_)
        | ActionError::SupersedesOtherParticipant { .. } => "supersedes",
        ActionError::ConsentWithoutSignature { .. }
        | ActionError::DenunciationWithoutConsent { .. } => "kind",
        ActionError::NoEffectiveReservation { .. } | ActionError::WithdrawalTargetNotAllowed(_) => {
            "withdraws"
        }
        _ => "date",
    })
}

/// The 409 answer to an entry that would move or undo an entry into force
/// already reached without being recorded as a correction.
fn revision_refused(refusal: &RevisionRefused) -> AppError {
    AppError::conflict(format!(
        "{refusal}. Decisions the Commission took since are final; record the entry as a \
         correction, with the reason, if the record must change."
    ))
    .with("code", RevisionRefused::CODE)
    .with("entry_into_force", refusal.entry_into_force.to_string())
    .with("would_be", refusal.would_be.map(|d| d.to_string()))
    .with("in_force_after", refusal.in_force_after)
}

/// A correction of the convention's standing must say why.
fn check_correction(problems: &mut Problems, correction: bool, reason: Option<&str>) {
    if correction && reason.is_none_or(|r| r.trim().is_empty()) {
        problems.push(
            "reason",
            "required",
            "A correction of the record is recorded with its reason.",
        );
    }
}

/// Whether an entry may join the record as judged inside the writing
/// transaction, and the event it announces.
fn judge<E>(
    app: &App,
    record: &ConventionRecord,
    entry: NewEntry<'_>,
    correction: bool,
) -> Result<Option<NewConventionEvent>, Refused<E>> {
    let items = record.items();
    standing_change(
        &gate::rule(&app.config),
        &items.input(),
        entry,
        app.clock.today(),
        correction,
    )
    .map(|event| event.map(gate::new_event))
    .map_err(Refused::Revision)
}

fn action_refused(e: Refused<ActionError>) -> AppError {
    match e {
        Refused::Revision(r) => revision_refused(&r),
        Refused::Store(StoreError::Conflict(detail))
            if detail.contains("already a participant") =>
        {
            AppError::conflict(format!(
                "{detail}; record its signature without new_participant."
            ))
            .with("code", "participant_exists")
        }
        Refused::Rule(e) => match action_error_field(&e) {
            Some(field) => AppError::invalid_field(field, e.code(), e.to_string()),
            None => AppError::conflict(e.to_string()).with("code", e.code()),
        },
        Refused::Store(StoreError::Conflict(_)) => {
            AppError::conflict("The record changed meanwhile (the entry was already corrected).")
                .with("code", "already_superseded")
        }
        Refused::Store(e) => e.into(),
    }
}

/// Records a treaty action. Validated against the record inside the
/// transaction; the event of a change of standing is stored with it. With
/// `new_participant`, a signatory or acceding state new to the record
/// joins it with this action.
pub async fn record_action(
    app: &App,
    actor: &Actor,
    input: ActionInput,
) -> AppResult<Recorded<TreatyAction>> {
    let mut problems = Problems::default();
    let participant = problems.participant("participant", &input.participant);
    let kind = ActionKind::from_str(input.kind.trim())
        .map_err(|e| problems.push("kind", "unknown_kind", e.to_string()))
        .ok();
    let date = problems.date("date", &input.date);
    let text = problems.text("text", input.text, 20_000);
    let joining = input
        .new_participant
        .map(|p| problems.new_participant(p, participant.as_ref(), kind, &app.config));
    check_correction(&mut problems, input.correction, input.reason.as_deref());
    problems.finish("treaty action")?;
    let (Some(participant), Some(kind), Some(date)) = (participant, kind, date) else {
        return Err(reported());
    };
    let joining = match joining {
        Some(Some(p)) => Some(p),
        Some(None) => return Err(reported()),
        None => None,
    };
    let mut action = TreatyAction::new(participant, kind, date);
    action.text = text;
    action.supersedes = input.supersedes.map(ActionId::from_uuid);
    action.withdraws = input.withdraws.map(ActionId::from_uuid);

    let today = app.clock.today();
    let rule = gate::rule(&app.config);
    let new = action.clone();
    let correction = input.correction;
    let judged = app.clone();
    let decide = move |record: &ConventionRecord| -> Result<
        Option<NewConventionEvent>,
        Refused<ActionError>,
    > {
        let actions = record.treaty_actions();
        validate_action(&rule, &record.participants, &actions, &new, today)
            .map_err(Refused::Rule)?;
        judge(&judged, record, NewEntry::Action(&new), correction)
    };
    app.store
        .record_treaty_action(&actor.audit(input.reason), joining, action, &decide)
        .await
        .map_err(action_refused)
}

/// The Council's determination that funding is sufficient, as sent.
#[derive(Clone, Debug, Default)]
pub struct DeterminationInput {
    pub date: String,
    pub text: String,
    pub supersedes: Option<uuid::Uuid>,
    pub reason: Option<String>,
    /// The entry corrects the record in a way that moves or undoes an entry
    /// into force already reached; needs a `reason`.
    pub correction: bool,
}

/// Records the Council's determination that funding is sufficient (or a
/// correction of one).
pub async fn record_determination(
    app: &App,
    actor: &Actor,
    input: DeterminationInput,
) -> AppResult<Recorded<FundingDetermination>> {
    let mut problems = Problems::default();
    let date = problems.date("date", &input.date);
    let text = problems.text("text", Some(input.text), 20_000);
    if text.is_none() {
        problems.push("text", "required", "The determination's text or reference.");
    }
    check_correction(&mut problems, input.correction, input.reason.as_deref());
    problems.finish("funding determination")?;
    let (Some(date), Some(text)) = (date, text) else {
        return Err(reported());
    };
    let mut determination = FundingDetermination::new(date, text);
    determination.supersedes = input.supersedes.map(FundingDeterminationId::from_uuid);

    let today = app.clock.today();
    let new = determination.clone();
    let correction = input.correction;
    let judged = app.clone();
    let decide = move |record: &ConventionRecord| -> Result<
        Option<NewConventionEvent>,
        Refused<FundingDeterminationError>,
    > {
        validate_funding_determination(&record.determinations(), &new, today)
            .map_err(Refused::Rule)?;
        judge(&judged, record, NewEntry::Determination(&new), correction)
    };
    app.store
        .record_funding_determination(&actor.audit(input.reason), determination, &decide)
        .await
        .map_err(|e| match e {
            Refused::Revision(r) => revision_refused(&r),
            Refused::Rule(e @ FundingDeterminationError::FutureDate { .. }) => {
                AppError::invalid_field("date", e.code(), e.to_string())
            }
            Refused::Rule(e @ FundingDeterminationError::UnknownSupersededDetermination(_)) => {
                AppError::invalid_field("supersedes", e.code(), e.to_string())
            }
            Refused::Rule(e) => AppError::conflict(e.to_string()).with("code", e.code()),
            Refused::Store(StoreError::Conflict(_)) => {
                AppError::conflict("The determination was already corrected.")
                    .with("code", "already_superseded")
            }
            Refused::Store(e) => e.into(),
        })
}

/// A pledge, or a confirmation of a contribution, as sent.
#[derive(Clone, Debug, Default)]
pub struct CommitmentInput {
    /// The participant; a state's representative may leave it out (its
    /// own).
    pub participant: Option<String>,
    pub amount: String,
    pub currency: String,
    pub date: String,
    pub note: Option<String>,
}

struct Commitment {
    participant: ParticipantCode,
    amount: Money,
    date: Date,
    note: Option<String>,
}

/// Validates a pledge or contribution against the record and, for a state
/// representative (`own`), its own participant.
async fn commitment(app: &App, actor: &Actor, input: CommitmentInput) -> AppResult<Commitment> {
    let own = match actor.permission {
        Permission::Own => Some(actor.principal.participant.clone().unwrap_or_default()),
        _ => None,
    };
    let mut problems = Problems::default();
    let participant_text = input.participant.or_else(|| own.clone());
    let participant = if let Some(text) = &participant_text {
        problems.participant("participant", text)
    } else {
        problems.push("participant", "required", "Name the participant.");
        None
    };
    let currency = problems.currency("amount.currency", &input.currency);
    // As strict as a claim's amounts: no exponents, no "NaN".
    let amount = kernel::money::parse_amount(input.amount.trim());
    if amount.is_none() {
        problems.push(
            "amount.amount",
            "format",
            "A decimal number as a string, e.g. \"1000000.00\".",
        );
    }
    let date = problems.date("date", &input.date);
    let note = problems.text("note", input.note, 2_000);
    let money = match (amount, currency) {
        (Some(a), Some(c)) => match Money::exact(a, c) {
            Ok(m) => match ratification::validate_amount(m) {
                Ok(()) => Some(m),
                Err(e) => {
                    problems.push("amount.amount", e.code(), e.to_string());
                    None
                }
            },
            Err(e @ MoneyError::TooPrecise { .. }) => {
                problems.push("amount.amount", "too_precise", e.to_string());
                None
            }
            Err(e) => {
                problems.push("amount.amount", "invalid", e.to_string());
                None
            }
        },
        _ => None,
    };
    if let Some(d) = date
        && d > app.clock.today()
    {
        problems.push("date", "future_date", format!("{d} is after today."));
    }
    if let (Some(own), Some(code)) = (&own, &participant) {
        // A state's representative speaks for its own participant only.
        let speaks_for = ParticipantCode::parse(own).ok();
        if speaks_for.as_ref() != Some(code) {
            let who = if own.is_empty() {
                "no participant"
            } else {
                own
            };
            tracing::warn!(
                account = %actor.principal.account,
                participant = %code,
                "a representative tried to record for another participant; refused"
            );
            problems.push(
                "participant",
                "not_own_participant",
                format!("A representative of {who} may not record for {code}."),
            );
        }
    }
    problems.finish("entry")?;
    let (Some(participant), Some(amount), Some(date)) = (participant, money, date) else {
        return Err(reported());
    };
    let record = app.store.convention_record().await?;
    if record.participant(&participant).is_none() {
        return Err(AppError::invalid_field(
            "participant",
            "unknown_participant",
            format!("{participant} is not a participant of the convention."),
        ));
    }
    Ok(Commitment {
        participant,
        amount,
        date,
        note,
    })
}

/// Records a pledge; a state's representative records for its own
/// participant, on whose behalf the audit log names it.
pub async fn record_pledge(
    app: &App,
    actor: &Actor,
    input: CommitmentInput,
) -> AppResult<Recorded<Pledge>> {
    let c = commitment(app, actor, input).await?;
    let mut ctx = actor.audit(None);
    if actor.permission == Permission::Own {
        ctx.on_behalf_of = Some(c.participant.to_string());
    }
    let pledge = Pledge {
        id: PledgeId::new(),
        participant: c.participant,
        amount: c.amount,
        date: c.date,
        note: c.note,
    };
    Ok(app.store.record_pledge(&ctx, pledge).await?)
}

/// Records the confirmation of a contribution.
pub async fn record_contribution(
    app: &App,
    actor: &Actor,
    input: CommitmentInput,
) -> AppResult<Recorded<ContributionConfirmation>> {
    let c = commitment(app, actor, input).await?;
    let contribution = ContributionConfirmation {
        id: ContributionId::new(),
        participant: c.participant,
        amount: c.amount,
        date: c.date,
        note: c.note,
    };
    Ok(app
        .store
        .record_contribution(&actor.audit(None), contribution)
        .await?)
}

/// An exchange rate for funding totals, as sent: units of `to` per unit of
/// `from`.
#[derive(Clone, Debug, Default)]
pub struct RateInput {
    pub from: String,
    pub to: String,
    pub rate: String,
    pub date: String,
    pub source: String,
}

/// Records an exchange rate for the tracker's funding totals.
pub async fn record_rate(
    app: &App,
    actor: &Actor,
    input: RateInput,
) -> AppResult<Recorded<ExchangeRate>> {
    let mut problems = Problems::default();
    let from = problems.currency("from", &input.from);
    let to = problems.currency("to", &input.to);
    if from.is_some() && from == to {
        problems.push(
            "to",
            "same_currency",
            "A rate converts between two currencies.",
        );
    }
    let rate = match Decimal::from_str(input.rate.trim()) {
        Ok(r) if r > Decimal::ZERO => Some(r),
        _ => {
            problems.push("rate", "format", "A positive decimal number as a string.");
            None
        }
    };
    let date = problems.date("date", &input.date);
    let source = problems.text("source", Some(input.source), 200);
    if source.is_none() {
        problems.push("source", "required", "Who published the rate.");
    }
    if date.is_some_and(|d| d > app.clock.today()) {
        problems.push("date", "future_date", "The rate's date is after today.");
    }
    problems.finish("exchange rate")?;
    let (Some(from), Some(to), Some(rate), Some(date), Some(source)) =
        (from, to, rate, date, source)
    else {
        return Err(reported());
    };
    let rate = ExchangeRate {
        from,
        to,
        rate,
        date,
        source,
    };
    Ok(app
        .store
        .record_exchange_rate(&actor.audit(None), rate)
        .await?)
}

/// What a participant carries on a basis, as sent.
#[derive(Clone, Debug, Default)]
pub struct WeightInput {
    pub participant: String,
    /// The basis, e.g. `rd4u-2025-budget`.
    pub basis: String,
    /// A decimal string, zero or more.
    pub value: String,
    /// What the value is counted in: `EUR`, `%`, `GT`.
    pub unit: String,
    /// Where the figure comes from.
    pub source: String,
    /// YYYY-MM-DD: from when the figure is known.
    pub date: String,
    pub supersedes: Option<uuid::Uuid>,
    pub reason: Option<String>,
    /// See [`ActionInput::correction`].
    pub correction: bool,
}

fn weight_refused(e: Refused<WeightError>) -> AppError {
    match e {
        Refused::Revision(r) => revision_refused(&r),
        Refused::Rule(e) if e.is_conflict() => {
            AppError::conflict(e.to_string()).with("code", e.code())
        }
        Refused::Rule(e) => {
            let field = match &e {
                WeightError::FutureDate { .. } => "date",
                WeightError::UnknownParticipant(_) => "participant",
                WeightError::UnknownBasis(_) => "basis",
                WeightError::NegativeValue(_) => "value",
                WeightError::EmptyUnit | WeightError::UnitMismatch { .. } => "unit",
                WeightError::EmptySource => "source",
                _ => "supersedes",
            };
            AppError::invalid_field(field, e.code(), e.to_string())
        }
        Refused::Store(StoreError::Conflict(_)) => {
            AppError::conflict("The weight was already corrected.")
                .with("code", "already_superseded")
        }
        Refused::Store(e) => e.into(),
    }
}

/// Records what a participant carries on the basis of a weighted condition
/// (or a correction of it), checked against the rule and the record inside
/// the transaction.
pub async fn record_weight(
    app: &App,
    actor: &Actor,
    input: WeightInput,
) -> AppResult<Recorded<Weight>> {
    let mut problems = Problems::default();
    let participant = problems.participant("participant", &input.participant);
    let basis = problems.basis("basis", &input.basis);
    let value = problems.decimal("value", &input.value);
    let unit = problems.text("unit", Some(input.unit), 32);
    let source = problems.text("source", Some(input.source), 500);
    let date = problems.date("date", &input.date);
    check_correction(&mut problems, input.correction, input.reason.as_deref());
    problems.finish("weight")?;
    let (Some(participant), Some(basis), Some(value), Some(date)) =
        (participant, basis, value, date)
    else {
        return Err(reported());
    };
    let mut weight = Weight::new(
        participant,
        basis,
        value,
        unit.unwrap_or_default(),
        source.unwrap_or_default(),
        date,
    );
    weight.supersedes = input.supersedes.map(WeightId::from_uuid);
    let today = app.clock.today();
    let rule = gate::rule(&app.config);
    let new = weight.clone();
    let correction = input.correction;
    let judged = app.clone();
    let decide =
        move |record: &ConventionRecord| -> Result<Option<NewConventionEvent>, Refused<WeightError>> {
            validate_weight(
                &rule,
                &record.participants,
                &record.total_items(),
                &record.weight_items(),
                &new,
                today,
            )
            .map_err(Refused::Rule)?;
            judge(&judged, record, NewEntry::Weight(&new), correction)
        };
    app.store
        .record_weight(&actor.audit(input.reason), weight, &decide)
        .await
        .map_err(weight_refused)
}

/// The total a basis is measured against, as sent.
#[derive(Clone, Debug, Default)]
pub struct BasisTotalInput {
    pub basis: String,
    /// A positive decimal string.
    pub value: String,
    pub unit: String,
    pub source: String,
    /// YYYY-MM-DD: from when the figure is known.
    pub date: String,
    /// The figure is derived or supposed rather than published.
    pub assumed: bool,
    pub supersedes: Option<uuid::Uuid>,
    pub reason: Option<String>,
    /// See [`ActionInput::correction`].
    pub correction: bool,
}

fn total_refused(e: Refused<BasisTotalError>) -> AppError {
    match e {
        Refused::Revision(r) => revision_refused(&r),
        Refused::Rule(e) if e.is_conflict() => {
            AppError::conflict(e.to_string()).with("code", e.code())
        }
        Refused::Rule(e) => {
            let field = match &e {
                BasisTotalError::FutureDate { .. } => "date",
                BasisTotalError::NonPositiveValue(_) => "value",
                BasisTotalError::EmptyUnit => "unit",
                BasisTotalError::EmptySource => "source",
                BasisTotalError::TotalIsComputed(_) => "basis",
                _ => "supersedes",
            };
            AppError::invalid_field(field, e.code(), e.to_string())
        }
        Refused::Store(StoreError::Conflict(_)) => {
            AppError::conflict("The total was already corrected.")
                .with("code", "already_superseded")
        }
        Refused::Store(e) => e.into(),
    }
}

/// Records the total of a basis (or a correction of it): the figure the
/// weights of a weighted condition are measured against.
pub async fn record_basis_total(
    app: &App,
    actor: &Actor,
    input: BasisTotalInput,
) -> AppResult<Recorded<BasisTotal>> {
    let mut problems = Problems::default();
    let basis = problems.basis("basis", &input.basis);
    let value = problems.decimal("value", &input.value);
    let unit = problems.text("unit", Some(input.unit), 32);
    let source = problems.text("source", Some(input.source), 500);
    let date = problems.date("date", &input.date);
    check_correction(&mut problems, input.correction, input.reason.as_deref());
    problems.finish("basis total")?;
    let (Some(basis), Some(value), Some(date)) = (basis, value, date) else {
        return Err(reported());
    };
    let mut total = BasisTotal::new(
        basis,
        value,
        unit.unwrap_or_default(),
        source.unwrap_or_default(),
        date,
    );
    total.assumed = input.assumed;
    total.supersedes = input.supersedes.map(BasisTotalId::from_uuid);
    let today = app.clock.today();
    let rule = gate::rule(&app.config);
    let new = total.clone();
    let correction = input.correction;
    let judged = app.clone();
    let decide = move |record: &ConventionRecord| -> Result<
        Option<NewConventionEvent>,
        Refused<BasisTotalError>,
    > {
        validate_basis_total(
            &rule,
            &record.weight_items(),
            &record.total_items(),
            &new,
            today,
        )
        .map_err(Refused::Rule)?;
        judge(&judged, record, NewEntry::BasisTotal(&new), correction)
    };
    app.store
        .record_basis_total(&actor.audit(input.reason), total, &decide)
        .await
        .map_err(total_refused)
}

/// The record as it stood at the end of `day` (UTC), evaluated on that day:
/// what the tracker said then.
pub async fn standing_as_recorded_on(app: &App, day: Date) -> AppResult<Current> {
    let today = app.clock.today();
    if day > today {
        return Err(AppError::invalid_field(
            "as_recorded_on",
            "future_date",
            format!("{day} is after today ({today})."),
        ));
    }
    let record = gate::current(app).await?.record;
    let end_of_day = day.next_day().map_or(time::OffsetDateTime::now_utc(), |d| {
        d.midnight().assume_utc()
    }) - time::Duration::microseconds(1);
    let then = record.as_recorded_at(end_of_day);
    let items = then.items();
    let status = ratification::evaluate(&gate::rule(&app.config), &items.input(), day);
    Ok(Current {
        record: then,
        status,
        today: day,
    })
}
