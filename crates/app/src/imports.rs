//! Bulk imports of claims: what an import does with each row once a door
//! (the command line, `POST /v1/imports`) has read and parsed it.
//!
//! A row passes exactly the checks a claim filed through the API passes
//! ([`crate::claims::Intake`]): the same amounts and list limits, the same
//! catalogue and claimant-type fit, and, when it is to be submitted, the
//! same pre-screen with the same configured earliest date of damage.
//! Duplicates are found for a whole chunk at once; a chunk is written in one
//! transaction.

use crate::claims::{Intake, draft_content};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, Config};
use kernel::id::AccountId;
use kernel::{Page, PageRequest};
use register::{Category, ClaimDraft, ClaimId, DuplicateKeys};
use std::collections::{HashMap, HashSet};
use store::cases::{JobFilter, JobId, JobRecord};
use store::claims::{DraftContent, Submission};
use store::imports::{IMPORT_JOB_KIND, ImportJob, ImportOutcome, ImportReject, ImportRow};
use store::{AuditContext, StoreError};

/// One import's view of the Register: the catalogue and the regions, read
/// once, and the accounts met so far, so that a row costs no lookup that
/// an earlier row already made.
pub struct Session {
    app: App,
    intake: Intake,
    regions: Vec<register::Region>,
    /// The catalogue's answer for each category code met so far.
    categories: HashMap<String, Option<Category>>,
    accounts: HashSet<AccountId>,
}

impl Session {
    pub async fn start(app: &App) -> Result<Self, StoreError> {
        Ok(Self {
            app: app.clone(),
            intake: Intake::of(app),
            regions: app.store.regions().await?,
            categories: HashMap::new(),
            accounts: HashSet::new(),
        })
    }

    /// Whether the account a row is filed for exists.
    pub async fn account_exists(&mut self, id: AccountId) -> Result<bool, StoreError> {
        if self.accounts.contains(&id) {
            return Ok(true);
        }
        match self.app.store.account(id).await {
            Ok(_) => {
                self.accounts.insert(id);
                Ok(true)
            }
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn category(&mut self, draft: &ClaimDraft) -> Result<Option<Category>, StoreError> {
        let Some(code) = &draft.category else {
            return Ok(None);
        };
        if let Some(found) = self.categories.get(code.as_str()) {
            return Ok(found.clone());
        }
        let found = match self.app.store.category(code.as_str()).await {
            Ok(record) => Some(record.category),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        };
        self.categories
            .insert(code.as_str().to_owned(), found.clone());
        Ok(found)
    }

    /// A row's claim checked as a claim filed through the API is, and, with
    /// `submit`, pre-screened as a submission is: ready to store as `id`.
    /// The outer `Err` is a store failure; the inner one says why the row
    /// is refused. Duplicates are found later, for the chunk.
    pub async fn admit(
        &mut self,
        id: ClaimId,
        draft: &ClaimDraft,
        submit: bool,
    ) -> Result<AppResult<(DraftContent, Option<Submission>)>, StoreError> {
        let found = self.category(draft).await?;
        let category = match self.intake.filing(draft, found) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let content = match draft_content(&self.app, draft, category.as_ref()) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let submission = if submit {
            if let Err(e) = self
                .intake
                .submission(draft, category.as_ref(), &self.regions)
            {
                return Ok(Err(e));
            }
            Some(Submission {
                keys: DuplicateKeys::of_claim(id, draft, Vec::new()),
                flags: Vec::new(),
            })
        } else {
            None
        };
        Ok(Ok((content, submission)))
    }

    /// External ids among `ids` that were imported before.
    pub async fn already_imported(&self, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        self.app.store.already_imported(ids).await
    }

    /// Flags the probable duplicates of a chunk's submitted rows among
    /// stored claims (one query for the chunk), `pending` (rows written but
    /// not yet visible) and the chunk's own earlier rows, as a submission
    /// through the API would one claim at a time.
    pub async fn flag_duplicates(
        &self,
        rows: &mut [ImportRow],
        pending: &[DuplicateKeys],
    ) -> Result<(), StoreError> {
        let index: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                r.submission
                    .as_ref()
                    .map(|s| s.keys.index_keys())
                    .unwrap_or_default()
            })
            .collect();
        let mut all: Vec<String> = index.iter().flatten().cloned().collect();
        all.sort_unstable();
        all.dedup();
        if all.is_empty() {
            return Ok(());
        }
        let stored = self.app.store.duplicate_candidates(&all).await?;
        // Candidates by lookup key: stored claims, then the chunk's rows as
        // they are passed.
        let mut by_key: HashMap<String, Vec<DuplicateKeys>> = HashMap::new();
        for candidate in stored.into_iter().chain(pending.iter().cloned()) {
            for key in candidate.index_keys() {
                by_key.entry(key).or_default().push(candidate.clone());
            }
        }
        for (row, keys) in rows.iter_mut().zip(index) {
            let Some(submission) = row.submission.as_mut() else {
                continue;
            };
            let mut candidates: Vec<DuplicateKeys> = Vec::new();
            for key in &keys {
                for c in by_key.get(key).into_iter().flatten() {
                    if !candidates.iter().any(|seen| seen.claim == c.claim) {
                        candidates.push(c.clone());
                    }
                }
            }
            submission.flags = register::find_duplicates(&submission.keys, &candidates);
            for key in keys {
                by_key.entry(key).or_default().push(submission.keys.clone());
            }
        }
        Ok(())
    }

    /// The application the session works for (its chunks are written by
    /// [`write_chunk`], which may run while the next chunk is checked).
    pub fn app(&self) -> &App {
        &self.app
    }
}

/// Writes one chunk in one transaction: its rows, the refused rows' report
/// lines and the count of rows skipped as already imported.
pub async fn write_chunk(
    app: &App,
    ctx: &AuditContext,
    job: Option<&ImportJob>,
    rows: Vec<ImportRow>,
    rejects: Vec<ImportReject>,
    skipped: u64,
) -> Result<Vec<ImportOutcome>, StoreError> {
    app.store
        .import_claims(ctx, job, rows, rejects, skipped)
        .await
}

/// The checks of [`Session::admit`], against a catalogue and regions in
/// memory instead of the database, with the deployment's earliest date of
/// damage: whether the claim would be imported. The fuzz targets drive it,
/// so it must not panic whatever the input.
pub fn would_admit(
    config: &Config,
    today: time::Date,
    catalogue: &[Category],
    regions: &[register::Region],
    draft: &ClaimDraft,
    submit: bool,
) -> bool {
    let intake = Intake::new(config.eligibility_start, today);
    let found = draft
        .category
        .as_ref()
        .and_then(|code| catalogue.iter().find(|c| &c.code == code))
        .cloned();
    let Ok(category) = intake.filing(draft, found) else {
        return false;
    };
    if draft.total_claimed().is_err() {
        return false;
    }
    !submit || intake.submission(draft, category.as_ref(), regions).is_ok()
}

/// A refusal as report lines: one per offending field, or one for the row.
pub fn reject_lines(line: u64, external_id: &str, e: &AppError) -> Vec<ImportReject> {
    let line_of = |field: Option<String>, code: &str, message: String| ImportReject {
        line,
        external_id: Some(external_id.to_owned()),
        field,
        code: code.to_owned(),
        message,
    };
    if e.errors.is_empty() {
        return vec![line_of(None, e.kind, e.detail.clone())];
    }
    e.errors
        .iter()
        .map(|f| {
            let field = if f.field.is_empty() {
                "claim".to_owned()
            } else {
                format!("claim.{}", f.field)
            };
            line_of(Some(field), &f.code, f.message.clone())
        })
        .collect()
}

// ---------------------------------------------------------------- jobs

/// Starts an import job for an upload, leased by `worker`: the job a
/// client polls while the rows are read in the background.
pub async fn start_job(
    app: &App,
    actor: &Actor,
    worker: &str,
    lease: time::Duration,
) -> AppResult<(JobRecord, ImportJob)> {
    let ctx = actor.audit(Some("import through the API".into()));
    let record = app.store.create_import_job(&ctx, worker, lease).await?;
    let job = ImportJob {
        id: record.id,
        worker: worker.to_owned(),
        lease,
    };
    Ok((record, job))
}

/// Closes an import job: completed when every row was read (rejected rows
/// included), failed with the reason when the import stopped.
pub async fn close_job(
    app: &App,
    job: &ImportJob,
    outcome: Result<(), String>,
) -> Result<(), StoreError> {
    match outcome {
        Ok(()) => app.store.finish_import_job(job).await.map(drop),
        Err(reason) => app.store.fail_job(job.id, &job.worker, &reason).await,
    }
}

/// An import job; any other job is "not found" here.
pub async fn job(app: &App, id: JobId) -> AppResult<JobRecord> {
    let job = app.store.job(id).await?;
    if job.kind != IMPORT_JOB_KIND {
        return Err(AppError::not_found());
    }
    Ok(job)
}

/// Import jobs, oldest first, of one status (`running`, `completed`,
/// `failed`) if given, paged by id.
pub async fn jobs(
    app: &App,
    status: Option<&str>,
    page: PageRequest,
) -> AppResult<Page<JobRecord>> {
    let filter = JobFilter {
        kind: Some(IMPORT_JOB_KIND.to_owned()),
        status: crate::enum_filter("status", status)?,
        exclude_categories: Vec::new(),
    };
    Ok(app.store.jobs(&filter, page).await?)
}

/// The rejected rows of an import job in line order, after the position
/// `after`, up to `limit`; each with its position.
pub async fn rejects(
    app: &App,
    job: JobId,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<(i64, ImportReject)>, StoreError> {
    app.store.import_rejects(job, after, limit).await
}
