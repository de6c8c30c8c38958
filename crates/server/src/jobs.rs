//! Background jobs: assessing mass-claims batches.
//!
//! Job state lives in the database, not in this process: a worker leases a
//! job (`leased_by`, `leased_until`), renews the lease with every chunk and
//! records progress in the chunk's transaction. A worker that dies leaves
//! its lease to expire; the next worker (this instance after a restart, or
//! another instance) takes the job over and continues where the last
//! committed chunk ended. A case is only picked while it is unassessed and,
//! on PostgreSQL, with `FOR UPDATE SKIP LOCKED`, so no case is assessed
//! twice. On SQLite the single writer serialises chunks.
//!
//! The worker is started by [`crate::run`]; [`run_once`] is the seam tests
//! use to stop a job after some chunks, as a crash would.

use crate::http::cases::{inputs_of, rate_book};
use crate::state::AppState;
use commission::{AssessmentError, BatchId, Routing, SamplingPlan};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use store::StoreError;
use store::cases::{ChunkItem, JobId};
use tokio::sync::Notify;

/// How long a worker's lease lasts without renewal.
pub const LEASE: time::Duration = time::Duration::seconds(60);
/// Cases per chunk (one transaction each).
pub const CHUNK: u32 = 250;

/// Controls of this process's worker.
#[derive(Debug)]
pub struct JobControl {
    paused: AtomicBool,
    chunk: AtomicU32,
    wake: Notify,
    /// This process's worker name.
    pub worker: String,
}

impl Default for JobControl {
    fn default() -> Self {
        Self {
            paused: AtomicBool::new(false),
            chunk: AtomicU32::new(CHUNK),
            wake: Notify::new(),
            worker: format!("worker-{}", uuid::Uuid::now_v7()),
        }
    }
}

impl JobControl {
    /// Wakes the worker: a job was queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops this process's worker from taking jobs (tests use it to run
    /// jobs by hand with [`run_once`]).
    pub fn pause(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
    }

    pub fn set_chunk(&self, size: u32) {
        self.chunk.store(size.max(1), Ordering::SeqCst);
    }

    fn chunk(&self) -> u32 {
        self.chunk.load(Ordering::SeqCst)
    }

    fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }
}

/// Starts the worker loop of this process.
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let control = Arc::clone(&state.jobs);
        loop {
            if !control.paused() {
                loop {
                    match run_once(&state, &control.worker, None).await {
                        Ok(Some(_)) if !control.paused() => {}
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!("batch job worker: {e}");
                            break;
                        }
                    }
                }
            }
            tokio::select! {
                () = control.wake.notified() => {}
                () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            }
        }
    })
}

/// Takes one job whose lease is free and works it, at most `max_chunks`
/// chunks (all when `None`). Returns the job taken, if any. Stopping after
/// `max_chunks` leaves the lease in place, exactly as a crash would.
pub async fn run_once(
    state: &AppState,
    worker: &str,
    max_chunks: Option<usize>,
) -> Result<Option<JobId>, StoreError> {
    let Some(job) = state.store.claim_job(worker, LEASE).await? else {
        return Ok(None);
    };
    if job.kind == store::imports::IMPORT_JOB_KIND {
        // An import runs in the task of the request that uploaded it; its
        // lease expired, so that process stopped. Upload the file again:
        // rows already imported are skipped.
        state
            .store
            .fail_job(
                job.id,
                worker,
                "the import was interrupted; upload the file again",
            )
            .await?;
        return Ok(Some(job.id));
    }
    let batch = state
        .store
        .batch(BatchId::from_uuid(job.subject_id))
        .await?;
    let rule = match state
        .store
        .valuation_rule(&batch.category, Some(batch.rule_version))
        .await
    {
        Ok(r) => r.rule,
        Err(StoreError::NotFound) => {
            state
                .store
                .fail_job(job.id, worker, "the batch's rule version does not exist")
                .await?;
            return Ok(Some(job.id));
        }
        Err(e) => return Err(e),
    };
    // All rates into the award currency: a small table, read once per run.
    let rates = rate_book(
        state,
        rule.currency,
        time::macros::date!(1990 - 01 - 01),
        time::macros::date!(2200 - 01 - 01),
    )
    .await?;
    let no_quantities = BTreeMap::new();
    let assess = move |case: &store::cases::CaseRecord| -> ChunkItem {
        let inputs = inputs_of(case, &no_quantities, None);
        match commission::assess(&rule, &inputs, &rates) {
            Ok(a) if a.routing == Routing::Batch => ChunkItem::Assessed(Box::new(a)),
            Ok(_) | Err(AssessmentError::ManualEntryRequired) => ChunkItem::Individual,
            Err(e) => ChunkItem::Failed(crate::http::cases::assessment_error_json(&e)),
        }
    };
    let mut chunks = 0_usize;
    let chunk = || {
        state
            .store
            .assess_chunk(job.id, worker, LEASE, state.jobs.chunk(), &assess)
    };
    loop {
        let left = max_chunks.map_or(usize::MAX, |m| m.saturating_sub(chunks));
        if left == 0 {
            return Ok(Some(job.id));
        }
        // Two chunks in flight: one is assessed here while the other's
        // statements and commit run in the database. Their cases are
        // disjoint (the store skips locked cases).
        let outcomes = if left >= 2 {
            let (a, b) = tokio::join!(chunk(), chunk());
            vec![a, b]
        } else {
            vec![chunk().await]
        };
        let mut processed = 0;
        for outcome in outcomes {
            match outcome {
                Ok(o) => processed += o.processed,
                Err(StoreError::Conflict(reason)) => {
                    tracing::warn!(job = %job.id, worker, "lease lost: {reason}");
                    return Ok(Some(job.id));
                }
                Err(e) => return Err(e),
            }
            chunks += 1;
        }
        if processed == 0 {
            break;
        }
    }
    let sampling = SamplingPlan {
        share: batch.plan.sample_share,
        minimum: usize::try_from(batch.plan.sample_minimum).unwrap_or(usize::MAX),
        seed: batch.plan.seed,
    };
    let draw = move |ids: &[uuid::Uuid]| sampling.draw(ids);
    match state.store.finish_batch_job(job.id, worker, &draw).await {
        Ok(_) | Err(StoreError::Conflict(_)) => Ok(Some(job.id)),
        Err(e) => Err(e),
    }
}
