//! The ratification tracker's record on SQLite.
//!
//! Dates are `YYYY-MM-DD` text, amounts and rates decimal text (exact, and
//! never through a float). Checked writes need no extra lock: every write
//! opens with `BEGIN IMMEDIATE` on the single writer connection, so the
//! record read inside the transaction cannot change before it commits.

use crate::{SqliteStore, map_err, time_text};
use async_trait::async_trait;
use kernel::{Currency, Money};
use ratification::{
    ActionError, ActionKind, BasisCode, BasisTotal, BasisTotalError, ContributionConfirmation,
    ConventionEvent, ExchangeRate, FundingDetermination, FundingDeterminationError, Participant,
    ParticipantCode, ParticipantKind, Pledge, Seed, TreatyAction, Weight, WeightError,
};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, Transaction};
use std::str::FromStr;
use store::ratification::RecordedParticipant;
use store::{
    AuditContext, Change, ConventionEventId, ConventionRecord, ConventionStore, Decide,
    NewConventionEvent, Recorded, Refused, StoreError, StoredConventionEvent,
};
use time::macros::format_description;
use time::{Date, OffsetDateTime};

fn encode_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

fn bad(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} {value:?} in the ratification record").into())
}

fn date_at(row: &SqliteRow, column: &str) -> Result<Date, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Date::parse(&text, format_description!("[year]-[month]-[day]")).map_err(|_| bad("date", &text))
}

fn code_at(row: &SqliteRow, column: &str) -> Result<ParticipantCode, sqlx::Error> {
    let text: String = row.try_get(column)?;
    ParticipantCode::parse(&text).map_err(|_| bad("participant code", &text))
}

fn decimal_at(row: &SqliteRow, column: &str) -> Result<Decimal, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Decimal::from_str(&text).map_err(|_| bad("decimal", &text))
}

fn currency_at(row: &SqliteRow, column: &str) -> Result<Currency, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Currency::from_code(&text).map_err(|_| bad("currency", &text))
}

/// The current time as stored: to the microsecond, so that what a write
/// returns equals what a later read finds.
fn stored_time(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(at.nanosecond() / 1_000 * 1_000)
        .unwrap_or(at)
}

fn uuid_opt<T: From<uuid::Uuid>>(row: &SqliteRow, column: &str) -> Result<Option<T>, sqlx::Error> {
    Ok(row
        .try_get::<Option<uuid::Uuid>, _>(column)?
        .map(Into::into))
}

fn recorded<T>(row: &SqliteRow, item: T) -> Result<Recorded<T>, sqlx::Error> {
    Ok(Recorded {
        item,
        recorded_at: row.try_get("recorded_at")?,
        recorded_by: uuid_opt(row, "recorded_by")?,
    })
}

fn participant_from_row(row: &SqliteRow) -> Result<Participant, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Participant {
        code: code_at(row, "code")?,
        name: row.try_get("name")?,
        name_uk: row.try_get("name_uk")?,
        kind: match kind.as_str() {
            "state" => ParticipantKind::State,
            "organisation" => ParticipantKind::Organisation,
            _ => return Err(bad("participant kind", &kind)),
        },
        council_of_europe_member: row.try_get("council_of_europe_member")?,
    })
}

fn participant_entry_from_row(row: &SqliteRow) -> Result<RecordedParticipant, sqlx::Error> {
    Ok(RecordedParticipant {
        participant: participant_from_row(row)?,
        recorded_at: row.try_get("created_at")?,
        recorded_by: uuid_opt(row, "recorded_by")?,
    })
}

fn basis_at(row: &SqliteRow) -> Result<BasisCode, sqlx::Error> {
    let text: String = row.try_get("basis")?;
    BasisCode::parse(&text).map_err(|_| bad("basis", &text))
}

fn weight_from_row(row: &SqliteRow) -> Result<Recorded<Weight>, sqlx::Error> {
    let weight = Weight {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        participant: code_at(row, "participant")?,
        basis: basis_at(row)?,
        value: decimal_at(row, "value")?,
        unit: row.try_get("unit")?,
        source: row.try_get("source")?,
        date: date_at(row, "date")?,
        supersedes: uuid_opt(row, "supersedes")?,
    };
    recorded(row, weight)
}

fn total_from_row(row: &SqliteRow) -> Result<Recorded<BasisTotal>, sqlx::Error> {
    let total = BasisTotal {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        basis: basis_at(row)?,
        value: decimal_at(row, "value")?,
        unit: row.try_get("unit")?,
        source: row.try_get("source")?,
        date: date_at(row, "date")?,
        assumed: row.try_get("assumed")?,
        supersedes: uuid_opt(row, "supersedes")?,
    };
    recorded(row, total)
}

fn action_from_row(row: &SqliteRow) -> Result<Recorded<TreatyAction>, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let action = TreatyAction {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        participant: code_at(row, "participant")?,
        kind: ActionKind::from_str(&kind).map_err(|_| bad("action kind", &kind))?,
        date: date_at(row, "date")?,
        text: row.try_get("text")?,
        supersedes: uuid_opt(row, "supersedes")?,
        withdraws: uuid_opt(row, "withdraws")?,
    };
    recorded(row, action)
}

fn determination_from_row(row: &SqliteRow) -> Result<Recorded<FundingDetermination>, sqlx::Error> {
    let determination = FundingDetermination {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        date: date_at(row, "date")?,
        text: row.try_get("text")?,
        supersedes: uuid_opt(row, "supersedes")?,
    };
    recorded(row, determination)
}

fn money_at(row: &SqliteRow) -> Result<Money, sqlx::Error> {
    Ok(Money::new(
        decimal_at(row, "amount")?,
        currency_at(row, "currency")?,
    ))
}

fn pledge_from_row(row: &SqliteRow) -> Result<Recorded<Pledge>, sqlx::Error> {
    let pledge = Pledge {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        participant: code_at(row, "participant")?,
        amount: money_at(row)?,
        date: date_at(row, "date")?,
        note: row.try_get("note")?,
    };
    recorded(row, pledge)
}

fn contribution_from_row(
    row: &SqliteRow,
) -> Result<Recorded<ContributionConfirmation>, sqlx::Error> {
    let contribution = ContributionConfirmation {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        participant: code_at(row, "participant")?,
        amount: money_at(row)?,
        date: date_at(row, "date")?,
        note: row.try_get("note")?,
    };
    recorded(row, contribution)
}

fn rate_from_row(row: &SqliteRow) -> Result<Recorded<ExchangeRate>, sqlx::Error> {
    let rate = ExchangeRate {
        from: currency_at(row, "from_currency")?,
        to: currency_at(row, "to_currency")?,
        rate: decimal_at(row, "rate")?,
        date: date_at(row, "date")?,
        source: row.try_get("source")?,
    };
    recorded(row, rate)
}

fn event_from_row(row: &SqliteRow) -> Result<StoredConventionEvent, sqlx::Error> {
    let payload: String = row.try_get("payload")?;
    let event: ConventionEvent =
        serde_json::from_str(&payload).map_err(|e| sqlx::Error::Decode(e.into()))?;
    Ok(StoredConventionEvent {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        at: row.try_get("at")?,
        kind: row.try_get("kind")?,
        event,
    })
}

async fn all<T>(
    conn: &mut SqliteConnection,
    sql: &str,
    decode: fn(&SqliteRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError> {
    let rows = sqlx::query(sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)
}

/// The whole record, read on `conn` (inside a transaction for a
/// consistent snapshot).
async fn load_record(conn: &mut SqliteConnection) -> Result<ConventionRecord, StoreError> {
    let participant_entries = all(
        conn,
        "SELECT code, name, name_uk, kind, council_of_europe_member, created_at, recorded_by \
         FROM participants ORDER BY code",
        participant_entry_from_row,
    )
    .await?;
    Ok(ConventionRecord {
        participants: participant_entries
            .iter()
            .map(|p| p.participant.clone())
            .collect(),
        participant_entries,
        weights: all(
            conn,
            "SELECT id, participant, basis, value, unit, source, date, supersedes, recorded_at, \
             recorded_by FROM convention_weights ORDER BY recorded_at, id",
            weight_from_row,
        )
        .await?,
        basis_totals: all(
            conn,
            "SELECT id, basis, value, unit, source, date, assumed, supersedes, recorded_at, \
             recorded_by FROM convention_basis_totals ORDER BY recorded_at, id",
            total_from_row,
        )
        .await?,
        actions: all(
            conn,
            "SELECT id, participant, kind, date, text, supersedes, withdraws, recorded_at, \
             recorded_by FROM treaty_actions ORDER BY recorded_at, id",
            action_from_row,
        )
        .await?,
        funding_determinations: all(
            conn,
            "SELECT id, date, text, supersedes, recorded_at, recorded_by \
             FROM funding_determinations ORDER BY recorded_at, id",
            determination_from_row,
        )
        .await?,
        pledges: all(
            conn,
            "SELECT id, participant, amount, currency, date, note, recorded_at, recorded_by \
             FROM pledges ORDER BY recorded_at, id",
            pledge_from_row,
        )
        .await?,
        contributions: all(
            conn,
            "SELECT id, participant, amount, currency, date, note, recorded_at, recorded_by \
             FROM contribution_confirmations ORDER BY recorded_at, id",
            contribution_from_row,
        )
        .await?,
        exchange_rates: all(
            conn,
            "SELECT from_currency, to_currency, rate, date, source, recorded_at, recorded_by \
             FROM exchange_rates ORDER BY recorded_at, id",
            rate_from_row,
        )
        .await?,
        events: all(
            conn,
            "SELECT id, at, kind, payload FROM convention_events ORDER BY id",
            event_from_row,
        )
        .await?,
    })
}

impl SqliteStore {
    async fn insert_action(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        action: &TreatyAction,
        at: OffsetDateTime,
        by: Option<uuid::Uuid>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO treaty_actions (id, participant, kind, date, text, supersedes, \
             withdraws, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(action.id.0)
        .bind(action.participant.as_str())
        .bind(action.kind.as_str())
        .bind(encode_date(action.date))
        .bind(&action.text)
        .bind(action.supersedes.map(|s| s.0))
        .bind(action.withdraws.map(|w| w.0))
        .bind(time_text::encode(at))
        .bind(by)
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(map_err)
    }

    /// Appends an event unless one with its dedupe key exists.
    async fn insert_event(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        event: &NewConventionEvent,
    ) -> Result<Option<StoredConventionEvent>, StoreError> {
        let stored = StoredConventionEvent {
            id: ConventionEventId::new(),
            at: stored_time(self.now()),
            kind: event.kind().to_owned(),
            event: event.event,
        };
        let payload = serde_json::to_string(&stored.event).map_err(StoreError::internal)?;
        let done = sqlx::query(
            "INSERT INTO convention_events (id, at, kind, payload, dedupe_key) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(stored.id.0)
        .bind(time_text::encode(stored.at))
        .bind(&stored.kind)
        .bind(payload)
        .bind(&event.dedupe_key)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let data = serde_json::json!({
            "event_id": stored.id, "kind": stored.kind, "event": stored.event,
        });
        let event_type = format!("convention.{}", stored.kind);
        crate::webhooks::outbox(tx, &event_type, data, stored.at, false).await?;
        Ok(Some(stored))
    }

    /// Adds a participant to the record.
    async fn insert_participant(
        tx: &mut Transaction<'static, Sqlite>,
        participant: &Participant,
        at: OffsetDateTime,
        by: Option<uuid::Uuid>,
    ) -> Result<u64, StoreError> {
        sqlx::query(
            "INSERT INTO participants (code, name, name_uk, kind, council_of_europe_member, \
             created_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(participant.code.as_str())
        .bind(&participant.name)
        .bind(&participant.name_uk)
        .bind(participant.kind.as_str())
        .bind(participant.council_of_europe_member)
        .bind(time_text::encode(at))
        .bind(by)
        .execute(&mut **tx)
        .await
        .map(|done| done.rows_affected())
        .map_err(map_err)
    }

    async fn insert_total(
        tx: &mut Transaction<'static, Sqlite>,
        total: &BasisTotal,
        at: OffsetDateTime,
        by: Option<uuid::Uuid>,
    ) -> Result<u64, StoreError> {
        sqlx::query(
            "INSERT INTO convention_basis_totals (id, basis, value, unit, source, date, assumed, \
             supersedes, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(total.id.0)
        .bind(total.basis.as_str())
        .bind(total.value.to_string())
        .bind(&total.unit)
        .bind(&total.source)
        .bind(encode_date(total.date))
        .bind(total.assumed)
        .bind(total.supersedes.map(|s| s.0))
        .bind(time_text::encode(at))
        .bind(by)
        .execute(&mut **tx)
        .await
        .map(|done| done.rows_affected())
        .map_err(map_err)
    }

    async fn insert_money_row(
        tx: &mut Transaction<'static, Sqlite>,
        row: MoneyRow<'_>,
        at: OffsetDateTime,
        by: Option<uuid::Uuid>,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO {} (id, participant, amount, currency, date, note, recorded_at, \
             recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row.table
        ))
        .bind(row.id)
        .bind(row.participant.as_str())
        .bind(row.amount.amount().to_string())
        .bind(row.amount.currency().code())
        .bind(encode_date(row.date))
        .bind(row.note)
        .bind(time_text::encode(at))
        .bind(by)
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(map_err)
    }
}

/// A pledge or a contribution, as a row of its table.
struct MoneyRow<'a> {
    table: &'static str,
    id: uuid::Uuid,
    participant: &'a ParticipantCode,
    amount: Money,
    date: Date,
    note: Option<&'a str>,
}

fn event_summary(event: Option<&StoredConventionEvent>) -> serde_json::Value {
    event.map_or(serde_json::Value::Null, |e| json!(e.event))
}

#[async_trait]
impl ConventionStore for SqliteStore {
    async fn seed_convention(&self, ctx: &AuditContext, seed: &Seed) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM participants")
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if existing > 0 {
            return Ok(0);
        }
        let at = stored_time(self.now());
        let mut added = 0;
        for participant in &seed.participants {
            let done = Self::insert_participant(&mut tx, participant, at, None).await?;
            added += usize::try_from(done).unwrap_or_default();
        }
        for signature in &seed.signatures {
            self.insert_action(&mut tx, signature, at, None).await?;
        }
        let change = Change {
            action: "convention.seeded",
            target_type: "convention",
            target_id: "participants".into(),
            summary: json!({
                "participants": seed.participants,
                "signatures": seed.signatures,
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(added)
    }

    async fn convention_record(&self) -> Result<ConventionRecord, StoreError> {
        let mut tx = self.reader().begin().await.map_err(map_err)?;
        let record = load_record(&mut tx).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }

    async fn record_treaty_action(
        &self,
        ctx: &AuditContext,
        participant: Option<Participant>,
        action: TreatyAction,
        decide: Decide<'_, ActionError>,
    ) -> Result<Recorded<TreatyAction>, Refused<ActionError>> {
        let mut tx = self.begin().await?;
        let mut record = load_record(&mut tx).await?;
        let at = stored_time(self.now());
        let by = ctx.actor.map(|a| a.0);
        if let Some(new) = &participant {
            store::ratification::admit_participant(&mut record, new, at, ctx.actor)?;
        }
        let event = decide(&record)?;
        let mut added = None;
        if let Some(new) = &participant {
            Self::insert_participant(&mut tx, new, at, by).await?;
            let joined = NewConventionEvent {
                event: ConventionEvent::ParticipantAdded {
                    participant: new.code,
                },
                dedupe_key: None,
            };
            added = self.insert_event(&mut tx, &joined).await?;
        }
        self.insert_action(&mut tx, &action, at, by).await?;
        let stored = match &event {
            Some(event) => self.insert_event(&mut tx, event).await?,
            None => None,
        };
        let change = Change {
            action: "treaty_action.recorded",
            target_type: "participant",
            target_id: action.participant.to_string(),
            summary: json!({
                "action": action,
                "participant_added": participant.as_ref().map(|_| event_summary(added.as_ref())),
                "new_participant": participant,
                "event": event_summary(stored.as_ref()),
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Recorded {
            item: action,
            recorded_at: at,
            recorded_by: ctx.actor,
        })
    }

    async fn record_weight(
        &self,
        ctx: &AuditContext,
        weight: Weight,
        decide: Decide<'_, WeightError>,
    ) -> Result<Recorded<Weight>, Refused<WeightError>> {
        let mut tx = self.begin().await?;
        let record = load_record(&mut tx).await?;
        let event = decide(&record)?;
        let at = stored_time(self.now());
        sqlx::query(
            "INSERT INTO convention_weights (id, participant, basis, value, unit, source, date, \
             supersedes, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(weight.id.0)
        .bind(weight.participant.as_str())
        .bind(weight.basis.as_str())
        .bind(weight.value.to_string())
        .bind(&weight.unit)
        .bind(&weight.source)
        .bind(encode_date(weight.date))
        .bind(weight.supersedes.map(|s| s.0))
        .bind(time_text::encode(at))
        .bind(ctx.actor.map(|a| a.0))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let stored = match &event {
            Some(event) => self.insert_event(&mut tx, event).await?,
            None => None,
        };
        let change = Change {
            action: "convention_weight.recorded",
            target_type: "participant",
            target_id: weight.participant.to_string(),
            summary: json!({ "weight": weight, "event": event_summary(stored.as_ref()) }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Recorded {
            item: weight,
            recorded_at: at,
            recorded_by: ctx.actor,
        })
    }

    async fn record_basis_total(
        &self,
        ctx: &AuditContext,
        total: BasisTotal,
        decide: Decide<'_, BasisTotalError>,
    ) -> Result<Recorded<BasisTotal>, Refused<BasisTotalError>> {
        let mut tx = self.begin().await?;
        let record = load_record(&mut tx).await?;
        let event = decide(&record)?;
        let at = stored_time(self.now());
        if Self::insert_total(&mut tx, &total, at, ctx.actor.map(|a| a.0)).await? == 0 {
            return Err(Refused::Store(StoreError::Conflict(format!(
                "a total with id {} is already recorded",
                total.id
            ))));
        }
        let stored = match &event {
            Some(event) => self.insert_event(&mut tx, event).await?,
            None => None,
        };
        let change = Change {
            action: "convention_basis_total.recorded",
            target_type: "convention_basis",
            target_id: total.basis.to_string(),
            summary: json!({ "total": total, "event": event_summary(stored.as_ref()) }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Recorded {
            item: total,
            recorded_at: at,
            recorded_by: ctx.actor,
        })
    }

    async fn seed_basis_totals(
        &self,
        ctx: &AuditContext,
        totals: &[BasisTotal],
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let at = stored_time(self.now());
        let mut added = Vec::new();
        for total in totals {
            if Self::insert_total(&mut tx, total, at, None).await? > 0 {
                added.push(total);
            }
        }
        if added.is_empty() {
            return Ok(0);
        }
        let change = Change {
            action: "convention.seeded",
            target_type: "convention",
            target_id: "basis_totals".into(),
            summary: json!({ "basis_totals": added }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(added.len())
    }

    async fn record_funding_determination(
        &self,
        ctx: &AuditContext,
        determination: FundingDetermination,
        decide: Decide<'_, FundingDeterminationError>,
    ) -> Result<Recorded<FundingDetermination>, Refused<FundingDeterminationError>> {
        let mut tx = self.begin().await?;
        let record = load_record(&mut tx).await?;
        let event = decide(&record)?;
        let at = stored_time(self.now());
        sqlx::query(
            "INSERT INTO funding_determinations (id, date, text, supersedes, recorded_at, \
             recorded_by) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(determination.id.0)
        .bind(encode_date(determination.date))
        .bind(&determination.text)
        .bind(determination.supersedes.map(|s| s.0))
        .bind(time_text::encode(at))
        .bind(ctx.actor.map(|a| a.0))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let stored = match &event {
            Some(event) => self.insert_event(&mut tx, event).await?,
            None => None,
        };
        let change = Change {
            action: "funding_determination.recorded",
            target_type: "funding_determination",
            target_id: determination.id.to_string(),
            summary: json!({
                "determination": determination,
                "event": event_summary(stored.as_ref()),
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Recorded {
            item: determination,
            recorded_at: at,
            recorded_by: ctx.actor,
        })
    }

    async fn record_pledge(
        &self,
        ctx: &AuditContext,
        pledge: Pledge,
    ) -> Result<Recorded<Pledge>, StoreError> {
        let mut tx = self.begin().await?;
        let at = stored_time(self.now());
        let row = MoneyRow {
            table: "pledges",
            id: pledge.id.0,
            participant: &pledge.participant,
            amount: pledge.amount,
            date: pledge.date,
            note: pledge.note.as_deref(),
        };
        Self::insert_money_row(&mut tx, row, at, ctx.actor.map(|a| a.0)).await?;
        let change = Change {
            action: "pledge.recorded",
            target_type: "participant",
            target_id: pledge.participant.to_string(),
            summary: json!({ "pledge": pledge }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Recorded {
            item: pledge,
            recorded_at: at,
            recorded_by: ctx.actor,
        })
    }

    async fn record_contribution(
        &self,
        ctx: &AuditContext,
        contribution: ContributionConfirmation,
    ) -> Result<Recorded<ContributionConfirmation>, StoreError> {
        let mut tx = self.begin().await?;
        let at = stored_time(self.now());
        let row = MoneyRow {
            table: "contribution_confirmations",
            id: contribution.id.0,
            participant: &contribution.participant,
            amount: contribution.amount,
            date: contribution.date,
            note: contribution.note.as_deref(),
        };
        Self::insert_money_row(&mut tx, row, at, ctx.actor.map(|a| a.0)).await?;
        let change = Change {
            action: "contribution.confirmed",
            target_type: "participant",
            target_id: contribution.participant.to_string(),
            summary: json!({ "contribution": contribution }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Recorded {
            item: contribution,
            recorded_at: at,
            recorded_by: ctx.actor,
        })
    }

    async fn record_exchange_rate(
        &self,
        ctx: &AuditContext,
        rate: ExchangeRate,
    ) -> Result<Recorded<ExchangeRate>, StoreError> {
        let mut tx = self.begin().await?;
        let at = stored_time(self.now());
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO exchange_rates (id, from_currency, to_currency, rate, date, source, \
             recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(rate.from.code())
        .bind(rate.to.code())
        .bind(rate.rate.to_string())
        .bind(encode_date(rate.date))
        .bind(&rate.source)
        .bind(time_text::encode(at))
        .bind(ctx.actor.map(|a| a.0))
        .execute(&mut *tx)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "a rate from {} to {} on {} by {:?} is already recorded",
                rate.from,
                rate.to,
                encode_date(rate.date),
                rate.source
            )),
            other => other,
        })?;
        let change = Change {
            action: "exchange_rate.recorded",
            target_type: "exchange_rate",
            target_id: id.to_string(),
            summary: json!({ "rate": rate }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Recorded {
            item: rate,
            recorded_at: at,
            recorded_by: ctx.actor,
        })
    }

    async fn append_convention_event(
        &self,
        ctx: &AuditContext,
        event: NewConventionEvent,
    ) -> Result<Option<StoredConventionEvent>, StoreError> {
        let mut tx = self.begin().await?;
        let Some(stored) = self.insert_event(&mut tx, &event).await? else {
            return Ok(None);
        };
        let change = Change {
            action: "convention_event.recorded",
            target_type: "convention_event",
            target_id: stored.id.to_string(),
            summary: json!({ "event": stored.event }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Some(stored))
    }

    async fn convention_events(&self) -> Result<Vec<StoredConventionEvent>, StoreError> {
        let mut conn = self.reader().acquire().await.map_err(map_err)?;
        all(
            &mut conn,
            "SELECT id, at, kind, payload FROM convention_events ORDER BY id",
            event_from_row,
        )
        .await
    }
}
