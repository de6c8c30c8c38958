//! The Commission's casework on SQLite. Writes run one at a time (the
//! single writer connection, `BEGIN IMMEDIATE`), so a batch chunk can never
//! be taken by two workers at once.

use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use commission::{
    Assessment, BatchId, BatchStatus, CaseId, CaseInvolvement, CaseStatus, ClaimantKey,
    ReleaseDecision, SampleFinding, ValuationRule,
};
use kernel::id::AccountId;
use kernel::{Currency, KeyPageRequest, Money, Page, PageRequest};
use register::ClaimId;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};
use store::cases::{
    AssessmentRate, AssessmentRecord, BatchFilter, BatchPlan, BatchRecord, CaseFacts, CaseFilter,
    CaseRecord, ChunkFn, ChunkItem, ChunkOutcome, DrawFn, DuplicateInputs, JobFilter, JobId,
    JobRecord, JobStatus, NewBatch, RateFilter, RuleRecord, batch_status_of, case_status_of,
    finding_json, member_status, parse_rate_key, parse_rule_key, rate_key, routing_text, rule_key,
};
use store::{AuditContext, CaseStore, Change, StoreError};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

fn decode<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> sqlx::Error {
    sqlx::Error::Decode(e.into())
}

fn bad(what: &str) -> sqlx::Error {
    decode(std::io::Error::other(format!("invalid stored {what}")))
}

fn json_text(row: &PgRow, name: &str) -> Result<Option<Value>, sqlx::Error> {
    row.try_get::<Option<Value>, _>(name)
}

fn case_from_row(row: &PgRow) -> Result<CaseRecord, sqlx::Error> {
    let claimed = match (
        row.try_get::<Option<Decimal>, _>("claimed_amount")?,
        row.try_get::<Option<String>, _>("claimed_currency")?,
    ) {
        (Some(a), Some(c)) => Some(Money::new(a, Currency::from_code(&c).map_err(decode)?)),
        _ => None,
    };
    let status: String = row.try_get("status")?;
    let batch_id = row
        .try_get::<Option<Uuid>, _>("batch_id")?
        .map(BatchId::from_uuid);
    let status = case_status_of(&status).ok_or_else(|| bad("case status"))?;
    Ok(CaseRecord {
        id: CaseId::from_uuid(row.try_get("id")?),
        claim_id: ClaimId::from_uuid(row.try_get("claim_id")?),
        category: row.try_get("category")?,
        region: row.try_get("region")?,
        claimant_key: row.try_get("claimant_key")?,
        claimed,
        facts: serde_json::from_value(json_text(row, "facts")?.unwrap_or(Value::Null))
            .map_err(decode)?,
        status: member_status(status, batch_id),
        assignee: row
            .try_get::<Option<Uuid>, _>("assignee")?
            .map(AccountId::from_uuid),
        batch_id,
        assessment_error: json_text(row, "assessment_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn rule_from_row(row: &PgRow) -> Result<RuleRecord, sqlx::Error> {
    let rule: ValuationRule =
        serde_json::from_value(json_text(row, "rule")?.unwrap_or(Value::Null)).map_err(decode)?;
    Ok(RuleRecord {
        rule,
        used: row.try_get("used")?,
        created_at: row.try_get("created_at")?,
    })
}

fn assessment_from_row(row: &PgRow) -> Result<AssessmentRecord, sqlx::Error> {
    let body: Assessment =
        serde_json::from_value(json_text(row, "body")?.unwrap_or(Value::Null)).map_err(decode)?;
    Ok(AssessmentRecord {
        id: commission::AssessmentId::from_uuid(row.try_get("id")?),
        case_id: CaseId::from_uuid(row.try_get("case_id")?),
        assessor: AccountId::from_uuid(row.try_get("assessor")?),
        batch_id: row
            .try_get::<Option<Uuid>, _>("batch_id")?
            .map(BatchId::from_uuid),
        assessment: body,
        created_at: row.try_get("created_at")?,
    })
}

fn batch_from_row(row: &PgRow) -> Result<BatchRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let seed: String = row.try_get("seed")?;
    let sample: Option<Vec<CaseId>> = json_text(row, "sample")?
        .map(serde_json::from_value)
        .transpose()
        .map_err(decode)?;
    Ok(BatchRecord {
        id: BatchId::from_uuid(row.try_get("id")?),
        category: row.try_get("category")?,
        rule_version: u32::try_from(row.try_get::<i64, _>("rule_version")?).map_err(decode)?,
        filter: serde_json::from_value(json_text(row, "filter")?.unwrap_or(Value::Null))
            .map_err(decode)?,
        status: batch_status_of(&status).ok_or_else(|| bad("batch status"))?,
        round: row.try_get("round")?,
        plan: BatchPlan {
            sample_share: row.try_get::<Decimal, _>("sample_share")?,
            sample_minimum: u32::try_from(row.try_get::<i64, _>("sample_minimum")?)
                .map_err(decode)?,
            error_threshold: row.try_get::<Decimal, _>("error_threshold")?,
            seed: seed.parse().map_err(decode)?,
        },
        sample,
        case_count: row.try_get("case_count")?,
        job_id: row
            .try_get::<Option<Uuid>, _>("job_id")?
            .map(JobId::from_uuid),
        created_by: row
            .try_get::<Option<Uuid>, _>("created_by")?
            .map(AccountId::from_uuid),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn job_from_row(row: &PgRow) -> Result<JobRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(JobRecord {
        id: JobId::from_uuid(row.try_get("id")?),
        kind: row.try_get("kind")?,
        subject_id: row.try_get("subject_id")?,
        status: JobStatus::parse(&status).ok_or_else(|| bad("job status"))?,
        total: row.try_get("total")?,
        processed: row.try_get("processed")?,
        assessed: row.try_get("assessed")?,
        routed_individual: row.try_get("routed_individual")?,
        failed: row.try_get("failed")?,
        chunks: row.try_get("chunks")?,
        leased_by: row.try_get("leased_by")?,
        leased_until: row.try_get("leased_until")?,
        error: row.try_get("error")?,
        created_by: row
            .try_get::<Option<Uuid>, _>("created_by")?
            .map(AccountId::from_uuid),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn finding_from_row(row: &PgRow) -> Result<SampleFinding, sqlx::Error> {
    Ok(SampleFinding {
        case: CaseId::from_uuid(row.try_get("case_id")?),
        reviewer: AccountId::from_uuid(row.try_get("reviewer")?),
        finding: serde_json::from_value(json_text(row, "finding")?.unwrap_or(Value::Null))
            .map_err(decode)?,
    })
}

/// The batch of the case `c`, if any, through the memberships' index on
/// the case (a case is in at most one batch).
macro_rules! case_batch {
    () => {
        "(SELECT m.batch_id FROM batch_cases m WHERE m.case_id = c.id)"
    };
}

/// Whether the case `c` is in a batch.
macro_rules! in_a_batch {
    () => {
        "EXISTS (SELECT 1 FROM batch_cases m WHERE m.case_id = c.id)"
    };
}

/// A case's row with its batch, from `cases c`.
macro_rules! select_case {
    () => {
        concat!("SELECT c.*, ", case_batch!(), " AS batch_id FROM cases c")
    };
}

/// Selecting cases into a batch and distributing cases to assessors take
/// this advisory lock, the first alone, the others shared: membership is
/// not written to the case row, so the row lock no longer orders them.
const MEMBERSHIP_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('redress.batch_membership'))";
const MEMBERSHIP_LOCK_SHARED: &str =
    "SELECT pg_advisory_xact_lock_shared(hashtext('redress.batch_membership'))";

/// Adds the filter's conditions (all `AND ...`) on `cases c`.
fn push_filter(q: &mut QueryBuilder<'_, Postgres>, filter: &CaseFilter) {
    // A member whose row says `awaiting_assessment` is `assigned` to its
    // batch (`store::cases::member_status`).
    match filter.status {
        None => {}
        Some(CaseStatus::AwaitingAssessment) => {
            q.push(concat!(
                " AND c.status = 'awaiting_assessment' AND NOT ",
                in_a_batch!()
            ));
        }
        Some(CaseStatus::Assigned) => {
            q.push(concat!(
                " AND (c.status = 'assigned' OR (c.status = 'awaiting_assessment' AND ",
                in_a_batch!(),
                "))"
            ));
        }
        Some(s) => {
            q.push(" AND c.status = ").push_bind(s.as_str());
        }
    }
    if let Some(c) = &filter.category {
        q.push(" AND c.category = ").push_bind(c.clone());
    }
    if let Some(r) = &filter.region {
        q.push(" AND c.region = ").push_bind(r.clone());
    }
    if !filter.exclude_categories.is_empty() {
        q.push(" AND c.category <> ALL(")
            .push_bind(filter.exclude_categories.clone())
            .push(")");
    }
    if let Some(a) = filter.assignee {
        q.push(" AND c.assignee = ").push_bind(a.0);
    }
    if let Some(b) = filter.batch {
        q.push(" AND c.id IN (SELECT m.case_id FROM batch_cases m WHERE m.batch_id = ")
            .push_bind(b.0)
            .push(")");
    }
    if let Some(currency) = filter.currency {
        q.push(" AND c.claimed_currency = ")
            .push_bind(currency.code());
        if let Some(min) = filter.min_amount {
            q.push(" AND c.claimed_amount >= ").push_bind(min);
        }
        if let Some(max) = filter.max_amount {
            q.push(" AND c.claimed_amount <= ").push_bind(max);
        }
    }
}

/// Creates the case of a claim being recorded, inside the recording
/// transaction. Does nothing if the claim has a case already.
fn rate_from_row(r: &PgRow) -> Result<AssessmentRate, sqlx::Error> {
    Ok(AssessmentRate {
        from: Currency::from_code(&r.try_get::<String, _>("from_currency")?).map_err(decode)?,
        to: Currency::from_code(&r.try_get::<String, _>("to_currency")?).map_err(decode)?,
        date: r.try_get("rate_date")?,
        rate: r.try_get("rate")?,
        source: r.try_get("source")?,
    })
}

pub(crate) async fn insert_case(
    tx: &mut Transaction<'static, Postgres>,
    claim: ClaimId,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let row = sqlx::query(
        "SELECT category, region, claimant_key, totals, content, incident_from, submitted_at \
         FROM claims WHERE id = $1",
    )
    .bind(claim.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(map_err)?;
    let read = || -> Result<_, sqlx::Error> {
        let totals = json_text(&row, "totals")?.unwrap_or_else(|| json!([]));
        let content = json_text(&row, "content")?.unwrap_or(Value::Null);
        let incident = row.try_get::<Option<Date>, _>("incident_from")?;
        let facts = CaseFacts::from_claim(
            &totals,
            &content,
            row.try_get("region")?,
            incident,
            row.try_get("submitted_at")?,
        );
        Ok((
            row.try_get::<Option<String>, _>("category")?
                .unwrap_or_default(),
            row.try_get::<Option<String>, _>("region")?,
            row.try_get::<Option<String>, _>("claimant_key")?,
            facts,
        ))
    };
    let (category, region, claimant_key, facts) = read().map_err(map_err)?;
    insert_case_row(
        tx,
        CaseId::new(),
        claim,
        &category,
        region.as_deref(),
        claimant_key.as_deref(),
        &facts,
        now,
    )
    .await
}

#[allow(clippy::too_many_arguments, reason = "one column each")]
async fn insert_case_row(
    tx: &mut Transaction<'static, Postgres>,
    id: CaseId,
    claim: ClaimId,
    category: &str,
    region: Option<&str>,
    claimant_key: Option<&str>,
    facts: &CaseFacts,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let main = facts.main_total();
    sqlx::query(
        "INSERT INTO cases (id, claim_id, category, region, claimant_key, claimed_amount, \
         claimed_currency, facts, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'awaiting_assessment', $9, $10) \
         ON CONFLICT (claim_id) DO NOTHING",
    )
    .bind(id.0)
    .bind(claim.0)
    .bind(category)
    .bind(region)
    .bind(claimant_key)
    .bind(main.map(|m| m.amount()))
    .bind(main.map(|m| m.currency().code()))
    .bind(serde_json::to_value(facts).map_err(StoreError::internal)?)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    Ok(())
}

impl PostgresStore {
    async fn load_case<'e, E>(executor: E, id: CaseId) -> Result<CaseRecord, StoreError>
    where
        E: sqlx::Executor<'e, Database = Postgres>,
    {
        let row = sqlx::query(concat!(select_case!(), " WHERE c.id = $1"))
            .bind(id.0)
            .fetch_one(executor)
            .await
            .map_err(map_err)?;
        case_from_row(&row).map_err(map_err)
    }

    async fn load_batch<'e, E>(executor: E, id: BatchId) -> Result<BatchRecord, StoreError>
    where
        E: sqlx::Executor<'e, Database = Postgres>,
    {
        let row = sqlx::query("SELECT * FROM batches WHERE id = $1")
            .bind(id.0)
            .fetch_one(executor)
            .await
            .map_err(map_err)?;
        batch_from_row(&row).map_err(map_err)
    }

    async fn load_job<'e, E>(executor: E, id: JobId) -> Result<JobRecord, StoreError>
    where
        E: sqlx::Executor<'e, Database = Postgres>,
    {
        let row = sqlx::query("SELECT * FROM jobs WHERE id = $1")
            .bind(id.0)
            .fetch_one(executor)
            .await
            .map_err(map_err)?;
        job_from_row(&row).map_err(map_err)
    }

    /// Renews the lease if this worker still holds it.
    async fn renew_lease(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        job: JobId,
        worker: &str,
        lease: time::Duration,
    ) -> Result<JobRecord, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET leased_until = $1, updated_at = $2 \
             WHERE id = $3 AND leased_by = $4 AND status = 'running'",
        )
        .bind(now + lease)
        .bind(now)
        .bind(job.0)
        .bind(worker)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "job {job} is not leased by {worker}"
            )));
        }
        Self::load_job(&mut **tx, job).await
    }

    /// Up to `limit` cases of `batch` still to assess, above `after`,
    /// locked (skipping locked ones), with their batch.
    async fn chunk_cases(
        tx: &mut Transaction<'static, Postgres>,
        batch: BatchId,
        limit: u32,
        after: Option<CaseId>,
    ) -> Result<Vec<PgRow>, StoreError> {
        sqlx::query(
            "SELECT c.*, m.batch_id FROM batch_cases m JOIN cases c ON c.id = m.case_id \
             WHERE m.batch_id = $1 AND m.case_id > $3 \
             AND c.status IN ('awaiting_assessment', 'assigned') AND c.assessment_error IS NULL \
             ORDER BY m.case_id LIMIT $2 FOR UPDATE OF c SKIP LOCKED",
        )
        .bind(batch.0)
        .bind(i64::from(limit))
        .bind(after.map_or(Uuid::nil(), |a| a.0))
        .fetch_all(&mut **tx)
        .await
        .map_err(map_err)
    }

    async fn insert_assessment(
        tx: &mut Transaction<'static, Postgres>,
        case: CaseId,
        assessor: AccountId,
        batch: Option<BatchId>,
        assessment: &Assessment,
        now: &OffsetDateTime,
    ) -> Result<AssessmentRecord, StoreError> {
        let id = commission::AssessmentId::new();
        sqlx::query(
            "INSERT INTO assessments (id, case_id, rule_category, rule_version, assessor, batch_id, \
             routing, result_amount, result_currency, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.0)
        .bind(case.0)
        .bind(&assessment.rule.category)
        .bind(i64::from(assessment.rule.version))
        .bind(assessor.0)
        .bind(batch.map(|b| b.0))
        .bind(routing_text(assessment.routing))
        .bind(assessment.result.amount())
        .bind(assessment.result.currency().code())
        .bind(serde_json::to_value(assessment).map_err(StoreError::internal)?)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        let row = sqlx::query("SELECT * FROM assessments WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut **tx)
            .await
            .map_err(map_err)?;
        assessment_from_row(&row).map_err(map_err)
    }
}

/// The assessments of one chunk as columns, for one `UNNEST` insert.
#[derive(Default)]
struct AssessedRows {
    ids: Vec<Uuid>,
    cases: Vec<Uuid>,
    rule_categories: Vec<String>,
    rule_versions: Vec<i64>,
    routings: Vec<&'static str>,
    amounts: Vec<Decimal>,
    currencies: Vec<&'static str>,
    /// Serialised straight from the assessment, without a `Value` tree.
    bodies: Vec<sqlx::types::Json<Assessment>>,
}

impl AssessedRows {
    fn push(&mut self, case: CaseId, assessment: Assessment) {
        self.ids.push(commission::AssessmentId::new().0);
        self.cases.push(case.0);
        self.rule_categories.push(assessment.rule.category.clone());
        self.rule_versions.push(i64::from(assessment.rule.version));
        self.routings.push(routing_text(assessment.routing));
        self.amounts.push(assessment.result.amount());
        self.currencies.push(assessment.result.currency().code());
        self.bodies.push(sqlx::types::Json(assessment));
    }
}

fn job_ctx(job: &JobRecord) -> AuditContext {
    AuditContext {
        actor: job.created_by,
        actor_role: Some("job".into()),
        reason: Some(format!("job {}", job.id)),
        ..AuditContext::default()
    }
}

#[async_trait]
impl CaseStore for PostgresStore {
    async fn cases(
        &self,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> Result<Page<CaseRecord>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new(concat!(select_case!(), " WHERE 1 = 1"));
        push_filter(&mut q, filter);
        if let Some(after) = page.after {
            q.push(" AND c.id > ").push_bind(after.0);
        }
        q.push(" ORDER BY c.id LIMIT ")
            .push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.pool()).await.map_err(map_err)?;
        let cases = rows
            .iter()
            .map(case_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(cases, page, |c| c.id.0))
    }

    async fn case(&self, id: CaseId) -> Result<CaseRecord, StoreError> {
        Self::load_case(self.pool(), id).await
    }

    async fn case_for_claim(&self, claim: ClaimId) -> Result<CaseRecord, StoreError> {
        let row = sqlx::query(concat!(select_case!(), " WHERE c.claim_id = $1"))
            .bind(claim.0)
            .fetch_one(self.pool())
            .await
            .map_err(map_err)?;
        case_from_row(&row).map_err(map_err)
    }

    async fn assign_case(
        &self,
        ctx: &AuditContext,
        id: CaseId,
        expected_version: Option<i64>,
        assignee: AccountId,
    ) -> Result<CaseRecord, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(MEMBERSHIP_LOCK_SHARED)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let before = Self::load_case(&mut *tx, id).await?;
        let done = sqlx::query(concat!(
            "UPDATE cases c SET assignee = $1, status = 'assigned', updated_at = $2, \
             version = version + 1 WHERE c.id = $3 \
             AND c.status IN ('awaiting_assessment', 'assigned') AND NOT ",
            in_a_batch!(),
            " AND ($4::bigint IS NULL OR c.version = $4)"
        ))
        .bind(assignee.0)
        .bind(self.now())
        .bind(id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "case is {} at version {}{}",
                before.status,
                before.version,
                if before.batch_id.is_some() {
                    " in a batch"
                } else {
                    ""
                }
            )));
        }
        let change = Change {
            action: "case.assigned",
            target_type: "case",
            target_id: id.to_string(),
            summary: json!({ "assignee": assignee, "previous": before.assignee }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let case = Self::load_case(&mut *tx, id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(case)
    }

    async fn distribute_cases(
        &self,
        ctx: &AuditContext,
        filter: &CaseFilter,
        assessors: &[AccountId],
        limit: u32,
    ) -> Result<Vec<(CaseId, AccountId)>, StoreError> {
        if assessors.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        sqlx::query(MEMBERSHIP_LOCK_SHARED)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT c.id FROM cases c WHERE c.status = 'awaiting_assessment' \
             AND NOT EXISTS (SELECT 1 FROM batch_cases m WHERE m.case_id = c.id)",
        );
        let filter = CaseFilter {
            status: None,
            batch: None,
            ..filter.clone()
        };
        push_filter(&mut q, &filter);
        q.push(" ORDER BY c.id LIMIT ")
            .push_bind(i64::from(limit))
            .push(" FOR UPDATE OF c SKIP LOCKED");
        let ids: Vec<Uuid> = q
            .build_query_scalar()
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        let now = self.now();
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.into_iter().enumerate() {
            let assessor = assessors[i % assessors.len()];
            sqlx::query(
                "UPDATE cases SET assignee = $1, status = 'assigned', updated_at = $2, version = version + 1 \
                 WHERE id = $3",
            )
            .bind(assessor.0)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            out.push((CaseId::from_uuid(id), assessor));
        }
        if !out.is_empty() {
            let change = Change {
                action: "cases.distributed",
                target_type: "case",
                target_id: "many".into(),
                summary: json!({
                    "assessors": assessors,
                    "assignments": out.iter().map(|(c, a)| json!([c, a])).collect::<Vec<_>>(),
                }),
            };
            self.audit(&mut tx, ctx, change).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(out)
    }

    async fn put_valuation_rule(
        &self,
        ctx: &AuditContext,
        rule: &ValuationRule,
    ) -> Result<RuleRecord, StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "INSERT INTO valuation_rules (category, version, rule, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&rule.category)
        .bind(i64::from(rule.version))
        .bind(serde_json::to_value(rule).map_err(StoreError::internal)?)
        .bind(ctx.actor.map(|a| a.0))
        .bind(self.now())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "rule {} exists already; create version {}",
                rule.reference(),
                rule.version + 1
            )));
        }
        let change = Change {
            action: "valuation_rule.published",
            target_type: "valuation_rule",
            target_id: rule.reference().to_string(),
            summary: serde_json::to_value(rule).unwrap_or(Value::Null),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        self.valuation_rule(&rule.category, Some(rule.version))
            .await
    }

    async fn valuation_rules(
        &self,
        category: Option<&str>,
        page: &KeyPageRequest,
    ) -> Result<Page<RuleRecord>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT r.rule, r.created_at, EXISTS (SELECT 1 FROM assessments a \
             WHERE a.rule_category = r.category AND a.rule_version = r.version) AS used \
             FROM valuation_rules r WHERE TRUE",
        );
        if let Some(category) = category {
            q.push(" AND r.category = ").push_bind(category.to_owned());
        }
        if let Some(key) = &page.after {
            let (category, version) = parse_rule_key(&key.0).ok_or(StoreError::NotFound)?;
            q.push(" AND (r.category, r.version) > (")
                .push_bind(category)
                .push(", ")
                .push_bind(i64::from(version))
                .push(")");
        }
        q.push(" ORDER BY r.category, r.version LIMIT ")
            .push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.pool()).await.map_err(map_err)?;
        let rules = rows
            .iter()
            .map(rule_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_keyed_rows(rules, page, |r| {
            rule_key(&r.rule.category, r.rule.version)
        }))
    }

    async fn valuation_rule(
        &self,
        category: &str,
        version: Option<u32>,
    ) -> Result<RuleRecord, StoreError> {
        let row = sqlx::query(
            "SELECT r.rule, r.created_at, EXISTS (SELECT 1 FROM assessments a \
             WHERE a.rule_category = r.category AND a.rule_version = r.version) AS used \
             FROM valuation_rules r WHERE r.category = $1 AND ($2::bigint IS NULL OR r.version = $2) \
             ORDER BY r.version DESC LIMIT 1",
        )
        .bind(category)
        .bind(version.map(i64::from))
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        rule_from_row(&row).map_err(map_err)
    }

    async fn record_assessment_rates(
        &self,
        ctx: &AuditContext,
        rates: &[AssessmentRate],
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let mut stored = Vec::with_capacity(rates.len());
        for r in rates {
            let done = sqlx::query(
                "INSERT INTO assessment_rates (from_currency, to_currency, rate_date, rate, source, \
                 recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(r.from.code())
            .bind(r.to.code())
            .bind(r.date)
            .bind(r.rate)
            .bind(&r.source)
            .bind(ctx.actor.map(|a| a.0))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            stored.push(done.rows_affected() == 1);
        }
        let count = stored.iter().filter(|s| **s).count();
        if count > 0 {
            let change = Change {
                action: "assessment_rates.recorded",
                target_type: "assessment_rate",
                target_id: if rates.len() == 1 {
                    format!("{}/{}/{}", rates[0].from, rates[0].to, rates[0].date)
                } else {
                    "many".into()
                },
                summary: json!({
                    "recorded": count,
                    "rates": rates.iter().zip(&stored).filter(|(_, s)| **s).map(|(r, _)| r).take(50).collect::<Vec<_>>(),
                }),
            };
            self.audit(&mut tx, ctx, change).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(stored)
    }

    async fn assessment_rates(
        &self,
        to: Currency,
        from_date: Date,
        to_date: Date,
    ) -> Result<Vec<AssessmentRate>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM assessment_rates WHERE to_currency = $1 AND rate_date >= $2 AND rate_date <= $3 \
             ORDER BY from_currency, rate_date",
        )
        .bind(to.code())
        .bind(from_date)
        .bind(to_date)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(rate_from_row)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    async fn assessment_rate_list(
        &self,
        filter: &RateFilter,
        page: &KeyPageRequest,
    ) -> Result<Page<AssessmentRate>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM assessment_rates WHERE TRUE");
        if let Some(from) = filter.from {
            q.push(" AND from_currency = ").push_bind(from.code());
        }
        if let Some(to) = filter.to {
            q.push(" AND to_currency = ").push_bind(to.code());
        }
        if let Some(since) = filter.since {
            q.push(" AND rate_date >= ").push_bind(since);
        }
        if let Some(until) = filter.until {
            q.push(" AND rate_date <= ").push_bind(until);
        }
        if let Some(after) = &page.after {
            let (from, to, date) = parse_rate_key(&after.0).ok_or(StoreError::NotFound)?;
            q.push(" AND (from_currency, to_currency, rate_date) > (")
                .push_bind(from.code())
                .push(", ")
                .push_bind(to.code())
                .push(", ")
                .push_bind(date)
                .push(")");
        }
        q.push(" ORDER BY from_currency, to_currency, rate_date LIMIT ")
            .push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.pool()).await.map_err(map_err)?;
        let rates = rows
            .iter()
            .map(rate_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_keyed_rows(rates, page, rate_key))
    }

    async fn record_assessment(
        &self,
        ctx: &AuditContext,
        case: CaseId,
        expected_version: Option<i64>,
        assessor: AccountId,
        assessment: &Assessment,
    ) -> Result<(CaseRecord, AssessmentRecord), StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let done = sqlx::query(
            "UPDATE cases SET status = 'assessed', assessment_error = NULL, updated_at = $1, \
             version = version + 1 WHERE id = $2 AND status = 'assigned' AND ($3::bigint IS NULL OR version = $3)",
        )
        .bind(now)
        .bind(case.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            let current = Self::load_case(&mut *tx, case).await?;
            return Err(StoreError::Conflict(format!(
                "case is {} at version {}",
                current.status, current.version
            )));
        }
        let record =
            Self::insert_assessment(&mut tx, case, assessor, None, assessment, &now).await?;
        let change = Change {
            action: "case.assessed",
            target_type: "case",
            target_id: case.to_string(),
            summary: json!({
                "assessment": record.id,
                "rule": assessment.rule.reference(),
                "result": assessment.result,
                "routing": assessment.routing,
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let updated = Self::load_case(&mut *tx, case).await?;
        tx.commit().await.map_err(map_err)?;
        Ok((updated, record))
    }

    async fn assessments(&self, case: CaseId) -> Result<Vec<AssessmentRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM assessments WHERE case_id = $1 ORDER BY id")
            .bind(case.0)
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(assessment_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn case_involvement(&self, case: CaseId) -> Result<CaseInvolvement, StoreError> {
        let assessed: Vec<Uuid> =
            sqlx::query_scalar("SELECT DISTINCT assessor FROM assessments WHERE case_id = $1")
                .bind(case.0)
                .fetch_all(self.pool())
                .await
                .map_err(map_err)?;
        let reviewed: Vec<Uuid> =
            sqlx::query_scalar("SELECT DISTINCT reviewer FROM batch_findings WHERE case_id = $1")
                .bind(case.0)
                .fetch_all(self.pool())
                .await
                .map_err(map_err)?;
        Ok(CaseInvolvement {
            assessed_by: assessed.into_iter().map(AccountId::from_uuid).collect(),
            sample_reviewed_by: reviewed.into_iter().map(AccountId::from_uuid).collect(),
        })
    }

    async fn create_batch(
        &self,
        ctx: &AuditContext,
        batch: &NewBatch,
    ) -> Result<BatchRecord, StoreError> {
        let id = BatchId::new();
        let now = self.now();
        let filter = CaseFilter {
            status: None,
            batch: None,
            assignee: None,
            category: Some(batch.category.clone()),
            ..batch.filter.clone()
        };
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO batches (id, category, rule_version, filter, status, sample_share, \
             sample_minimum, error_threshold, seed, case_count, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'selected', $5, $6, $7, $8, 0, $9, $10, $11)",
        )
        .bind(id.0)
        .bind(&batch.category)
        .bind(i64::from(batch.rule_version))
        .bind(serde_json::to_value(&filter).map_err(StoreError::internal)?)
        .bind(batch.plan.sample_share)
        .bind(i64::from(batch.plan.sample_minimum))
        .bind(batch.plan.error_threshold)
        .bind(batch.plan.seed.to_string())
        .bind(ctx.actor.map(|a| a.0))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        // Only the membership is written; the case rows are left alone until
        // their assessment. The lock orders this selection after any other
        // one and any assignment, which would otherwise not see its cases
        // taken.
        sqlx::query(MEMBERSHIP_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let mut q =
            QueryBuilder::<Postgres>::new("INSERT INTO batch_cases (batch_id, case_id) SELECT ");
        q.push_bind(id.0).push(
            "::uuid, c.id FROM cases c WHERE c.status = 'awaiting_assessment' \
             AND NOT EXISTS (SELECT 1 FROM batch_cases m WHERE m.case_id = c.id)",
        );
        push_filter(&mut q, &filter);
        q.push(" ORDER BY c.id LIMIT ")
            .push_bind(i64::from(batch.max_cases));
        let selected = q.build().execute(&mut *tx).await.map_err(map_err)?;
        let count = i64::try_from(selected.rows_affected()).map_err(StoreError::internal)?;
        if count == 0 {
            return Err(StoreError::Conflict(
                "no case awaiting assessment matches the filter".into(),
            ));
        }
        sqlx::query("UPDATE batches SET case_count = $1 WHERE id = $2")
            .bind(count)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let change = Change {
            action: "batch.created",
            target_type: "batch",
            target_id: id.to_string(),
            summary: json!({
                "rule": format!("{} v{}", batch.category, batch.rule_version),
                "filter": filter,
                "cases": count,
                "plan": batch.plan,
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let record = Self::load_batch(&mut *tx, id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }

    async fn batches(
        &self,
        filter: &BatchFilter,
        page: PageRequest,
    ) -> Result<Page<BatchRecord>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM batches WHERE TRUE");
        if let Some(status) = filter.status {
            q.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(category) = &filter.category {
            q.push(" AND category = ").push_bind(category.clone());
        }
        if !filter.exclude_categories.is_empty() {
            q.push(" AND NOT (category = ANY(")
                .push_bind(filter.exclude_categories.clone())
                .push("))");
        }
        if let Some(after) = page.after {
            q.push(" AND id > ").push_bind(after.0);
        }
        q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.pool()).await.map_err(map_err)?;
        let batches = rows
            .iter()
            .map(batch_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(batches, page, |b| b.id.0))
    }

    async fn jobs(
        &self,
        filter: &JobFilter,
        page: PageRequest,
    ) -> Result<Page<JobRecord>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM jobs WHERE TRUE");
        if let Some(kind) = &filter.kind {
            q.push(" AND kind = ").push_bind(kind.clone());
        }
        if let Some(status) = filter.status {
            q.push(" AND status = ").push_bind(status.as_str());
        }
        if !filter.exclude_categories.is_empty() {
            q.push(" AND subject_id NOT IN (SELECT id FROM batches WHERE category = ANY(")
                .push_bind(filter.exclude_categories.clone())
                .push("))");
        }
        if let Some(after) = page.after {
            q.push(" AND id > ").push_bind(after.0);
        }
        q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.pool()).await.map_err(map_err)?;
        let jobs = rows
            .iter()
            .map(job_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(jobs, page, |j| j.id.0))
    }

    async fn batch(&self, id: BatchId) -> Result<BatchRecord, StoreError> {
        Self::load_batch(self.pool(), id).await
    }

    async fn start_batch_assessment(
        &self,
        ctx: &AuditContext,
        batch: BatchId,
    ) -> Result<(BatchRecord, JobRecord), StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let job = JobId::new();
        let done: Option<(i32, i64)> = sqlx::query_as(
            "UPDATE batches SET status = 'assessing', round = round + 1, job_id = $1, sample = NULL, \
             updated_at = $2, version = version + 1 WHERE id = $3 AND status IN ('selected', 'returned') \
             RETURNING round, case_count",
        )
        .bind(job.0)
        .bind(now)
        .bind(batch.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some((round, case_count)) = done else {
            let current = Self::load_batch(&mut *tx, batch).await?;
            return Err(StoreError::Conflict(format!("batch is {}", current.status)));
        };
        let total: i64 = if round == 1 {
            // Never assessed: every case selected is still to do, and none
            // has an error to clear.
            case_count
        } else {
            // Only the cases that failed last round: rewriting every case
            // of the batch would cost as much as assessing it.
            sqlx::query(
                "UPDATE cases c SET assessment_error = NULL FROM batch_cases m \
                 WHERE m.batch_id = $1 AND c.id = m.case_id AND c.assessment_error IS NOT NULL",
            )
            .bind(batch.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM batch_cases m JOIN cases c ON c.id = m.case_id \
                 WHERE m.batch_id = $1 AND c.status IN ('awaiting_assessment', 'assigned')",
            )
            .bind(batch.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?
        };
        sqlx::query(
            "INSERT INTO jobs (id, kind, subject_id, status, total, created_by, created_at, updated_at) \
             VALUES ($1, 'batch_assessment', $2, 'queued', $3, $4, $5, $6)",
        )
        .bind(job.0)
        .bind(batch.0)
        .bind(total)
        .bind(ctx.actor.map(|a| a.0))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "batch.assessment_started",
            target_type: "batch",
            target_id: batch.to_string(),
            summary: json!({ "job": job, "cases": total }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let b = Self::load_batch(&mut *tx, batch).await?;
        let j = Self::load_job(&mut *tx, job).await?;
        tx.commit().await.map_err(map_err)?;
        Ok((b, j))
    }

    async fn job(&self, id: JobId) -> Result<JobRecord, StoreError> {
        Self::load_job(self.pool(), id).await
    }

    async fn claim_job(
        &self,
        worker: &str,
        lease: time::Duration,
    ) -> Result<Option<JobRecord>, StoreError> {
        let now = self.now();
        // Read first: most polls find nothing, and need not take the writer.
        let open: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE status IN ('queued', 'running') \
             AND (leased_until IS NULL OR leased_until < $1) ORDER BY created_at LIMIT 1",
        )
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        if open.is_none() {
            return Ok(None);
        }
        let mut tx = self.begin().await?;
        let id: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE status IN ('queued', 'running') \
             AND (leased_until IS NULL OR leased_until < $1) ORDER BY created_at LIMIT 1 \
             FOR UPDATE SKIP LOCKED",
        )
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(id) = id else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE jobs SET status = 'running', leased_by = $1, leased_until = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(worker)
        .bind(now + lease)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let job = Self::load_job(&mut *tx, JobId::from_uuid(id)).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Some(job))
    }

    async fn assess_chunk(
        &self,
        job: JobId,
        worker: &str,
        lease: time::Duration,
        limit: u32,
        after: Option<CaseId>,
        assess: &ChunkFn,
    ) -> Result<ChunkOutcome, StoreError> {
        // The lease is checked here and renewed with the progress at the
        // end, so the job's row is locked only from then to the commit and
        // a worker can run chunks side by side (their cases are disjoint:
        // `SKIP LOCKED`). A worker that lost the lease meanwhile fails the
        // final update and its chunk rolls back.
        let mut tx = self.begin().await?;
        let record = Self::load_job(&mut *tx, job).await?;
        if record.leased_by.as_deref() != Some(worker) || record.status != JobStatus::Running {
            return Err(StoreError::Conflict(format!(
                "job {job} is not leased by {worker}"
            )));
        }
        let batch = BatchId::from_uuid(record.subject_id);
        // The batch's cases in id order along the membership key, from
        // `after` (UUIDv7 ids are never nil); members still to do this round
        // are those whose row is not yet assessed. Nothing above `after`
        // while the job's counts say cases are left (one skipped while
        // another chunk held it, which then rolled back): look from the
        // start.
        let mut rows = Self::chunk_cases(&mut tx, batch, limit, after).await?;
        if rows.is_empty() && after.is_some() && record.processed < record.total {
            rows = Self::chunk_cases(&mut tx, batch, limit, None).await?;
        }
        if rows.is_empty() {
            return Ok(ChunkOutcome {
                processed: 0,
                last: None,
            });
        }
        let last = rows
            .last()
            .map(|r| r.try_get::<Uuid, _>("id"))
            .transpose()
            .map_err(map_err)?
            .map(CaseId::from_uuid);
        let now = self.now();
        let assessor = record.created_by.unwrap_or_default();
        // The rule runs in Rust; the chunk's writes are then one statement
        // per kind of outcome (arrays unnested), not three per case: a
        // round trip per case was most of a batch's time.
        let mut assessed = AssessedRows::default();
        let mut individual: Vec<Uuid> = Vec::new();
        let (mut failed_ids, mut failed_errors): (Vec<Uuid>, Vec<Value>) = (Vec::new(), Vec::new());
        for row in &rows {
            let case = case_from_row(row).map_err(map_err)?;
            match assess(&case) {
                ChunkItem::Assessed(a) => assessed.push(case.id, *a),
                ChunkItem::Individual => individual.push(case.id.0),
                ChunkItem::Failed(error) => {
                    failed_ids.push(case.id.0);
                    failed_errors.push(error);
                }
            }
        }
        if !assessed.cases.is_empty() {
            sqlx::query(
                "INSERT INTO assessments (id, case_id, rule_category, rule_version, assessor, batch_id, \
                 routing, result_amount, result_currency, body, created_at) \
                 SELECT a.id, a.case_id, a.rule_category, a.rule_version, $7, $8, a.routing, \
                 a.result_amount, a.result_currency, a.body, $9 \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], \
                 $6::numeric[], $10::text[], $11::jsonb[]) \
                 AS a(id, case_id, rule_category, rule_version, routing, result_amount, \
                 result_currency, body)",
            )
            .bind(&assessed.ids)
            .bind(&assessed.cases)
            .bind(&assessed.rule_categories)
            .bind(&assessed.rule_versions)
            .bind(&assessed.routings)
            .bind(&assessed.amounts)
            .bind(assessor.0)
            .bind(batch.0)
            .bind(now)
            .bind(&assessed.currencies)
            .bind(&assessed.bodies)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            // The chunk's rows are locked above, so they are still
            // `assigned`; saying so again would let stale statistics pick
            // the status index and filter the whole batch through it.
            sqlx::query(
                "UPDATE cases SET status = 'assessed', updated_at = $1, version = version + 1 \
                 WHERE id = ANY($2)",
            )
            .bind(now)
            .bind(&assessed.cases)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        if !individual.is_empty() {
            // The case leaves the batch, back to the queue.
            sqlx::query("DELETE FROM batch_cases WHERE batch_id = $1 AND case_id = ANY($2)")
                .bind(batch.0)
                .bind(&individual)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            sqlx::query(
                "UPDATE cases SET status = 'awaiting_assessment', assignee = NULL, \
                 updated_at = $1, version = version + 1 WHERE id = ANY($2)",
            )
            .bind(now)
            .bind(&individual)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        if !failed_ids.is_empty() {
            sqlx::query(
                "UPDATE cases SET assessment_error = f.error \
                 FROM UNNEST($1::uuid[], $2::jsonb[]) AS f(id, error) WHERE cases.id = f.id",
            )
            .bind(&failed_ids)
            .bind(&failed_errors)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        let assessed_n = i64::try_from(assessed.cases.len()).map_err(StoreError::internal)?;
        let individual_n = i64::try_from(individual.len()).map_err(StoreError::internal)?;
        let failed_n = i64::try_from(failed_ids.len()).map_err(StoreError::internal)?;
        let n = i64::try_from(rows.len()).map_err(StoreError::internal)?;
        let renewed = sqlx::query(
            "UPDATE jobs SET processed = processed + $1, assessed = assessed + $2, \
             routed_individual = routed_individual + $3, failed = failed + $4, chunks = chunks + 1, \
             updated_at = $5, leased_until = $7 \
             WHERE id = $6 AND leased_by = $8 AND status = 'running'",
        )
        .bind(n)
        .bind(assessed_n)
        .bind(individual_n)
        .bind(failed_n)
        .bind(now)
        .bind(job.0)
        .bind(now + lease)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if renewed.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "job {job} is not leased by {worker}"
            )));
        }
        let change = Change {
            action: "batch.chunk_assessed",
            target_type: "batch",
            target_id: batch.to_string(),
            summary: json!({
                "job": job,
                "assessed": assessed_n,
                "routed_individual": individual_n,
                "failed": failed_n,
                "first_case": rows.first().and_then(|r| r.try_get::<Uuid, _>("id").ok()),
                "last_case": rows.last().and_then(|r| r.try_get::<Uuid, _>("id").ok()),
            }),
        };
        self.audit(&mut tx, &job_ctx(&record), change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(ChunkOutcome {
            processed: rows.len(),
            last,
        })
    }

    async fn finish_batch_job(
        &self,
        job: JobId,
        worker: &str,
        draw: &DrawFn,
    ) -> Result<BatchRecord, StoreError> {
        let mut tx = self.begin().await?;
        let record = self
            .renew_lease(&mut tx, job, worker, time::Duration::ZERO)
            .await?;
        let batch = BatchId::from_uuid(record.subject_id);
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT m.case_id FROM batch_cases m JOIN cases c ON c.id = m.case_id \
             WHERE m.batch_id = $1 AND c.status = 'assessed' ORDER BY m.case_id",
        )
        .bind(batch.0)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        let sample: Vec<CaseId> = draw(&ids).into_iter().map(CaseId::from_uuid).collect();
        let now = self.now();
        let done = sqlx::query(
            "UPDATE batches SET status = 'in_review', sample = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND status = 'assessing'",
        )
        .bind(serde_json::to_value(&sample).map_err(StoreError::internal)?)
        .bind(now)
        .bind(batch.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the batch is not being assessed".into(),
            ));
        }
        sqlx::query(
            "UPDATE jobs SET status = 'completed', finished_at = $1, updated_at = $2, leased_by = NULL, \
             leased_until = NULL WHERE id = $3",
        )
        .bind(now)
        .bind(now)
        .bind(job.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "batch.sampled",
            target_type: "batch",
            target_id: batch.to_string(),
            summary: json!({ "job": job, "assessed": ids.len(), "sample": sample }),
        };
        self.audit(&mut tx, &job_ctx(&record), change).await?;
        let b = Self::load_batch(&mut *tx, batch).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(b)
    }

    async fn fail_job(&self, job: JobId, worker: &str, error: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let record = self
            .renew_lease(&mut tx, job, worker, time::Duration::ZERO)
            .await?;
        let now = self.now();
        sqlx::query(
            "UPDATE jobs SET status = 'failed', error = $1, finished_at = $2, updated_at = $3, \
             leased_by = NULL, leased_until = NULL WHERE id = $4",
        )
        .bind(error)
        .bind(now)
        .bind(now)
        .bind(job.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "job.failed",
            target_type: "job",
            target_id: job.to_string(),
            summary: json!({ "error": error }),
        };
        self.audit(&mut tx, &job_ctx(&record), change).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn record_finding(
        &self,
        ctx: &AuditContext,
        batch: BatchId,
        round: i32,
        finding: &SampleFinding,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "INSERT INTO batch_findings (batch_id, round, case_id, reviewer, finding, is_error, at) \
             SELECT $1::uuid, $2::integer, $3::uuid, $4::uuid, $5::jsonb, $6::boolean, $7::timestamptz WHERE EXISTS (SELECT 1 FROM batches WHERE id = $8 \
             AND status = 'in_review' AND round = $9) ON CONFLICT DO NOTHING",
        )
        .bind(batch.0)
        .bind(round)
        .bind(finding.case.0)
        .bind(finding.reviewer.0)
        .bind(finding_json(&finding.finding))
        .bind(finding.is_error())
        .bind(self.now())
        .bind(batch.0)
        .bind(round)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the case is already reviewed in this round, or the batch is not in review".into(),
            ));
        }
        let change = Change {
            action: "batch.sample_reviewed",
            target_type: "case",
            target_id: finding.case.to_string(),
            summary: json!({ "batch": batch, "round": round, "finding": finding.finding }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn findings(&self, batch: BatchId, round: i32) -> Result<Vec<SampleFinding>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM batch_findings WHERE batch_id = $1 AND round = $2 ORDER BY case_id",
        )
        .bind(batch.0)
        .bind(round)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(finding_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn duplicate_inputs(&self, batch: BatchId) -> Result<DuplicateInputs, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.claimant_key, c.category FROM batch_cases m \
             JOIN cases c ON c.id = m.case_id WHERE m.batch_id = $1 \
             AND c.claimant_key IS NOT NULL ORDER BY m.case_id",
        )
        .bind(batch.0)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let in_batch = rows
            .iter()
            .map(|r| {
                Ok((
                    CaseId::from_uuid(r.try_get("id")?),
                    ClaimantKey(r.try_get("claimant_key")?),
                    r.try_get("category")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(map_err)?;
        let rows = sqlx::query(
            "SELECT o.claimant_key, o.category FROM cases o WHERE o.claimant_key IN \
             (SELECT c.claimant_key FROM batch_cases m JOIN cases c ON c.id = m.case_id \
             WHERE m.batch_id = $1 AND c.claimant_key IS NOT NULL) \
             AND NOT EXISTS (SELECT 1 FROM batch_cases x WHERE x.batch_id = $1 AND x.case_id = o.id) \
             AND o.status IN ('assessed', 'ready_for_panel', 'recommended', 'decided')",
        )
        .bind(batch.0)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let assessed = rows
            .iter()
            .map(|r| {
                Ok((
                    ClaimantKey(r.try_get("claimant_key")?),
                    r.try_get("category")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(map_err)?;
        Ok(DuplicateInputs {
            batch: in_batch,
            assessed,
        })
    }

    async fn clear_duplicate(
        &self,
        ctx: &AuditContext,
        batch: BatchId,
        case: CaseId,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO batch_clearances (batch_id, case_id, cleared_by, reason, at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(batch.0)
        .bind(case.0)
        .bind(ctx.actor.map(|a| a.0).unwrap_or_default())
        .bind(reason)
        .bind(self.now())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "batch.duplicate_cleared",
            target_type: "case",
            target_id: case.to_string(),
            summary: json!({ "batch": batch }),
        };
        let ctx = AuditContext {
            reason: Some(reason.to_owned()),
            ..ctx.clone()
        };
        self.audit(&mut tx, &ctx, change).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn cleared_duplicates(&self, batch: BatchId) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<Uuid> =
            sqlx::query_scalar("SELECT case_id FROM batch_clearances WHERE batch_id = $1")
                .bind(batch.0)
                .fetch_all(self.pool())
                .await
                .map_err(map_err)?;
        Ok(ids.into_iter().map(CaseId::from_uuid).collect())
    }

    async fn decide_batch(
        &self,
        ctx: &AuditContext,
        batch: BatchId,
        expected_version: i64,
        decision: ReleaseDecision,
        summary: Value,
    ) -> Result<BatchRecord, StoreError> {
        let (to, case_to, action) = match decision {
            ReleaseDecision::Release => (
                BatchStatus::Released,
                CaseStatus::ReadyForPanel,
                "batch.released",
            ),
            ReleaseDecision::ReturnForReassessment => (
                BatchStatus::Returned,
                CaseStatus::Assigned,
                "batch.returned",
            ),
        };
        let mut tx = self.begin().await?;
        let now = self.now();
        let done = sqlx::query(
            "UPDATE batches SET status = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND status = 'in_review' AND version = $4",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(batch.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            let current = Self::load_batch(&mut *tx, batch).await?;
            return Err(StoreError::Conflict(format!(
                "batch is {} at version {}",
                current.status, current.version
            )));
        }
        let moved = sqlx::query(
            "UPDATE cases c SET status = $1, updated_at = $2, version = c.version + 1 \
             FROM batch_cases m WHERE m.batch_id = $3 AND c.id = m.case_id AND c.status = 'assessed'",
        )
        .bind(case_to.as_str())
        .bind(now)
        .bind(batch.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action,
            target_type: "batch",
            target_id: batch.to_string(),
            summary: json!({ "cases": moved.rows_affected(), "to": case_to, "decision": summary }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let b = Self::load_batch(&mut *tx, batch).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(b)
    }

    #[cfg(feature = "testing")]
    async fn insert_synthetic_cases(
        &self,
        filed_by: AccountId,
        cases: &[store::cases::SyntheticCase],
    ) -> Result<Vec<CaseId>, StoreError> {
        let mut tx = self.begin().await?;
        let now = self.now();
        let at = now;
        let mut ids = Vec::with_capacity(cases.len());
        for c in cases {
            let claim = ClaimId::new();
            sqlx::query(
                "INSERT INTO claims (id, filed_by, status, category, content, claimant_key, region, \
                 totals, created_at, updated_at, submitted_at, decided_at, sensitive) \
                 VALUES ($1, $2, 'recorded', $3, '{}', $4, $5, $6, $7, $8, $9, $10, \
                 coalesce((SELECT (definition->>'sensitive')::boolean FROM categories \
                 WHERE code = $3), false))",
            )
            .bind(claim.0)
            .bind(filed_by.0)
            .bind(&c.category)
            .bind(&c.claimant_key)
            .bind(&c.region)
            .bind(serde_json::to_value(&c.facts.claimed).map_err(StoreError::internal)?)
            .bind(at)
            .bind(at)
            .bind(at)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            let counted = store::reports::CountDims {
                status: "recorded".into(),
                category: c.category.clone(),
                region: c.region.clone().unwrap_or_default(),
                month: store::reports::month_of(now),
            };
            crate::reports::bump_counts(&mut tx, None, Some(&counted)).await?;
            let id = CaseId::new();
            insert_case_row(
                &mut tx,
                id,
                claim,
                &c.category,
                c.region.as_deref(),
                c.claimant_key.as_deref(),
                &c.facts,
                now,
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await.map_err(map_err)?;
        Ok(ids)
    }
}
