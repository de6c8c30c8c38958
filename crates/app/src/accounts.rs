//! Accounts, their roles and clearances, and API tokens.
//!
//! A token is 256 random bits behind the `rdt_` prefix; only its SHA-256 is
//! kept, so a leaked table opens nothing. Revoking a token or suspending an
//! account ends the sessions opened with it (the store does so in the same
//! transaction).

use crate::error::{AppError, AppResult, FieldError};
use crate::{Actor, App};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kernel::access::Clearance;
use kernel::id::{AccountId, TokenId};
use kernel::{Page, PageRequest, Role};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use store::{Account, AccountStatus, AuditContext, NewAccount, NewToken, StoreError, TokenRecord};

/// What every Redress token starts with.
pub const TOKEN_PREFIX: &str = "rdt_";

/// A new secret token and the hash to store.
pub fn new_token() -> (String, [u8; 32]) {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = hash_token(&token);
    (token, hash)
}

/// The hash a token is kept and looked up by.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new account as asked for.
#[derive(Clone, Debug, Default)]
pub struct AccountInput {
    pub display_name: String,
    pub roles: Vec<Role>,
    pub clearances: Vec<Clearance>,
    /// Required with the `state` role: ISO 3166-1 alpha-2 code or `EU`.
    pub participant: Option<String>,
    /// How an external identity provider names this person.
    pub external_subject: Option<String>,
}

/// Checks a new account's fields; all problems at once.
pub fn validate_new_account(input: AccountInput) -> AppResult<NewAccount> {
    let mut errors = Vec::new();
    let display_name = input.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        errors.push(FieldError::new(
            "display_name",
            "length",
            "Between 1 and 200 characters.",
        ));
    }
    if input.roles.is_empty() {
        errors.push(FieldError::new("roles", "required", "At least one role."));
    }
    let is_state = input.roles.contains(&Role::State);
    match (&input.participant, is_state) {
        (None, true) => errors.push(FieldError::new(
            "participant",
            "required",
            "A state account must name its participant.",
        )),
        (Some(_), false) => errors.push(FieldError::new(
            "participant",
            "not_allowed",
            "Only state accounts speak for a participant.",
        )),
        (Some(code), true) if !is_participant_code(code) => errors.push(FieldError::new(
            "participant",
            "format",
            "An ISO 3166-1 alpha-2 code (e.g. `NL`) or `EU`.",
        )),
        _ => {}
    }
    if let Some(subject) = &input.external_subject
        && (subject.trim().is_empty() || subject.len() > 255)
    {
        errors.push(FieldError::new(
            "external_subject",
            "length",
            "Between 1 and 255 characters.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation("The account is not valid.", errors));
    }
    let mut roles = input.roles;
    roles.sort();
    roles.dedup();
    Ok(NewAccount {
        display_name,
        roles,
        clearances: input.clearances,
        participant: input.participant,
        external_subject: input.external_subject,
    })
}

fn is_participant_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// The caller's own account.
pub async fn me(app: &App, actor: &Actor) -> AppResult<Account> {
    Ok(app.store.account(actor.principal.account).await?)
}

/// Accounts in creation order.
pub async fn list(app: &App, page: PageRequest) -> AppResult<Page<Account>> {
    Ok(app.store.accounts(page).await?)
}

/// One account.
pub async fn read(app: &App, id: AccountId) -> AppResult<Account> {
    Ok(app.store.account(id).await?)
}

/// The display names of staff accounts, for pages that show who acted:
/// people are named, never shown by their account id. An id without an
/// account (deleted fixtures, synthetic load) is absent from the map.
pub async fn names(
    app: &App,
    ids: impl IntoIterator<Item = AccountId>,
) -> AppResult<std::collections::BTreeMap<AccountId, String>> {
    let mut out = std::collections::BTreeMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        match app.store.account(id).await {
            Ok(a) => {
                out.insert(id, a.display_name);
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Active accounts holding `role`, by name, for choosing a person (an
/// assessor to assign) on a page: the first 500 by name.
pub async fn with_role(app: &App, role: Role) -> AppResult<Vec<(AccountId, String)>> {
    Ok(app
        .store
        .accounts_with_role(role, 500)
        .await?
        .into_iter()
        .map(|a| (a.id, a.display_name))
        .collect())
}

/// Creates an account from the command line, with a token shown once. An
/// administrator made by the operator means no bootstrap administrator is
/// needed any more.
pub async fn create_as_operator(
    app: &App,
    ctx: &AuditContext,
    input: AccountInput,
    expires_in_days: Option<u32>,
) -> AppResult<(Account, Issued)> {
    if input.roles.contains(&Role::Admin) {
        validate_new_account(input.clone())?;
        app.store.claim_once("bootstrap-admin").await?;
    }
    let account = create(app, ctx, input).await?;
    let issued = issue_token(app, ctx, account.id, "cli", expires_in_days).await?;
    Ok((account, issued))
}

/// Creates an account, in the name of `ctx`.
pub async fn create(app: &App, ctx: &AuditContext, input: AccountInput) -> AppResult<Account> {
    let new = validate_new_account(input)?;
    app.store
        .create_account(ctx, new)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AppError::invalid_field(
                "external_subject",
                "taken",
                "Another account already has this external subject.",
            ),
            other => other.into(),
        })
}

/// Suspends or reactivates an account at the version the caller last saw;
/// a suspension ends its tokens' and sessions' use at once. Nobody
/// suspends their own account.
pub async fn set_status(
    app: &App,
    actor: &Actor,
    id: AccountId,
    expected_version: i64,
    status: AccountStatus,
    reason: String,
) -> AppResult<Account> {
    if reason.trim().is_empty() {
        return Err(AppError::invalid_field(
            "reason",
            "required",
            "Give a reason.",
        ));
    }
    if id == actor.principal.account && status == AccountStatus::Suspended {
        return Err(AppError::conflict("You cannot suspend your own account."));
    }
    app.store
        .set_account_status(
            &actor.audit(Some(reason)),
            id,
            status,
            Some(expected_version),
        )
        .await
        .map_err(AppError::stale_or)
}

/// Suspends or reactivates an account from the command line: the
/// operator acts on the account as it is now.
pub async fn set_status_as_operator(
    app: &App,
    ctx: &AuditContext,
    id: AccountId,
    status: AccountStatus,
) -> AppResult<Account> {
    Ok(app.store.set_account_status(ctx, id, status, None).await?)
}

/// An account's tokens (never their secrets).
pub async fn tokens(app: &App, id: AccountId) -> AppResult<Vec<TokenRecord>> {
    app.store.account(id).await?;
    Ok(app.store.tokens(id).await?)
}

/// An account's tokens, oldest first, paged by id.
pub async fn token_page(
    app: &App,
    id: AccountId,
    page: PageRequest,
) -> AppResult<Page<TokenRecord>> {
    Ok(Page::from_all(tokens(app, id).await?, page, |t| t.id.0))
}

/// A token just issued: its secret, shown once, and its record.
pub struct Issued {
    pub token: String,
    pub record: TokenRecord,
}

/// Issues a token for an account, in the name of `ctx`; the secret is in
/// the outcome only.
pub async fn issue_token(
    app: &App,
    ctx: &AuditContext,
    account: AccountId,
    label: &str,
    expires_in_days: Option<u32>,
) -> AppResult<Issued> {
    let label = label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "label",
            "length",
            "Between 1 and 100 characters.",
        ));
    }
    if expires_in_days == Some(0) || expires_in_days.is_some_and(|d| d > 3650) {
        return Err(AppError::invalid_field(
            "expires_in_days",
            "range",
            "Between 1 and 3650 days.",
        ));
    }
    let (token, secret_hash) = new_token();
    let expires_at = expires_in_days.map(|d| app.clock.now() + time::Duration::days(i64::from(d)));
    let record = app
        .store
        .issue_token(
            ctx,
            NewToken {
                account,
                label,
                secret_hash,
                expires_at,
            },
        )
        .await?;
    Ok(Issued { token, record })
}

/// Revokes a token of an account, in the name of `ctx`; revoking twice is
/// not an error.
pub async fn revoke_token(
    app: &App,
    ctx: &AuditContext,
    account: AccountId,
    token: TokenId,
) -> AppResult<TokenRecord> {
    Ok(app.store.revoke_token(ctx, account, token).await?)
}

/// On the first start of a deployment, creates an administrator and
/// returns its token, to be shown once; never again afterwards, on any
/// instance.
pub async fn bootstrap_admin(app: &App) -> AppResult<Option<String>> {
    if !app.store.claim_once("bootstrap-admin").await? {
        return Ok(None);
    }
    let ctx = AuditContext {
        reason: Some("first start: bootstrap administrator".into()),
        ..AuditContext::system()
    };
    let account = app
        .store
        .create_account(
            &ctx,
            NewAccount {
                display_name: "Bootstrap administrator".into(),
                roles: vec![Role::Admin],
                clearances: vec![],
                participant: None,
                external_subject: None,
            },
        )
        .await?;
    let issued = issue_token(app, &ctx, account.id, "bootstrap", None).await?;
    Ok(Some(issued.token))
}
