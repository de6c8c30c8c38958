//! Typed identifiers.
//!
//! Every entity gets its own id type so that a claim id can never be passed
//! where an account id is expected. Ids are UUIDv7: time-ordered, so lists
//! ordered by id are ordered by creation and keyset pagination over them is
//! stable, and the primary-key index stays append-mostly at 10 million rows.

/// Declares a typed UUIDv7 identifier.
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: uuid::Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &uuid::Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(uuid: uuid::Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

typed_id!(
    /// An entry in the append-only audit log.
    AuditId
);
typed_id!(
    /// A person's or organisation's account.
    AccountId
);
typed_id!(
    /// An API token issued to an account.
    TokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered() {
        let a = AccountId::new();
        let b = AccountId::new();
        assert!(a < b, "UUIDv7 ids created later must sort later");
        assert_eq!(a.0.get_version_num(), 7);
    }

    #[test]
    fn ids_round_trip_through_text() {
        let a = AuditId::new();
        let parsed: AuditId = a.to_string().parse().unwrap();
        assert_eq!(a, parsed);
        assert!("not-a-uuid".parse::<AuditId>().is_err());
    }
}
