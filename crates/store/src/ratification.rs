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
    ContributionConfirmation, ConventionEvent, ExchangeRate, FundingDetermination, Participant,
    Pledge, Seed, TreatyAction,
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
    }
}

/// Everything recorded, as of one consistent read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConventionRecord {
    /// Ordered by code.
    pub participants: Vec<Participant>,
    /// Every entry, superseded ones included, in the order recorded.
    pub actions: Vec<Recorded<TreatyAction>>,
    pub funding_determinations: Vec<Recorded<FundingDetermination>>,
    pub pledges: Vec<Recorded<Pledge>>,
    pub contributions: Vec<Recorded<ContributionConfirmation>>,
    pub exchange_rates: Vec<Recorded<ExchangeRate>>,
    /// In the order they happened.
    pub events: Vec<StoredConventionEvent>,
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

    pub fn participant(&self, code: &::ratification::ParticipantCode) -> Option<&Participant> {
        self.participants.iter().find(|p| &p.code == code)
    }
}

/// Decides, from the record as it stands inside the writing transaction,
/// whether an entry may join it, and which event (if any) its addition
/// causes.
pub type Decide<'a, E> =
    &'a (dyn Fn(&ConventionRecord) -> Result<Option<NewConventionEvent>, E> + Send + Sync);

/// Why a checked write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Refused<E> {
    /// `decide` refused the entry; nothing was written.
    #[error(transparent)]
    Rule(E),
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
    async fn record_treaty_action(
        &self,
        ctx: &AuditContext,
        action: TreatyAction,
        decide: Decide<'_, ::ratification::ActionError>,
    ) -> Result<Recorded<TreatyAction>, Refused<::ratification::ActionError>>;

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
