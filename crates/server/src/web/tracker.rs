//! The public pages: the convention tracker and the anonymised register of
//! decisions. Their figures come from the same calls as `GET /v1/convention`,
//! `GET /v1/convention/participants` and `GET /v1/decisions/public`, and
//! they carry no personal data: participants are states and organisations,
//! decisions are anonymised by the register itself.

use super::charts::{self, Bar, Consents};
use super::{Chrome, PageResult, grouped, html};
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::convention::{
    ConventionView, MissingView, ParticipantRow, WeightedView, convention_view, csv_chart,
};
use app::decisions::PublicEntry;
use app::gate;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::Lang;

/// Public pages may be stored, but must be revalidated: the count changes.
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

#[derive(Deserialize, Default)]
pub(crate) struct SortQuery {
    sort: Option<String>,
    dir: Option<String>,
}

/// One sortable column of the participants table.
pub(crate) struct Column {
    pub(crate) label: &'static str,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub(crate) aria: &'static str,
    /// The link that sorts by this column (the other way when already).
    pub(crate) href: String,
}

#[derive(Template)]
#[template(path = "tracker.html")]
struct TrackerPage {
    c: Chrome,
    view: ConventionView,
    /// Width of the progress bar as a share, 0..=100.
    chart: String,
    columns: Vec<Column>,
    rows: Vec<ParticipantRow>,
    missing: Vec<(String, String)>,
    weighted: Vec<WeightedBar>,
    revisions: Vec<Revision>,
    decisions: u64,
}

/// A weighted condition drawn as a second progress bar.
struct WeightedBar {
    label: String,
    /// What the counted consents carry, and the figure that meets the
    /// condition, as text with the unit.
    counted: String,
    required: String,
    /// For the `<progress>` element: counted over required, 0 to 1.
    value: String,
    met: bool,
    total_assumed: bool,
}

/// A correction that moved or undid an entry into force already reached.
struct Revision {
    at: String,
    previous: String,
    current: String,
    in_force: bool,
}

impl TrackerPage {
    #[allow(clippy::unused_self, reason = "the template calls it as a method")]
    fn money(&self, m: &crate::views::convention::MoneyView) -> String {
        m.amount.parse::<Decimal>().map_or_else(
            |_| format!("{} {}", m.amount, m.currency),
            |d| money_text(d, &m.currency),
        )
    }
}

fn sort_rows(rows: &mut [ParticipantRow], key: &str, descending: bool) {
    // Empty dates sort last whichever the direction, so the table leads
    // with what happened.
    let date_key = |d: &Option<String>| (d.is_none(), d.clone().unwrap_or_default());
    match key {
        "code" => rows.sort_by(|a, b| a.code.cmp(&b.code)),
        "signed" => rows.sort_by_key(|r| date_key(&r.signed_on)),
        "consent" => rows.sort_by_key(|r| date_key(&r.consent_on)),
        "force" => rows.sort_by_key(|r| date_key(&r.entry_into_force)),
        _ => rows.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    if descending {
        let dated = |r: &ParticipantRow| match key {
            "signed" => r.signed_on.is_some(),
            "consent" => r.consent_on.is_some(),
            "force" => r.entry_into_force.is_some(),
            _ => true,
        };
        let split = rows.iter().take_while(|r| dated(r)).count();
        rows[..split].reverse();
    }
}

/// A figure of a weighted condition with its unit, grouped like money when
/// the unit is a currency.
fn figure(value: &str, unit: Option<&str>) -> String {
    match (value.parse::<Decimal>(), unit) {
        (Ok(d), Some(u)) if u.len() == 3 && u.chars().all(|c| c.is_ascii_uppercase()) => {
            money_text(d, u)
        }
        (_, Some(u)) => format!("{value} {u}"),
        (_, None) => value.to_owned(),
    }
}

/// The instruments the rule counts, in the page's language: "ratification,
/// acceptance or approval" under the assumed reading.
fn counting_consents(lang: Lang, view: &ConventionView) -> String {
    let kinds: Vec<&str> = view.rule["counting_consents"]
        .as_array()
        .map(|kinds| {
            kinds
                .iter()
                .filter_map(|k| k.as_str())
                .map(|k| match k {
                    "ratification" => lang.tr("tracker.consent.ratification"),
                    "acceptance" => lang.tr("tracker.consent.acceptance"),
                    "approval" => lang.tr("tracker.consent.approval"),
                    "accession" => lang.tr("tracker.consent.accession"),
                    other => other,
                })
                .collect()
        })
        .unwrap_or_default();
    match kinds.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} {} {last}", rest.join(", "), lang.tr("tracker.or")),
    }
}

fn missing_lines(lang: Lang, view: &ConventionView) -> Vec<(String, String)> {
    view.missing
        .iter()
        .map(|m| match m {
            MissingView::Consents { needed, .. } => (
                needed.to_string(),
                format!(
                    "{} ({})",
                    lang.tr("tracker.missing.consents"),
                    counting_consents(lang, view)
                ),
            ),
            MissingView::CouncilOfEuropeMembers { needed, .. } => (
                needed.to_string(),
                lang.tr("tracker.missing.council_of_europe_members")
                    .to_owned(),
            ),
            MissingView::Weighted {
                basis,
                needed,
                unit,
                ..
            } => (
                figure(needed, unit.as_deref()),
                format!("{} ({basis})", lang.tr("tracker.missing.weighted")),
            ),
            MissingView::BasisTotal { basis, .. } => (
                String::new(),
                format!("{} ({basis})", lang.tr("tracker.missing.basis_total")),
            ),
            MissingView::FundingDetermination { .. } => (
                String::new(),
                lang.tr("tracker.missing.funding_determination").to_owned(),
            ),
        })
        .collect()
}

fn weighted_bar(lang: Lang, w: &WeightedView) -> WeightedBar {
    let share = w.share.parse::<Decimal>().unwrap_or_default();
    let total = w.total.as_deref().and_then(|t| t.parse::<Decimal>().ok());
    let counted = w.counted.parse::<Decimal>().unwrap_or_default();
    let required = total.map(|t| t * share);
    let value = match required {
        Some(r) if r > Decimal::ZERO => (counted / r).min(Decimal::ONE).round_dp(4),
        _ => Decimal::ZERO,
    };
    let percent = (share * Decimal::from(100)).normalize();
    let label = if w.basis == ratification::RD4U_2025_BUDGET {
        lang.tr("tracker.weighted.rd4u").to_owned()
    } else {
        w.basis.clone()
    };
    WeightedBar {
        label: format!("{label}: {percent} %"),
        counted: figure(&w.counted, w.unit.as_deref()),
        required: required.map_or_else(
            || lang.tr("tracker.weighted.no_total").to_owned(),
            |r| figure(&r.round_dp(2).to_string(), w.unit.as_deref()),
        ),
        value: value.to_string(),
        met: w.met,
        total_assumed: w.total_assumed,
    }
}

fn revisions(record: &store::ConventionRecord) -> Vec<Revision> {
    record
        .events
        .iter()
        .filter_map(|e| match e.event {
            ratification::ConventionEvent::StandingRevised {
                previous,
                current,
                in_force,
            } => Some(Revision {
                at: e.at.date().to_string(),
                previous: previous.map(|d| d.to_string()).unwrap_or_default(),
                current: current.map(|d| d.to_string()).unwrap_or_default(),
                in_force,
            }),
            _ => None,
        })
        .collect()
}

pub(crate) async fn tracker(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<SortQuery>,
) -> PageResult {
    let current = gate::current(&state.app).await?;
    let view = convention_view(&state.settings, &current.record, &current.status);
    let mut rows: Vec<ParticipantRow> =
        current.status.participants.iter().map(Into::into).collect();
    if lang == Lang::Uk {
        for r in &mut rows {
            if let Some(name) = r.name_uk.take() {
                r.name = name;
            }
        }
    }
    let sort = q.sort.as_deref().unwrap_or("name");
    let descending = q.dir.as_deref() == Some("desc");
    sort_rows(&mut rows, sort, descending);
    let columns = [
        ("name", "tracker.col.participant"),
        ("signed", "tracker.col.signed"),
        ("consent", "tracker.col.consent"),
        ("force", "tracker.col.force"),
    ]
    .into_iter()
    .map(|(key, label)| {
        let active = key == sort
            || (key == "name" && !["signed", "consent", "force", "code"].contains(&sort));
        let next_desc = active && !descending;
        Column {
            label: lang.tr(label),
            aria: match (active, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
            href: format!(
                "/?sort={key}&dir={}#participants",
                if next_desc { "desc" } else { "asc" }
            ),
        }
    })
    .collect();
    let dates = current
        .status
        .participants
        .iter()
        .filter(|p| p.counted)
        .filter_map(|p| p.consent_on)
        .collect();
    let start = current
        .status
        .participants
        .iter()
        .filter_map(|p| p.signed_on.or(p.consent_on))
        .min()
        .unwrap_or(current.today);
    let chart = charts::consents(&Consents {
        id: "consents",
        title: lang.tr("tracker.chart"),
        desc: lang.tr("tracker.chart.desc"),
        dates,
        threshold: view.threshold,
        start,
        today: current.today,
        entry_into_force: current.status.entry_into_force,
        threshold_label: lang.tr("tracker.chart.threshold"),
        today_label: lang.tr("tracker.chart.today"),
    });
    let decisions = app::decisions::final_decision_count(&state.app).await?;
    let missing = missing_lines(lang, &view);
    let weighted = view
        .weighted
        .iter()
        .map(|w| weighted_bar(lang, w))
        .collect();
    let page = TrackerPage {
        c: Chrome::public(lang, "/"),
        chart,
        columns,
        rows,
        missing,
        weighted,
        revisions: revisions(&current.record),
        decisions,
        view,
    };
    let mut response = html(&page)?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, REVALIDATE);
    Ok(response)
}

/// The chart of participants as CSV, as `GET /v1/convention/participants`
/// answers `Accept: text/csv`.
pub(crate) async fn participants_csv(State(state): State<AppState>) -> PageResult {
    let current = gate::current(&state.app).await?;
    let rows: Vec<ParticipantRow> = current.status.participants.iter().map(Into::into).collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"convention-participants.csv\""),
            ),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        csv_chart(&rows),
    )
        .into_response())
}

/// Totals of one category in the register.
pub(crate) struct CategoryTotal {
    pub(crate) category: String,
    pub(crate) awards: usize,
    pub(crate) dismissals: usize,
    /// Awarded amounts per currency, as shown.
    pub(crate) amounts: Vec<String>,
}

/// A decision as the register lists it.
pub(crate) struct DecisionLine {
    pub(crate) number: String,
    pub(crate) date: String,
    pub(crate) category: String,
    pub(crate) region: String,
    pub(crate) award: bool,
    pub(crate) amount: String,
    pub(crate) codes: String,
    pub(crate) supersedes: String,
    pub(crate) superseded: bool,
}

#[derive(Template)]
#[template(path = "decisions.html")]
struct DecisionsPage {
    c: Chrome,
    totals: Vec<CategoryTotal>,
    lines: Vec<DecisionLine>,
    chart: String,
}

/// An amount with its integer part grouped, e.g. `85 000.00 EUR`, at the
/// currency's minor unit (`crate::views::money`).
pub(crate) fn money_text(amount: Decimal, currency: &str) -> String {
    let text = crate::views::money::text(amount, currency);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let whole = int.parse::<i64>().map_or_else(|_| int.to_owned(), grouped);
    if frac.is_empty() {
        format!("{whole} {currency}")
    } else {
        format!("{whole}.{frac} {currency}")
    }
}

fn totals(list: &[PublicEntry]) -> Vec<CategoryTotal> {
    let mut by: BTreeMap<&str, (usize, usize, BTreeMap<String, Decimal>)> = BTreeMap::new();
    // A superseded decision no longer stands: its correction counts instead.
    for d in list.iter().filter(|d| !d.superseded) {
        let entry = by.entry(d.category.as_str()).or_default();
        if d.outcome == "award" {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        if let Some(m) = &d.amount {
            *entry.2.entry(m.currency().code().to_owned()).or_default() += m.amount();
        }
    }
    by.into_iter()
        .map(|(category, (awards, dismissals, amounts))| CategoryTotal {
            category: category.to_owned(),
            awards,
            dismissals,
            amounts: amounts
                .into_iter()
                .map(|(cur, sum)| money_text(sum, &cur))
                .collect(),
        })
        .collect()
}

pub(crate) async fn decisions(State(state): State<AppState>, lang: Lang) -> PageResult {
    let list = app::decisions::whole_public_register(&state.app).await?;
    let totals = totals(&list);
    let chart = charts::bars(
        "decided",
        lang.tr("decisions.totals"),
        &totals
            .iter()
            .map(|t| {
                let n = t.awards + t.dismissals;
                Bar {
                    label: t.category.clone(),
                    value: f64::from(u32::try_from(n).unwrap_or(u32::MAX)),
                    text: n.to_string(),
                }
            })
            .collect::<Vec<_>>(),
    );
    let lines = list
        .iter()
        .map(|d| DecisionLine {
            number: d
                .number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            date: d.decided_on.map(|x| x.to_string()).unwrap_or_default(),
            category: d.category.clone(),
            region: d.region.clone().unwrap_or_default(),
            award: d.outcome == "award",
            amount: d
                .amount
                .as_ref()
                .map(|m| money_text(m.amount(), m.currency().code()))
                .unwrap_or_default(),
            codes: d
                .dismissal_codes
                .iter()
                .map(|c| {
                    serde_json::to_value(c)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(", "),
            supersedes: d
                .supersedes
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            superseded: d.superseded,
        })
        .collect();
    let page = DecisionsPage {
        c: Chrome::public(lang, "/decisions"),
        totals,
        lines,
        chart,
    };
    let mut response = html(&page).map_err(|e: ApiError| e)?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, REVALIDATE);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, signed: Option<&str>) -> ParticipantRow {
        ParticipantRow {
            code: name.to_uppercase(),
            name: name.into(),
            name_uk: None,
            kind: "state".into(),
            council_of_europe_member: true,
            signed_on: signed.map(str::to_owned),
            consent: None,
            consent_symbol: None,
            consent_on: None,
            counted: false,
            entry_into_force: None,
            reservations: false,
            declarations: false,
            territorial_application: false,
            denounced_on: None,
        }
    }

    #[test]
    fn undated_rows_sort_last_either_way() {
        let mut rows = vec![
            row("a", None),
            row("b", Some("2025-12-19")),
            row("c", Some("2025-12-16")),
        ];
        sort_rows(&mut rows, "signed", false);
        let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["c", "b", "a"]);
        sort_rows(&mut rows, "signed", true);
        let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
    }

    #[test]
    fn amounts_are_grouped() {
        assert_eq!(
            money_text(Decimal::new(8_500_000, 2), "EUR"),
            "85\u{202f}000.00 EUR"
        );
        assert_eq!(money_text(Decimal::new(12, 0), "UAH"), "12.00 UAH");
        assert_eq!(
            money_text(Decimal::new(68_000_000, 3), "EUR"),
            "68\u{202f}000.00 EUR"
        );
    }
}
