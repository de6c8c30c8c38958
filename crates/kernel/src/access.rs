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
