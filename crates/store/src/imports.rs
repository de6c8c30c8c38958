//! Bulk imports of claims: many claims per transaction, each with its audit
//! entry, at most once per external id; and the rejects of import jobs.

use crate::cases::{JobId, JobRecord};
use crate::claims::{DraftContent, Submission};
use crate::{AuditContext, StoreError};
use kernel::id::AccountId;
use register::ClaimId;
use serde::{Deserialize, Serialize};

/// The `kind` of an import job in the jobs table.
pub const IMPORT_JOB_KIND: &str = "claims_import";

/// One validated row to import.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRow {
    /// The partner system's id of the row: unique across all imports.
    pub external_id: String,
    /// The claim's id, chosen before the row is stored (the duplicate keys
    /// of a submitted claim name it).
    pub id: ClaimId,
    pub filed_by: AccountId,
    pub draft: DraftContent,
    /// Present when the row is submitted: it gets a reference number.
    pub submission: Option<Submission>,
}

/// What became of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported {
        id: ClaimId,
        reference: Option<String>,
    },
    /// The external id was imported before (by this run or an earlier one).
    AlreadyImported { id: ClaimId },
}

/// A rejected row of an import: which line, which field, why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReject {
    pub line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

/// The job an import chunk belongs to (imports through the API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportJob {
    pub id: JobId,
    pub worker: String,
    pub lease: time::Duration,
}

#[async_trait::async_trait]
pub trait ImportStore {
    /// Imports a chunk of rows in one transaction: a row whose external id
    /// is known is skipped (`AlreadyImported`), each new one is stored with
    /// its audit entry (`claim.imported`), submitted ones get consecutive
    /// reference numbers. With a job, the chunk's rejects and the job's
    /// progress are written in the same transaction and its lease renewed
    /// (`Conflict` when another worker holds it); `skipped_before` rows of
    /// the chunk were found already imported before it was validated
    /// ([`ImportStore::already_imported`]) and count as read and skipped.
    async fn import_claims(
        &self,
        ctx: &AuditContext,
        job: Option<&ImportJob>,
        rows: Vec<ImportRow>,
        rejects: Vec<ImportReject>,
        skipped_before: u64,
    ) -> Result<Vec<ImportOutcome>, StoreError>;

    /// Which of these external ids were imported before: a re-run skips
    /// them without validating them again.
    async fn already_imported(
        &self,
        external_ids: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError>;

    /// Creates a running import job leased by `worker`.
    async fn create_import_job(
        &self,
        ctx: &AuditContext,
        worker: &str,
        lease: time::Duration,
    ) -> Result<JobRecord, StoreError>;

    /// Completes an import job.
    async fn finish_import_job(&self, job: &ImportJob) -> Result<JobRecord, StoreError>;

    /// Rejected rows of an import job in line order, after `after` (an
    /// opaque position) — up to `limit`, with the position of each.
    async fn import_rejects(
        &self,
        job: JobId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, ImportReject)>, StoreError>;

    /// Award ids in id order after `after`, up to `limit`: the keyset the
    /// awards export pages through (`GET /v1/exports/awards`).
    async fn award_ids(
        &self,
        after: Option<commission::AwardId>,
        limit: u32,
    ) -> Result<Vec<commission::AwardId>, StoreError>;
}
