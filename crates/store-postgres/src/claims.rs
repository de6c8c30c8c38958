use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use kernel::id::AccountId;
use kernel::{Page, PageRequest};
use register::{Category, ClaimId, ClaimStatus, DuplicateFlagId, DuplicateKeys, Region};
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use store::claims::{
    CategoryRecord, ClaimChange, ClaimFilter, ClaimMessage, ClaimRecord, ClaimSummaryRecord,
    DraftContent, DuplicateFlagRecord, MessageKind, Sealed, Submission, Visibility,
};
use store::notifications::NoticeKind;
use store::reports::CountDims;
use store::{AuditContext, Change, ClaimStore, StoreError};
use uuid::Uuid;

fn json_col(row: &PgRow, name: &str) -> Result<Option<Value>, sqlx::Error> {
    row.try_get::<Option<Value>, _>(name)
}

fn status_of(text: &str) -> Result<ClaimStatus, sqlx::Error> {
    serde_json::from_value(Value::String(text.to_owned()))
        .map_err(|e| sqlx::Error::Decode(e.into()))
}

fn status_text(status: ClaimStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn claim_from_row(row: &PgRow) -> Result<ClaimRecord, sqlx::Error> {
    let sealed = match (
        row.try_get::<Option<Vec<u8>>, _>("sealed")?,
        row.try_get::<Option<String>, _>("sealed_key_id")?,
    ) {
        (Some(bytes), Some(key_id)) => Some(Sealed { key_id, bytes }),
        _ => None,
    };
    Ok(ClaimRecord {
        id: row.try_get::<Uuid, _>("id")?.into(),
        filed_by: row.try_get::<Uuid, _>("filed_by")?.into(),
        status: status_of(&row.try_get::<String, _>("status")?)?,
        category: row.try_get("category")?,
        reference: row.try_get("reference")?,
        sensitive: row.try_get("sensitive")?,
        content: json_col(row, "content")?.unwrap_or(Value::Null),
        sealed,
        claimant_name: row.try_get("claimant_name")?,
        region: row.try_get("region")?,
        totals: json_col(row, "totals")?.unwrap_or_else(|| json!([])),
        duplicate_flagged: row.try_get("duplicate_flagged")?,
        recommendation: json_col(row, "recommendation")?,
        decision: json_col(row, "decision")?,
        submitted_at: row.try_get("submitted_at")?,
        decided_at: row.try_get("decided_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn flag_from_row(row: &PgRow) -> Result<DuplicateFlagRecord, sqlx::Error> {
    Ok(DuplicateFlagRecord {
        id: row.try_get::<Uuid, _>("id")?.into(),
        claim: row.try_get::<Uuid, _>("claim_id")?.into(),
        other_claim: row.try_get::<Uuid, _>("other_claim_id")?.into(),
        reason: row.try_get("reason")?,
        matched: row.try_get("matched")?,
        raised_at: row.try_get("raised_at")?,
        outcome: row.try_get("outcome")?,
        resolution_reason: row.try_get("resolution_reason")?,
        resolved_by: row
            .try_get::<Option<Uuid>, _>("resolved_by")?
            .map(Into::into),
        resolved_at: row.try_get("resolved_at")?,
        claim_sensitive: row.try_get("claim_sensitive")?,
        other_claim_sensitive: row.try_get("other_claim_sensitive")?,
    })
}

/// A flag with the sensitivity of both its claims.
const FLAG_SELECT: &str = "SELECT f.*, c.sensitive AS claim_sensitive, \
    o.sensitive AS other_claim_sensitive FROM duplicate_flags f \
    JOIN claims c ON c.id = f.claim_id JOIN claims o ON o.id = f.other_claim_id";

fn category_from_row(row: &PgRow) -> Result<CategoryRecord, sqlx::Error> {
    let definition: Value = row.try_get("definition")?;
    Ok(CategoryRecord {
        category: serde_json::from_value(definition).map_err(|e| sqlx::Error::Decode(e.into()))?,
        version: row.try_get("version")?,
    })
}

impl PostgresStore {
    async fn load_claim<'e, E>(executor: E, id: ClaimId) -> Result<ClaimRecord, StoreError>
    where
        E: sqlx::Executor<'e, Database = Postgres>,
    {
        let row = sqlx::query("SELECT * FROM claims WHERE id = $1")
            .bind(id.0)
            .fetch_one(executor)
            .await
            .map_err(map_err)?;
        claim_from_row(&row).map_err(map_err)
    }

    /// The next number of `year`'s reference sequence: one statement that
    /// commits on its own, on a connection that does not wait for the WAL
    /// flush (`synchronous_commit = off`), so that the counter row is
    /// locked for microseconds rather than across a submission's commit,
    /// which would let only one submission reach the disk at a time.
    ///
    /// That is safe because a number only counts once a submission using it
    /// commits, and that commit's flush carries this earlier one with it. A
    /// crash can lose an increment only when no submission that used it
    /// committed. Numbers stay unique and increasing; a submission that
    /// fails after drawing one leaves a gap.
    async fn next_reference(&self, year: i32) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO reference_counters (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = reference_counters.last + 1 RETURNING last",
        )
        .bind(year)
        .fetch_one(self.unflushed())
        .await
        .map_err(map_err)
    }
}

/// The key's record of a request whose answer is kept with its change.
struct KeyRecord {
    account: Option<Uuid>,
    key: Option<String>,
    fingerprint: Option<Vec<u8>>,
    status: Option<i16>,
    headers: Option<Value>,
    body: Option<Vec<u8>>,
    expires_at: Option<time::OffsetDateTime>,
}

impl KeyRecord {
    fn none() -> Self {
        Self {
            account: None,
            key: None,
            fingerprint: None,
            status: None,
            headers: None,
            body: None,
            expires_at: None,
        }
    }

    fn of(
        answer: Option<&store::KeptAnswer<'_, ClaimRecord>>,
        record: &ClaimRecord,
    ) -> Result<Self, StoreError> {
        let Some(answer) = answer else {
            return Ok(Self::none());
        };
        let response = (answer.render)(record)?;
        Ok(Self {
            account: Some(answer.account.0),
            key: Some(answer.key.to_owned()),
            fingerprint: Some(answer.fingerprint.to_vec()),
            status: Some(i16::try_from(response.status).map_err(StoreError::internal)?),
            headers: Some(store::KeptAnswer::<ClaimRecord>::headers_json(&response)),
            body: Some(response.body),
            expires_at: Some(answer.expires_at()),
        })
    }
}

/// Filing a claim, one statement: the key's record (if the answer is kept
/// with the change; the claim goes in only if the key was not recorded
/// before), the claim (unless this key filed one already), its audit
/// entry, the key's effect (when the key was taken beforehand) and the
/// count. $1-$19 the claim, $20-$31 the audit entry, $32-$38 the key.
const CREATE_CLAIM: &str = "WITH prior AS ( \
       SELECT id FROM claims WHERE $18::text IS NOT NULL AND filed_by = $2 AND idempotency_key = $18), \
     kept AS ( \
       INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, state, response_status, \
         response_headers, response_body, created_at, locked_until, expires_at, effect_type, effect_id) \
       SELECT $32, $33, $34, 'completed', $35, $36, $37, $16, $16, $38, 'claim', $1::text \
       WHERE $33::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM prior) \
       ON CONFLICT DO NOTHING RETURNING 1), \
     claim AS ( \
       INSERT INTO claims (id, filed_by, status, category, sensitive, content, sealed, sealed_key_id, \
         claimant_name, claimant_search, claimant_key, region, incident_from, incident_to, totals, created_at, \
         updated_at, idempotency_key, contact_email, language) \
       SELECT $1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $16, $16, $18, $19, $15 \
       WHERE NOT EXISTS (SELECT 1 FROM prior) AND ($33::text IS NULL OR EXISTS (SELECT 1 FROM kept)) \
       RETURNING id), \
     audit AS ( \
       INSERT INTO audit_log (id, at, actor, actor_role, on_behalf_of, action, target_type, target_id, \
         summary, reason, request_id, idempotency_key) \
       SELECT $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31 FROM claim), \
     effect AS ( \
       UPDATE idempotency_keys SET effect_type = 'claim', effect_id = $1::text \
       WHERE account_id = $22 AND idempotency_key = $31 AND state = 'in_flight' AND effect_type IS NULL \
         AND EXISTS (SELECT 1 FROM claim)), \
     counts AS ( \
       INSERT INTO claim_counts (status, category, region, month, count, shard) \
       SELECT 'draft', coalesce($3, ''), coalesce($11, ''), '', 1, pg_backend_pid() % 16 FROM claim \
       ON CONFLICT (status, category, region, month, shard) \
       DO UPDATE SET count = claim_counts.count + excluded.count) \
     SELECT (SELECT count(*) FROM claim) AS created, (SELECT id FROM prior) AS prior";

/// Submitting a claim without duplicate flags, one statement: the status
/// change with the version check, the lookup keys, the audit entry, the
/// webhook event and its deliveries, the claimant's notice, the counts, and
/// the key's record or effect. If the key's record cannot go in (recorded
/// before), the statement aborts itself (`redress_abort`) and nothing of it
/// stands. $1 id, $2 expected version, $3 reference, $4 now, $5 keys JSON,
/// $6 flagged, $7 index keys, $8-$19 the audit entry, $20-$22 the webhook
/// event (id, payload, sensitive), $23 notice id, $24-$28 count cells,
/// $29-$35 the key.
const SUBMIT_CLAIM: &str = "WITH upd AS ( \
       UPDATE claims SET status = 'submitted', reference = $3, submitted_at = $4, updated_at = $4, \
         duplicate_keys = $5, duplicate_flagged = $6, version = version + 1 \
       WHERE id = $1 AND status = 'draft' AND version = $2 \
       RETURNING id, email_notices, contact_email, language), \
     kept AS ( \
       INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, state, response_status, \
         response_headers, response_body, created_at, locked_until, expires_at, effect_type, effect_id) \
       SELECT $29, $30, $31, 'completed', $32, $33, $34, $4, $4, $35, 'claim', $1::text FROM upd \
       WHERE $30::text IS NOT NULL ON CONFLICT DO NOTHING RETURNING 1), \
     keys AS ( \
       INSERT INTO claim_keys (key, claim_id) SELECT k, $1 FROM unnest($7::text[]) AS k \
       WHERE EXISTS (SELECT 1 FROM upd) ON CONFLICT DO NOTHING), \
     audit AS ( \
       INSERT INTO audit_log (id, at, actor, actor_role, on_behalf_of, action, target_type, target_id, \
         summary, reason, request_id, idempotency_key) \
       SELECT $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19 FROM upd), \
     effect AS ( \
       UPDATE idempotency_keys SET effect_type = 'claim', effect_id = $1::text \
       WHERE account_id = $10 AND idempotency_key = $19 AND state = 'in_flight' AND effect_type IS NULL \
         AND EXISTS (SELECT 1 FROM upd)), \
     event AS ( \
       INSERT INTO webhook_events (id, event_type, payload, created_at) \
       SELECT $20, 'claim.submitted', $21, $4 FROM upd RETURNING id), \
     deliveries AS ( \
       INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at) \
       SELECT ev.id, s.id, $4, $4 FROM event ev, webhook_subscription_events e \
       JOIN webhook_subscriptions s ON s.id = e.subscription_id \
       WHERE e.event_type = 'claim.submitted' AND s.enabled AND (NOT $22 OR s.include_sensitive)), \
     notice AS ( \
       INSERT INTO notices (id, claim_id, recipient, language, kind, reference, created_at, next_attempt_at) \
       SELECT $23, id, contact_email, language, 'submitted', $3, $4, $4 FROM upd \
       WHERE email_notices AND contact_email IS NOT NULL), \
     counts AS ( \
       INSERT INTO claim_counts (status, category, region, month, count, shard) \
       SELECT s, c, r, m, n, pg_backend_pid() % 16 \
       FROM unnest($24::text[], $25::text[], $26::text[], $27::text[], $28::bigint[]) \
         WITH ORDINALITY AS t(s, c, r, m, n, o) \
       WHERE EXISTS (SELECT 1 FROM upd) ORDER BY o \
       ON CONFLICT (status, category, region, month, shard) \
       DO UPDATE SET count = claim_counts.count + excluded.count) \
     SELECT CASE WHEN $30::text IS NOT NULL AND (SELECT count(*) FROM upd) <> (SELECT count(*) FROM kept) \
       THEN redress_abort('the idempotency key was recorded before') \
       ELSE (SELECT count(*) FROM upd)::integer END AS submitted";

impl PostgresStore {
    /// A submission's duplicate flags, and the earlier claims marked as
    /// probable duplicates too. Each earlier claim is locked only if it was
    /// not flagged already, and in id order, so that two submissions
    /// flagging overlapping sets of earlier claims cannot deadlock on them.
    async fn flag_duplicates(
        tx: &mut sqlx::Transaction<'static, Postgres>,
        id: ClaimId,
        submission: &Submission,
        now: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        for flag in &submission.flags {
            sqlx::query(
                "INSERT INTO duplicate_flags (id, claim_id, other_claim_id, reason, matched, raised_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(DuplicateFlagId::new().0)
            .bind(id.0)
            .bind(flag.other_claim.0)
            .bind(serde_json::to_value(flag.reason).ok().and_then(|v| v.as_str().map(str::to_owned)))
            .bind(&flag.matched)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        }
        let mut others: Vec<Uuid> = submission.flags.iter().map(|f| f.other_claim.0).collect();
        others.sort_unstable();
        others.dedup();
        for other in others {
            sqlx::query(
                "UPDATE claims SET duplicate_flagged = true WHERE id = $1 AND NOT duplicate_flagged",
            )
            .bind(other)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        }
        Ok(())
    }
}

#[async_trait]
impl ClaimStore for PostgresStore {
    fn catalogue_epoch(&self) -> Option<store::ChangeEpoch> {
        PostgresStore::catalogue_epoch(self)
    }

    async fn seed_catalogue(
        &self,
        categories: &[Category],
        regions: &[Region],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let mut seeded = Vec::new();
        for c in categories {
            let definition = serde_json::to_value(c).map_err(StoreError::internal)?;
            let done = sqlx::query(
                "INSERT INTO categories (code, definition, updated_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(c.code.as_str())
            .bind(definition)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if done.rows_affected() == 1 {
                seeded.push(c.code.as_str().to_owned());
            }
        }
        for r in regions {
            sqlx::query("INSERT INTO regions (code, name_en, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(r.code.as_str())
                .bind(&r.name_en)
                .bind(serde_json::to_value(r.kind).ok().and_then(|v| v.as_str().map(str::to_owned)))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        if !seeded.is_empty() {
            let change = Change {
                action: "catalogue.seeded",
                target_type: "catalogue",
                target_id: "categories".into(),
                summary: json!({ "categories": seeded }),
            };
            self.audit(&mut tx, &AuditContext::system(), change).await?;
        }
        tx.commit().await.map_err(map_err)?;
        self.catalogue_changed();
        Ok(())
    }

    async fn categories(&self) -> Result<Vec<CategoryRecord>, StoreError> {
        let rows = sqlx::query("SELECT definition, version FROM categories ORDER BY code")
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(category_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn category(&self, code: &str) -> Result<CategoryRecord, StoreError> {
        let row = sqlx::query("SELECT definition, version FROM categories WHERE code = $1")
            .bind(code)
            .fetch_one(self.pool())
            .await
            .map_err(map_err)?;
        category_from_row(&row).map_err(map_err)
    }

    async fn put_category(
        &self,
        ctx: &AuditContext,
        category: &Category,
        expected_version: Option<i64>,
    ) -> Result<CategoryRecord, StoreError> {
        let definition = serde_json::to_value(category).map_err(StoreError::internal)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let done = match expected_version {
            None => sqlx::query(
                "INSERT INTO categories (code, definition, updated_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(category.code.as_str())
            .bind(&definition)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?,
            Some(v) => sqlx::query(
                "UPDATE categories SET definition = $1, updated_at = $2, version = version + 1 \
                 WHERE code = $3 AND version = $4",
            )
            .bind(&definition)
            .bind(now)
            .bind(category.code.as_str())
            .bind(v)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?,
        };
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "category {} exists already or has changed",
                category.code.as_str()
            )));
        }
        let change = Change {
            action: if expected_version.is_some() {
                "category.updated"
            } else {
                "category.created"
            },
            target_type: "category",
            target_id: category.code.as_str().to_owned(),
            summary: serde_json::to_value(category).unwrap_or(Value::Null),
        };
        self.audit(&mut tx, ctx, change).await?;
        let row = sqlx::query("SELECT definition, version FROM categories WHERE code = $1")
            .bind(category.code.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        self.catalogue_changed();
        category_from_row(&row).map_err(map_err)
    }

    async fn regions(&self) -> Result<Vec<Region>, StoreError> {
        let rows = sqlx::query("SELECT code, name_en, kind FROM regions ORDER BY code")
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let value = json!({
                    "code": r.try_get::<String, _>("code")?,
                    "name_en": r.try_get::<String, _>("name_en")?,
                    "kind": r.try_get::<String, _>("kind")?,
                });
                serde_json::from_value(value).map_err(|e| sqlx::Error::Decode(e.into()))
            })
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn create_claim(
        &self,
        ctx: &AuditContext,
        filed_by: AccountId,
        draft: DraftContent,
        answer: Option<&store::KeptAnswer<'_, ClaimRecord>>,
    ) -> Result<ClaimRecord, StoreError> {
        let id = ClaimId::new();
        let now = self.now();
        let c = draft.columns;
        // The claim as the statement writes it: what the answer is rendered
        // from, and what is returned.
        let claim = ClaimRecord {
            id,
            filed_by,
            status: ClaimStatus::Draft,
            category: c.category,
            reference: None,
            sensitive: c.sensitive,
            content: draft.content,
            sealed: draft.sealed,
            claimant_name: c.claimant_name,
            region: c.region,
            totals: c.totals,
            duplicate_flagged: false,
            recommendation: None,
            decision: None,
            submitted_at: None,
            decided_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let key = KeyRecord::of(answer, &claim)?;
        let entry = store::AuditEntry::new(
            ctx,
            Change {
                action: "claim.created",
                target_type: "claim",
                target_id: id.to_string(),
                summary: json!({ "category": claim.category, "sensitive": claim.sensitive }),
            },
            now,
        );
        let row = sqlx::query(CREATE_CLAIM)
            .bind(id.0)
            .bind(filed_by.0)
            .bind(&claim.category)
            .bind(claim.sensitive)
            .bind(&claim.content)
            .bind(claim.sealed.as_ref().map(|s| s.bytes.clone()))
            .bind(claim.sealed.as_ref().map(|s| s.key_id.clone()))
            .bind(&claim.claimant_name)
            .bind(&c.claimant_search)
            .bind(&c.claimant_key)
            .bind(&claim.region)
            .bind(c.incident_from)
            .bind(c.incident_to)
            .bind(&claim.totals)
            .bind(c.language.code())
            .bind(now)
            .bind(Option::<Uuid>::None)
            .bind(&ctx.idempotency_key)
            .bind(&c.contact_email)
            .bind(entry.id.0)
            .bind(entry.at)
            .bind(entry.actor.map(|a| a.0))
            .bind(&entry.actor_role)
            .bind(&entry.on_behalf_of)
            .bind(&entry.action)
            .bind(&entry.target_type)
            .bind(&entry.target_id)
            .bind(&entry.summary)
            .bind(&entry.reason)
            .bind(&entry.request_id)
            .bind(&entry.idempotency_key)
            .bind(key.account)
            .bind(&key.key)
            .bind(&key.fingerprint)
            .bind(key.status)
            .bind(&key.headers)
            .bind(&key.body)
            .bind(key.expires_at)
            .fetch_one(self.pool())
            .await
            .map_err(map_err)?;
        let created: i64 = row.try_get("created").map_err(map_err)?;
        let prior: Option<Uuid> = row.try_get("prior").map_err(map_err)?;
        match (created, prior) {
            (1, _) => Ok(claim),
            // The answer could not be kept with the change: the key decides.
            (_, _) if answer.is_some() => Err(StoreError::KeyTaken),
            // This key filed a claim already (its record since purged).
            (_, Some(prior)) => Self::load_claim(self.pool(), ClaimId(prior)).await,
            _ => Err(StoreError::internal(std::io::Error::other(
                "a claim without a key was not filed",
            ))),
        }
    }

    async fn claim(&self, id: ClaimId) -> Result<ClaimRecord, StoreError> {
        Self::load_claim(self.pool(), id).await
    }

    async fn update_draft(
        &self,
        ctx: &AuditContext,
        id: ClaimId,
        expected_version: i64,
        draft: DraftContent,
    ) -> Result<ClaimRecord, StoreError> {
        let mut tx = self.begin().await?;
        // The counted dimensions before the edit (locked until commit).
        let before: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT category, region FROM claims WHERE id = $1 AND status = 'draft' FOR UPDATE",
        )
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let c = &draft.columns;
        let done = sqlx::query(
            "UPDATE claims SET category = $1, sensitive = $2, content = $3, sealed = $4, sealed_key_id = $5, \
             claimant_name = $6, claimant_search = $7, claimant_key = $8, region = $9, incident_from = $10, incident_to = $11, \
             totals = $12, updated_at = $13, contact_email = $16, language = $17, version = version + 1 \
             WHERE id = $14 AND status = 'draft' AND version = $15",
        )
        .bind(&c.category)
        .bind(c.sensitive)
        .bind(&draft.content)
        .bind(draft.sealed.as_ref().map(|s| s.bytes.clone()))
        .bind(draft.sealed.as_ref().map(|s| s.key_id.clone()))
        .bind(&c.claimant_name)
        .bind(&c.claimant_search)
        .bind(&c.claimant_key)
        .bind(&c.region)
        .bind(c.incident_from)
        .bind(c.incident_to)
        .bind(&c.totals)
        .bind(self.now())
        .bind(id.0)
        .bind(expected_version)
        .bind(&c.contact_email)
        .bind(c.language.code())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            let current = Self::load_claim(&mut *tx, id).await?;
            return Err(StoreError::Conflict(format!(
                "claim is {} at version {}",
                status_text(current.status),
                current.version
            )));
        }
        let change = Change {
            action: "claim.draft_updated",
            target_type: "claim",
            target_id: id.to_string(),
            summary: json!({ "category": c.category }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let claim = Self::load_claim(&mut *tx, id).await?;
        if let Some((category, region)) = before {
            let before = CountDims {
                status: "draft".into(),
                category: category.unwrap_or_default(),
                region: region.unwrap_or_default(),
                month: String::new(),
            };
            crate::reports::bump_counts(&mut tx, Some(&before), Some(&CountDims::of(&claim)))
                .await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(claim)
    }

    async fn duplicate_candidates(
        &self,
        keys: &[String],
    ) -> Result<Vec<DuplicateKeys>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // A guard against a pathological key, not a page: it grows with
        // the keys asked about, so a bulk import's chunk gets as many
        // candidates per claim as a single submission.
        let limit = i64::try_from(keys.len())
            .unwrap_or(i64::MAX)
            .saturating_mul(100)
            .max(1000);
        // Two primary-key lookups rather than one statement: with statistics
        // that lag a fast-growing table (a bulk import, or a database that
        // was empty when the plan was cached), the planner would otherwise
        // scan or hash-join whole tables for a few keys. The second is sent
        // only when there are candidates, which is rare.
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT claim_id FROM claim_keys WHERE key = ANY($1) LIMIT $2",
        )
        .bind(keys)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT duplicate_keys FROM claims WHERE id = ANY($1) AND duplicate_keys IS NOT NULL",
        )
        .bind(&ids)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .filter_map(|r| json_col(r, "duplicate_keys").transpose())
            .map(|v| {
                v.and_then(|v| serde_json::from_value(v).map_err(|e| sqlx::Error::Decode(e.into())))
            })
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn submit_claim(
        &self,
        ctx: &AuditContext,
        current: &ClaimRecord,
        submission: Submission,
        answer: Option<&store::KeptAnswer<'_, ClaimRecord>>,
    ) -> Result<ClaimRecord, StoreError> {
        let id = current.id;
        let now = self.now();
        let year = now.year();
        let conflict = |status: ClaimStatus, version: i64| {
            StoreError::Conflict(format!(
                "claim is {} at version {version}",
                status_text(status)
            ))
        };
        // A claim that cannot be submitted does not use up a number.
        if current.status != ClaimStatus::Draft {
            return Err(conflict(current.status, current.version));
        }
        let seq = self.next_reference(year).await?;
        let reference = register::ReferenceNumber::new(
            u16::try_from(year).map_err(StoreError::internal)?,
            u64::try_from(seq).map_err(StoreError::internal)?,
        )
        .ok_or_else(|| {
            StoreError::internal(std::io::Error::other("reference number out of range"))
        })?
        .to_string();
        // The claim as the statement leaves it (the version check makes sure
        // nothing else changed it since `current` was read).
        let mut claim = current.clone();
        claim.status = ClaimStatus::Submitted;
        claim.reference = Some(reference.clone());
        claim.submitted_at = Some(now);
        claim.updated_at = now;
        claim.duplicate_flagged = !submission.flags.is_empty();
        claim.version = current.version + 1;
        let key = KeyRecord::of(answer, &claim)?;
        let keys_json = serde_json::to_value(&submission.keys).map_err(StoreError::internal)?;
        let entry = store::AuditEntry::new(
            ctx,
            Change {
                action: "claim.submitted",
                target_type: "claim",
                target_id: id.to_string(),
                summary: json!({
                    "from": "draft",
                    "to": "submitted",
                    "reference": reference,
                    "duplicate_flags": submission.flags.len(),
                }),
            },
            now,
        );
        let event = crate::webhooks::event_payload(
            "claim.submitted",
            &json!({
                "claim_id": id, "reference": reference, "status": "submitted",
                "category": current.category, "region": current.region,
            }),
            now,
        );
        let mut cells = [(CountDims::of(current), -1_i64), (CountDims::of(&claim), 1)];
        cells.sort();
        let column = |f: fn(&CountDims) -> &String| -> Vec<&str> {
            cells.iter().map(|(d, _)| f(d).as_str()).collect()
        };
        let statement = sqlx::query(SUBMIT_CLAIM)
            .bind(id.0)
            .bind(current.version)
            .bind(&reference)
            .bind(now)
            .bind(keys_json)
            .bind(claim.duplicate_flagged)
            .bind(submission.keys.index_keys())
            .bind(entry.id.0)
            .bind(entry.at)
            .bind(entry.actor.map(|a| a.0))
            .bind(&entry.actor_role)
            .bind(&entry.on_behalf_of)
            .bind(&entry.action)
            .bind(&entry.target_type)
            .bind(&entry.target_id)
            .bind(&entry.summary)
            .bind(&entry.reason)
            .bind(&entry.request_id)
            .bind(&entry.idempotency_key)
            .bind(Uuid::now_v7())
            .bind(event)
            .bind(current.sensitive)
            .bind(Uuid::now_v7())
            .bind(column(|d| &d.status))
            .bind(column(|d| &d.category))
            .bind(column(|d| &d.region))
            .bind(column(|d| &d.month))
            .bind(cells.iter().map(|(_, n)| *n).collect::<Vec<i64>>())
            .bind(key.account)
            .bind(&key.key)
            .bind(&key.fingerprint)
            .bind(key.status)
            .bind(&key.headers)
            .bind(&key.body)
            .bind(key.expires_at);
        let submitted: i32 = if submission.flags.is_empty() {
            // One statement, committed on its own.
            statement
                .fetch_one(self.pool())
                .await
                .map_err(map_err)?
                .try_get("submitted")
                .map_err(map_err)?
        } else {
            // Flags: the earlier claims are marked too, in one transaction.
            let mut tx = self.begin().await?;
            Self::flag_duplicates(&mut tx, id, &submission, now).await?;
            let submitted = statement
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?
                .try_get("submitted")
                .map_err(map_err)?;
            if submitted == 1 {
                tx.commit().await.map_err(map_err)?;
            }
            submitted
        };
        if submitted == 1 {
            return Ok(claim);
        }
        if answer.is_some() {
            // Changed meanwhile, perhaps by a retry of this very request:
            // the key decides.
            return Err(StoreError::KeyTaken);
        }
        let now_is = Self::load_claim(self.pool(), id).await?;
        Err(conflict(now_is.status, now_is.version))
    }

    async fn claim_with_evidence_hashes(
        &self,
        id: ClaimId,
    ) -> Result<(ClaimRecord, Vec<String>), StoreError> {
        let row = sqlx::query(
            "SELECT c.*, ARRAY(SELECT DISTINCT e.sha256 FROM evidence e WHERE e.claim_id = c.id \
             ORDER BY 1) AS evidence_hashes FROM claims c WHERE c.id = $1",
        )
        .bind(id.0)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        let claim = claim_from_row(&row).map_err(map_err)?;
        let hashes: Vec<String> = row.try_get("evidence_hashes").map_err(map_err)?;
        Ok((claim, hashes))
    }

    async fn change_claim(
        &self,
        ctx: &AuditContext,
        id: ClaimId,
        expected_version: Option<i64>,
        change: ClaimChange,
    ) -> Result<ClaimRecord, StoreError> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let decided = matches!(change.to, ClaimStatus::Recorded | ClaimStatus::Rejected);
        let done = sqlx::query(
            "UPDATE claims SET status = $1, updated_at = $2, version = version + 1, \
             recommendation = COALESCE($3, recommendation), decision = COALESCE($4, decision), \
             decided_at = CASE WHEN $5::boolean THEN $2 ELSE decided_at END \
             WHERE id = $6 AND status = $7 AND ($8::bigint IS NULL OR version = $8)",
        )
        .bind(status_text(change.to))
        .bind(now)
        .bind(&change.recommendation)
        .bind(&change.decision)
        .bind(decided)
        .bind(id.0)
        .bind(status_text(change.from))
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            let current = Self::load_claim(&mut *tx, id).await?;
            return Err(StoreError::Conflict(format!(
                "claim is {} at version {}",
                status_text(current.status),
                current.version
            )));
        }
        if let Some((kind, text)) = &change.message {
            sqlx::query("INSERT INTO claim_messages (id, claim_id, kind, author, text, at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(Uuid::now_v7())
                .bind(id.0)
                .bind(match kind {
                    MessageKind::Request => "request",
                    MessageKind::Response => "response",
                })
                .bind(ctx.actor.map(|a| a.0).unwrap_or_default())
                .bind(text)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let audit = Change {
            action: change.action,
            target_type: "claim",
            target_id: id.to_string(),
            summary: json!({
                "from": status_text(change.from),
                "to": status_text(change.to),
                "recommendation": change.recommendation,
                "decision": change.decision,
                "message": change.message.as_ref().map(|(_, t)| t),
            }),
        };
        self.audit(&mut tx, ctx, audit).await?;
        if let Some(event_type) = store::webhooks::claim_event(change.to) {
            let event = json!({
                "claim_id": id, "from": status_text(change.from), "to": status_text(change.to),
            });
            let sensitive: bool = sqlx::query_scalar("SELECT sensitive FROM claims WHERE id = $1")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
            crate::webhooks::outbox(&mut tx, event_type, event, now, sensitive).await?;
        }
        if let Some(kind) = NoticeKind::of_claim_status(change.to) {
            crate::notices::write(&mut tx, id, kind, now).await?;
        }
        if change.to == ClaimStatus::Recorded {
            // A recorded claim becomes a Commission case in the same transaction.
            crate::cases::insert_case(&mut tx, id, now).await?;
        }
        let claim = Self::load_claim(&mut *tx, id).await?;
        let counted = CountDims::of(&claim);
        let before = CountDims {
            status: status_text(change.from),
            ..counted.clone()
        };
        crate::reports::bump_counts(&mut tx, Some(&before), Some(&counted)).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(claim)
    }

    async fn claims(
        &self,
        visibility: Visibility,
        filter: &ClaimFilter,
        page: PageRequest,
    ) -> Result<Page<ClaimRecord>, StoreError> {
        let rows = list_query("*", visibility, filter, page)
            .build()
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        let claims = rows
            .iter()
            .map(claim_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(claims, page, |c| c.id.0))
    }

    async fn claim_summaries(
        &self,
        visibility: Visibility,
        filter: &ClaimFilter,
        page: PageRequest,
    ) -> Result<Page<ClaimSummaryRecord>, StoreError> {
        let rows = list_query(SUMMARY_COLUMNS, visibility, filter, page)
            .build()
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        let claims = rows
            .iter()
            .map(summary_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(claims, page, |c| c.id.0))
    }

    async fn claim_messages(&self, id: ClaimId) -> Result<Vec<ClaimMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, author, text, at FROM claim_messages WHERE claim_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(ClaimMessage {
                    id: r.try_get("id")?,
                    kind: if r.try_get::<String, _>("kind")? == "request" {
                        MessageKind::Request
                    } else {
                        MessageKind::Response
                    },
                    author: r.try_get::<Uuid, _>("author")?.into(),
                    text: r.try_get("text")?,
                    at: r.try_get("at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    async fn duplicate_flags(&self, id: ClaimId) -> Result<Vec<DuplicateFlagRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{FLAG_SELECT} WHERE f.claim_id = $1 OR f.other_claim_id = $1 ORDER BY f.id"
        ))
        .bind(id.0)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(flag_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn duplicate_flag(&self, id: DuplicateFlagId) -> Result<DuplicateFlagRecord, StoreError> {
        let row = sqlx::query(&format!("{FLAG_SELECT} WHERE f.id = $1"))
            .bind(id.0)
            .fetch_one(self.pool())
            .await
            .map_err(map_err)?;
        flag_from_row(&row).map_err(map_err)
    }

    async fn sensitive_ids(&self, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_scalar(SENSITIVE_IDS)
            .bind(ids)
            .fetch_all(self.pool())
            .await
            .map_err(map_err)
    }

    async fn resolve_duplicate_flag(
        &self,
        ctx: &AuditContext,
        flag: DuplicateFlagId,
        outcome: &str,
        reason: &str,
    ) -> Result<DuplicateFlagRecord, StoreError> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE duplicate_flags SET outcome = $1, resolution_reason = $2, resolved_by = $3, resolved_at = $4 \
             WHERE id = $5 AND outcome IS NULL",
        )
        .bind(outcome)
        .bind(reason)
        .bind(ctx.actor.map(|a| a.0))
        .bind(now)
        .bind(flag.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let row = sqlx::query(&format!("{FLAG_SELECT} WHERE f.id = $1"))
            .bind(flag.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        let record = flag_from_row(&row).map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the flag is already resolved".into()));
        }
        // A claim stays flagged while any of its flags is open.
        sqlx::query(
            "UPDATE claims SET duplicate_flagged = EXISTS (SELECT 1 FROM duplicate_flags f \
             WHERE (f.claim_id = claims.id OR f.other_claim_id = claims.id) AND f.outcome IS NULL) \
             WHERE id IN ($1, $2)",
        )
        .bind(record.claim.0)
        .bind(record.other_claim.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "duplicate_flag.resolved",
            target_type: "claim",
            target_id: record.claim.to_string(),
            summary: json!({ "flag": flag, "other_claim": record.other_claim, "outcome": outcome }),
        };
        let ctx = AuditContext {
            reason: Some(reason.to_owned()),
            ..ctx.clone()
        };
        self.audit(&mut tx, &ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }
}

/// What a list line shows (`ClaimSummaryRecord`): not the content, sealed
/// parts or decisions, which are most of a row's bytes.
const SUMMARY_COLUMNS: &str = "id, reference, status, category, region, claimant_name, \
     sensitive, duplicate_flagged, totals, submitted_at, version";

fn summary_from_row(row: &PgRow) -> Result<ClaimSummaryRecord, sqlx::Error> {
    Ok(ClaimSummaryRecord {
        id: row.try_get::<Uuid, _>("id")?.into(),
        reference: row.try_get("reference")?,
        status: status_of(&row.try_get::<String, _>("status")?)?,
        category: row.try_get("category")?,
        region: row.try_get("region")?,
        claimant_name: row.try_get("claimant_name")?,
        sensitive: row.try_get("sensitive")?,
        duplicate_flagged: row.try_get("duplicate_flagged")?,
        totals: json_col(row, "totals")?.unwrap_or_else(|| json!([])),
        submitted_at: row.try_get("submitted_at")?,
        version: row.try_get("version")?,
    })
}

fn push_visibility(q: &mut QueryBuilder<'static, Postgres>, visibility: Visibility) {
    match visibility {
        Visibility::FiledBy(account) => {
            q.push(" AND filed_by = ").push_bind(account.0);
        }
        Visibility::NonSensitive => {
            q.push(" AND NOT sensitive");
        }
        Visibility::All => {}
    }
}

/// The claims list reading `columns`. Every order has an index to walk:
/// `(column, id)` for each equality filter in id order, `claims_submitted
/// (submitted_at, id)` in submission order.
fn list_query(
    columns: &str,
    visibility: Visibility,
    filter: &ClaimFilter,
    page: PageRequest,
) -> QueryBuilder<'static, Postgres> {
    let mut q = QueryBuilder::<Postgres>::new(format!("SELECT {columns} FROM claims WHERE 1 = 1"));
    push_visibility(&mut q, visibility);
    if let Some(s) = filter.status {
        q.push(" AND status = ").push_bind(status_text(s));
    }
    if let Some(c) = &filter.category {
        q.push(" AND category = ").push_bind(c.clone());
    }
    if let Some(r) = &filter.region {
        q.push(" AND region = ").push_bind(r.clone());
    }
    if let Some(t) = filter.submitted_from {
        q.push(" AND submitted_at >= ").push_bind(t);
    }
    if let Some(t) = filter.submitted_to {
        q.push(" AND submitted_at < ").push_bind(t);
    }
    if let Some(d) = filter.duplicate {
        q.push(" AND duplicate_flagged = ").push_bind(d);
    }
    if let Some(text) = &filter.q {
        // A prefix range, which both databases answer from an index.
        let prefix = text.trim().to_lowercase();
        q.push(" AND (reference = ")
            .push_bind(text.clone())
            .push(" OR (claimant_search COLLATE \"C\" >= ")
            .push_bind(prefix.clone())
            .push(" AND claimant_search COLLATE \"C\" < ")
            .push_bind(format!("{prefix}\u{10FFFF}"))
            .push("))");
    }
    let by_submission = filter.by_submission();
    if let Some(after) = page.after {
        if by_submission {
            // The cursor stays the last claim's id, which every caller of
            // `claims` already decodes; its submission time is read back by
            // primary key, only from a claim the caller may see, so that a
            // cursor cannot probe others. A row comparison is one index
            // range condition.
            q.push(" AND (submitted_at, id) > ((SELECT submitted_at FROM claims WHERE id = ")
                .push_bind(after.0);
            push_visibility(&mut q, visibility);
            q.push("), ").push_bind(after.0).push(")");
        } else {
            q.push(" AND id > ").push_bind(after.0);
        }
    }
    q.push(if by_submission {
        " ORDER BY submitted_at, id LIMIT "
    } else {
        " ORDER BY id LIMIT "
    })
    .push_bind(page.fetch_limit());
    q
}

/// Every kind of record that leads to a claim, looked up by primary key.
const SENSITIVE_IDS: &str = "\
    SELECT c.id FROM claims c WHERE c.id = ANY($1) AND c.sensitive \
    UNION SELECT e.id FROM evidence e JOIN claims c ON c.id = e.claim_id \
        WHERE e.id = ANY($1) AND c.sensitive \
    UNION SELECT f.id FROM duplicate_flags f JOIN claims c ON c.id = f.claim_id \
        JOIN claims o ON o.id = f.other_claim_id WHERE f.id = ANY($1) AND (c.sensitive OR o.sensitive) \
    UNION SELECT k.id FROM cases k JOIN claims c ON c.id = k.claim_id \
        WHERE k.id = ANY($1) AND c.sensitive \
    UNION SELECT r.id FROM recommendations r JOIN cases k ON k.id = r.case_id \
        JOIN claims c ON c.id = k.claim_id WHERE r.id = ANY($1) AND c.sensitive \
    UNION SELECT d.id FROM decisions d JOIN cases k ON k.id = d.case_id \
        JOIN claims c ON c.id = k.claim_id WHERE d.id = ANY($1) AND c.sensitive \
    UNION SELECT a.id FROM awards a JOIN cases k ON k.id = a.case_id \
        JOIN claims c ON c.id = k.claim_id WHERE a.id = ANY($1) AND c.sensitive \
    UNION SELECT b.id FROM batches b JOIN categories g ON g.code = b.category \
        WHERE b.id = ANY($1) AND (g.definition->>'sensitive')::boolean \
    UNION SELECT j.id FROM jobs j JOIN batches b ON b.id = j.subject_id \
        JOIN categories g ON g.code = b.category \
        WHERE j.id = ANY($1) AND (g.definition->>'sensitive')::boolean \
    UNION SELECT p.id FROM payment_rounds p \
        CROSS JOIN LATERAL jsonb_array_elements(p.body->'lines') l \
        JOIN awards a ON a.id = (l->>'award')::uuid JOIN cases k ON k.id = a.case_id \
        JOIN claims c ON c.id = k.claim_id WHERE p.id = ANY($1) AND c.sensitive";
