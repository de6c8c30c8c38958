//! The results: one row per measurement, with its reference and the ratio
//! the target is written against; as a markdown table and as JSON.

use crate::load::Latency;
use serde::Serialize;
use std::fmt::Write as _;

/// A target: the ratio (or the bound) a row must reach.
#[derive(Clone, Debug, Serialize)]
pub(crate) enum Target {
    /// value / reference ≥ this.
    RatioAtLeast(f64),
    /// p99 below this many milliseconds.
    P99Below(f64),
    /// Peak resident memory below this many MiB.
    RssBelow(f64),
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Self::RatioAtLeast(r) => format!("≥ {r}×"),
            Self::P99Below(ms) => format!("p99 < {ms} ms"),
            Self::RssBelow(mib) => format!("RSS < {mib} MiB"),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) scenario: String,
    pub(crate) backend: String,
    /// What was measured, e.g. "claims/s (create + submit)".
    pub(crate) measure: String,
    pub(crate) value: f64,
    pub(crate) unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) latency: Option<Latency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) peak_rss_mib: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reference_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ratio: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) targets: Vec<Target>,
    /// Whether every target is met; absent when the row has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) met: Option<bool>,
    pub(crate) errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

impl Row {
    pub(crate) fn new(
        scenario: &str,
        backend: &str,
        measure: &str,
        value: f64,
        unit: &str,
    ) -> Self {
        Self {
            scenario: scenario.to_owned(),
            backend: backend.to_owned(),
            measure: measure.to_owned(),
            value,
            unit: unit.to_owned(),
            latency: None,
            peak_rss_mib: None,
            reference: None,
            reference_value: None,
            ratio: None,
            targets: Vec::new(),
            met: None,
            errors: 0,
            note: None,
        }
    }

    pub(crate) fn latency(mut self, l: Latency) -> Self {
        self.latency = Some(l);
        self
    }

    pub(crate) fn rss(mut self, mib: f64) -> Self {
        self.peak_rss_mib = (mib > 0.0).then_some(mib);
        self
    }

    pub(crate) fn errors(mut self, n: u64) -> Self {
        self.errors = n;
        self
    }

    pub(crate) fn note(mut self, text: impl Into<String>) -> Self {
        self.note = Some(text.into());
        self
    }

    /// Compared with `value` of `what`: ratio = self / reference.
    pub(crate) fn against(mut self, what: &str, value: f64) -> Self {
        self.reference = Some(what.to_owned());
        self.reference_value = Some(value);
        self.ratio = (value > 0.0).then(|| self.value / value);
        self
    }

    pub(crate) fn target(mut self, t: Target) -> Self {
        self.targets.push(t);
        self.met = Some(self.targets.iter().all(|t| self.meets(t)));
        self
    }

    fn meets(&self, t: &Target) -> bool {
        match t {
            Target::RatioAtLeast(r) => self.ratio.is_some_and(|x| x >= *r),
            Target::P99Below(ms) => self.latency.as_ref().is_some_and(|l| l.p99_ms < *ms),
            Target::RssBelow(mib) => self.peak_rss_mib.is_some_and(|m| m < *mib),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Machine {
    pub(crate) nproc: usize,
    pub(crate) ram_gib: f64,
    pub(crate) load_before: String,
    pub(crate) load_after: String,
    pub(crate) postgres: Vec<(String, String)>,
    pub(crate) sqlite: String,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Explain {
    pub(crate) backend: String,
    pub(crate) filter: String,
    pub(crate) sql: String,
    pub(crate) plan: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Report {
    pub(crate) date: String,
    pub(crate) command: String,
    pub(crate) machine: Machine,
    pub(crate) rows: Vec<Row>,
    pub(crate) explains: Vec<Explain>,
    pub(crate) notes: Vec<String>,
    /// The scale curve's points (also in `rows`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) scale: Vec<crate::scale::Point>,
}

fn num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

impl Report {
    pub(crate) fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Run of {} — `{}`\n", self.date, self.command);
        let m = &self.machine;
        let _ = writeln!(
            s,
            "Machine: {} CPUs, {:.1} GiB RAM; load average before {}, after {}; SQLite {}.",
            m.nproc, m.ram_gib, m.load_before, m.load_after, m.sqlite
        );
        if !m.postgres.is_empty() {
            let settings: Vec<String> =
                m.postgres.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(s, "PostgreSQL: {}.", settings.join(", "));
        }
        s.push('\n');
        s.push_str("| scenario | db | measure | Redress | p50 ms | p95 ms | p99 ms | max ms | peak RSS MiB | reference | reference value | ratio | target | met |\n");
        s.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---|\n");
        for r in &self.rows {
            let l = r.latency.clone();
            let lat = |f: fn(&Latency) -> f64| l.as_ref().map_or(String::new(), |l| num(f(l)));
            let errors = if r.errors > 0 {
                format!(" ({} errors)", r.errors)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.scenario,
                r.backend,
                r.measure,
                num(r.value),
                r.unit,
                errors,
                lat(|l| l.p50_ms),
                lat(|l| l.p95_ms),
                lat(|l| l.p99_ms),
                lat(|l| l.max_ms),
                r.peak_rss_mib.map_or(String::new(), num),
                r.reference.clone().unwrap_or_default(),
                r.reference_value.map_or(String::new(), num),
                r.ratio.map_or(String::new(), |x| format!("{x:.2}×")),
                r.targets
                    .iter()
                    .map(Target::describe)
                    .collect::<Vec<_>>()
                    .join(", "),
                match r.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "",
                },
            );
        }
        let notes: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| {
                r.note
                    .as_ref()
                    .map(|n| format!("- {} / {} / {}: {n}", r.scenario, r.backend, r.measure))
            })
            .chain(self.notes.iter().map(|n| format!("- {n}")))
            .collect();
        if !notes.is_empty() {
            s.push_str("\nNotes:\n\n");
            for n in notes {
                s.push_str(&n);
                s.push('\n');
            }
        }
        for e in &self.explains {
            let _ = writeln!(
                s,
                "\n**{} — {}**\n\n```sql\n{}\n```\n\n```text\n{}```",
                e.backend, e.filter, e.sql, e.plan
            );
        }
        s
    }
}
