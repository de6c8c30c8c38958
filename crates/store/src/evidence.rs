//! Evidence files of claims: what is known about each file. The bytes live
//! in an object store; the database holds their description, hash and
//! where they are kept.

use crate::{AuditContext, StoreError};
use kernel::id::AccountId;
use register::ClaimId;
use time::OffsetDateTime;

kernel::typed_id!(
    /// One evidence file of a claim. Also names its stored object.
    EvidenceId
);

/// An evidence file to record, after its bytes are stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvidence {
    pub id: EvidenceId,
    pub claim: ClaimId,
    /// The sanitised display name (`register::sanitize_file_name`).
    pub file_name: String,
    /// The sniffed MIME type.
    pub content_type: String,
    /// Size of the file as received (before any encryption), in bytes.
    pub size: u64,
    /// SHA-256 of the file as received, 64 lower-case hex digits.
    pub sha256: String,
    /// Where the object store keeps the bytes; derived from ids only.
    pub storage_key: String,
    /// The key that encrypted the stored bytes; `None` when stored in clear.
    pub sealed_key_id: Option<String>,
    pub uploaded_by: AccountId,
}

/// An evidence file as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub id: EvidenceId,
    pub claim: ClaimId,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub storage_key: String,
    pub sealed_key_id: Option<String>,
    pub uploaded_by: AccountId,
    pub uploaded_at: OffsetDateTime,
}

#[async_trait::async_trait]
pub trait EvidenceStore {
    /// Records a stored file and its audit entry (`evidence.received`) in
    /// one transaction, if the claim still accepts evidence (it is a draft
    /// or information was requested); `Conflict` otherwise, `NotFound` if
    /// there is no such claim.
    async fn record_evidence(
        &self,
        ctx: &AuditContext,
        evidence: NewEvidence,
    ) -> Result<EvidenceRecord, StoreError>;

    /// A claim's evidence files, oldest first.
    async fn claim_evidence(&self, claim: ClaimId) -> Result<Vec<EvidenceRecord>, StoreError>;

    /// One evidence file, whichever claim it belongs to.
    async fn evidence(&self, id: EvidenceId) -> Result<EvidenceRecord, StoreError>;

    /// The distinct SHA-256 hashes of a claim's evidence files, sorted.
    async fn evidence_hashes(&self, claim: ClaimId) -> Result<Vec<String>, StoreError>;
}
