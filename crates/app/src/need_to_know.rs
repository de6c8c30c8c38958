//! Need-to-know: which claims a caller may learn of.
//!
//! A sensitive claim (a category marked `sensitive` in the catalogue: sexual
//! violence, torture) is known only to its filer and to staff with the
//! `sensitive` clearance. That holds on every path that names a claim, not
//! only on the claim itself: its duplicate flags, its case, the case's
//! recommendations, decisions and award, the audit log, exports and webhook
//! deliveries. A path that would name such a claim to someone without the
//! clearance either leaves it out (lists), answers 404 as if it did not
//! exist (a single resource), or shows that something is there without
//! saying what (a duplicate flag on a claim the caller may see).
//!
//! Commission records (cases and what follows from them) are judged by
//! their category, which the catalogue marks sensitive; claims by the
//! `sensitive` mark they got when filed.

use kernel::Principal;
use kernel::access::Clearance;
use std::collections::BTreeSet;
use store::{Store, StoreError};

/// A record the caller may not learn of; every door presents it as "not
/// found", never as "forbidden", which would confirm it exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unknown;

/// What one caller may learn of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedToKnow {
    cleared: bool,
    /// Codes of the sensitive categories, for a caller without clearance.
    hidden: BTreeSet<String>,
}

impl NeedToKnow {
    /// The caller's view: everything with the clearance, otherwise
    /// everything but the catalogue's sensitive categories.
    pub async fn of(store: &dyn Store, principal: &Principal) -> Result<Self, StoreError> {
        if principal.has_clearance(Clearance::Sensitive) {
            return Ok(Self::cleared());
        }
        let hidden = store
            .categories()
            .await?
            .into_iter()
            .filter(|c| c.category.sensitive)
            .map(|c| c.category.code.as_str().to_owned())
            .collect();
        Ok(Self {
            cleared: false,
            hidden,
        })
    }

    /// Background work and callers with the clearance.
    pub fn cleared() -> Self {
        Self {
            cleared: true,
            hidden: BTreeSet::new(),
        }
    }

    pub fn is_cleared(&self) -> bool {
        self.cleared
    }

    /// Whether records of this category may be shown.
    pub fn may_see_category(&self, code: &str) -> bool {
        self.cleared || !self.hidden.contains(code)
    }

    /// Whether a claim with this sensitivity may be shown (to staff; the
    /// filer always sees their own claims).
    pub fn may_see_claim(&self, sensitive: bool) -> bool {
        self.cleared || !sensitive
    }

    /// `Err(Unknown)` for a record of a category the caller may not learn
    /// of, answered as if it did not exist.
    pub fn check_category(&self, code: &str) -> Result<(), Unknown> {
        if self.may_see_category(code) {
            Ok(())
        } else {
            Err(Unknown)
        }
    }

    /// The categories to leave out of lists, empty when cleared.
    pub fn hidden_categories(&self) -> Vec<String> {
        self.hidden.iter().cloned().collect()
    }
}

/// Every UUID a record mentions: in a text that is one, or anywhere in a
/// JSON value.
fn mentioned_ids(texts: &[&str], values: &[&serde_json::Value], out: &mut Vec<uuid::Uuid>) {
    fn walk(value: &serde_json::Value, out: &mut Vec<uuid::Uuid>) {
        match value {
            serde_json::Value::String(s) => {
                if let Ok(id) = uuid::Uuid::parse_str(s) {
                    out.push(id);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    out.extend(texts.iter().filter_map(|t| uuid::Uuid::parse_str(t).ok()));
    for value in values {
        walk(value, out);
    }
}

/// What a redacted audit entry keeps in `summary`.
pub const RESTRICTED: &str = "restricted";

impl NeedToKnow {
    /// Audit entries as the caller may read them. An entry that mentions a
    /// sensitive claim, or anything that leads to one, keeps its place in
    /// the chain (id, seq, time, actor, action, hashes) but loses its
    /// target id, summary and reason for a caller without the clearance.
    /// Such an entry can no longer be rehashed by the reader; `audit
    /// verify` on the server still checks it.
    pub async fn redact_audit(
        &self,
        store: &dyn Store,
        mut entries: Vec<store::AuditEntry>,
    ) -> Result<Vec<store::AuditEntry>, StoreError> {
        if self.cleared {
            return Ok(entries);
        }
        let mut ids = Vec::new();
        for e in &entries {
            mentioned_ids(&[e.target_id.as_str()], &[&e.summary], &mut ids);
        }
        ids.sort_unstable();
        ids.dedup();
        let sensitive: BTreeSet<uuid::Uuid> =
            store.sensitive_ids(&ids).await?.into_iter().collect();
        if sensitive.is_empty() {
            return Ok(entries);
        }
        for e in &mut entries {
            let mut mentioned = Vec::new();
            mentioned_ids(&[e.target_id.as_str()], &[&e.summary], &mut mentioned);
            if mentioned.iter().any(|id| sensitive.contains(id)) {
                e.target_id = String::new();
                e.summary = serde_json::json!({ RESTRICTED: true });
                e.reason = None;
            }
        }
        Ok(entries)
    }

    /// Whether a JSON document (a webhook payload) mentions nothing the
    /// caller may not learn of.
    pub async fn may_read(
        &self,
        store: &dyn Store,
        value: &serde_json::Value,
    ) -> Result<bool, StoreError> {
        if self.cleared {
            return Ok(true);
        }
        let mut ids = Vec::new();
        mentioned_ids(&[], &[value], &mut ids);
        Ok(store.sensitive_ids(&ids).await?.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_wherever_a_record_mentions_them() {
        let a = uuid::Uuid::now_v7();
        let b = uuid::Uuid::now_v7();
        let mut found = Vec::new();
        mentioned_ids(
            &[&a.to_string(), "many"],
            &[&serde_json::json!({"assignments": [[b.to_string(), "x"]], "n": 3})],
            &mut found,
        );
        assert_eq!(found, [a, b]);
    }

    #[test]
    fn the_clearance_shows_everything_and_its_absence_hides_sensitive_categories() {
        let cleared = NeedToKnow::cleared();
        assert!(cleared.may_see_category("A2.4") && cleared.may_see_claim(true));
        assert!(cleared.hidden_categories().is_empty());
        let uncleared = NeedToKnow {
            cleared: false,
            hidden: ["A2.4".to_owned(), "A2.5".to_owned()].into(),
        };
        assert!(!uncleared.may_see_category("A2.4"));
        assert!(uncleared.may_see_category("A3.1"));
        assert!(!uncleared.may_see_claim(true));
        assert!(uncleared.may_see_claim(false));
        assert_eq!(uncleared.hidden_categories(), ["A2.4", "A2.5"]);
    }
}
