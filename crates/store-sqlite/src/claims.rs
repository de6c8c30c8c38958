use crate::{SqliteStore, map_err, time_text};
use async_trait::async_trait;
use kernel::id::AccountId;
use kernel::{Page, PageRequest};
use register::{Category, ClaimId, ClaimStatus, DuplicateFlagId, DuplicateKeys, Region};
use serde_json::{Value, json};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use store::claims::{
    CategoryRecord, ClaimChange, ClaimFilter, ClaimMessage, ClaimRecord, ClaimSummaryRecord,
    DraftContent, DuplicateFlagRecord, MessageKind, Sealed, Submission, Visibility,
};
use store::notifications::NoticeKind;
use store::reports::CountDims;
use store::{AuditContext, Change, ClaimStore, StoreError};
use uuid::Uuid;

fn json_col(row: &SqliteRow, name: &str) -> Result<Option<Value>, sqlx::Error> {
    row.try_get::<Option<String>, _>(name)?
        .map(|t| serde_json::from_str(&t).map_err(|e| sqlx::Error::Decode(e.into())))
        .transpose()
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

fn claim_from_row(row: &SqliteRow) -> Result<ClaimRecord, sqlx::Error> {
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

fn flag_from_row(row: &SqliteRow) -> Result<DuplicateFlagRecord, sqlx::Error> {
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

fn category_from_row(row: &SqliteRow) -> Result<CategoryRecord, sqlx::Error> {
    let definition: String = row.try_get("definition")?;
    Ok(CategoryRecord {
        category: serde_json::from_str(&definition).map_err(|e| sqlx::Error::Decode(e.into()))?,
        version: row.try_get("version")?,
    })
}

fn date_text(d: Option<time::Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

impl SqliteStore {
    async fn load_claim<'e, E>(executor: E, id: ClaimId) -> Result<ClaimRecord, StoreError>
    where
        E: sqlx::Executor<'e, Database = Sqlite>,
    {
        let row = sqlx::query("SELECT * FROM claims WHERE id = ?")
            .bind(id.0)
            .fetch_one(executor)
            .await
            .map_err(map_err)?;
        claim_from_row(&row).map_err(map_err)
    }
}

#[async_trait]
impl ClaimStore for SqliteStore {
    fn catalogue_epoch(&self) -> Option<store::ChangeEpoch> {
        Some(SqliteStore::catalogue_epoch(self))
    }

    async fn seed_catalogue(
        &self,
        categories: &[Category],
        regions: &[Region],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let now = time_text::encode(self.now());
        let mut seeded = Vec::new();
        for c in categories {
            let definition = serde_json::to_string(c).map_err(StoreError::internal)?;
            let done = sqlx::query(
                "INSERT INTO categories (code, definition, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(c.code.as_str())
            .bind(definition)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if done.rows_affected() == 1 {
                seeded.push(c.code.as_str().to_owned());
            }
        }
        for r in regions {
            sqlx::query(
                "INSERT INTO regions (code, name_en, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(r.code.as_str())
            .bind(&r.name_en)
            .bind(
                serde_json::to_value(r.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned)),
            )
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
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(category_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn category(&self, code: &str) -> Result<CategoryRecord, StoreError> {
        let row = sqlx::query("SELECT definition, version FROM categories WHERE code = ?")
            .bind(code)
            .fetch_one(self.reader())
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
        let definition = serde_json::to_string(category).map_err(StoreError::internal)?;
        let now = time_text::encode(self.now());
        let mut tx = self.begin().await?;
        let done = match expected_version {
            None => sqlx::query(
                "INSERT INTO categories (code, definition, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(category.code.as_str())
            .bind(&definition)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?,
            Some(v) => sqlx::query(
                "UPDATE categories SET definition = ?, updated_at = ?, version = version + 1 \
                 WHERE code = ? AND version = ?",
            )
            .bind(&definition)
            .bind(&now)
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
        let row = sqlx::query("SELECT definition, version FROM categories WHERE code = ?")
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
            .fetch_all(self.reader())
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
        let mut tx = self.begin().await?;
        Self::key_free(&mut tx, answer).await?;
        if let Some(key) = &ctx.idempotency_key {
            let existing =
                sqlx::query("SELECT * FROM claims WHERE filed_by = ? AND idempotency_key = ?")
                    .bind(filed_by.0)
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            if let Some(row) = existing {
                if answer.is_some() {
                    // The key filed a claim already: the key decides.
                    return Err(StoreError::KeyTaken);
                }
                return claim_from_row(&row).map_err(map_err);
            }
        }
        let id = ClaimId::new();
        let now = time_text::encode(self.now());
        let c = &draft.columns;
        sqlx::query(
            "INSERT INTO claims (id, filed_by, status, category, sensitive, content, sealed, sealed_key_id, \
             claimant_name, claimant_search, claimant_key, region, incident_from, incident_to, totals, created_at, \
             updated_at, idempotency_key, contact_email, language) \
             VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.0)
        .bind(filed_by.0)
        .bind(&c.category)
        .bind(c.sensitive)
        .bind(draft.content.to_string())
        .bind(draft.sealed.as_ref().map(|s| s.bytes.clone()))
        .bind(draft.sealed.as_ref().map(|s| s.key_id.clone()))
        .bind(&c.claimant_name)
        .bind(&c.claimant_search)
        .bind(&c.claimant_key)
        .bind(&c.region)
        .bind(date_text(c.incident_from))
        .bind(date_text(c.incident_to))
        .bind(c.totals.to_string())
        .bind(&now)
        .bind(&now)
        .bind(&ctx.idempotency_key)
        .bind(&c.contact_email)
        .bind(c.language.code())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "claim.created",
            target_type: "claim",
            target_id: id.to_string(),
            summary: json!({ "category": c.category, "sensitive": c.sensitive }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let claim = Self::load_claim(&mut *tx, id).await?;
        crate::reports::bump_counts(&mut tx, None, Some(&CountDims::of(&claim))).await?;
        Self::keep_answer(&mut tx, answer, &claim, ("claim", id.to_string())).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(claim)
    }

    async fn claim(&self, id: ClaimId) -> Result<ClaimRecord, StoreError> {
        Self::load_claim(self.reader(), id).await
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
        let before: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT category, region FROM claims WHERE id = ? AND status = 'draft'")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
        let c = &draft.columns;
        let done = sqlx::query(
            "UPDATE claims SET category = ?, sensitive = ?, content = ?, sealed = ?, sealed_key_id = ?, \
             claimant_name = ?, claimant_search = ?, claimant_key = ?, region = ?, incident_from = ?, incident_to = ?, totals = ?, \
             updated_at = ?, contact_email = ?, language = ?, version = version + 1 \
             WHERE id = ? AND status = 'draft' AND version = ?",
        )
        .bind(&c.category)
        .bind(c.sensitive)
        .bind(draft.content.to_string())
        .bind(draft.sealed.as_ref().map(|s| s.bytes.clone()))
        .bind(draft.sealed.as_ref().map(|s| s.key_id.clone()))
        .bind(&c.claimant_name)
        .bind(&c.claimant_search)
        .bind(&c.claimant_key)
        .bind(&c.region)
        .bind(date_text(c.incident_from))
        .bind(date_text(c.incident_to))
        .bind(c.totals.to_string())
        .bind(time_text::encode(self.now()))
        .bind(&c.contact_email)
        .bind(c.language.code())
        .bind(id.0)
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
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT DISTINCT c.duplicate_keys FROM claim_keys k JOIN claims c ON c.id = k.claim_id WHERE k.key IN (",
        );
        let mut sep = q.separated(", ");
        for k in keys {
            sep.push_bind(k.clone());
        }
        // A guard against a pathological key, not a page: it grows with
        // the keys asked about, so a bulk import's chunk gets as many
        // candidates per claim as a single submission.
        let limit = i64::try_from(keys.len())
            .unwrap_or(i64::MAX)
            .saturating_mul(100)
            .max(1000);
        q.push(") LIMIT ");
        q.push_bind(limit);
        let rows = q.build().fetch_all(self.reader()).await.map_err(map_err)?;
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
        let (id, expected_version) = (current.id, current.version);
        let now = self.now();
        let year = now.year();
        let mut tx = self.begin().await?;
        Self::key_free(&mut tx, answer).await?;
        let current = Self::load_claim(&mut *tx, id).await?;
        if current.status != ClaimStatus::Draft || current.version != expected_version {
            if answer.is_some() {
                // Changed meanwhile, perhaps by a retry of this very
                // request: the key decides.
                return Err(StoreError::KeyTaken);
            }
            return Err(StoreError::Conflict(format!(
                "claim is {} at version {}",
                status_text(current.status),
                current.version
            )));
        }
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO reference_counters (year, last) VALUES (?, 1) \
             ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
        )
        .bind(year)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let reference = register::ReferenceNumber::new(
            u16::try_from(year).map_err(StoreError::internal)?,
            u64::try_from(seq).map_err(StoreError::internal)?,
        )
        .ok_or_else(|| {
            StoreError::internal(std::io::Error::other("reference number out of range"))
        })?
        .to_string();
        let keys_json = serde_json::to_string(&submission.keys).map_err(StoreError::internal)?;
        sqlx::query(
            "UPDATE claims SET status = 'submitted', reference = ?, submitted_at = ?, updated_at = ?, \
             duplicate_keys = ?, duplicate_flagged = ?, version = version + 1 WHERE id = ?",
        )
        .bind(&reference)
        .bind(time_text::encode(now))
        .bind(time_text::encode(now))
        .bind(keys_json)
        .bind(!submission.flags.is_empty())
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        for key in submission.keys.index_keys() {
            sqlx::query(
                "INSERT INTO claim_keys (key, claim_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(key)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        for flag in &submission.flags {
            sqlx::query(
                "INSERT INTO duplicate_flags (id, claim_id, other_claim_id, reason, matched, raised_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(DuplicateFlagId::new().0)
            .bind(id.0)
            .bind(flag.other_claim.0)
            .bind(serde_json::to_value(flag.reason).ok().and_then(|v| v.as_str().map(str::to_owned)))
            .bind(&flag.matched)
            .bind(time_text::encode(now))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        if !submission.flags.is_empty() {
            // The earlier claim is a probable duplicate too.
            for flag in &submission.flags {
                sqlx::query("UPDATE claims SET duplicate_flagged = 1 WHERE id = ?")
                    .bind(flag.other_claim.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
        }
        let change = Change {
            action: "claim.submitted",
            target_type: "claim",
            target_id: id.to_string(),
            summary: json!({
                "from": "draft",
                "to": "submitted",
                "reference": reference,
                "duplicate_flags": submission.flags.len(),
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let event = json!({
            "claim_id": id, "reference": reference, "status": "submitted",
            "category": current.category, "region": current.region,
        });
        crate::webhooks::outbox(&mut tx, "claim.submitted", event, now, current.sensitive).await?;
        crate::notices::write(&mut tx, id, NoticeKind::Submitted, now).await?;
        let claim = Self::load_claim(&mut *tx, id).await?;
        crate::reports::bump_counts(
            &mut tx,
            Some(&CountDims::of(&current)),
            Some(&CountDims::of(&claim)),
        )
        .await?;
        Self::keep_answer(&mut tx, answer, &claim, ("claim", id.to_string())).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(claim)
    }

    async fn claim_with_evidence_hashes(
        &self,
        id: ClaimId,
    ) -> Result<(ClaimRecord, Vec<String>), StoreError> {
        let row = sqlx::query(
            "SELECT c.*, (SELECT json_group_array(sha256) FROM (SELECT DISTINCT e.sha256 \
             FROM evidence e WHERE e.claim_id = c.id ORDER BY 1)) AS evidence_hashes \
             FROM claims c WHERE c.id = ?",
        )
        .bind(id.0)
        .fetch_one(self.reader())
        .await
        .map_err(map_err)?;
        let claim = claim_from_row(&row).map_err(map_err)?;
        let hashes: Vec<String> = json_col(&row, "evidence_hashes")
            .map_err(map_err)?
            .map(serde_json::from_value)
            .transpose()
            .map_err(StoreError::internal)?
            .unwrap_or_default();
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
            "UPDATE claims SET status = ?1, updated_at = ?2, version = version + 1, \
             recommendation = COALESCE(?3, recommendation), decision = COALESCE(?4, decision), \
             decided_at = CASE WHEN ?5 THEN ?2 ELSE decided_at END \
             WHERE id = ?6 AND status = ?7 AND (?8 IS NULL OR version = ?8)",
        )
        .bind(status_text(change.to))
        .bind(time_text::encode(now))
        .bind(change.recommendation.as_ref().map(Value::to_string))
        .bind(change.decision.as_ref().map(Value::to_string))
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
            sqlx::query("INSERT INTO claim_messages (id, claim_id, kind, author, text, at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(Uuid::now_v7())
                .bind(id.0)
                .bind(match kind {
                    MessageKind::Request => "request",
                    MessageKind::Response => "response",
                })
                .bind(ctx.actor.map(|a| a.0).unwrap_or_default())
                .bind(text)
                .bind(time_text::encode(now))
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
            let sensitive: bool = sqlx::query_scalar("SELECT sensitive FROM claims WHERE id = ?")
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
            .fetch_all(self.reader())
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
            .fetch_all(self.reader())
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
            "SELECT id, kind, author, text, at FROM claim_messages WHERE claim_id = ? ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.reader())
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
            "{FLAG_SELECT} WHERE f.claim_id = ?1 OR f.other_claim_id = ?1 ORDER BY f.id"
        ))
        .bind(id.0)
        .fetch_all(self.reader())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(flag_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn duplicate_flag(&self, id: DuplicateFlagId) -> Result<DuplicateFlagRecord, StoreError> {
        let row = sqlx::query(&format!("{FLAG_SELECT} WHERE f.id = ?"))
            .bind(id.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        flag_from_row(&row).map_err(map_err)
    }

    async fn sensitive_ids(&self, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
        let mut found = Vec::new();
        // One statement per slice, well under SQLite's bound-parameter limit.
        for slice in ids.chunks(500) {
            let list = vec!["?"; slice.len()].join(", ");
            let sql = SENSITIVE_IDS.replace("(?)", &format!("({list})"));
            let mut q = sqlx::query_scalar::<_, Uuid>(&sql);
            for _ in 0..SENSITIVE_IDS.matches("(?)").count() {
                for id in slice {
                    q = q.bind(*id);
                }
            }
            found.extend(q.fetch_all(self.reader()).await.map_err(map_err)?);
        }
        Ok(found)
    }

    async fn resolve_duplicate_flag(
        &self,
        ctx: &AuditContext,
        flag: DuplicateFlagId,
        outcome: &str,
        reason: &str,
    ) -> Result<DuplicateFlagRecord, StoreError> {
        let now = time_text::encode(self.now());
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE duplicate_flags SET outcome = ?, resolution_reason = ?, resolved_by = ?, resolved_at = ? \
             WHERE id = ? AND outcome IS NULL",
        )
        .bind(outcome)
        .bind(reason)
        .bind(ctx.actor.map(|a| a.0))
        .bind(&now)
        .bind(flag.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let row = sqlx::query(&format!("{FLAG_SELECT} WHERE f.id = ?"))
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
             WHERE id IN (?, ?)",
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

fn summary_from_row(row: &SqliteRow) -> Result<ClaimSummaryRecord, sqlx::Error> {
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

fn push_visibility(q: &mut QueryBuilder<'static, Sqlite>, visibility: Visibility) {
    match visibility {
        Visibility::FiledBy(account) => {
            q.push(" AND filed_by = ").push_bind(account.0);
        }
        Visibility::NonSensitive => {
            q.push(" AND sensitive = 0");
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
) -> QueryBuilder<'static, Sqlite> {
    let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {columns} FROM claims WHERE 1 = 1"));
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
        // Given two lower bounds on `submitted_at`, SQLite starts the index
        // scan at this one and filters by the cursor's, so page N would
        // rescan N pages; a unary `+` keeps it out of the index choice.
        q.push(if page.after.is_some() {
            " AND +submitted_at >= "
        } else {
            " AND submitted_at >= "
        })
        .push_bind(time_text::encode(t));
    }
    if let Some(t) = filter.submitted_to {
        q.push(" AND submitted_at < ")
            .push_bind(time_text::encode(t));
    }
    if let Some(d) = filter.duplicate {
        q.push(" AND duplicate_flagged = ").push_bind(d);
    }
    if let Some(text) = &filter.q {
        // A prefix range, which both databases answer from an index.
        let prefix = text.trim().to_lowercase();
        q.push(" AND (reference = ")
            .push_bind(text.clone())
            .push(" OR (claimant_search >= ")
            .push_bind(prefix.clone())
            .push(" AND claimant_search < ")
            .push_bind(format!("{prefix}\u{10FFFF}"))
            .push("))");
    }
    let by_submission = filter.by_submission();
    if let Some(after) = page.after {
        if by_submission {
            // The cursor stays the last claim's id, which every caller of
            // `claims` already decodes; its submission time is read back by
            // primary key, only from a claim the caller may see, so that a
            // cursor cannot probe others. A row value comparison is one
            // index range condition.
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

/// Every kind of record that leads to a claim, looked up by primary key;
/// each `(?)` becomes the list of ids.
const SENSITIVE_IDS: &str = "\
    SELECT c.id FROM claims c WHERE c.id IN (?) AND c.sensitive \
    UNION SELECT e.id FROM evidence e JOIN claims c ON c.id = e.claim_id \
        WHERE e.id IN (?) AND c.sensitive \
    UNION SELECT f.id FROM duplicate_flags f JOIN claims c ON c.id = f.claim_id \
        JOIN claims o ON o.id = f.other_claim_id WHERE f.id IN (?) AND (c.sensitive OR o.sensitive) \
    UNION SELECT k.id FROM cases k JOIN claims c ON c.id = k.claim_id \
        WHERE k.id IN (?) AND c.sensitive \
    UNION SELECT r.id FROM recommendations r JOIN cases k ON k.id = r.case_id \
        JOIN claims c ON c.id = k.claim_id WHERE r.id IN (?) AND c.sensitive \
    UNION SELECT d.id FROM decisions d JOIN cases k ON k.id = d.case_id \
        JOIN claims c ON c.id = k.claim_id WHERE d.id IN (?) AND c.sensitive \
    UNION SELECT a.id FROM awards a JOIN cases k ON k.id = a.case_id \
        JOIN claims c ON c.id = k.claim_id WHERE a.id IN (?) AND c.sensitive \
    UNION SELECT b.id FROM batches b JOIN categories g ON g.code = b.category \
        WHERE b.id IN (?) AND json_extract(g.definition, '$.sensitive') = 1 \
    UNION SELECT j.id FROM jobs j JOIN batches b ON b.id = j.subject_id \
        JOIN categories g ON g.code = b.category \
        WHERE j.id IN (?) AND json_extract(g.definition, '$.sensitive') = 1 \
    UNION SELECT p.id FROM payment_rounds p, json_each(p.body, '$.lines') l \
        JOIN awards a ON a.id = unhex(replace(json_extract(l.value, '$.award'), '-', '')) \
        JOIN cases k ON k.id = a.case_id JOIN claims c ON c.id = k.claim_id \
        WHERE p.id IN (?) AND c.sensitive";
