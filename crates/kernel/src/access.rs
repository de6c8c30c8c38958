//! Who is asking: roles and the authenticated principal.
//!
//! The authorization *policy* (which role may do what) is not here; this
//! module only names the parties so every crate speaks of them the same way.

use crate::id::AccountId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role an account holds. An account may hold several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Files claims for themselves or, as a representative, for others.
    Claimant,
    /// Register secretariat: intake checks, information requests, recommendations.
    Registrar,
    /// Register Board: decides whether claims are recorded.
    Board,
    /// Commission secretariat: prepares assessments.
    Assessor,
    /// Panel member: recommends awards.
    Commissioner,
    /// Commission Council: approves, returns or refers recommendations.
    Council,
    /// Records signatures, instruments and funding confirmations.
    Depositary,
    /// A member state's representative, bound to one participant.
    State,
    /// Reads everything, changes nothing.
    Auditor,
    /// Manages accounts; no access to claim contents by default.
    Admin,
}

impl Role {
    pub const ALL: [Self; 10] = [
        Self::Claimant,
        Self::Registrar,
        Self::Board,
        Self::Assessor,
        Self::Commissioner,
        Self::Council,
        Self::Depositary,
        Self::State,
        Self::Auditor,
        Self::Admin,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Claimant => "claimant",
            Self::Registrar => "registrar",
            Self::Board => "board",
            Self::Assessor => "assessor",
            Self::Commissioner => "commissioner",
            Self::Council => "council",
            Self::Depositary => "depositary",
            Self::State => "state",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }

    /// Staff of the Register or the Commission (anyone who handles claims
    /// that are not their own).
    pub const fn is_claims_staff(self) -> bool {
        matches!(
            self,
            Self::Registrar | Self::Board | Self::Assessor | Self::Commissioner | Self::Council
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A clearance granted on top of a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clearance {
    /// May see claims in sensitive categories (sexual violence, torture).
    Sensitive,
}

/// The authenticated party behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub account: AccountId,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub clearances: Vec<Clearance>,
    /// For the `state` role: the participant (ISO 3166-1 alpha-2 or `EU`)
    /// the account speaks for.
    pub participant: Option<String>,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_clearance(&self, clearance: Clearance) -> bool {
        self.clearances.contains(&clearance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        assert!("root".parse::<Role>().is_err());
    }
}

/// What a request wants to do. Every route of the API names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Liveness, readiness, metrics, the API description: open to all.
    ReadServiceInfo,
    /// The caller's own account.
    ReadOwnAccount,
    ListAccounts,
    ReadAccount,
    CreateAccount,
    ChangeAccountStatus,
    ListTokens,
    IssueToken,
    RevokeToken,
    ReadAuditLog,
    /// Aggregate reports on claims (counts, processing times, backlog).
    ReadReports,
    /// Webhook subscriptions and their delivery logs.
    ManageWebhooks,
    /// The ratification tracker and the Commission's go-live status:
    /// public.
    ReadConvention,
    /// Signatures, instruments, reservations, declarations, denunciations.
    RecordTreatyAction,
    /// The Council's determination that funding is sufficient.
    RecordFundingDetermination,
    /// A pledge: the depositary for anyone, a state for itself ([`Permission::Own`]).
    RecordPledge,
    RecordContribution,
    RecordExchangeRate,
    /// The claim category catalogue and the regions: public.
    ReadCatalogue,
    /// Adding or changing a category (admins, without a release).
    ManageCatalogue,
    /// Filing a new claim.
    CreateClaim,
    /// Claims lists: a claimant sees their own ([`Permission::Own`]).
    ListClaims,
    /// One claim, its history and messages.
    ReadClaim,
    /// Editing, submitting or withdrawing a claim, and answering requests
    /// for information: the claimant's own claims.
    FileClaim,
    /// Register secretariat: taking up a claim, requesting information,
    /// recommending, resolving duplicate flags.
    ReviewClaim,
    /// The Board's decision to record or reject.
    DecideClaim,
    /// Probable-duplicate flags, for the staff who resolve or weigh them.
    ReadDuplicateFlags,
    /// Commission work queues: cases, assessments, batches and jobs.
    ListCases,
    /// Giving cases to assessors, one by one, in bulk or round-robin.
    /// There is no supervisor role: assessors distribute work among
    /// themselves, and the Council may too.
    AssignCases,
    /// Assessing a case, and selecting and assessing batches.
    AssessCase,
    /// The published valuation rules: public, like the catalogue.
    ReadValuationRules,
    /// Publishing a new valuation rule version (never editing one).
    PublishValuationRule,
    /// Exchange rates used in assessments (not the tracker's funding rates).
    RecordAssessmentRate,
    /// Confirming or correcting a sampled case (never one's own assessment).
    ReviewSample,
    /// Releasing a batch to the panel or returning it, and clearing
    /// duplicate flags before release.
    ReleaseBatch,
    /// Forming panels of Commissioners (the Council); listing them.
    ManagePanels,
    /// Proposing a recommendation and voting on it (panel members).
    Recommend,
    /// The Council's decisions on recommendations, and corrections.
    DecideRecommendation,
    /// The anonymised register of final decisions: public.
    ReadPublicDecisions,
    /// The awards ledger, payment rounds and award totals.
    ReadAwards,
    /// Recording payments and previewing and confirming payment rounds.
    ManagePayments,
    /// Bulk imports of claims through the API (`POST /v1/imports`) and
    /// their jobs and reject reports.
    ImportClaims,
    /// Bulk exports of claims (`GET /v1/exports/claims`); personal data
    /// only for the Register's staff (docs/import.md).
    ExportClaims,
    /// Exchanging an account token for a web session: public, the token
    /// is the credential.
    SignIn,
}

/// What the policy says about a role and an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    Deny,
    /// Allowed on what the principal owns (claims they filed or represent);
    /// anything else must look as if it did not exist.
    Own,
    Allow,
}

impl Action {
    pub const ALL: [Self; 44] = [
        Self::ReadServiceInfo,
        Self::ReadOwnAccount,
        Self::ListAccounts,
        Self::ReadAccount,
        Self::CreateAccount,
        Self::ChangeAccountStatus,
        Self::ListTokens,
        Self::IssueToken,
        Self::RevokeToken,
        Self::ReadAuditLog,
        Self::ReadReports,
        Self::ManageWebhooks,
        Self::ReadConvention,
        Self::RecordTreatyAction,
        Self::RecordFundingDetermination,
        Self::RecordPledge,
        Self::RecordContribution,
        Self::RecordExchangeRate,
        Self::ReadCatalogue,
        Self::ManageCatalogue,
        Self::CreateClaim,
        Self::ListClaims,
        Self::ReadClaim,
        Self::FileClaim,
        Self::ReviewClaim,
        Self::DecideClaim,
        Self::ReadDuplicateFlags,
        Self::ListCases,
        Self::AssignCases,
        Self::AssessCase,
        Self::ReadValuationRules,
        Self::PublishValuationRule,
        Self::RecordAssessmentRate,
        Self::ReviewSample,
        Self::ReleaseBatch,
        Self::ManagePanels,
        Self::Recommend,
        Self::DecideRecommendation,
        Self::ReadPublicDecisions,
        Self::ReadAwards,
        Self::ManagePayments,
        Self::ImportClaims,
        Self::ExportClaims,
        Self::SignIn,
    ];

    /// Needs no authentication at all.
    pub const fn is_public(self) -> bool {
        matches!(
            self,
            Self::ReadServiceInfo
                | Self::ReadConvention
                | Self::ReadCatalogue
                | Self::ReadValuationRules
                | Self::ReadPublicDecisions
                | Self::SignIn
        )
    }
}

/// The authorization policy: one table, role by action.
///
/// Handlers never decide who may act; they ask this function (through the
/// server's authorization layer) and, for [`Permission::Own`], check
/// ownership. `docs/authorization.md` shows this table.
#[allow(
    clippy::match_same_arms,
    reason = "one arm per role keeps the policy readable as a table"
)]
pub const fn permission(role: Role, action: Action) -> Permission {
    use Action as A;
    use Permission::{Allow, Deny, Own};
    match (role, action) {
        (_, A::ReadServiceInfo | A::ReadOwnAccount) => Allow,
        (_, A::ReadConvention | A::ReadCatalogue | A::SignIn) => Allow,
        (Role::Admin, A::ManageCatalogue) => Allow,
        // Claimants file and follow their own claims; nobody else's.
        (Role::Claimant, A::CreateClaim) => Allow,
        (Role::Claimant, A::ListClaims | A::ReadClaim | A::FileClaim) => Own,
        // Staff who handle claims read them (sensitive ones only with the
        // clearance, checked on each claim).
        (
            Role::Registrar | Role::Board | Role::Assessor | Role::Commissioner | Role::Council,
            A::ListClaims | A::ReadClaim,
        ) => Allow,
        (Role::Registrar, A::ReviewClaim) => Allow,
        (Role::Board, A::DecideClaim) => Allow,
        (Role::Registrar | Role::Board, A::ReadDuplicateFlags) => Allow,
        (_, A::ReadValuationRules) => Allow,
        // The Commission: assessors work the queues and assess; the
        // Council adopts valuation rules and releases batches.
        (Role::Assessor | Role::Commissioner | Role::Council | Role::Auditor, A::ListCases) => {
            Allow
        }
        (
            Role::Assessor,
            A::AssignCases | A::AssessCase | A::RecordAssessmentRate | A::ReviewSample,
        ) => Allow,
        (
            Role::Council,
            A::AssignCases
            | A::PublishValuationRule
            | A::RecordAssessmentRate
            | A::ReviewSample
            | A::ReleaseBatch,
        ) => Allow,
        (Role::Commissioner, A::ReviewSample) => Allow,
        // Decisions: the Council forms panels and decides; panel members
        // recommend and vote; the Council records payments and rounds.
        (_, A::ReadPublicDecisions) => Allow,
        (Role::Council, A::ManagePanels | A::DecideRecommendation | A::ManagePayments) => Allow,
        (Role::Commissioner, A::Recommend) => Allow,
        (Role::Council | Role::Commissioner | Role::Auditor, A::ReadAwards) => Allow,
        // The depositary keeps the treaty record and the funding figures.
        (
            Role::Depositary,
            A::RecordTreatyAction
            | A::RecordFundingDetermination
            | A::RecordPledge
            | A::RecordContribution
            | A::RecordExchangeRate,
        ) => Allow,
        // A state's representative pledges for its own participant only.
        (Role::State, A::RecordPledge) => Own,
        (
            Role::Admin,
            A::ListAccounts
            | A::ReadAccount
            | A::CreateAccount
            | A::ChangeAccountStatus
            | A::ListTokens
            | A::IssueToken
            | A::RevokeToken,
        ) => Allow,
        // Read-only everywhere, the audit log included.
        (
            Role::Auditor,
            A::ListAccounts
            | A::ReadAccount
            | A::ListTokens
            | A::ReadAuditLog
            | A::ListClaims
            | A::ReadClaim
            | A::ReadDuplicateFlags,
        ) => Allow,
        // Aggregate figures: staff, auditors, and states (marginal counts
        // and times only, never a claim; see docs/reports.md).
        (
            Role::Registrar
            | Role::Board
            | Role::Assessor
            | Role::Commissioner
            | Role::Council
            | Role::Auditor
            | Role::State,
            A::ReadReports,
        ) => Allow,
        (Role::Admin, A::ManageWebhooks) => Allow,
        // Bulk imports are the secretariat's; exports are for the Register's
        // staff and auditors (personal data: see docs/import.md).
        (Role::Registrar, A::ImportClaims) => Allow,
        (Role::Registrar | Role::Board | Role::Auditor, A::ExportClaims) => Allow,
        _ => Deny,
    }
}

impl Principal {
    /// The most any of the principal's roles allows.
    pub fn permission(&self, action: Action) -> Permission {
        self.roles
            .iter()
            .map(|r| permission(*r, action))
            .max()
            .unwrap_or(Permission::Deny)
    }
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    fn principal(roles: &[Role]) -> Principal {
        Principal {
            account: AccountId::new(),
            display_name: "x".into(),
            roles: roles.to_vec(),
            clearances: vec![],
            participant: None,
        }
    }

    #[test]
    fn only_admins_manage_accounts() {
        for role in Role::ALL {
            let expected = if role == Role::Admin {
                Permission::Allow
            } else {
                Permission::Deny
            };
            assert_eq!(permission(role, Action::CreateAccount), expected, "{role}");
            assert_eq!(permission(role, Action::RevokeToken), expected, "{role}");
        }
    }

    #[test]
    fn admins_do_not_read_the_audit_log_auditors_do() {
        assert_eq!(
            permission(Role::Admin, Action::ReadAuditLog),
            Permission::Deny
        );
        assert_eq!(
            permission(Role::Auditor, Action::ReadAuditLog),
            Permission::Allow
        );
        assert_eq!(
            permission(Role::Auditor, Action::CreateAccount),
            Permission::Deny
        );
    }

    #[test]
    fn several_roles_give_the_most_permissive_answer() {
        let p = principal(&[Role::Claimant, Role::Auditor]);
        assert_eq!(p.permission(Action::ReadAuditLog), Permission::Allow);
        assert_eq!(
            principal(&[]).permission(Action::ReadAuditLog),
            Permission::Deny
        );
    }
}
