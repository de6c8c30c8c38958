//! Closed-loop load: N workers, each with its own keep-alive connection,
//! each sending its next request as soon as the last is answered, for a
//! fixed time. Latencies go into an HDR histogram in microseconds.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Latency figures in milliseconds.
#[allow(
    clippy::struct_field_names,
    reason = "the unit is part of each JSON name"
)]
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Latency {
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) mean_ms: f64,
}

impl Latency {
    #[allow(
        clippy::cast_precision_loss,
        reason = "microseconds fit an f64 exactly"
    )]
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
            mean_ms: h.mean() / 1000.0,
        }
    }
}

pub(crate) fn histogram() -> Histogram<u64> {
    // One microsecond to an hour, three significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

pub(crate) fn record(h: &mut Histogram<u64>, elapsed: Duration) {
    let us = u64::try_from(elapsed.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    h.saturating_record(us);
}

/// What a run measured.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) ops: u64,
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
    pub(crate) elapsed: Duration,
    pub(crate) latency: Histogram<u64>,
}

impl Outcome {
    #[allow(clippy::cast_precision_loss, reason = "operation counts fit an f64")]
    pub(crate) fn per_second(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `op(worker, stream)` in a loop on `workers` tasks: first for
/// `warmup` (not recorded), then for `duration`. `state` is made once per
/// worker and handed to each of its operations.
pub(crate) async fn run<S, F, Fut, M>(
    workers: usize,
    warmup: Duration,
    duration: Duration,
    make_state: M,
    op: F,
) -> Outcome
where
    S: Send + 'static,
    M: Fn(usize) -> S,
    F: Fn(S) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (S, anyhow::Result<()>)> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let measure_from = start + warmup;
    let deadline = measure_from + duration;
    let mut tasks = Vec::with_capacity(workers);
    for w in 0..workers {
        let op = op.clone();
        let mut state = Some(make_state(w));
        tasks.push(tokio::spawn(async move {
            let mut h = histogram();
            let (mut ops, mut errors, mut first_error) = (0u64, 0u64, None::<String>);
            loop {
                let t0 = Instant::now();
                if t0 >= deadline {
                    break;
                }
                let Some(s) = state.take() else { break };
                let (s, result) = op(s).await;
                state = Some(s);
                if t0 < measure_from {
                    continue;
                }
                match result {
                    Ok(()) => {
                        record(&mut h, t0.elapsed());
                        ops += 1;
                    }
                    Err(e) => {
                        errors += 1;
                        if first_error.is_none() {
                            first_error = Some(format!("{e:#}"));
                        }
                    }
                }
            }
            (h, ops, errors, first_error)
        }));
    }
    let mut outcome = Outcome {
        ops: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latency: histogram(),
    };
    for t in tasks {
        match t.await {
            Ok((h, ops, errors, first_error)) => {
                let _ = outcome.latency.add(&h);
                outcome.ops += ops;
                outcome.errors += errors;
                if outcome.first_error.is_none() {
                    outcome.first_error = first_error;
                }
            }
            Err(e) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    // Operations that began before the deadline finish after it: the
    // measured window runs to the last answer.
    outcome.elapsed = measure_from.elapsed();
    outcome
}
