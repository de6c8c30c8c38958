use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use register::{ClaimId, DuplicateFlagId};
use serde_json::json;
use sqlx::{Postgres, Row, Transaction};
use store::cases::{JobId, JobRecord};
use store::imports::{IMPORT_JOB_KIND, ImportJob, ImportOutcome, ImportReject, ImportRow};
use store::reports::{CountDims, month_of};
use store::{AuditContext, CaseStore, Change, ImportStore, StoreError};
use uuid::Uuid;

impl PostgresStore {
    async fn renew_import_lease(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        job: &ImportJob,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET leased_until = $1, updated_at = $2 \
             WHERE id = $3 AND leased_by = $4 AND status = 'running'",
        )
        .bind(now + job.lease)
        .bind(now)
        .bind(job.id.0)
        .bind(&job.worker)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "job {} is not leased by {}",
                job.id, job.worker
            )));
        }
        Ok(())
    }
}

#[async_trait]
impl ImportStore for PostgresStore {
    async fn import_claims(
        &self,
        ctx: &AuditContext,
        job: Option<&ImportJob>,
        rows: Vec<ImportRow>,
        rejects: Vec<ImportReject>,
    ) -> Result<Vec<ImportOutcome>, StoreError> {
        let now = self.now();
        let now_text = now;
        let mut tx = self.begin().await?;
        if let Some(job) = job {
            self.renew_import_lease(&mut tx, job).await?;
        }
        // First the markers: the unique external id decides which rows are new.
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut fresh = Vec::with_capacity(rows.len());
        for row in &rows {
            let done = sqlx::query(
                "INSERT INTO imported_claims (external_id, claim_id, job_id, imported_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(&row.external_id)
            .bind(row.id.0)
            .bind(job.map(|j| j.id.0))
            .bind(now_text)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if done.rows_affected() == 1 {
                fresh.push(true);
                outcomes.push(None);
            } else {
                let id: Uuid = sqlx::query_scalar(
                    "SELECT claim_id FROM imported_claims WHERE external_id = $1",
                )
                .bind(&row.external_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
                fresh.push(false);
                outcomes.push(Some(ImportOutcome::AlreadyImported {
                    id: ClaimId::from_uuid(id),
                }));
            }
        }
        // Consecutive reference numbers for the new submitted rows, from one
        // bump of the year's counter.
        let submitted = rows
            .iter()
            .zip(&fresh)
            .filter(|(r, f)| **f && r.submission.is_some())
            .count();
        let year = now.year();
        let mut next_seq = 0_i64;
        if submitted > 0 {
            let n = i64::try_from(submitted).map_err(StoreError::internal)?;
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO reference_counters (year, last) VALUES ($1, $2) \
                 ON CONFLICT (year) DO UPDATE SET last = reference_counters.last + excluded.last RETURNING last",
            )
            .bind(year)
            .bind(n)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
            next_seq = last - n + 1;
        }
        let mut imported = 0_i64;
        // Claims added to each cell of `claim_counts`, written once per cell.
        let mut counted = std::collections::BTreeMap::<CountDims, i64>::new();
        for ((row, is_new), outcome) in rows.into_iter().zip(fresh).zip(outcomes.iter_mut()) {
            if !is_new {
                continue;
            }
            imported += 1;
            let reference = if row.submission.is_some() {
                let r = register::ReferenceNumber::new(
                    u16::try_from(year).map_err(StoreError::internal)?,
                    u64::try_from(next_seq).map_err(StoreError::internal)?,
                )
                .ok_or_else(|| {
                    StoreError::internal(std::io::Error::other("reference number out of range"))
                })?
                .to_string();
                next_seq += 1;
                Some(r)
            } else {
                None
            };
            let c = &row.draft.columns;
            let keys_json = row
                .submission
                .as_ref()
                .map(|s| serde_json::to_value(&s.keys))
                .transpose()
                .map_err(StoreError::internal)?;
            let flagged = row.submission.as_ref().is_some_and(|s| !s.flags.is_empty());
            sqlx::query(
                "INSERT INTO claims (id, filed_by, status, category, sensitive, content, sealed, sealed_key_id, \
                 claimant_name, claimant_search, claimant_key, region, incident_from, incident_to, totals, \
                 reference, submitted_at, duplicate_keys, duplicate_flagged, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
            )
            .bind(row.id.0)
            .bind(row.filed_by.0)
            .bind(if reference.is_some() { "submitted" } else { "draft" })
            .bind(&c.category)
            .bind(c.sensitive)
            .bind(&row.draft.content)
            .bind(row.draft.sealed.as_ref().map(|s| s.bytes.clone()))
            .bind(row.draft.sealed.as_ref().map(|s| s.key_id.clone()))
            .bind(&c.claimant_name)
            .bind(&c.claimant_search)
            .bind(&c.claimant_key)
            .bind(&c.region)
            .bind(c.incident_from)
            .bind(c.incident_to)
            .bind(&c.totals)
            .bind(&reference)
            .bind(reference.as_ref().map(|_| now_text))
            .bind(keys_json)
            .bind(flagged)
            .bind(now_text)
            .bind(now_text)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            *counted
                .entry(CountDims {
                    status: if reference.is_some() {
                        "submitted"
                    } else {
                        "draft"
                    }
                    .into(),
                    category: c.category.clone().unwrap_or_default(),
                    region: c.region.clone().unwrap_or_default(),
                    month: if reference.is_some() {
                        month_of(now)
                    } else {
                        String::new()
                    },
                })
                .or_default() += 1;
            if let Some(submission) = &row.submission {
                for key in submission.keys.index_keys() {
                    sqlx::query(
                        "INSERT INTO claim_keys (key, claim_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(key)
                    .bind(row.id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                }
                for flag in &submission.flags {
                    sqlx::query(
                        "INSERT INTO duplicate_flags (id, claim_id, other_claim_id, reason, matched, raised_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(DuplicateFlagId::new().0)
                    .bind(row.id.0)
                    .bind(flag.other_claim.0)
                    .bind(
                        serde_json::to_value(flag.reason)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned)),
                    )
                    .bind(&flag.matched)
                    .bind(now_text)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    sqlx::query("UPDATE claims SET duplicate_flagged = true WHERE id = $1")
                        .bind(flag.other_claim.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                }
            }
            let change = Change {
                action: "claim.imported",
                target_type: "claim",
                target_id: row.id.to_string(),
                summary: json!({
                    "external_id": row.external_id,
                    "category": c.category,
                    "sensitive": c.sensitive,
                    "reference": reference,
                    "job": job.map(|j| j.id.to_string()),
                }),
            };
            self.audit(&mut tx, ctx, change).await?;
            *outcome = Some(ImportOutcome::Imported {
                id: row.id,
                reference,
            });
        }
        for (dims, n) in &counted {
            crate::reports::add_count(&mut tx, dims, *n).await?;
        }
        if let Some(job) = job {
            for r in &rejects {
                sqlx::query(
                    "INSERT INTO import_rejects (job_id, line, field, code, message) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(job.id.0)
                .bind(i64::try_from(r.line).unwrap_or(i64::MAX))
                .bind(&r.field)
                .bind(&r.code)
                .bind(&r.message)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
            let read = i64::try_from(outcomes.len() + rejects.len()).unwrap_or(i64::MAX);
            let skipped = i64::try_from(outcomes.len()).unwrap_or(i64::MAX) - imported;
            let rejected = i64::try_from(rejects.len()).unwrap_or(i64::MAX);
            sqlx::query(
                "UPDATE jobs SET processed = processed + $1, total = total + $2, assessed = assessed + $3, \
                 routed_individual = routed_individual + $4, failed = failed + $5, chunks = chunks + 1 \
                 WHERE id = $6",
            )
            .bind(read)
            .bind(read)
            .bind(imported)
            .bind(skipped)
            .bind(rejected)
            .bind(job.id.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(outcomes.into_iter().flatten().collect())
    }

    async fn create_import_job(
        &self,
        ctx: &AuditContext,
        worker: &str,
        lease: time::Duration,
    ) -> Result<JobRecord, StoreError> {
        let id = JobId::new();
        let now = self.now();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO jobs (id, kind, subject_id, status, leased_by, leased_until, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(IMPORT_JOB_KIND)
        .bind(id.0)
        .bind(worker)
        .bind(now + lease)
        .bind(ctx.actor.map(|a| a.0))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "import.started",
            target_type: "job",
            target_id: id.to_string(),
            summary: json!({ "kind": IMPORT_JOB_KIND }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        self.job(id).await
    }

    async fn finish_import_job(&self, job: &ImportJob) -> Result<JobRecord, StoreError> {
        let now = self.now();
        let mut tx = self.begin().await?;
        self.renew_import_lease(&mut tx, job).await?;
        sqlx::query(
            "UPDATE jobs SET status = 'completed', finished_at = $1, updated_at = $2, \
             leased_by = NULL, leased_until = NULL WHERE id = $3",
        )
        .bind(now)
        .bind(now)
        .bind(job.id.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let row = sqlx::query(
            "SELECT processed, assessed, routed_individual, failed, created_by FROM jobs WHERE id = $1",
        )
        .bind(job.id.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let ctx = AuditContext {
            actor: row
                .try_get::<Option<Uuid>, _>("created_by")
                .map_err(map_err)?
                .map(Into::into),
            actor_role: Some("job".into()),
            reason: Some(format!("job {}", job.id)),
            ..AuditContext::default()
        };
        let change = Change {
            action: "import.completed",
            target_type: "job",
            target_id: job.id.to_string(),
            summary: json!({
                "read": row.try_get::<i64, _>("processed").map_err(map_err)?,
                "imported": row.try_get::<i64, _>("assessed").map_err(map_err)?,
                "skipped": row.try_get::<i64, _>("routed_individual").map_err(map_err)?,
                "rejected": row.try_get::<i64, _>("failed").map_err(map_err)?,
            }),
        };
        self.audit(&mut tx, &ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        self.job(job.id).await
    }

    async fn import_rejects(
        &self,
        job: JobId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, ImportReject)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, line, field, code, message FROM import_rejects \
             WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(job.0)
        .bind(after.unwrap_or(0))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64, _>("id")?,
                    ImportReject {
                        line: u64::try_from(r.try_get::<i64, _>("line")?).unwrap_or(0),
                        external_id: None,
                        field: r.try_get("field")?,
                        code: r.try_get("code")?,
                        message: r.try_get("message")?,
                    },
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    async fn award_ids(
        &self,
        after: Option<commission::AwardId>,
        limit: u32,
    ) -> Result<Vec<commission::AwardId>, StoreError> {
        let ids: Vec<Uuid> = match after {
            Some(after) => {
                sqlx::query_scalar("SELECT id FROM awards WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after.0)
                    .bind(i64::from(limit))
                    .fetch_all(self.pool())
                    .await
            }
            None => {
                sqlx::query_scalar("SELECT id FROM awards ORDER BY id LIMIT $1")
                    .bind(i64::from(limit))
                    .fetch_all(self.pool())
                    .await
            }
        }
        .map_err(map_err)?;
        Ok(ids
            .into_iter()
            .map(commission::AwardId::from_uuid)
            .collect())
    }
}
