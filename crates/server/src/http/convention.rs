//! The ratification tracker over HTTP, and the Commission's go-live status.
//!
//! Public (no token): the convention's standing, the chart of participants
//! (JSON, or CSV with `Accept: text/csv`), the timeline, funding totals, the
//! events, and `GET /v1/commission/status`, the gate's HTTP face.
//!
//! Staff: the depositary records treaty actions, the funding determination,
//! contributions and exchange rates; a state's representative records
//! pledges for its own participant (the depositary for any). Entries that
//! depend on the record are validated by the domain *inside* the store's
//! transaction (see `store::ratification`), which also stores the event when
//! the convention's standing changes.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::extract::{PageParams, Query};
use crate::state::AppState;
use crate::views::convention::{
    ActionView, BasisTotalView, CommissionStatus, CommitmentView, ConventionView,
    DeterminationView, EventView, Events, FundingView, MoneyView, ParticipantRow, RateView,
    Timeline, WeightView, Weights, convention_view, csv_chart, funding_view, rfc3339, timeline,
};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Public reads

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// What the tracker said at the end of this day (YYYY-MM-DD, UTC): the
    /// record as recorded by then, evaluated on that day. Today's standing
    /// when absent.
    pub as_recorded_on: Option<String>,
}

/// The convention's standing today, or as recorded on a past day.
#[utoipa::path(get, path = "/v1/convention", tag = "convention", params(OverviewQuery),
    responses((status = 200, body = ConventionView), (status = 422, body = crate::error::ProblemBody)))]
pub async fn overview(
    State(state): State<AppState>,
    Query(q): Query<OverviewQuery>,
) -> ApiResult<Json<ConventionView>> {
    let current = match q.as_recorded_on.as_deref() {
        None => app::convention::standing(&state.app).await?,
        Some(text) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let day = time::Date::parse(text.trim(), format).map_err(|_| {
                crate::error::ApiError::invalid_field(
                    "as_recorded_on",
                    "format",
                    "A calendar date, YYYY-MM-DD.",
                )
            })?;
            app::convention::standing_as_recorded_on(&state.app, day).await?
        }
    };
    Ok(Json(convention_view(
        &state.settings,
        &current.record,
        &current.status,
    )))
}

page_of!(
    /// A page of the chart of participants.
    ParticipantPage,
    ParticipantRow
);

/// List the chart per participant, by code, cursor-paged; the whole chart
/// as CSV with `Accept: text/csv`.
#[utoipa::path(get, path = "/v1/convention/participants", tag = "convention",
    params(PageParams),
    responses((status = 200, content(
        (ParticipantPage = "application/json"),
        (String = "text/csv")
    ))))]
pub async fn participants(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> ApiResult<Response> {
    let page = params.key_request()?;
    let current = app::convention::standing(&state.app).await?;
    let rows: Vec<ParticipantRow> = current.status.participants.iter().map(Into::into).collect();
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"convention-participants.csv\"",
                ),
            ],
            csv_chart(&rows),
        )
            .into_response())
    } else {
        let mut rows = rows;
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        let page = kernel::Page::from_all_keyed(rows, &page, |r| r.code.clone());
        Ok(Json(ParticipantPage::from(page)).into_response())
    }
}

/// Every entry in date order, corrected ones included and marked.
#[utoipa::path(get, path = "/v1/convention/timeline", tag = "convention",
    responses((status = 200, body = Timeline)))]
pub async fn timeline_list(State(state): State<AppState>) -> ApiResult<Json<Timeline>> {
    let record = app::convention::record(&state.app).await?;
    Ok(Json(timeline(&record)))
}

/// Read the convention's funding figures.
#[utoipa::path(get, path = "/v1/convention/funding", tag = "convention",
    responses((status = 200, body = FundingView)))]
pub async fn funding(State(state): State<AppState>) -> ApiResult<Json<FundingView>> {
    let current = app::convention::standing(&state.app).await?;
    Ok(Json(funding_view(
        &state.settings,
        &current.record,
        &current.status,
    )))
}

/// Changes of the convention's standing, oldest first.
#[utoipa::path(get, path = "/v1/convention/events", tag = "convention",
    responses((status = 200, body = Events)))]
pub async fn events(State(state): State<AppState>) -> ApiResult<Json<Events>> {
    let events = app::convention::events(&state.app).await?;
    Ok(Json(Events {
        events: events
            .into_iter()
            .map(|e| EventView {
                id: e.id.0,
                at: rfc3339(e.at),
                kind: e.kind,
                event: serde_json::to_value(e.event).unwrap_or_default(),
            })
            .collect(),
    }))
}

/// The go-live gate as a status resource: always 200, `may_act` true once
/// the convention is in force; while it is not, `may_act: false` with the
/// count, threshold, missing conditions and projected date. The 409
/// `commission-not-in-force` belongs to the actions the gate refuses.
#[utoipa::path(get, path = "/v1/commission/status", tag = "convention",
    responses((status = 200, body = CommissionStatus)))]
pub async fn commission_status(State(state): State<AppState>) -> ApiResult<Json<CommissionStatus>> {
    let current = app::convention::standing(&state.app).await?;
    Ok(Json(CommissionStatus::of(&current.status, current.today)))
}

// ---------------------------------------------------------------------------
// Staff writes

/// A treaty action to record (or a correction of one).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"participant": "UA", "kind": "ratification", "date": "2026-03-02"}))]
pub struct RecordAction {
    /// ISO 3166-1 alpha-2 code, or `EU`.
    #[schema(example = "UA")]
    pub participant: String,
    /// `signature`, `ratification`, `acceptance`, `approval`, `accession`,
    /// `reservation`, `declaration`, `territorial_application`,
    /// `reservation_withdrawal` or `denunciation`.
    #[schema(example = "ratification")]
    pub kind: String,
    /// Date of signature, deposit or notification (YYYY-MM-DD).
    #[schema(example = "2026-03-02")]
    pub date: String,
    /// Text of a reservation, declaration or territorial application, or a
    /// note.
    pub text: Option<String>,
    /// The entry this one corrects.
    pub supersedes: Option<Uuid>,
    /// For a reservation withdrawal: the reservation withdrawn.
    pub withdraws: Option<Uuid>,
    /// Kept in the audit log; required with `correction`.
    pub reason: Option<String>,
    /// A state or organisation new to the record, joining it with this
    /// signature (or accession, where the rule admits one).
    pub new_participant: Option<NewParticipant>,
    /// Set when the entry corrects the record in a way that moves or undoes
    /// an entry into force already reached: without it such an entry is
    /// refused (409 `revises_entry_into_force`); with it (and a `reason`)
    /// it is recorded and announced as `standing_revised`. Decisions the
    /// Commission took meanwhile stay final.
    #[serde(default)]
    pub correction: bool,
}

/// A participant new to the record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    /// The name in English.
    #[schema(example = "Japan")]
    pub name: String,
    /// The name in Ukrainian.
    #[schema(example = "Японія")]
    pub name_uk: Option<String>,
    /// `state` or `organisation` (a regional integration organisation).
    #[schema(example = "state")]
    pub kind: String,
    /// Whether it is a member state of the Council of Europe (checked
    /// against the code).
    #[serde(default)]
    pub council_of_europe_member: bool,
}

/// Records a treaty action. Validated against the record inside the
/// transaction; the event of a change of standing is stored with it.
#[utoipa::path(post, path = "/v1/convention/actions", tag = "convention", security(("bearer" = [])),
    request_body = RecordAction,
    responses((status = 201, body = ActionView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn record_action(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<RecordAction>,
) -> ApiResult<impl IntoResponse> {
    let input = app::convention::ActionInput {
        participant: req.participant,
        kind: req.kind,
        date: req.date,
        text: req.text,
        supersedes: req.supersedes,
        withdraws: req.withdraws,
        reason: req.reason,
        new_participant: req
            .new_participant
            .map(|p| app::convention::ParticipantInput {
                name: p.name,
                name_uk: p.name_uk,
                kind: p.kind,
                council_of_europe_member: p.council_of_europe_member,
            }),
        correction: req.correction,
    };
    let recorded = app::convention::record_action(&state.app, &auth.actor(), input).await?;
    Ok((StatusCode::CREATED, Json(ActionView::from(&recorded))))
}

/// The Council's determination that funding is sufficient.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-05-20", "text": "The Conference of Participants determined the funding adequate."}))]
pub struct RecordDetermination {
    #[schema(example = "2026-05-20")]
    pub date: String,
    /// The determination as adopted, or its reference.
    pub text: String,
    /// The determination this one corrects.
    pub supersedes: Option<Uuid>,
    /// Kept in the audit log; required with `correction`.
    pub reason: Option<String>,
    /// See `correction` on treaty actions.
    #[serde(default)]
    pub correction: bool,
}

/// Record a funding determination.
#[utoipa::path(post, path = "/v1/convention/funding-determinations", tag = "convention",
    security(("bearer" = [])), request_body = RecordDetermination,
    responses((status = 201, body = DeterminationView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn record_determination(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<RecordDetermination>,
) -> ApiResult<impl IntoResponse> {
    let input = app::convention::DeterminationInput {
        date: req.date,
        text: req.text,
        supersedes: req.supersedes,
        reason: req.reason,
        correction: req.correction,
    };
    let recorded = app::convention::record_determination(&state.app, &auth.actor(), input).await?;
    Ok((
        StatusCode::CREATED,
        Json(DeterminationView::from(&recorded)),
    ))
}

/// A pledge, or a confirmation of a contribution.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"participant": "FR", "amount": {"amount": "1000000.00", "currency": "EUR"}, "date": "2026-02-10"}))]
pub struct RecordCommitment {
    /// The participant; a state's representative may leave it out (its
    /// own).
    #[schema(example = "FR")]
    pub participant: Option<String>,
    pub amount: MoneyView,
    #[schema(example = "2026-02-10")]
    pub date: String,
    pub note: Option<String>,
}

impl From<RecordCommitment> for app::convention::CommitmentInput {
    fn from(req: RecordCommitment) -> Self {
        Self {
            participant: req.participant,
            amount: req.amount.amount,
            currency: req.amount.currency,
            date: req.date,
            note: req.note,
        }
    }
}

/// Record a pledge.
#[utoipa::path(post, path = "/v1/convention/pledges", tag = "convention", security(("bearer" = [])),
    request_body = RecordCommitment,
    responses((status = 201, body = CommitmentView), (status = 422, body = crate::error::ProblemBody)))]
pub async fn record_pledge(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<RecordCommitment>,
) -> ApiResult<impl IntoResponse> {
    let recorded = app::convention::record_pledge(&state.app, &auth.actor(), req.into()).await?;
    Ok((StatusCode::CREATED, Json(CommitmentView::from(&recorded))))
}

/// Record a contribution received.
#[utoipa::path(post, path = "/v1/convention/contributions", tag = "convention", security(("bearer" = [])),
    request_body = RecordCommitment,
    responses((status = 201, body = CommitmentView), (status = 422, body = crate::error::ProblemBody)))]
pub async fn record_contribution(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<RecordCommitment>,
) -> ApiResult<impl IntoResponse> {
    let recorded =
        app::convention::record_contribution(&state.app, &auth.actor(), req.into()).await?;
    Ok((StatusCode::CREATED, Json(CommitmentView::from(&recorded))))
}

/// An exchange rate: units of `to` per unit of `from`.
// Renamed in the description, apart from `cases::RecordRate`.
#[derive(Deserialize, ToSchema)]
#[schema(as = ConventionRecordRate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "GBP", "to": "EUR", "rate": "1.1725", "date": "2026-02-10", "source": "ECB"}))]
pub struct RecordRate {
    #[schema(example = "GBP")]
    pub from: String,
    #[schema(example = "EUR")]
    pub to: String,
    #[schema(example = "1.1725")]
    pub rate: String,
    pub date: String,
    /// Who published it, e.g. `ECB`.
    pub source: String,
}

/// Record an exchange rate for the funding figures.
#[utoipa::path(post, path = "/v1/convention/exchange-rates", tag = "convention",
    security(("bearer" = [])), request_body = RecordRate,
    responses((status = 201, body = RateView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn record_rate(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<RecordRate>,
) -> ApiResult<impl IntoResponse> {
    let input = app::convention::RateInput {
        from: req.from,
        to: req.to,
        rate: req.rate,
        date: req.date,
        source: req.source,
    };
    let recorded = app::convention::record_rate(&state.app, &auth.actor(), input).await?;
    Ok((StatusCode::CREATED, Json(RateView::from(&recorded))))
}

/// What a participant carries on the basis of a weighted condition.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"participant": "FR", "basis": "rd4u-2025-budget", "value": "450000.00", "unit": "EUR", "source": "Register of Damage, 2025 budget contributions", "date": "2025-12-31"}))]
pub struct RecordWeight {
    #[schema(example = "FR")]
    pub participant: String,
    /// The basis a weighted condition of the rule names.
    #[schema(example = "rd4u-2025-budget")]
    pub basis: String,
    /// Zero or more, as a decimal string in `unit`.
    #[schema(example = "450000.00")]
    pub value: String,
    /// `EUR`, `%`, `GT`...: every figure on one basis shares its unit.
    #[schema(example = "EUR")]
    pub unit: String,
    /// Where the figure comes from.
    #[schema(example = "Register of Damage, 2025 budget contributions")]
    pub source: String,
    /// From when the figure is known (YYYY-MM-DD).
    #[schema(example = "2025-12-31")]
    pub date: String,
    /// The weight this one corrects.
    pub supersedes: Option<Uuid>,
    /// Kept in the audit log; required with `correction`.
    pub reason: Option<String>,
    /// See `correction` on treaty actions.
    #[serde(default)]
    pub correction: bool,
}

/// Records a participant's weight on a basis (or a correction of one).
#[utoipa::path(post, path = "/v1/convention/weights", tag = "convention",
    security(("bearer" = [])), request_body = RecordWeight,
    responses((status = 201, body = WeightView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn record_weight(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<RecordWeight>,
) -> ApiResult<impl IntoResponse> {
    let input = app::convention::WeightInput {
        participant: req.participant,
        basis: req.basis,
        value: req.value,
        unit: req.unit,
        source: req.source,
        date: req.date,
        supersedes: req.supersedes,
        reason: req.reason,
        correction: req.correction,
    };
    let recorded = app::convention::record_weight(&state.app, &auth.actor(), input).await?;
    Ok((StatusCode::CREATED, Json(WeightView::from(&recorded))))
}

/// The total a basis is measured against.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"basis": "rd4u-2025-budget", "value": "7384300.00", "unit": "EUR", "source": "Register of Damage, 2025 budget", "date": "2025-12-31"}))]
pub struct RecordBasisTotal {
    #[schema(example = "rd4u-2025-budget")]
    pub basis: String,
    /// Positive, as a decimal string in `unit`.
    #[schema(example = "7384300.00")]
    pub value: String,
    #[schema(example = "EUR")]
    pub unit: String,
    pub source: String,
    /// From when the figure is known (YYYY-MM-DD).
    pub date: String,
    /// The figure is derived or supposed rather than published.
    #[serde(default)]
    pub assumed: bool,
    /// The total this one corrects.
    pub supersedes: Option<Uuid>,
    /// Kept in the audit log; required with `correction`.
    pub reason: Option<String>,
    /// See `correction` on treaty actions.
    #[serde(default)]
    pub correction: bool,
}

/// Records the total of a basis (or a correction of one).
#[utoipa::path(post, path = "/v1/convention/basis-totals", tag = "convention",
    security(("bearer" = [])), request_body = RecordBasisTotal,
    responses((status = 201, body = BasisTotalView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn record_basis_total(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<RecordBasisTotal>,
) -> ApiResult<impl IntoResponse> {
    let input = app::convention::BasisTotalInput {
        basis: req.basis,
        value: req.value,
        unit: req.unit,
        source: req.source,
        date: req.date,
        assumed: req.assumed,
        supersedes: req.supersedes,
        reason: req.reason,
        correction: req.correction,
    };
    let recorded = app::convention::record_basis_total(&state.app, &auth.actor(), input).await?;
    Ok((StatusCode::CREATED, Json(BasisTotalView::from(&recorded))))
}

/// Weights and basis totals as recorded, corrected ones included.
#[utoipa::path(get, path = "/v1/convention/weights", tag = "convention",
    responses((status = 200, body = Weights)))]
pub async fn weights(State(state): State<AppState>) -> ApiResult<Json<Weights>> {
    let record = app::convention::record(&state.app).await?;
    Ok(Json(Weights {
        weights: record.weights.iter().map(WeightView::from).collect(),
        basis_totals: record
            .basis_totals
            .iter()
            .map(BasisTotalView::from)
            .collect(),
    }))
}

/// The public timeline as an Atom feed (RFC 4287), the latest recorded entry first.
#[utoipa::path(get, path = "/v1/convention/timeline.atom", tag = "convention",
    responses((status = 200, description = "An Atom feed", content_type = "application/atom+xml", body = String)))]
pub async fn timeline_feed(State(state): State<AppState>) -> ApiResult<Response> {
    let record = app::convention::record(&state.app).await?;
    let feed = crate::views::convention::atom_feed(&record, state.clock.now());
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed,
    )
        .into_response())
}
