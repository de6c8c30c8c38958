//! Account administration: accounts, roles, suspension and tokens.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, PageParams, Path, Query, etag, if_match_version};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use kernel::access::Clearance;
use kernel::id::{AccountId, TokenId};
use kernel::{Page, Role};
use serde::{Deserialize, Serialize};
use store::{Account, AccountStatus, TokenRecord};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// An account as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AccountId,
    pub display_name: String,
    #[schema(value_type = String, example = "active")]
    pub status: AccountStatus,
    #[schema(value_type = Vec<String>, example = json!(["registrar"]))]
    pub roles: Vec<Role>,
    #[schema(value_type = Vec<String>)]
    pub clearances: Vec<Clearance>,
    pub participant: Option<String>,
    pub external_subject: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: i64,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            id: a.id,
            display_name: a.display_name,
            status: a.status,
            roles: a.roles,
            clearances: a.clearances,
            participant: a.participant,
            external_subject: a.external_subject,
            created_at: a.created_at,
            version: a.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<AccountView>,
    pub next_cursor: Option<String>,
}

impl From<Page<Account>> for AccountPage {
    fn from(p: Page<Account>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"display_name": "Olena Kovalenko", "roles": ["registrar"]}))]
pub struct CreateAccount {
    pub display_name: String,
    #[schema(value_type = Vec<String>, example = json!(["claimant"]))]
    pub roles: Vec<Role>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub clearances: Vec<Clearance>,
    /// Required with the `state` role: ISO 3166-1 alpha-2 code or `EU`.
    pub participant: Option<String>,
    /// How an external identity provider names this person.
    pub external_subject: Option<String>,
}

impl From<CreateAccount> for app::accounts::AccountInput {
    fn from(req: CreateAccount) -> Self {
        Self {
            display_name: req.display_name,
            roles: req.roles,
            clearances: req.clearances,
            participant: req.participant,
            external_subject: req.external_subject,
        }
    }
}

/// The caller's own account.
#[utoipa::path(get, path = "/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, body = crate::error::ProblemBody)))]
pub async fn me(State(state): State<AppState>, auth: Authorized) -> ApiResult<Json<AccountView>> {
    Ok(Json(
        app::accounts::me(&state.app, &auth.actor()).await?.into(),
    ))
}

/// List accounts, oldest first, cursor-paged.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = AccountPage), (status = 403, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    _auth: Authorized,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<AccountPage>> {
    Ok(Json(
        app::accounts::list(&state.app, params.request()?)
            .await?
            .into(),
    ))
}

/// Create an account with its roles.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", security(("bearer" = [])),
    request_body = CreateAccount,
    responses((status = 201, body = AccountView), (status = 422, body = crate::error::ProblemBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<CreateAccount>,
) -> ApiResult<impl IntoResponse> {
    let account = app::accounts::create(&state.app, &auth.audit(None), req.into()).await?;
    Ok((
        StatusCode::CREATED,
        etag(account.version),
        Json(AccountView::from(account)),
    ))
}

/// Read one account.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AccountView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    _auth: Authorized,
    Path(id): Path<AccountId>,
) -> ApiResult<impl IntoResponse> {
    let account = app::accounts::read(&state.app, id).await?;
    Ok((etag(account.version), Json(AccountView::from(account))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Left the programme."}))]
pub struct StatusChange {
    /// Why: kept in the audit log.
    pub reason: String,
}

async fn change_status(
    state: &AppState,
    auth: &Authorized,
    id: AccountId,
    headers: &HeaderMap,
    reason: String,
    status: AccountStatus,
) -> ApiResult<impl IntoResponse + use<>> {
    let version = if_match_version(headers)?;
    let account =
        app::accounts::set_status(&state.app, &auth.actor(), id, version, status, reason).await?;
    Ok((etag(account.version), Json(AccountView::from(account))))
}

/// Suspends an account: its tokens stop working at once.
#[utoipa::path(post, path = "/v1/accounts/{id}/suspend", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)),
    request_body = StatusChange,
    responses((status = 200, body = AccountView), (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AccountId>,
    headers: HeaderMap,
    Json(req): Json<StatusChange>,
) -> ApiResult<impl IntoResponse> {
    change_status(
        &state,
        &auth,
        id,
        &headers,
        req.reason,
        AccountStatus::Suspended,
    )
    .await
}

/// Reactivate a suspended account.
#[utoipa::path(post, path = "/v1/accounts/{id}/reactivate", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)),
    request_body = StatusChange,
    responses((status = 200, body = AccountView), (status = 412, body = crate::error::ProblemBody)))]
pub async fn reactivate(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AccountId>,
    headers: HeaderMap,
    Json(req): Json<StatusChange>,
) -> ApiResult<impl IntoResponse> {
    change_status(
        &state,
        &auth,
        id,
        &headers,
        req.reason,
        AccountStatus::Active,
    )
    .await
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    #[schema(value_type = String, format = Uuid)]
    pub id: TokenId,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        Self {
            id: t.id,
            label: t.label,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

page_of!(
    /// A page of an account's tokens.
    TokenPage,
    TokenView
);

/// List an account's tokens (never their secrets), oldest first,
/// cursor-paged.
#[utoipa::path(get, path = "/v1/accounts/{id}/tokens", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = TokenPage)))]
pub async fn tokens(
    State(state): State<AppState>,
    _auth: Authorized,
    Path(id): Path<AccountId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<TokenPage>> {
    let tokens = app::accounts::token_page(&state.app, id, params.request()?).await?;
    Ok(Json(tokens.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "desk", "expires_in_days": 90}))]
pub struct IssueToken {
    pub label: String,
    /// Days until the token expires; absent: it does not expire.
    pub expires_in_days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedToken {
    /// The secret. Shown this once; only its hash is kept.
    pub token: String,
    #[serde(flatten)]
    pub record: TokenView,
}

/// Issue a token for an account; its secret is in this answer only.
#[utoipa::path(post, path = "/v1/accounts/{id}/tokens", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = IssueToken,
    responses((status = 201, body = IssuedToken), (status = 404, body = crate::error::ProblemBody)))]
pub async fn issue_token(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AccountId>,
    Json(req): Json<IssueToken>,
) -> ApiResult<impl IntoResponse> {
    let issued = app::accounts::issue_token(
        &state.app,
        &auth.audit(None),
        id,
        &req.label,
        req.expires_in_days,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token: issued.token,
            record: issued.record.into(),
        }),
    ))
}

/// Revoke one of an account's tokens.
#[utoipa::path(post, path = "/v1/accounts/{id}/tokens/{token_id}/revoke", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("token_id" = String, Path, format = Uuid)),
    responses((status = 200, body = TokenView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Authorized,
    Path((id, token_id)): Path<(AccountId, TokenId)>,
) -> ApiResult<Json<TokenView>> {
    let record = app::accounts::revoke_token(&state.app, &auth.audit(None), id, token_id).await?;
    Ok(Json(record.into()))
}
