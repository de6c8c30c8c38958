//! Background jobs: assessing mass-claims batches.
//!
//! Job state lives in the database, not in this process: the worker here
//! only loops. It claims a job with a lease through `app::batches`, has
//! its chunks assessed there (each renews the lease and records progress
//! in the chunk's transaction) and finishes it. A worker that dies leaves
//! its lease to expire; the next worker (this instance after a restart, or
//! another instance) takes the job over and continues where the last
//! committed chunk ended. A case is only picked while it is unassessed and,
//! on PostgreSQL, with `FOR UPDATE SKIP LOCKED`, so no case is assessed
//! twice. On SQLite the single writer serialises chunks.
//!
//! The worker is started by [`crate::run`]; [`run_once`] is the seam tests
//! use to stop a job after some chunks, as a crash would.

use app::AppResult;
use app::batches::{Chunk, ClaimedJob};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use store::cases::JobId;
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
pub fn spawn_worker(app: app::App, control: Arc<JobControl>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if !control.paused() {
                loop {
                    match run_once(&app, &control, &control.worker, None).await {
                        Ok(Some(_)) if !control.paused() => {}
                        Ok(_) => break,
                        Err(e) => {
                            let cause = e.cause.as_ref().map(|c| format!("{c:#}"));
                            tracing::warn!(
                                "batch job worker: {}",
                                cause.as_deref().unwrap_or(&e.detail)
                            );
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

/// Takes one job whose lease is free and works it as `worker`, in chunks
/// of `control`'s size, at most `max_chunks` chunks (all when `None`).
/// Returns the job taken, if any. Stopping after `max_chunks` leaves the
/// lease in place, exactly as a crash would.
pub async fn run_once(
    app: &app::App,
    control: &JobControl,
    worker: &str,
    max_chunks: Option<usize>,
) -> AppResult<Option<JobId>> {
    let run = match app::batches::claim_job(app, worker, LEASE).await? {
        None => return Ok(None),
        Some(ClaimedJob::Settled(job)) => return Ok(Some(job)),
        Some(ClaimedJob::Batch(run)) => run,
    };
    let mut chunks = 0_usize;
    loop {
        let left = max_chunks.map_or(usize::MAX, |m| m.saturating_sub(chunks));
        if left == 0 {
            return Ok(Some(run.job()));
        }
        let size = control.chunk();
        // Two chunks in flight: one is assessed here while the other's
        // statements and commit run in the database. Their cases are
        // disjoint (the store skips locked cases).
        let outcomes = if left >= 2 {
            let (a, b) = tokio::join!(run.assess_chunk(app, size), run.assess_chunk(app, size));
            vec![a, b]
        } else {
            vec![run.assess_chunk(app, size).await]
        };
        let mut processed = 0;
        for outcome in outcomes {
            match outcome? {
                Chunk::Processed(n) => processed += n,
                Chunk::LeaseLost(reason) => {
                    tracing::warn!(job = %run.job(), worker, "lease lost: {reason}");
                    return Ok(Some(run.job()));
                }
            }
            chunks += 1;
        }
        if processed == 0 {
            break;
        }
    }
    run.finish(app).await?;
    Ok(Some(run.job()))
}
