//! The ratification tracker's record: participants, treaty actions, funding
//! and the events that announce a change of the convention's standing.
//!
//! The record is append-only. Entries that depend on what is already
//! recorded (treaty actions, funding determinations) are checked *inside*
//! the transaction that writes them: the caller hands the store a `decide`
//! function, the store loads the record under a lock that serialises these
//! writes (the single writer on SQLite, an advisory transaction lock on
//! PostgreSQL), calls it, and writes the entry, its audit entry and the
//! event `decide` returned, or nothing at all. So two depositaries recording
//! a consent for the same participant at the same moment cannot both
//! succeed, and the event computed from "before" and "after" is exact.

use crate::{AuditContext, StoreError};
use ::ratification::{
    BasisTotal, BasisTotalError, ContributionConfirmation, ConventionEvent, EvaluationInput,
    ExchangeRate, FundingDetermination, Participant, Pledge, Seed, TreatyAction, Weight,
    WeightError,
};
use kernel::id::AccountId;
use serde::Serialize;
use time::OffsetDateTime;

kernel::typed_id!(
    /// A stored convention event.
    ConventionEventId
);

/// An entry of the record with who recorded it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recorded<T> {
    #[serde(flatten)]
    pub item: T,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// `None` for entries the service made itself (the seeded signatures).
    pub recorded_by: Option<AccountId>,
}

/// A change in the convention's standing, as stored for later delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredConventionEvent {
    pub id: ConventionEventId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The event's `event` tag, e.g. `entered_into_force`.
    pub kind: String,
    pub event: ConventionEvent,
}

/// A convention event to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConventionEvent {
    pub event: ConventionEvent,
    /// Events with the same key are recorded once: several instances may
    /// notice the same date being reached.
    pub dedupe_key: Option<String>,
}

impl NewConventionEvent {
    /// The event's tag, as stored in `kind`.
    pub fn kind(&self) -> &'static str {
        event_kind(&self.event)
    }
}

/// The tag of an event, as in its JSON `event` member.
pub const fn event_kind(event: &ConventionEvent) -> &'static str {
    match event {
        ConventionEvent::EnteredIntoForce { .. } => "entered_into_force",
        ConventionEvent::NoLongerInForce { .. } => "no_longer_in_force",
        ConventionEvent::EntryIntoForceDateChanged { .. } => "entry_into_force_date_changed",
        ConventionEvent::StandingRevised { .. } => "standing_revised",
        ConventionEvent::ParticipantAdded { .. } => "participant_added",
    }
}

/// A participant with who recorded it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordedParticipant {
    #[serde(flatten)]
    pub participant: Participant,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// `None` for the published signatories seeded at first start.
    pub recorded_by: Option<AccountId>,
}

/// Everything recorded, as of one consistent read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConventionRecord {
    /// Ordered by code.
    pub participants: Vec<Participant>,
    /// The same participants with when and by whom each was recorded.
    pub participant_entries: Vec<RecordedParticipant>,
    /// Every entry, superseded ones included, in the order recorded.
    pub actions: Vec<Recorded<TreatyAction>>,
    pub funding_determinations: Vec<Recorded<FundingDetermination>>,
    pub pledges: Vec<Recorded<Pledge>>,
    pub contributions: Vec<Recorded<ContributionConfirmation>>,
    pub exchange_rates: Vec<Recorded<ExchangeRate>>,
    /// What participants carry on the bases of weighted conditions,
    /// corrected ones included.
    pub weights: Vec<Recorded<Weight>>,
    /// The totals the bases are measured against, corrected ones included.
    pub basis_totals: Vec<Recorded<BasisTotal>>,
    /// In the order they happened.
    pub events: Vec<StoredConventionEvent>,
}

/// The entries the entry-into-force engine reads, taken out of their
/// records once so that [`RecordItems::input`] can lend them.
#[derive(Clone, Debug, Default)]
pub struct RecordItems {
    pub participants: Vec<Participant>,
    pub actions: Vec<TreatyAction>,
    pub determinations: Vec<FundingDetermination>,
    pub weights: Vec<Weight>,
    pub basis_totals: Vec<BasisTotal>,
}

impl RecordItems {
    /// What the engine evaluates.
    pub fn input(&self) -> EvaluationInput<'_> {
        EvaluationInput {
            participants: &self.participants,
            actions: &self.actions,
            funding_determinations: &self.determinations,
            weights: &self.weights,
            basis_totals: &self.basis_totals,
        }
    }
}

impl ConventionRecord {
    /// The treaty actions as the domain reads them.
    pub fn treaty_actions(&self) -> Vec<TreatyAction> {
        self.actions.iter().map(|a| a.item.clone()).collect()
    }

    pub fn determinations(&self) -> Vec<FundingDetermination> {
        self.funding_determinations
            .iter()
            .map(|d| d.item.clone())
            .collect()
    }

    pub fn pledge_items(&self) -> Vec<Pledge> {
        self.pledges.iter().map(|p| p.item.clone()).collect()
    }

    pub fn contribution_items(&self) -> Vec<ContributionConfirmation> {
        self.contributions.iter().map(|c| c.item.clone()).collect()
    }

    pub fn rate_items(&self) -> Vec<ExchangeRate> {
        self.exchange_rates.iter().map(|r| r.item.clone()).collect()
    }

    pub fn weight_items(&self) -> Vec<Weight> {
        self.weights.iter().map(|w| w.item.clone()).collect()
    }

    pub fn total_items(&self) -> Vec<BasisTotal> {
        self.basis_totals.iter().map(|t| t.item.clone()).collect()
    }

    /// The entries the engine reads.
    pub fn items(&self) -> RecordItems {
        RecordItems {
            participants: self.participants.clone(),
            actions: self.treaty_actions(),
            determinations: self.determinations(),
            weights: self.weight_items(),
            basis_totals: self.total_items(),
        }
    }

    /// The record as it stood at the end of `at`'s instant: entries
    /// recorded later left out. What the tracker said then is this record
    /// evaluated on that day.
    pub fn as_recorded_at(&self, at: OffsetDateTime) -> Self {
        fn upto<T: Clone>(entries: &[Recorded<T>], at: OffsetDateTime) -> Vec<Recorded<T>> {
            entries
                .iter()
                .filter(|e| e.recorded_at <= at)
                .cloned()
                .collect()
        }
        let participant_entries: Vec<RecordedParticipant> = self
            .participant_entries
            .iter()
            .filter(|p| p.recorded_at <= at)
            .cloned()
            .collect();
        Self {
            participants: participant_entries
                .iter()
                .map(|p| p.participant.clone())
                .collect(),
            participant_entries,
            actions: upto(&self.actions, at),
            funding_determinations: upto(&self.funding_determinations, at),
            pledges: upto(&self.pledges, at),
            contributions: upto(&self.contributions, at),
            exchange_rates: upto(&self.exchange_rates, at),
            weights: upto(&self.weights, at),
            basis_totals: upto(&self.basis_totals, at),
            events: self.events.iter().filter(|e| e.at <= at).cloned().collect(),
        }
    }

    pub fn participant(&self, code: &::ratification::ParticipantCode) -> Option<&Participant> {
        self.participants.iter().find(|p| &p.code == code)
    }
}

/// Adds a participant new to the record to `record` as loaded inside the
/// writing transaction, so that the entry recorded with it is judged with
/// it. A participant already recorded under the code is a `Conflict`.
pub fn admit_participant(
    record: &mut ConventionRecord,
    new: &Participant,
    at: OffsetDateTime,
    by: Option<AccountId>,
) -> Result<(), StoreError> {
    if record.participant(&new.code).is_some() {
        return Err(StoreError::Conflict(format!(
            "{} is already a participant",
            new.code
        )));
    }
    record.participants.push(new.clone());
    record.participants.sort_by_key(|a| a.code);
    record.participant_entries.push(RecordedParticipant {
        participant: new.clone(),
        recorded_at: at,
        recorded_by: by,
    });
    Ok(())
}

/// Decides, from the record as it stands inside the writing transaction,
/// whether an entry may join it, and which event (if any) its addition
/// causes.
pub type Decide<'a, E> =
    &'a (dyn Fn(&ConventionRecord) -> Result<Option<NewConventionEvent>, Refused<E>> + Send + Sync);

/// Why a checked write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Refused<E> {
    /// `decide` refused the entry; nothing was written.
    #[error(transparent)]
    Rule(E),
    /// The entry would move or undo an entry into force already reached,
    /// and was not recorded as a correction.
    #[error(transparent)]
    Revision(::ratification::RevisionRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait::async_trait]
pub trait ConventionStore {
    /// Stores the published participants and their signatures if no
    /// participant is recorded yet; returns how many participants were
    /// added (0 when already seeded). Safe when several instances start at
    /// once: only one of them seeds.
    async fn seed_convention(&self, ctx: &AuditContext, seed: &Seed) -> Result<usize, StoreError>;

    /// The whole record, read consistently.
    async fn convention_record(&self) -> Result<ConventionRecord, StoreError>;

    /// Appends a treaty action (or a correction) if `decide` accepts it,
    /// with its audit entry (`treaty_action.recorded`) and the event
    /// `decide` returned, in one transaction.
    ///
    /// With `participant`, a state or organisation new to the record joins
    /// it with this action (its signature, or its accession): `decide` sees
    /// the record with it, it is stored in the same transaction with the
    /// event `participant_added`, and a participant already recorded under
    /// its code is a `Conflict`.
    async fn record_treaty_action(
        &self,
        ctx: &AuditContext,
        participant: Option<Participant>,
        action: TreatyAction,
        decide: Decide<'_, ::ratification::ActionError>,
    ) -> Result<Recorded<TreatyAction>, Refused<::ratification::ActionError>>;

    /// Appends a participant's weight on a basis (or a correction) if
    /// `decide` accepts it (`convention_weight.recorded`).
    async fn record_weight(
        &self,
        ctx: &AuditContext,
        weight: Weight,
        decide: Decide<'_, WeightError>,
    ) -> Result<Recorded<Weight>, Refused<WeightError>>;

    /// Appends a basis total (or a correction) if `decide` accepts it
    /// (`convention_basis_total.recorded`).
    async fn record_basis_total(
        &self,
        ctx: &AuditContext,
        total: BasisTotal,
        decide: Decide<'_, BasisTotalError>,
    ) -> Result<Recorded<BasisTotal>, Refused<BasisTotalError>>;

    /// Stores the totals the service knows at first start that are not
    /// recorded yet (by id); returns how many were added.
    async fn seed_basis_totals(
        &self,
        ctx: &AuditContext,
        totals: &[BasisTotal],
    ) -> Result<usize, StoreError>;

    /// Appends a funding determination (or a correction) if `decide`
    /// accepts it (`funding_determination.recorded`).
    async fn record_funding_determination(
        &self,
        ctx: &AuditContext,
        determination: FundingDetermination,
        decide: Decide<'_, ::ratification::FundingDeterminationError>,
    ) -> Result<Recorded<FundingDetermination>, Refused<::ratification::FundingDeterminationError>>;

    /// `pledge.recorded`. An unknown participant is a `Conflict`.
    async fn record_pledge(
        &self,
        ctx: &AuditContext,
        pledge: Pledge,
    ) -> Result<Recorded<Pledge>, StoreError>;

    /// `contribution.confirmed`.
    async fn record_contribution(
        &self,
        ctx: &AuditContext,
        contribution: ContributionConfirmation,
    ) -> Result<Recorded<ContributionConfirmation>, StoreError>;

    /// `exchange_rate.recorded`. A second rate for the same currencies,
    /// date and source is a `Conflict`.
    async fn record_exchange_rate(
        &self,
        ctx: &AuditContext,
        rate: ExchangeRate,
    ) -> Result<Recorded<ExchangeRate>, StoreError>;

    /// Appends an event (`convention_event.recorded`); `None` when an
    /// event with the same dedupe key is already stored.
    async fn append_convention_event(
        &self,
        ctx: &AuditContext,
        event: NewConventionEvent,
    ) -> Result<Option<StoredConventionEvent>, StoreError>;

    /// Every event, oldest first.
    async fn convention_events(&self) -> Result<Vec<StoredConventionEvent>, StoreError>;
}
