//! The ratification tracker as its readers see it: the convention's
//! standing, the chart of participants, funding, the timeline and the
//! events. The API answers with these and the public tracker page renders
//! them, so the two never disagree.

use kernel::Money;
use ratification::{
    ActionId, BasisTotal, ContributionConfirmation, ConventionStatus, ExchangeRate,
    FundingDetermination, MissingCondition, ParticipantStatus, Pledge, TreatyAction, Weight,
    WeightedStatus, funding_totals,
};
use serde::{Deserialize, Serialize};
use store::{ConventionRecord, Recorded};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

pub fn iso(date: Date) -> String {
    date.to_string()
}

pub fn iso_opt(date: Option<Date>) -> Option<String> {
    date.map(iso)
}

pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// Money on the wire: the amount as a decimal string at the currency's
/// minor unit. Described as the one `Money` schema (`views::schema::Money`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MoneyView {
    pub amount: String,
    pub currency: String,
}

impl utoipa::PartialSchema for MoneyView {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <super::schema::Money as utoipa::PartialSchema>::schema()
    }
}

impl ToSchema for MoneyView {
    fn name() -> std::borrow::Cow<'static, str> {
        <super::schema::Money as ToSchema>::name()
    }
}

impl From<Money> for MoneyView {
    fn from(m: Money) -> Self {
        Self {
            amount: m.amount_text(),
            currency: m.currency().code().to_owned(),
        }
    }
}

/// A condition of entry into force not yet fulfilled, by `condition`.
#[derive(Serialize, ToSchema)]
#[serde(tag = "condition", rename_all = "snake_case")]
pub enum MissingView {
    /// Counted consents still needed to reach the threshold.
    Consents { needed: u32, description: String },
    /// Council of Europe member states still needed among the consents.
    CouncilOfEuropeMembers { needed: u32, description: String },
    /// The weight the counted consents still lack on `basis`, a decimal
    /// string in `unit`.
    Weighted {
        basis: String,
        #[schema(example = "1250000.00")]
        needed: String,
        unit: Option<String>,
        description: String,
    },
    /// No total of `basis` is known yet, so its share cannot be reached.
    BasisTotal { basis: String, description: String },
    /// The Council has not yet determined that funding is sufficient.
    FundingDetermination { description: String },
}

impl MissingView {
    fn of(m: &MissingCondition, weighted: &[WeightedStatus]) -> Self {
        let description = m.to_string();
        match m {
            MissingCondition::Consents { needed } => Self::Consents {
                needed: *needed,
                description,
            },
            MissingCondition::CouncilOfEuropeMembers { needed } => Self::CouncilOfEuropeMembers {
                needed: *needed,
                description,
            },
            MissingCondition::Weighted { basis, needed } => {
                let unit = weighted
                    .iter()
                    .find(|w| &w.basis == basis)
                    .and_then(|w| w.unit.clone());
                Self::Weighted {
                    basis: basis.to_string(),
                    needed: figure(*needed, unit.as_deref()),
                    unit,
                    description,
                }
            }
            MissingCondition::BasisTotal { basis } => Self::BasisTotal {
                basis: basis.to_string(),
                description,
            },
            MissingCondition::FundingDetermination => Self::FundingDetermination { description },
        }
    }
}

/// Where a weighted condition stands: the weights of the consents counted
/// against the share of the basis's total the rule requires.
#[derive(Serialize, ToSchema)]
pub struct WeightedView {
    /// The basis, e.g. `rd4u-2025-budget`.
    pub basis: String,
    /// The share of the total required, e.g. `"0.5"`.
    pub share: String,
    /// `recorded` (a recorded figure) or `all_participants` (the sum of
    /// every participant's weight).
    pub total_kind: String,
    /// The weights of the consents counted, added up (decimal string).
    pub counted: String,
    /// The total measured against; absent while none is known.
    pub total: Option<String>,
    pub unit: Option<String>,
    /// The total is an assumption rather than a published figure.
    pub total_assumed: bool,
    /// `counted / total`, rounded toward zero to four places (display
    /// only; whether the condition holds is decided on exact figures).
    pub share_reached: Option<String>,
    /// What the counted weights still lack; `"0"` once reached.
    pub needed: Option<String>,
    pub met: bool,
}

/// A weighted figure as text: money (its unit an ISO 4217 code) at the
/// currency's minor unit, any other unit as recorded.
pub fn figure(value: rust_decimal::Decimal, unit: Option<&str>) -> String {
    unit.map_or_else(
        || value.normalize().to_string(),
        |u| super::money::text(value, u),
    )
}

impl From<&WeightedStatus> for WeightedView {
    fn from(w: &WeightedStatus) -> Self {
        let unit = w.unit.as_deref();
        Self {
            basis: w.basis.to_string(),
            share: w.share.to_string(),
            total_kind: match w.total_kind {
                ratification::TotalKind::Recorded => "recorded",
                ratification::TotalKind::AllParticipants => "all_participants",
            }
            .to_owned(),
            counted: figure(w.counted, unit),
            total: w.total.map(|t| figure(t, unit)),
            unit: w.unit.clone(),
            total_assumed: w.total_assumed,
            share_reached: w.share_reached.map(|s| s.to_string()),
            needed: w.needed.map(|n| figure(n, unit)),
            met: w.met,
        }
    }
}

/// Why funding totals could not be computed (e.g. a missing rate).
#[derive(Serialize, ToSchema)]
pub struct TotalsProblem {
    pub code: &'static str,
    pub message: String,
}

/// Funding: the condition (the Council's determination) and the figures.
#[derive(Serialize, ToSchema)]
pub struct FundingView {
    /// The date of the Council's determination that funding is sufficient:
    /// the funding condition of entry into force.
    pub determination_date: Option<String>,
    pub reference_currency: String,
    /// The target the confirmed total is shown against.
    pub target: MoneyView,
    /// The target is an assumption of this deployment, not a figure from
    /// the convention.
    pub target_is_assumption: bool,
    pub pledged: Option<MoneyView>,
    pub confirmed: Option<MoneyView>,
    /// Confirmed over target, as a fraction (0.4 is 40 %).
    pub confirmed_share: Option<String>,
    pub shortfall: Option<MoneyView>,
    pub target_met: Option<bool>,
    /// Set when totals cannot be computed (a missing exchange rate).
    pub totals_unavailable: Option<TotalsProblem>,
    pub pledges: usize,
    pub contributions: usize,
}

pub fn funding_view(
    settings: &crate::config::Settings,
    record: &ConventionRecord,
    status: &ConventionStatus,
) -> FundingView {
    let target = settings.funding_target;
    let mut view = FundingView {
        determination_date: iso_opt(status.funding_determined_on),
        reference_currency: target.currency().code().to_owned(),
        target: target.into(),
        target_is_assumption: true,
        pledged: None,
        confirmed: None,
        confirmed_share: None,
        shortfall: None,
        target_met: None,
        totals_unavailable: None,
        pledges: record.pledges.len(),
        contributions: record.contributions.len(),
    };
    match funding_totals(
        &record.pledge_items(),
        &record.contribution_items(),
        &record.rate_items(),
        target,
    ) {
        Ok(totals) => {
            view.pledged = Some(totals.pledged.into());
            view.confirmed = Some(totals.confirmed.into());
            view.confirmed_share = Some(totals.confirmed_share.to_string());
            view.shortfall = Some(totals.shortfall.into());
            view.target_met = Some(totals.target_met);
        }
        Err(e) => {
            view.totals_unavailable = Some(TotalsProblem {
                code: e.code(),
                message: e.to_string(),
            });
        }
    }
    view
}

/// The convention's standing today.
#[derive(Serialize, ToSchema)]
pub struct ConventionView {
    /// The day evaluated (today, by the service's clock).
    pub as_of: String,
    pub in_force: bool,
    /// Past when in force, projected when the conditions are met and the
    /// period is running; absent while conditions are missing.
    pub entry_into_force: Option<String>,
    /// `past` (or today) or `projected`.
    pub entry_into_force_is: Option<&'static str>,
    /// The date on which the last condition was met.
    pub conditions_met_on: Option<String>,
    pub counted_consents: u32,
    pub threshold: u32,
    pub council_of_europe_members: u32,
    /// Each weighted condition of the rule, in the rule's order.
    pub weighted: Vec<WeightedView>,
    pub missing: Vec<MissingView>,
    /// The entry-into-force rule applied, as data.
    #[schema(value_type = crate::views::schema::EntryIntoForceRule)]
    pub rule: serde_json::Value,
    /// The rule is the assumed reading of the convention until confirmed
    /// against the authentic text.
    pub rule_is_assumed_reading: bool,
    pub funding: FundingView,
    pub participants: usize,
    pub signatories: usize,
}

pub fn convention_view(
    settings: &crate::config::Settings,
    record: &ConventionRecord,
    status: &ConventionStatus,
) -> ConventionView {
    ConventionView {
        as_of: iso(status.as_of),
        in_force: status.in_force,
        entry_into_force: iso_opt(status.entry_into_force),
        entry_into_force_is: status.entry_into_force.map(|d| {
            if d <= status.as_of {
                "past"
            } else {
                "projected"
            }
        }),
        conditions_met_on: iso_opt(status.conditions_met_on),
        counted_consents: status.counted_consents,
        threshold: status.threshold,
        council_of_europe_members: status.council_of_europe_members,
        weighted: status.weighted.iter().map(Into::into).collect(),
        missing: status
            .missing
            .iter()
            .map(|m| MissingView::of(m, &status.weighted))
            .collect(),
        rule: serde_json::to_value(&status.rule).unwrap_or_default(),
        rule_is_assumed_reading: status.rule
            == ratification::EntryIntoForceRule::convention_default(),
        funding: funding_view(settings, record, status),
        participants: status.participants.len(),
        signatories: status
            .participants
            .iter()
            .filter(|p| p.signed_on.is_some())
            .count(),
    }
}

/// One row of the chart of participants.
// A tracker row is a set of independent yes/no columns.
#[allow(clippy::struct_excessive_bools)]
#[derive(Serialize, ToSchema)]
pub struct ParticipantRow {
    pub code: String,
    pub name: String,
    /// The name in Ukrainian, when recorded.
    pub name_uk: Option<String>,
    /// `state` or `organisation`.
    pub kind: String,
    pub council_of_europe_member: bool,
    pub signed_on: Option<String>,
    /// `ratification`, `acceptance`, `approval` or `accession`.
    pub consent: Option<String>,
    /// The tracker abbreviation: R, A, AA or a.
    pub consent_symbol: Option<String>,
    pub consent_on: Option<String>,
    /// Whether the consent counts toward the threshold today.
    pub counted: bool,
    /// Entry into force for this participant (past or projected).
    pub entry_into_force: Option<String>,
    pub reservations: bool,
    pub declarations: bool,
    pub territorial_application: bool,
    pub denounced_on: Option<String>,
}

impl From<&ParticipantStatus> for ParticipantRow {
    fn from(p: &ParticipantStatus) -> Self {
        Self {
            code: p.code.to_string(),
            name: p.name.clone(),
            // Records seeded before names were kept in Ukrainian take them
            // from the published list.
            name_uk: p
                .name_uk
                .clone()
                .or_else(|| ratification::ukrainian_name(p.code).map(str::to_owned)),
            kind: p.kind.as_str().to_owned(),
            council_of_europe_member: p.council_of_europe_member,
            signed_on: iso_opt(p.signed_on),
            consent: p.consent.map(|c| c.as_str().to_owned()),
            consent_symbol: p.consent.map(|c| c.symbol().to_owned()),
            consent_on: iso_opt(p.consent_on),
            counted: p.counted,
            entry_into_force: iso_opt(p.entry_into_force),
            reservations: p.reservations,
            declarations: p.declarations,
            territorial_application: p.territorial_application,
            denounced_on: iso_opt(p.denounced_on),
        }
    }
}

const CSV_HEADER: [&str; 15] = [
    "code",
    "name",
    "name_uk",
    "kind",
    "council_of_europe_member",
    "signed_on",
    "consent",
    "consent_symbol",
    "consent_on",
    "counted",
    "entry_into_force",
    "reservations",
    "declarations",
    "territorial_application",
    "denounced_on",
];

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
/// line break, quotes doubled.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub fn csv_chart(rows: &[ParticipantRow]) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    for r in rows {
        let fields = [
            r.code.clone(),
            r.name.clone(),
            opt(&r.name_uk),
            r.kind.clone(),
            r.council_of_europe_member.to_string(),
            opt(&r.signed_on),
            opt(&r.consent),
            opt(&r.consent_symbol),
            opt(&r.consent_on),
            r.counted.to_string(),
            opt(&r.entry_into_force),
            r.reservations.to_string(),
            r.declarations.to_string(),
            r.territorial_application.to_string(),
            opt(&r.denounced_on),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A treaty action as recorded.
#[derive(Serialize, ToSchema)]
pub struct ActionView {
    pub id: Uuid,
    pub participant: String,
    #[schema(example = "ratification")]
    pub kind: String,
    pub date: String,
    pub text: Option<String>,
    pub supersedes: Option<Uuid>,
    pub withdraws: Option<Uuid>,
    pub recorded_at: String,
    pub recorded_by: Option<Uuid>,
}

impl From<&Recorded<TreatyAction>> for ActionView {
    fn from(r: &Recorded<TreatyAction>) -> Self {
        let a = &r.item;
        Self {
            id: a.id.0,
            participant: a.participant.to_string(),
            kind: a.kind.as_str().to_owned(),
            date: iso(a.date),
            text: a.text.clone(),
            supersedes: a.supersedes.map(|s| s.0),
            withdraws: a.withdraws.map(|w| w.0),
            recorded_at: rfc3339(r.recorded_at),
            recorded_by: r.recorded_by.map(|b| b.0),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeterminationView {
    pub id: Uuid,
    pub date: String,
    pub text: String,
    pub supersedes: Option<Uuid>,
    pub recorded_at: String,
    pub recorded_by: Option<Uuid>,
}

impl From<&Recorded<FundingDetermination>> for DeterminationView {
    fn from(r: &Recorded<FundingDetermination>) -> Self {
        Self {
            id: r.item.id.0,
            date: iso(r.item.date),
            text: r.item.text.clone(),
            supersedes: r.item.supersedes.map(|s| s.0),
            recorded_at: rfc3339(r.recorded_at),
            recorded_by: r.recorded_by.map(|b| b.0),
        }
    }
}

/// A pledge or a confirmed contribution.
#[derive(Serialize, ToSchema)]
pub struct CommitmentView {
    pub id: Uuid,
    pub participant: String,
    pub amount: MoneyView,
    pub date: String,
    pub note: Option<String>,
    pub recorded_at: String,
    pub recorded_by: Option<Uuid>,
}

impl From<&Recorded<Pledge>> for CommitmentView {
    fn from(r: &Recorded<Pledge>) -> Self {
        Self {
            id: r.item.id.0,
            participant: r.item.participant.to_string(),
            amount: r.item.amount.into(),
            date: iso(r.item.date),
            note: r.item.note.clone(),
            recorded_at: rfc3339(r.recorded_at),
            recorded_by: r.recorded_by.map(|b| b.0),
        }
    }
}

impl From<&Recorded<ContributionConfirmation>> for CommitmentView {
    fn from(r: &Recorded<ContributionConfirmation>) -> Self {
        Self {
            id: r.item.id.0,
            participant: r.item.participant.to_string(),
            amount: r.item.amount.into(),
            date: iso(r.item.date),
            note: r.item.note.clone(),
            recorded_at: rfc3339(r.recorded_at),
            recorded_by: r.recorded_by.map(|b| b.0),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RateView {
    pub from: String,
    pub to: String,
    /// Units of `to` per unit of `from`.
    pub rate: String,
    pub date: String,
    pub source: String,
    pub recorded_at: String,
}

impl From<&Recorded<ExchangeRate>> for RateView {
    fn from(r: &Recorded<ExchangeRate>) -> Self {
        Self {
            from: r.item.from.code().to_owned(),
            to: r.item.to.code().to_owned(),
            rate: r.item.rate.to_string(),
            date: iso(r.item.date),
            source: r.item.source.clone(),
            recorded_at: rfc3339(r.recorded_at),
        }
    }
}

/// One entry of the timeline: a treaty action or a funding determination.
/// What a participant carries on a basis, as recorded.
#[derive(Serialize, ToSchema)]
pub struct WeightView {
    pub id: Uuid,
    pub participant: String,
    pub basis: String,
    /// A decimal string in `unit`.
    pub value: String,
    pub unit: String,
    pub source: String,
    pub date: String,
    pub supersedes: Option<Uuid>,
    pub recorded_at: String,
    pub recorded_by: Option<Uuid>,
}

impl From<&Recorded<Weight>> for WeightView {
    fn from(r: &Recorded<Weight>) -> Self {
        let w = &r.item;
        Self {
            id: w.id.0,
            participant: w.participant.to_string(),
            basis: w.basis.to_string(),
            value: figure(w.value, Some(&w.unit)),
            unit: w.unit.clone(),
            source: w.source.clone(),
            date: iso(w.date),
            supersedes: w.supersedes.map(|s| s.0),
            recorded_at: rfc3339(r.recorded_at),
            recorded_by: r.recorded_by.map(|b| b.0),
        }
    }
}

/// The total a basis is measured against, as recorded.
#[derive(Serialize, ToSchema)]
pub struct BasisTotalView {
    pub id: Uuid,
    pub basis: String,
    /// A decimal string in `unit`.
    pub value: String,
    pub unit: String,
    pub source: String,
    pub date: String,
    /// Derived or supposed rather than published.
    pub assumed: bool,
    pub supersedes: Option<Uuid>,
    pub recorded_at: String,
    pub recorded_by: Option<Uuid>,
}

impl From<&Recorded<BasisTotal>> for BasisTotalView {
    fn from(r: &Recorded<BasisTotal>) -> Self {
        let t = &r.item;
        Self {
            id: t.id.0,
            basis: t.basis.to_string(),
            value: figure(t.value, Some(&t.unit)),
            unit: t.unit.clone(),
            source: t.source.clone(),
            date: iso(t.date),
            assumed: t.assumed,
            supersedes: t.supersedes.map(|s| s.0),
            recorded_at: rfc3339(r.recorded_at),
            recorded_by: r.recorded_by.map(|b| b.0),
        }
    }
}

/// Weights and basis totals, corrected ones included.
#[derive(Serialize, ToSchema)]
pub struct Weights {
    pub weights: Vec<WeightView>,
    pub basis_totals: Vec<BasisTotalView>,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEntry {
    /// `treaty_action`, `funding_determination`, `weight` or
    /// `basis_total`.
    pub entry: &'static str,
    pub id: Uuid,
    pub date: String,
    pub participant: Option<String>,
    pub participant_name: Option<String>,
    /// The action's kind, or `funding_determination`.
    pub kind: String,
    pub text: Option<String>,
    pub supersedes: Option<Uuid>,
    /// Whether a later entry corrects this one (it no longer counts).
    pub superseded: bool,
    pub superseded_by: Option<Uuid>,
    pub withdraws: Option<Uuid>,
    pub recorded_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct Timeline {
    pub entries: Vec<TimelineEntry>,
}

pub fn timeline(record: &ConventionRecord) -> Timeline {
    let mut entries: Vec<(Date, OffsetDateTime, TimelineEntry)> = Vec::new();
    let action_successor = |id: ActionId| {
        record
            .actions
            .iter()
            .find(|a| a.item.supersedes == Some(id))
            .map(|a| a.item.id.0)
    };
    for r in &record.actions {
        let a = &r.item;
        let superseded_by = action_successor(a.id);
        entries.push((
            a.date,
            r.recorded_at,
            TimelineEntry {
                entry: "treaty_action",
                id: a.id.0,
                date: iso(a.date),
                participant: Some(a.participant.to_string()),
                participant_name: record.participant(&a.participant).map(|p| p.name.clone()),
                kind: a.kind.as_str().to_owned(),
                text: a.text.clone(),
                supersedes: a.supersedes.map(|s| s.0),
                superseded: superseded_by.is_some(),
                superseded_by,
                withdraws: a.withdraws.map(|w| w.0),
                recorded_at: rfc3339(r.recorded_at),
            },
        ));
    }
    for r in &record.funding_determinations {
        let d = &r.item;
        let superseded_by = record
            .funding_determinations
            .iter()
            .find(|x| x.item.supersedes == Some(d.id))
            .map(|x| x.item.id.0);
        entries.push((
            d.date,
            r.recorded_at,
            TimelineEntry {
                entry: "funding_determination",
                id: d.id.0,
                date: iso(d.date),
                participant: None,
                participant_name: None,
                kind: "funding_determination".into(),
                text: Some(d.text.clone()),
                supersedes: d.supersedes.map(|s| s.0),
                superseded: superseded_by.is_some(),
                superseded_by,
                withdraws: None,
                recorded_at: rfc3339(r.recorded_at),
            },
        ));
    }
    for r in &record.weights {
        let w = &r.item;
        let superseded_by = record
            .weights
            .iter()
            .find(|x| x.item.supersedes == Some(w.id))
            .map(|x| x.item.id.0);
        entries.push((
            w.date,
            r.recorded_at,
            TimelineEntry {
                entry: "weight",
                id: w.id.0,
                date: iso(w.date),
                participant: Some(w.participant.to_string()),
                participant_name: record.participant(&w.participant).map(|p| p.name.clone()),
                kind: "weight".into(),
                text: Some(format!(
                    "{}: {} {} ({})",
                    w.basis, w.value, w.unit, w.source
                )),
                supersedes: w.supersedes.map(|s| s.0),
                superseded: superseded_by.is_some(),
                superseded_by,
                withdraws: None,
                recorded_at: rfc3339(r.recorded_at),
            },
        ));
    }
    for r in &record.basis_totals {
        let t = &r.item;
        let superseded_by = record
            .basis_totals
            .iter()
            .find(|x| x.item.supersedes == Some(t.id))
            .map(|x| x.item.id.0);
        let assumed = if t.assumed { ", assumed" } else { "" };
        entries.push((
            t.date,
            r.recorded_at,
            TimelineEntry {
                entry: "basis_total",
                id: t.id.0,
                date: iso(t.date),
                participant: None,
                participant_name: None,
                kind: "basis_total".into(),
                text: Some(format!(
                    "{}: {} {} ({}{assumed})",
                    t.basis, t.value, t.unit, t.source
                )),
                supersedes: t.supersedes.map(|s| s.0),
                superseded: superseded_by.is_some(),
                superseded_by,
                withdraws: None,
                recorded_at: rfc3339(r.recorded_at),
            },
        ));
    }
    entries.sort_by(|a, b| {
        (a.0, a.1, a.2.participant.as_deref()).cmp(&(b.0, b.1, b.2.participant.as_deref()))
    });
    Timeline {
        entries: entries.into_iter().map(|(_, _, e)| e).collect(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub at: String,
    /// `entered_into_force`, `no_longer_in_force`,
    /// `entry_into_force_date_changed`, `standing_revised` or
    /// `participant_added`.
    pub kind: String,
    /// The event's data, tagged by `event`.
    #[schema(value_type = crate::views::schema::ConventionEvent)]
    pub event: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct Events {
    pub events: Vec<EventView>,
}

/// Whether the Commission may act today (the go-live gate), and while it
/// may not, what is missing: a status resource, always 200.
#[derive(Serialize, ToSchema)]
pub struct CommissionStatus {
    pub may_act: bool,
    pub as_of: String,
    /// The convention's date of entry into force: past once the gate is
    /// open, projected while the conditions are met and the period runs.
    pub entry_into_force: Option<String>,
    /// While the gate is closed: `commission_not_in_force`, the code of the
    /// 409 problem the gated actions answer with.
    pub reason: Option<&'static str>,
    pub counted_consents: u32,
    pub threshold: u32,
    /// The conditions of entry into force not yet fulfilled.
    pub missing: Vec<MissingView>,
    /// While the gate is closed: the projected date of entry into force,
    /// when the conditions are met.
    pub projected_entry_into_force: Option<String>,
}

impl CommissionStatus {
    pub fn of(status: &ConventionStatus, today: Date) -> Self {
        let refusal = ratification::commission_may_act(status, today).err();
        Self {
            may_act: refusal.is_none(),
            as_of: iso(today),
            entry_into_force: iso_opt(status.entry_into_force),
            reason: refusal.as_ref().map(ratification::NotInForce::code),
            counted_consents: status.counted_consents,
            threshold: status.threshold,
            missing: status
                .missing
                .iter()
                .map(|m| MissingView::of(m, &status.weighted))
                .collect(),
            projected_entry_into_force: refusal.and_then(|r| iso_opt(r.projected_entry_into_force)),
        }
    }
}

/// The timeline as an Atom feed (RFC 4287), the latest recorded entry first: what a
/// member state's treaty office subscribes to in a feed reader.
pub fn atom_feed(record: &ConventionRecord, now: OffsetDateTime) -> String {
    use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
    let when = |text: &str| {
        FixedDateTime::parse_from_rfc3339(text).unwrap_or_else(|_| FixedDateTime::default())
    };
    // A feed tells what is new: the latest recorded entry first, whatever
    // the date it records.
    let mut entries = timeline(record).entries;
    entries.sort_by(|a, b| b.recorded_at.cmp(&a.recorded_at).then(b.id.cmp(&a.id)));
    let updated = entries
        .iter()
        .map(|e| e.recorded_at.as_str())
        .max()
        .map_or_else(|| when(&rfc3339(now)), when);
    let feed = Feed {
        title: Text::plain("Convention on the Claims Commission for Ukraine: timeline"),
        id: "urn:redress:convention:timeline".into(),
        updated,
        authors: vec![Person {
            name: "Redress ratification tracker".into(),
            ..Person::default()
        }],
        links: vec![
            Link {
                href: "/v1/convention/timeline.atom".into(),
                rel: "self".into(),
                mime_type: Some("application/atom+xml".into()),
                ..Link::default()
            },
            Link {
                href: "/".into(),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Link::default()
            },
        ],
        entries: entries
            .iter()
            .map(|e| {
                let who = match (&e.participant_name, &e.participant) {
                    (Some(name), Some(code)) => format!("{name} ({code}): "),
                    (None, Some(code)) => format!("{code}: "),
                    _ => String::new(),
                };
                let corrected = if e.superseded { " (corrected)" } else { "" };
                let kind = e.kind.replace('_', " ");
                Entry {
                    title: Text::plain(format!("{who}{kind}, {}{corrected}", e.date)),
                    id: format!("urn:uuid:{}", e.id),
                    updated: when(&e.recorded_at),
                    content: e.text.as_ref().map(|t| Content {
                        value: Some(t.clone()),
                        content_type: Some("text".into()),
                        ..Content::default()
                    }),
                    links: vec![Link {
                        href: "/v1/convention/timeline".into(),
                        rel: "alternate".into(),
                        mime_type: Some("application/json".into()),
                        ..Link::default()
                    }],
                    ..Entry::default()
                }
            })
            .collect(),
        ..Feed::default()
    };
    feed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("Ukraine"), "Ukraine");
        assert_eq!(csv_field("Bosnia, and"), "\"Bosnia, and\"");
        assert_eq!(csv_field("say \"no\""), "\"say \"\"no\"\"\"");
        assert_eq!(csv_field("a\nb"), "\"a\nb\"");
    }
}
