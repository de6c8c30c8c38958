use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use kernel::access::Clearance;
use kernel::id::{AccountId, TokenId};
use kernel::{Page, PageRequest, Role};
use serde_json::json;
use sqlx::Row;
use sqlx::postgres::PgRow;
use store::{
    Account, AccountStatus, AccountStore, AuditContext, Change, ChangeEpoch, NewAccount, NewToken,
    StoreError, TokenRecord,
};
use time::OffsetDateTime;

const ACCOUNT_COLUMNS: &str = "a.id, a.display_name, a.status, a.participant, a.external_subject, \
    a.created_at, a.version, \
    (SELECT string_agg(role, ',') FROM account_roles r WHERE r.account_id = a.id) AS roles, \
    (SELECT string_agg(clearance, ',') FROM account_clearances c WHERE c.account_id = a.id) AS clearances";

fn split<T: std::str::FromStr>(list: Option<String>) -> Vec<T> {
    let mut items: Vec<T> = list
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    items.shrink_to_fit();
    items
}

fn clearance_from(text: &str) -> Option<Clearance> {
    (text == "sensitive").then_some(Clearance::Sensitive)
}

fn account_from_row(row: &PgRow) -> Result<Account, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let mut roles: Vec<Role> = split(row.try_get("roles")?);
    roles.sort();
    let clearances = row
        .try_get::<Option<String>, _>("clearances")?
        .unwrap_or_default()
        .split(',')
        .filter_map(clearance_from)
        .collect();
    Ok(Account {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        display_name: row.try_get("display_name")?,
        status: AccountStatus::parse(&status)
            .ok_or_else(|| sqlx::Error::Decode(format!("bad status {status}").into()))?,
        roles,
        clearances,
        participant: row.try_get("participant")?,
        external_subject: row.try_get("external_subject")?,
        created_at: row.try_get("created_at")?,
        version: row.try_get("version")?,
    })
}

fn token_from_row(row: &PgRow) -> Result<TokenRecord, sqlx::Error> {
    Ok(TokenRecord {
        id: row.try_get::<uuid::Uuid, _>("token_id")?.into(),
        account: row.try_get::<uuid::Uuid, _>("account_id")?.into(),
        label: row.try_get("label")?,
        created_at: row.try_get("token_created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

const TOKEN_COLUMNS: &str = "t.id AS token_id, t.account_id, t.label, t.created_at AS token_created_at, \
    t.expires_at, t.revoked_at, t.last_used_at";

impl PostgresStore {
    async fn load_account<'e, E>(executor: E, id: AccountId) -> Result<Account, StoreError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Postgres>,
    {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"
        ))
        .bind(id.0)
        .fetch_one(executor)
        .await
        .map_err(map_err)?;
        account_from_row(&row).map_err(map_err)
    }

    async fn load_token<'e, E>(executor: E, id: TokenId) -> Result<TokenRecord, StoreError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Postgres>,
    {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.id = $1"
        ))
        .bind(id.0)
        .fetch_one(executor)
        .await
        .map_err(map_err)?;
        token_from_row(&row).map_err(map_err)
    }
}

#[async_trait]
impl AccountStore for PostgresStore {
    fn credential_epoch(&self) -> Option<ChangeEpoch> {
        self.credentials.as_ref().map(|(epoch, _)| epoch.clone())
    }

    async fn create_account(
        &self,
        ctx: &AuditContext,
        new: NewAccount,
    ) -> Result<Account, StoreError> {
        let id = AccountId::new();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO accounts (id, display_name, status, participant, external_subject, created_at) \
             VALUES ($1, $2, 'active', $3, $4, $5)",
        )
        .bind(id.0)
        .bind(&new.display_name)
        .bind(&new.participant)
        .bind(&new.external_subject)
        .bind(self.now())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        for role in &new.roles {
            sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id.0)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        for clearance in &new.clearances {
            let Clearance::Sensitive = clearance;
            sqlx::query("INSERT INTO account_clearances (account_id, clearance) VALUES ($1, 'sensitive') ON CONFLICT DO NOTHING")
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let change = Change {
            action: "account.created",
            target_type: "account",
            target_id: id.to_string(),
            summary: json!({
                "display_name": new.display_name,
                "roles": new.roles,
                "clearances": new.clearances,
                "participant": new.participant,
                "external_subject": new.external_subject,
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let account = Self::load_account(&mut *tx, id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(account)
    }

    async fn account(&self, id: AccountId) -> Result<Account, StoreError> {
        Self::load_account(self.pool(), id).await
    }

    async fn account_by_external_subject(&self, subject: &str) -> Result<Account, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.external_subject = $1"
        ))
        .bind(subject)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        account_from_row(&row).map_err(map_err)
    }

    async fn accounts(&self, page: PageRequest) -> Result<Page<Account>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE ($1::uuid IS NULL OR a.id > $1) ORDER BY a.id LIMIT $2"
        ))
        .bind(page.after.map(|c| c.0))
        .bind(page.fetch_limit())
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let accounts = rows
            .iter()
            .map(account_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(accounts, page, |a| a.id.0))
    }

    async fn accounts_with_role(&self, role: Role, limit: u32) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM account_roles ar JOIN accounts a ON a.id = ar.account_id \
             WHERE ar.role = $1 AND a.status = 'active' ORDER BY a.display_name, a.id LIMIT $2"
        ))
        .bind(role.as_str())
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(account_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)
    }

    async fn set_account_status(
        &self,
        ctx: &AuditContext,
        id: AccountId,
        status: AccountStatus,
        expected_version: Option<i64>,
    ) -> Result<Account, StoreError> {
        let mut tx = self.begin().await?;
        let before = Self::load_account(&mut *tx, id).await?;
        let done = sqlx::query(
            "UPDATE accounts SET status = $1, version = version + 1 \
             WHERE id = $2 AND ($3::bigint IS NULL OR version = $3)",
        )
        .bind(status.as_str())
        .bind(id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "account {id} is at version {}, not the expected one",
                before.version
            )));
        }
        // A suspension ends the account's web sessions for good: lifting it
        // later must not bring an old cookie back.
        let sessions_ended = if status == AccountStatus::Suspended {
            sqlx::query("DELETE FROM web_sessions WHERE account_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?
                .rows_affected()
        } else {
            0
        };
        let change = Change {
            action: "account.status_changed",
            target_type: "account",
            target_id: id.to_string(),
            summary: json!({ "from": before.status, "to": status, "sessions_ended": sessions_ended }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let account = Self::load_account(&mut *tx, id).await?;
        tx.commit().await.map_err(map_err)?;
        self.credentials_changed();
        Ok(account)
    }

    async fn issue_token(
        &self,
        ctx: &AuditContext,
        token: NewToken,
    ) -> Result<TokenRecord, StoreError> {
        let id = TokenId::new();
        let mut tx = self.begin().await?;
        // Checked first so that an unknown account reads as such, not as a
        // foreign-key conflict.
        Self::load_account(&mut *tx, token.account).await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, account_id, label, secret_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(token.account.0)
        .bind(&token.label)
        .bind(&token.secret_hash[..])
        .bind(self.now())
        .bind(token.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "token.issued",
            target_type: "account",
            target_id: token.account.to_string(),
            summary: json!({
                "token": id,
                "label": token.label,
                "expires_at": token.expires_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
            }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let record = Self::load_token(&mut *tx, id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }

    async fn tokens(&self, account: AccountId) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.account_id = $1 ORDER BY t.id"
        ))
        .bind(account.0)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(token_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)
    }

    async fn revoke_token(
        &self,
        ctx: &AuditContext,
        account: AccountId,
        token: TokenId,
    ) -> Result<TokenRecord, StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
        )
        .bind(self.now())
        .bind(token.0)
        .bind(account.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let record = Self::load_token(&mut *tx, token).await?;
        if record.account != account {
            return Err(StoreError::NotFound);
        }
        // Sessions opened with the token end with it, whatever its state.
        let sessions_ended = sqlx::query("DELETE FROM web_sessions WHERE token_id = $1")
            .bind(token.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        if done.rows_affected() == 1 {
            let change = Change {
                action: "token.revoked",
                target_type: "account",
                target_id: account.to_string(),
                summary: json!({ "token": token, "sessions_ended": sessions_ended }),
            };
            self.audit(&mut tx, ctx, change).await?;
        }
        tx.commit().await.map_err(map_err)?;
        self.credentials_changed();
        Ok(record)
    }

    async fn token_by_hash(
        &self,
        secret_hash: &[u8; 32],
    ) -> Result<(TokenRecord, Account), StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS}, {ACCOUNT_COLUMNS} FROM api_tokens t \
             JOIN accounts a ON a.id = t.account_id WHERE t.secret_hash = $1"
        ))
        .bind(&secret_hash[..])
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        let token = token_from_row(&row).map_err(map_err)?;
        let account = account_from_row(&row).map_err(map_err)?;
        Ok((token, account))
    }

    async fn touch_token(&self, token: TokenId, at: OffsetDateTime) -> Result<(), StoreError> {
        let cutoff = at - time::Duration::minutes(1);
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(at)
        .bind(token.0)
        .bind(cutoff)
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(map_err)
    }
}
