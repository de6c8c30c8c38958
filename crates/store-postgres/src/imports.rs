use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use register::{ClaimId, DuplicateFlagId};
use serde_json::json;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};
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
        skipped_before: u64,
    ) -> Result<Vec<ImportOutcome>, StoreError> {
        // Claims have 23 columns: 1,000 rows per insert stay under
        // PostgreSQL's 65,535 bound parameters.
        const ROWS_PER_INSERT: usize = 1000;
        let now = self.now();
        let mut tx = self.begin().await?;
        if let Some(job) = job {
            self.renew_import_lease(&mut tx, job).await?;
        }
        // First the markers: the unique external id decides which rows are
        // new (another import may have stored some since they were checked).
        let mut new_ids = std::collections::HashSet::with_capacity(rows.len());
        for part in rows.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO imported_claims (external_id, claim_id, job_id, imported_at) ",
            );
            q.push_values(part, |mut b, row| {
                b.push_bind(row.external_id.clone())
                    .push_bind(row.id.0)
                    .push_bind(job.map(|j| j.id.0))
                    .push_bind(now);
            });
            q.push(" ON CONFLICT DO NOTHING RETURNING claim_id");
            let ids: Vec<Uuid> = q
                .build_query_scalar()
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
            new_ids.extend(ids);
        }
        let fresh: Vec<bool> = rows.iter().map(|r| new_ids.contains(&r.id.0)).collect();
        let mut earlier = std::collections::HashMap::new();
        let known: Vec<&str> = rows
            .iter()
            .zip(&fresh)
            .filter(|(_, f)| !**f)
            .map(|(r, _)| r.external_id.as_str())
            .collect();
        for part in known.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Postgres>::new(
                "SELECT external_id, claim_id FROM imported_claims WHERE external_id IN (",
            );
            let mut sep = q.separated(", ");
            for id in part {
                sep.push_bind(*id);
            }
            q.push(")");
            for r in q.build().fetch_all(&mut *tx).await.map_err(map_err)? {
                let ext: String = r.try_get("external_id").map_err(map_err)?;
                let id: Uuid = r.try_get("claim_id").map_err(map_err)?;
                earlier.insert(ext, ClaimId::from_uuid(id));
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
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut new_rows = Vec::with_capacity(rows.len());
        for (row, is_new) in rows.into_iter().zip(fresh) {
            if !is_new {
                let id = earlier.get(&row.external_id).copied().ok_or_else(|| {
                    StoreError::internal(std::io::Error::other(
                        "an import marker vanished inside its transaction",
                    ))
                })?;
                outcomes.push(ImportOutcome::AlreadyImported { id });
                continue;
            }
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
            let keys_json = row
                .submission
                .as_ref()
                .map(|s| serde_json::to_value(&s.keys))
                .transpose()
                .map_err(StoreError::internal)?;
            outcomes.push(ImportOutcome::Imported {
                id: row.id,
                reference: reference.clone(),
            });
            new_rows.push((row, reference, keys_json));
        }
        let imported = i64::try_from(new_rows.len()).map_err(StoreError::internal)?;
        for part in new_rows.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO claims (id, filed_by, status, category, sensitive, content, sealed, sealed_key_id, \
                 claimant_name, claimant_search, claimant_key, region, incident_from, incident_to, totals, \
                 reference, submitted_at, duplicate_keys, duplicate_flagged, created_at, updated_at, \
                 contact_email, language) ",
            );
            q.push_values(part, |mut b, (row, reference, keys_json)| {
                let c = &row.draft.columns;
                let flagged = row.submission.as_ref().is_some_and(|s| !s.flags.is_empty());
                b.push_bind(row.id.0)
                    .push_bind(row.filed_by.0)
                    .push_bind(if reference.is_some() {
                        "submitted"
                    } else {
                        "draft"
                    })
                    .push_bind(c.category.clone())
                    .push_bind(c.sensitive)
                    .push_bind(row.draft.content.clone())
                    .push_bind(row.draft.sealed.as_ref().map(|s| s.bytes.clone()))
                    .push_bind(row.draft.sealed.as_ref().map(|s| s.key_id.clone()))
                    .push_bind(c.claimant_name.clone())
                    .push_bind(c.claimant_search.clone())
                    .push_bind(c.claimant_key.clone())
                    .push_bind(c.region.clone())
                    .push_bind(c.incident_from)
                    .push_bind(c.incident_to)
                    .push_bind(c.totals.clone())
                    .push_bind(reference.clone())
                    .push_bind(reference.as_ref().map(|_| now))
                    .push_bind(keys_json.clone())
                    .push_bind(flagged)
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(c.contact_email.clone())
                    .push_bind(c.language.code());
            });
            q.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        let keys: Vec<(String, Uuid)> = new_rows
            .iter()
            .filter_map(|(row, _, _)| row.submission.as_ref().map(|s| (row.id, s)))
            .flat_map(|(id, s)| s.keys.index_keys().into_iter().map(move |k| (k, id.0)))
            .collect();
        // One statement text whatever the number of keys (a VALUES list of
        // each length was parsed and planned anew), one round trip.
        if !keys.is_empty() {
            let (key, claim): (Vec<String>, Vec<Uuid>) = keys.into_iter().unzip();
            sqlx::query(
                "INSERT INTO claim_keys (key, claim_id) \
                 SELECT * FROM UNNEST($1::text[], $2::uuid[]) ON CONFLICT DO NOTHING",
            )
            .bind(key)
            .bind(claim)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        // Claims added to each cell of `claim_counts`, written once per cell.
        let mut counted = std::collections::BTreeMap::<CountDims, i64>::new();
        let mut changes = Vec::with_capacity(new_rows.len());
        let mut flags: Vec<(Uuid, Uuid, Uuid, Option<String>, String)> = Vec::new();
        for (row, reference, _) in &new_rows {
            let c = &row.draft.columns;
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
            for flag in row.submission.iter().flat_map(|s| &s.flags) {
                flags.push((
                    DuplicateFlagId::new().0,
                    row.id.0,
                    flag.other_claim.0,
                    serde_json::to_value(flag.reason)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned)),
                    flag.matched.clone(),
                ));
            }
            changes.push(Change {
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
            });
        }
        // Duplicate flags, and the mark on the claims they point at, in
        // multi-row statements: an import of many near-identical rows
        // raises several flags per claim.
        for part in flags.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO duplicate_flags (id, claim_id, other_claim_id, reason, matched, raised_at) ",
            );
            q.push_values(part, |mut b, f| {
                b.push_bind(f.0)
                    .push_bind(f.1)
                    .push_bind(f.2)
                    .push_bind(f.3.clone())
                    .push_bind(f.4.clone())
                    .push_bind(now);
            });
            q.build().execute(&mut *tx).await.map_err(map_err)?;
            // Claims flagged already are not locked again; the rest are
            // locked in index order, as submissions lock them.
            sqlx::query(
                "UPDATE claims SET duplicate_flagged = true WHERE id = ANY($1) AND NOT duplicate_flagged",
            )
                .bind(part.iter().map(|f| f.2).collect::<Vec<_>>())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        crate::reports::add_counts(&mut tx, &counted).await?;
        if let Some(job) = job {
            for part in rejects.chunks(ROWS_PER_INSERT) {
                let mut q = QueryBuilder::<Postgres>::new(
                    "INSERT INTO import_rejects (job_id, line, field, code, message) ",
                );
                q.push_values(part, |mut b, r| {
                    b.push_bind(job.id.0)
                        .push_bind(i64::try_from(r.line).unwrap_or(i64::MAX))
                        .push_bind(r.field.clone())
                        .push_bind(r.code.clone())
                        .push_bind(r.message.clone());
                });
                q.build().execute(&mut *tx).await.map_err(map_err)?;
            }
            let before = i64::try_from(skipped_before).unwrap_or(i64::MAX);
            let read = i64::try_from(outcomes.len() + rejects.len()).unwrap_or(i64::MAX) + before;
            let skipped = i64::try_from(outcomes.len()).unwrap_or(i64::MAX) - imported + before;
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
        // Last, so the chain head is taken only for the end of the chunk.
        self.audit_many(&mut tx, ctx, changes).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(outcomes)
    }

    async fn already_imported(
        &self,
        external_ids: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        if external_ids.is_empty() {
            return Ok(std::collections::HashSet::new());
        }
        let found: Vec<String> = sqlx::query_scalar(
            "SELECT external_id FROM imported_claims WHERE external_id = ANY($1)",
        )
        .bind(external_ids)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        Ok(found.into_iter().collect())
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
