//! Evidence records on SQLite.

use crate::{SqliteStore, map_err, time_text};
use async_trait::async_trait;
use register::ClaimId;
use serde_json::json;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use store::{
    AuditContext, Change, EvidenceId, EvidenceRecord, EvidenceStore, NewEvidence, StoreError,
};
use uuid::Uuid;

fn evidence_from_row(row: &SqliteRow) -> Result<EvidenceRecord, sqlx::Error> {
    let size: i64 = row.try_get("size")?;
    Ok(EvidenceRecord {
        id: row.try_get::<Uuid, _>("id")?.into(),
        claim: row.try_get::<Uuid, _>("claim_id")?.into(),
        file_name: row.try_get("file_name")?,
        content_type: row.try_get("content_type")?,
        size: u64::try_from(size).map_err(|e| sqlx::Error::Decode(e.into()))?,
        sha256: row.try_get("sha256")?,
        storage_key: row.try_get("storage_key")?,
        sealed_key_id: row.try_get("sealed_key_id")?,
        uploaded_by: row.try_get::<Uuid, _>("uploaded_by")?.into(),
        uploaded_at: row.try_get("uploaded_at")?,
    })
}

#[async_trait]
impl EvidenceStore for SqliteStore {
    async fn record_evidence(
        &self,
        ctx: &AuditContext,
        evidence: NewEvidence,
    ) -> Result<EvidenceRecord, StoreError> {
        let size = i64::try_from(evidence.size).map_err(StoreError::internal)?;
        let mut tx = self.begin().await?;
        let status: String = sqlx::query_scalar("SELECT status FROM claims WHERE id = ?")
            .bind(evidence.claim.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if status != "draft" && status != "information_requested" {
            return Err(StoreError::Conflict(format!(
                "Evidence is accepted while a claim is a draft or information is requested; this claim is {status}."
            )));
        }
        let now = self.now();
        sqlx::query(
            "INSERT INTO evidence (id, claim_id, file_name, content_type, size, sha256, storage_key, \
             sealed_key_id, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(evidence.id.0)
        .bind(evidence.claim.0)
        .bind(&evidence.file_name)
        .bind(&evidence.content_type)
        .bind(size)
        .bind(&evidence.sha256)
        .bind(&evidence.storage_key)
        .bind(&evidence.sealed_key_id)
        .bind(evidence.uploaded_by.0)
        .bind(time_text::encode(now))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "evidence.received",
            target_type: "claim",
            target_id: evidence.claim.to_string(),
            summary: json!({
                "evidence_id": evidence.id,
                "file_name": evidence.file_name,
                "content_type": evidence.content_type,
                "size": evidence.size,
                "sha256": evidence.sha256,
                "encrypted": evidence.sealed_key_id.is_some(),
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let row = sqlx::query("SELECT * FROM evidence WHERE id = ?")
            .bind(evidence.id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        let record = evidence_from_row(&row).map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }

    async fn claim_evidence(&self, claim: ClaimId) -> Result<Vec<EvidenceRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM evidence WHERE claim_id = ? ORDER BY id")
            .bind(claim.0)
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| evidence_from_row(r).map_err(map_err))
            .collect()
    }

    async fn evidence(&self, id: EvidenceId) -> Result<EvidenceRecord, StoreError> {
        let row = sqlx::query("SELECT * FROM evidence WHERE id = ?")
            .bind(id.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        evidence_from_row(&row).map_err(map_err)
    }

    async fn evidence_hashes(&self, claim: ClaimId) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT DISTINCT sha256 FROM evidence WHERE claim_id = ? ORDER BY sha256",
        )
        .bind(claim.0)
        .fetch_all(self.reader())
        .await
        .map_err(map_err)
    }
}
