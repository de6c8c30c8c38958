//! The Commission's decisions on SQLite: panels, recommendations, Council
//! decisions with gap-free numbers, awards and payment rounds. Every change
//! is a conditional update on the row's version inside `BEGIN IMMEDIATE`.

use crate::{SqliteStore as Db, map_err, time_text};
use async_trait::async_trait;
use commission::{
    Award, AwardId, BatchId, CaseId, Decision, DecisionId, DecisionNumber, DecisionStatus, Panel,
    PanelId, PaymentRoundId, PaymentRoundPreview, Recommendation, RecommendationId,
    RecommendationStatus,
};
use kernel::{Page, PageRequest};
use register::ClaimId;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use sqlx::sqlite::SqliteRow as DbRow;
use sqlx::{QueryBuilder, Row, Sqlite as Kind, Transaction};
use store::claims::Sealed;
use store::decisions::{
    Approval, AwardFilter, AwardRecord, Correction, DecisionFilter, DecisionRecord, Issued,
    LetterRecord, NewLetter, PanelRecord, PaymentRoundRecord, RecommendationFilter,
    RecommendationRecord, RoundStatus, approved, award_after_correction, award_of,
    claimant_kind_of, claimant_kind_text, corrected, enum_text,
};
use store::notifications::NoticeKind;
use store::{AuditContext, Change, DecisionStore, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

type Tx = Transaction<'static, Kind>;

fn letter_from_row(row: &DbRow) -> Result<LetterRecord, sqlx::Error> {
    Ok(LetterRecord {
        decision: DecisionId::from_uuid(row.try_get("decision_id")?),
        code: row.try_get("code")?,
        content: row.try_get("content")?,
        content_hash: row.try_get("content_hash")?,
        issued_at: row.try_get("issued_at")?,
    })
}

fn decode<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> sqlx::Error {
    sqlx::Error::Decode(e.into())
}

fn enc<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::internal)
}

fn body<T: DeserializeOwned>(row: &DbRow, name: &str) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(name)?;
    serde_json::from_str(&text).map_err(decode)
}

fn ts(t: OffsetDateTime) -> String {
    time_text::encode(t)
}

fn num(d: Decimal) -> String {
    d.to_string()
}

const DECISION_SELECT: &str = "SELECT d.*, c.claim_id AS claim_id, c.category AS category, \
    c.region AS region, (SELECT s.id FROM decisions s WHERE s.supersedes = d.id) AS superseded_by \
    FROM decisions d JOIN cases c ON c.id = d.case_id";

const AWARD_SELECT: &str = "SELECT a.*, c.claim_id AS claim_id, c.category AS category, \
    c.region AS region FROM awards a JOIN cases c ON c.id = a.case_id";

fn panel_from_row(row: &DbRow) -> Result<PanelRecord, sqlx::Error> {
    Ok(PanelRecord {
        panel: body(row, "body")?,
        batches: body(row, "batches")?,
        created_at: row.try_get("created_at")?,
    })
}

fn recommendation_from_row(row: &DbRow) -> Result<RecommendationRecord, sqlx::Error> {
    Ok(RecommendationRecord {
        recommendation: body(row, "body")?,
        batch_id: row
            .try_get::<Option<Uuid>, _>("batch_id")?
            .map(BatchId::from_uuid),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn decision_from_row(row: &DbRow) -> Result<DecisionRecord, sqlx::Error> {
    Ok(DecisionRecord {
        decision: body(row, "body")?,
        meeting_reference: row.try_get("meeting_reference")?,
        superseded_by: row
            .try_get::<Option<Uuid>, _>("superseded_by")?
            .map(DecisionId::from_uuid),
        claim_id: ClaimId::from_uuid(row.try_get("claim_id")?),
        category: row.try_get("category")?,
        region: row.try_get("region")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn award_from_row(row: &DbRow) -> Result<AwardRecord, sqlx::Error> {
    let kind: String = row.try_get("claimant_kind")?;
    let bank_details = match (
        row.try_get::<Option<Vec<u8>>, _>("bank_sealed")?,
        row.try_get::<Option<String>, _>("bank_key_id")?,
    ) {
        (Some(bytes), Some(key_id)) => Some(Sealed { key_id, bytes }),
        _ => None,
    };
    Ok(AwardRecord {
        award: body(row, "body")?,
        bank_details,
        claimant_kind: claimant_kind_of(&kind)
            .ok_or_else(|| decode(std::io::Error::other("invalid stored claimant kind")))?,
        claim_id: ClaimId::from_uuid(row.try_get("claim_id")?),
        category: row.try_get("category")?,
        region: row.try_get("region")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn round_from_row(row: &DbRow) -> Result<PaymentRoundRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(PaymentRoundRecord {
        id: PaymentRoundId::from_uuid(row.try_get("id")?),
        status: if status == "confirmed" {
            RoundStatus::Confirmed
        } else {
            RoundStatus::Preview
        },
        preview: body(row, "body")?,
        created_at: row.try_get("created_at")?,
        confirmed_at: row.try_get("confirmed_at")?,
        version: row.try_get("version")?,
    })
}

/// Leaves out the cases of these categories (`c` is the case).
fn exclude_categories(q: &mut QueryBuilder<'_, Kind>, categories: &[String]) {
    if !categories.is_empty() {
        q.push(" AND c.category NOT IN (");
        let mut list = q.separated(", ");
        for c in categories {
            list.push_bind(c.clone());
        }
        list.push_unseparated(")");
    }
}

fn conflict(what: impl Into<String>) -> StoreError {
    StoreError::Conflict(what.into())
}

impl Db {
    async fn load_decision(tx: &mut Tx, id: DecisionId) -> Result<DecisionRecord, StoreError> {
        let row = sqlx::query(&format!("{DECISION_SELECT} WHERE d.id = ?1"))
            .bind(id.0)
            .fetch_one(&mut **tx)
            .await
            .map_err(map_err)?;
        decision_from_row(&row).map_err(map_err)
    }

    async fn load_award_of_case(
        tx: &mut Tx,
        case: CaseId,
    ) -> Result<Option<AwardRecord>, StoreError> {
        let row = sqlx::query(&format!("{AWARD_SELECT} WHERE a.case_id = ?1"))
            .bind(case.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(map_err)?;
        row.as_ref()
            .map(award_from_row)
            .transpose()
            .map_err(map_err)
    }

    async fn next_number(tx: &mut Tx, year: i32) -> Result<DecisionNumber, StoreError> {
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO decision_counters (year, last) VALUES (?1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = decision_counters.last + 1 RETURNING last",
        )
        .bind(year)
        .fetch_one(&mut **tx)
        .await
        .map_err(map_err)?;
        DecisionNumber::new(
            u16::try_from(year).map_err(StoreError::internal)?,
            u32::try_from(seq).map_err(StoreError::internal)?,
        )
        .map_err(StoreError::internal)
    }

    async fn set_case_status(
        tx: &mut Tx,
        case: CaseId,
        from: &str,
        to: &str,
        now: &OffsetDateTime,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE cases SET status = ?1, updated_at = ?2, version = version + 1 \
             WHERE id = ?3 AND status = ?4",
        )
        .bind(to)
        .bind(ts(*now))
        .bind(case.0)
        .bind(from)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(conflict(format!("case {case} is not {from}")));
        }
        Ok(())
    }

    async fn insert_decision(
        tx: &mut Tx,
        d: &Decision,
        meeting_reference: Option<&str>,
        now: &OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO decisions (id, case_id, recommendation_id, status, number, supersedes, \
             meeting_reference, body, created_at, updated_at, version) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 1)",
        )
        .bind(d.id.0)
        .bind(d.case.0)
        .bind(d.recommendation.0)
        .bind(enum_text(&d.status))
        .bind(d.number.map(|n| n.to_string()))
        .bind(d.supersedes.as_ref().map(|s| s.decision.0))
        .bind(meeting_reference)
        .bind(enc(d)?)
        .bind(ts(*now))
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn insert_award(
        tx: &mut Tx,
        award: &Award,
        kind: commission::ClaimantKind,
        now: &OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO awards (id, case_id, decision_id, amount, currency, status, claimant_kind, \
             body, created_at, updated_at, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 1)",
        )
        .bind(award.id.0)
        .bind(award.case.0)
        .bind(award.decision.0)
        .bind(num(award.amount.amount()))
        .bind(award.amount.currency().code())
        .bind(enum_text(&award.status()))
        .bind(claimant_kind_text(kind))
        .bind(enc(award)?)
        .bind(ts(*now))
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_award(
        tx: &mut Tx,
        award: &Award,
        expected_version: i64,
        now: &OffsetDateTime,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE awards SET decision_id = ?1, amount = ?2, status = ?3, body = ?4, \
             updated_at = ?5, version = version + 1 WHERE id = ?6 AND version = ?7",
        )
        .bind(award.decision.0)
        .bind(num(award.amount.amount()))
        .bind(enum_text(&award.status()))
        .bind(enc(award)?)
        .bind(ts(*now))
        .bind(award.id.0)
        .bind(expected_version)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(conflict(format!("award {} changed meanwhile", award.id)));
        }
        Ok(())
    }

    async fn issued(tx: &mut Tx, decision: DecisionId, case: CaseId) -> Result<Issued, StoreError> {
        Ok(Issued {
            decision: Self::load_decision(tx, decision).await?,
            award: Self::load_award_of_case(tx, case).await?,
        })
    }
}

#[async_trait]
impl DecisionStore for Db {
    async fn create_panel(
        &self,
        ctx: &AuditContext,
        panel: &Panel,
        batches: &[BatchId],
    ) -> Result<PanelRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        sqlx::query(
            "INSERT INTO panels (id, name, body, batches, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(panel.id.0)
        .bind(&panel.name)
        .bind(enc(panel)?)
        .bind(enc(&batches)?)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "panel.formed",
            target_type: "panel",
            target_id: panel.id.to_string(),
            summary: json!({"name": panel.name, "members": panel.members,
                "categories": panel.categories, "batches": batches}),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        self.panel(panel.id).await
    }

    async fn panels(&self, page: PageRequest) -> Result<Page<PanelRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM panels WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2")
                .bind(page.after.map(|c| c.0))
                .bind(page.fetch_limit())
                .fetch_all(self.reader())
                .await
                .map_err(map_err)?;
        let panels = rows
            .iter()
            .map(panel_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(panels, page, |p| p.panel.id.0))
    }

    async fn panel(&self, id: PanelId) -> Result<PanelRecord, StoreError> {
        let row = sqlx::query("SELECT * FROM panels WHERE id = ?1")
            .bind(id.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        panel_from_row(&row).map_err(map_err)
    }

    async fn create_recommendations(
        &self,
        ctx: &AuditContext,
        recommendations: &[Recommendation],
        batch: Option<BatchId>,
    ) -> Result<Vec<RecommendationRecord>, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        for r in recommendations {
            let ready = sqlx::query(
                "UPDATE cases SET status = 'ready_for_panel', updated_at = ?1, version = version + 1 \
                 WHERE id = ?2 AND (status = 'ready_for_panel' OR (status = 'assessed' \
                 AND NOT EXISTS (SELECT 1 FROM batches b CROSS JOIN batch_cases m \
                 ON m.batch_id = b.id AND m.case_id = cases.id WHERE b.category = cases.category)))",
            )
            .bind(ts(now))
            .bind(r.case.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if ready.rows_affected() == 0 {
                return Err(conflict(format!(
                    "case {} is not ready for the panel",
                    r.case
                )));
            }
            sqlx::query(
                "INSERT INTO recommendations (id, case_id, panel_id, batch_id, status, active, body, \
                 created_at, updated_at, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 1)",
            )
            .bind(r.id.0)
            .bind(r.case.0)
            .bind(r.panel.0)
            .bind(batch.map(|b| b.0))
            .bind(enum_text(&r.status))
            .bind(true)
            .bind(enc(r)?)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::Conflict(_) => conflict(format!(
                    "case {} already has a recommendation before the panel or the Council",
                    r.case
                )),
                other => other,
            })?;
            let change = Change {
                action: "recommendation.proposed",
                target_type: "recommendation",
                target_id: r.id.to_string(),
                summary: json!({"case": r.case, "panel": r.panel, "batch": batch,
                    "outcome": r.outcome}),
            };
            self.audit(&mut tx, ctx, change).await?;
        }
        tx.commit().await.map_err(map_err)?;
        let mut out = Vec::with_capacity(recommendations.len());
        for r in recommendations {
            out.push(self.recommendation(r.id).await?);
        }
        Ok(out)
    }

    async fn recommendation(
        &self,
        id: RecommendationId,
    ) -> Result<RecommendationRecord, StoreError> {
        let row = sqlx::query("SELECT * FROM recommendations WHERE id = ?1")
            .bind(id.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        recommendation_from_row(&row).map_err(map_err)
    }

    async fn case_recommendations(
        &self,
        case: CaseId,
    ) -> Result<Vec<RecommendationRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM recommendations WHERE case_id = ?1 ORDER BY created_at, id")
                .bind(case.0)
                .fetch_all(self.reader())
                .await
                .map_err(map_err)?;
        rows.iter()
            .map(recommendation_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn recommendations(
        &self,
        filter: &RecommendationFilter,
        page: PageRequest,
    ) -> Result<Page<RecommendationRecord>, StoreError> {
        let mut q = QueryBuilder::<Kind>::new(
            "SELECT r.* FROM recommendations r JOIN cases c ON c.id = r.case_id WHERE 1 = 1",
        );
        if let Some(status) = filter.status {
            q.push(" AND r.status = ").push_bind(enum_text(&status));
        }
        if let Some(case) = filter.case {
            q.push(" AND r.case_id = ").push_bind(case.0);
        }
        if let Some(panel) = filter.panel {
            q.push(" AND r.panel_id = ").push_bind(panel.0);
        }
        if let Some(batch) = filter.batch {
            q.push(" AND r.batch_id = ").push_bind(batch.0);
        }
        exclude_categories(&mut q, &filter.exclude_categories);
        if let Some(after) = page.after {
            q.push(" AND r.id > ").push_bind(after.0);
        }
        q.push(" ORDER BY r.id LIMIT ")
            .push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.reader()).await.map_err(map_err)?;
        let list = rows
            .iter()
            .map(recommendation_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(list, page, |r| r.recommendation.id.0))
    }

    async fn record_vote(
        &self,
        ctx: &AuditContext,
        r: &Recommendation,
        expected_version: i64,
        open: Option<&Decision>,
    ) -> Result<RecommendationRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let done = sqlx::query(
            "UPDATE recommendations SET status = ?1, active = ?2, body = ?3, updated_at = ?4, \
             version = version + 1 WHERE id = ?5 AND version = ?6 AND status = 'open'",
        )
        .bind(enum_text(&r.status))
        .bind(r.status != RecommendationStatus::Rejected)
        .bind(enc(r)?)
        .bind(ts(now))
        .bind(r.id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(conflict("the recommendation changed meanwhile"));
        }
        let vote = r.votes.last();
        let change = Change {
            action: "recommendation.voted",
            target_type: "recommendation",
            target_id: r.id.to_string(),
            summary: json!({"vote": vote, "status": r.status}),
        };
        self.audit(&mut tx, ctx, change).await?;
        if r.status == RecommendationStatus::Adopted {
            Self::set_case_status(&mut tx, r.case, "ready_for_panel", "recommended", &now).await?;
            if let Some(d) = open {
                Self::insert_decision(&mut tx, d, None, &now).await?;
                let change = Change {
                    action: "recommendation.adopted",
                    target_type: "recommendation",
                    target_id: r.id.to_string(),
                    summary: json!({"case": r.case, "decision": d.id}),
                };
                self.audit(&mut tx, ctx, change).await?;
            }
        }
        tx.commit().await.map_err(map_err)?;
        self.recommendation(r.id).await
    }

    async fn decision(&self, id: DecisionId) -> Result<DecisionRecord, StoreError> {
        let row = sqlx::query(&format!("{DECISION_SELECT} WHERE d.id = ?1"))
            .bind(id.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        decision_from_row(&row).map_err(map_err)
    }

    async fn decision_for_recommendation(
        &self,
        recommendation: RecommendationId,
    ) -> Result<DecisionRecord, StoreError> {
        let row = sqlx::query(&format!(
            "{DECISION_SELECT} WHERE d.recommendation_id = ?1 AND d.supersedes IS NULL"
        ))
        .bind(recommendation.0)
        .fetch_one(self.reader())
        .await
        .map_err(map_err)?;
        decision_from_row(&row).map_err(map_err)
    }

    async fn case_decisions(&self, case: CaseId) -> Result<Vec<DecisionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{DECISION_SELECT} WHERE d.case_id = ?1 ORDER BY d.id"
        ))
        .bind(case.0)
        .fetch_all(self.reader())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(decision_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn decisions(
        &self,
        filter: &DecisionFilter,
        page: PageRequest,
    ) -> Result<Page<DecisionRecord>, StoreError> {
        let mut q = QueryBuilder::<Kind>::new(format!("{DECISION_SELECT} WHERE 1 = 1"));
        if let Some(status) = filter.status {
            q.push(" AND d.status = ").push_bind(enum_text(&status));
        }
        if let Some(case) = filter.case {
            q.push(" AND d.case_id = ").push_bind(case.0);
        }
        if let Some(category) = &filter.category {
            q.push(" AND c.category = ").push_bind(category.clone());
        }
        exclude_categories(&mut q, &filter.exclude_categories);
        if let Some(after) = page.after {
            q.push(" AND d.id > ").push_bind(after.0);
        }
        q.push(" ORDER BY d.id LIMIT ")
            .push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.reader()).await.map_err(map_err)?;
        let list = rows
            .iter()
            .map(decision_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(list, page, |d| d.decision.id.0))
    }

    async fn final_decision_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM decisions WHERE status = 'final'")
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn council_step(
        &self,
        ctx: &AuditContext,
        next: &Decision,
        expected_version: i64,
        meeting_reference: Option<&str>,
    ) -> Result<DecisionRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let done = sqlx::query(
            "UPDATE decisions SET status = ?1, body = ?2, \
             meeting_reference = COALESCE(?3, meeting_reference), updated_at = ?4, \
             version = version + 1 WHERE id = ?5 AND version = ?6 AND status <> 'final'",
        )
        .bind(enum_text(&next.status))
        .bind(enc(next)?)
        .bind(meeting_reference)
        .bind(ts(now))
        .bind(next.id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(conflict("the decision changed meanwhile"));
        }
        if matches!(
            next.status,
            DecisionStatus::ReturnedToPanel | DecisionStatus::RejectedByAssembly
        ) {
            sqlx::query("UPDATE recommendations SET active = ?1, updated_at = ?2, version = version + 1 WHERE id = ?3")
                .bind(false)
                .bind(ts(now))
                .bind(next.recommendation.0)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            Self::set_case_status(&mut tx, next.case, "recommended", "ready_for_panel", &now)
                .await?;
        }
        let change = Change {
            action: "decision.council_action",
            target_type: "decision",
            target_id: next.id.to_string(),
            summary: json!({"action": next.history.last(), "status": next.status,
                "meeting_reference": meeting_reference}),
        };
        self.audit(&mut tx, ctx, change).await?;
        let record = Self::load_decision(&mut tx, next.id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }

    async fn approve(&self, ctx: &AuditContext, a: &Approval) -> Result<Issued, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let current = Self::load_decision(&mut tx, a.decision).await?;
        if current.version != a.expected_version {
            return Err(conflict(format!(
                "the decision is {} at version {}",
                current.decision.status, current.version
            )));
        }
        let number = Self::next_number(&mut tx, a.decided_on.year()).await?;
        let decision = approved(&current.decision, number, a.decided_on)?;
        let done = sqlx::query(
            "UPDATE decisions SET status = 'final', number = ?1, body = ?2, \
             meeting_reference = COALESCE(?3, meeting_reference), updated_at = ?4, \
             version = version + 1 WHERE id = ?5 AND version = ?6 AND status <> 'final'",
        )
        .bind(number.to_string())
        .bind(enc(&decision)?)
        .bind(a.meeting_reference.as_deref())
        .bind(ts(now))
        .bind(decision.id.0)
        .bind(a.expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(conflict("the decision changed meanwhile"));
        }
        Self::set_case_status(&mut tx, decision.case, "recommended", "decided", &now).await?;
        let award = match a.award {
            Some((id, kind)) => {
                let award = award_of(&decision, id)?;
                if let Some(award) = &award {
                    Self::insert_award(&mut tx, award, kind, &now).await?;
                }
                award
            }
            None => None,
        };
        let change = Change {
            action: "decision.approved",
            target_type: "decision",
            target_id: decision.id.to_string(),
            summary: json!({"number": number, "case": decision.case, "outcome": decision.outcome,
                "award": award.as_ref().map(|x| x.id), "meeting_reference": a.meeting_reference}),
        };
        self.audit(&mut tx, ctx, change).await?;
        let sensitive = case_is_sensitive(&mut tx, decision.case).await?;
        crate::webhooks::outbox(
            &mut tx,
            store::decisions::DECISION_ISSUED,
            store::decisions::issued_event(&decision),
            now,
            sensitive,
        )
        .await?;
        crate::notices::write_for_case(&mut tx, decision.case, NoticeKind::DecisionIssued, now)
            .await?;
        let issued = Self::issued(&mut tx, decision.id, decision.case).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(issued)
    }

    async fn correct(&self, ctx: &AuditContext, c: &Correction) -> Result<Issued, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let previous = Self::load_decision(&mut tx, c.previous).await?;
        if let Some(by) = previous.superseded_by {
            return Err(conflict(format!(
                "the decision is already superseded by {by}"
            )));
        }
        let number = Self::next_number(&mut tx, c.decided_on.year()).await?;
        let decision = corrected(&previous.decision, c, number)?;
        Self::insert_decision(&mut tx, &decision, c.meeting_reference.as_deref(), &now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => conflict("the decision is already superseded"),
                other => other,
            })?;
        let existing = Self::load_award_of_case(&mut tx, decision.case).await?;
        let version = existing.as_ref().map(|a| a.version);
        let kind = existing
            .as_ref()
            .map_or(commission::ClaimantKind::Individual, |a| a.claimant_kind);
        match (
            award_after_correction(existing.map(|a| a.award), &decision)?,
            version,
        ) {
            (Some(award), Some(v)) => Self::update_award(&mut tx, &award, v, &now).await?,
            (Some(award), None) => Self::insert_award(&mut tx, &award, kind, &now).await?,
            (None, _) => {}
        }
        let change = Change {
            action: "decision.corrected",
            target_type: "decision",
            target_id: decision.id.to_string(),
            summary: json!({"number": number, "supersedes": decision.supersedes,
                "outcome": decision.outcome}),
        };
        self.audit(&mut tx, ctx, change).await?;
        let sensitive = case_is_sensitive(&mut tx, decision.case).await?;
        crate::webhooks::outbox(
            &mut tx,
            store::decisions::DECISION_ISSUED,
            store::decisions::issued_event(&decision),
            now,
            sensitive,
        )
        .await?;
        crate::notices::write_for_case(&mut tx, decision.case, NoticeKind::DecisionCorrected, now)
            .await?;
        let issued = Self::issued(&mut tx, decision.id, decision.case).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(issued)
    }

    async fn letter(&self, decision: DecisionId) -> Result<LetterRecord, StoreError> {
        let row = sqlx::query("SELECT * FROM decision_letters WHERE decision_id = ?1")
            .bind(decision.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        letter_from_row(&row).map_err(map_err)
    }

    async fn letter_by_code(&self, code: &str) -> Result<LetterRecord, StoreError> {
        let row = sqlx::query("SELECT * FROM decision_letters WHERE code = ?1")
            .bind(code)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        letter_from_row(&row).map_err(map_err)
    }

    async fn issue_letter(
        &self,
        ctx: &AuditContext,
        letter: &NewLetter,
        read: Change,
    ) -> Result<LetterRecord, StoreError> {
        let mut tx = self.begin().await?;
        // Of two first issues at once, the second waits for the first's
        // row and then keeps nothing: both answer the row kept.
        let kept = sqlx::query(
            "INSERT INTO decision_letters (decision_id, code, content, content_hash, issued_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (decision_id) DO NOTHING",
        )
        .bind(letter.decision.0)
        .bind(&letter.code)
        .bind(&letter.content)
        .bind(&letter.content_hash)
        .bind(ts(self.now()))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?
        .rows_affected()
            == 1;
        if kept {
            let change = Change {
                action: "decision.letter_issued",
                target_type: "decision",
                target_id: letter.decision.to_string(),
                summary: json!({"content_hash": letter.content_hash}),
            };
            self.audit(&mut tx, ctx, change).await?;
        }
        self.audit(&mut tx, ctx, read).await?;
        let row = sqlx::query("SELECT * FROM decision_letters WHERE decision_id = ?1")
            .bind(letter.decision.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        let record = letter_from_row(&row).map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }

    async fn award(&self, id: AwardId) -> Result<AwardRecord, StoreError> {
        let row = sqlx::query(&format!("{AWARD_SELECT} WHERE a.id = ?1"))
            .bind(id.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        award_from_row(&row).map_err(map_err)
    }

    async fn award_for_case(&self, case: CaseId) -> Result<AwardRecord, StoreError> {
        let row = sqlx::query(&format!("{AWARD_SELECT} WHERE a.case_id = ?1"))
            .bind(case.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        award_from_row(&row).map_err(map_err)
    }

    async fn awards(&self) -> Result<Vec<AwardRecord>, StoreError> {
        let rows = sqlx::query(&format!("{AWARD_SELECT} ORDER BY a.id"))
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(award_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn award_page(
        &self,
        filter: &AwardFilter,
        page: PageRequest,
    ) -> Result<Page<AwardRecord>, StoreError> {
        let mut q = QueryBuilder::<Kind>::new(format!("{AWARD_SELECT} WHERE 1 = 1"));
        if let Some(status) = filter.status {
            q.push(" AND a.status = ").push_bind(enum_text(&status));
        }
        if let Some(currency) = filter.currency {
            q.push(" AND a.currency = ").push_bind(currency.code());
        }
        if let Some(category) = &filter.category {
            q.push(" AND c.category = ").push_bind(category.clone());
        }
        exclude_categories(&mut q, &filter.exclude_categories);
        if let Some(after) = page.after {
            q.push(" AND a.id > ").push_bind(after.0);
        }
        q.push(" ORDER BY a.id LIMIT ")
            .push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.reader()).await.map_err(map_err)?;
        let list = rows
            .iter()
            .map(award_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(list, page, |a| a.award.id.0))
    }

    async fn save_award(
        &self,
        ctx: &AuditContext,
        award: &Award,
        expected_version: i64,
        action: &'static str,
        summary: serde_json::Value,
    ) -> Result<AwardRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        Self::update_award(&mut tx, award, expected_version, &now).await?;
        let change = Change {
            action,
            target_type: "award",
            target_id: award.id.to_string(),
            summary,
        };
        self.audit(&mut tx, ctx, change).await?;
        if action == store::decisions::PAYMENT_RECORDED {
            let sensitive = case_is_sensitive(&mut tx, award.case).await?;
            crate::webhooks::outbox(
                &mut tx,
                store::decisions::PAYMENT_RECORDED,
                store::decisions::payment_event(award),
                now,
                sensitive,
            )
            .await?;
            crate::notices::write_for_case(&mut tx, award.case, NoticeKind::PaymentRecorded, now)
                .await?;
        }
        tx.commit().await.map_err(map_err)?;
        self.award(award.id).await
    }

    async fn save_award_payees(
        &self,
        ctx: &AuditContext,
        award: &Award,
        bank_details: Option<&Sealed>,
        expected_version: i64,
        summary: serde_json::Value,
    ) -> Result<AwardRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        Self::update_award(&mut tx, award, expected_version, &now).await?;
        sqlx::query("UPDATE awards SET bank_sealed = ?1, bank_key_id = ?2 WHERE id = ?3")
            .bind(bank_details.map(|s| s.bytes.clone()))
            .bind(bank_details.map(|s| s.key_id.clone()))
            .bind(award.id.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let change = Change {
            action: "award.payees_changed",
            target_type: "award",
            target_id: award.id.to_string(),
            summary,
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        self.award(award.id).await
    }

    async fn create_payment_round(
        &self,
        ctx: &AuditContext,
        id: PaymentRoundId,
        preview: &PaymentRoundPreview,
    ) -> Result<PaymentRoundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        sqlx::query(
            "INSERT INTO payment_rounds (id, status, body, created_at, version) \
             VALUES (?1, 'preview', ?2, ?3, 1)",
        )
        .bind(id.0)
        .bind(enc(preview)?)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "payment_round.previewed",
            target_type: "payment_round",
            target_id: id.to_string(),
            summary: json!({"available": preview.available, "total": preview.total,
                "awards": preview.lines.len()}),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        self.payment_round(id).await
    }

    async fn payment_round(&self, id: PaymentRoundId) -> Result<PaymentRoundRecord, StoreError> {
        let row = sqlx::query("SELECT * FROM payment_rounds WHERE id = ?1")
            .bind(id.0)
            .fetch_one(self.reader())
            .await
            .map_err(map_err)?;
        round_from_row(&row).map_err(map_err)
    }

    async fn payment_rounds(
        &self,
        status: Option<RoundStatus>,
        page: PageRequest,
    ) -> Result<Page<PaymentRoundRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM payment_rounds WHERE (?1 IS NULL OR status = ?1) \
             AND (?2 IS NULL OR id > ?2) ORDER BY id LIMIT ?3",
        )
        .bind(status.map(|s| enum_text(&s)))
        .bind(page.after.map(|c| c.0))
        .bind(page.fetch_limit())
        .fetch_all(self.reader())
        .await
        .map_err(map_err)?;
        let list = rows
            .iter()
            .map(round_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(list, page, |r| r.id.0))
    }

    async fn confirm_payment_round(
        &self,
        ctx: &AuditContext,
        id: PaymentRoundId,
        awards: &[(Award, i64)],
    ) -> Result<PaymentRoundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let done = sqlx::query(
            "UPDATE payment_rounds SET status = 'confirmed', confirmed_at = ?1, \
             version = version + 1 WHERE id = ?2 AND status = 'preview'",
        )
        .bind(ts(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(conflict("the payment round is already confirmed"));
        }
        let row = sqlx::query("SELECT * FROM payment_rounds WHERE id = ?1")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        let round = round_from_row(&row).map_err(map_err)?;
        for (award, version) in awards {
            Self::update_award(&mut tx, award, *version, &now).await?;
        }
        for line in round
            .preview
            .lines
            .iter()
            .filter(|l| l.amount.is_positive())
        {
            sqlx::query(
                "INSERT INTO payment_round_entries (round_id, award_id, amount, currency) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(id.0)
            .bind(line.award.0)
            .bind(num(line.amount.amount()))
            .bind(line.amount.currency().code())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        let change = Change {
            action: "payment_round.confirmed",
            target_type: "payment_round",
            target_id: id.to_string(),
            summary: json!({"total": round.preview.total, "awards": awards.len()}),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        self.payment_round(id).await
    }
}

/// Whether the case's claim is sensitive: its events go only to
/// subscriptions that include sensitive events.
async fn case_is_sensitive(tx: &mut Tx, case: commission::CaseId) -> Result<bool, StoreError> {
    sqlx::query_scalar(
        "SELECT c.sensitive FROM cases k JOIN claims c ON c.id = k.claim_id WHERE k.id = ?",
    )
    .bind(case.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(map_err)
}
