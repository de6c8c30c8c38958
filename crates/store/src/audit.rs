//! The audit log: an append-only, hash-chained record of every change.
//!
//! Entries are written by the store methods that make the change, in the same
//! transaction; nothing else writes them and nothing updates or deletes them.
//!
//! Every entry carries its position in the chain (`seq`, 1, 2, 3, ... with no
//! gaps), the hash of the entry before it (`prev_hash`, 32 zero bytes for the
//! first) and its own hash: `SHA-256(prev_hash || canonical content)`. The
//! canonical content is defined once, here ([`AuditEntry::canonical_content`]),
//! and used by both backends when they append and by [`ChainVerifier`] when
//! the chain is checked; docs/audit.md describes it for outside verifiers.
//! A row changed, inserted or deleted by hand breaks the chain; a rewritten
//! chain is caught by comparing with a head published earlier.

use kernel::id::{AccountId, AuditId};
use kernel::{Page, PageRequest};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// A SHA-256 digest in the chain.
pub type ChainHash = [u8; 32];

/// The `prev_hash` of the first entry.
pub const GENESIS: ChainHash = [0; 32];

/// Marks the encoding version at the start of the canonical content.
const CANONICAL_TAG: &[u8] = b"redress.audit.v1\0";

/// Who is acting and why: carried from the request into every change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditContext {
    /// `None` for changes made by the system itself (migrations, bootstrap).
    pub actor: Option<AccountId>,
    /// The role the actor acted in, when one applies.
    pub actor_role: Option<String>,
    /// The party a representative acts for.
    pub on_behalf_of: Option<String>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// The reason the actor gave, where the action takes one.
    pub reason: Option<String>,
    /// For an act of the Commission's organs: the standing of the convention
    /// the go-live gate relied on when it let the act through (entry into
    /// force, counted consents, rule). Kept in the entry's summary as
    /// `standing`, so that a later revision of the record cannot blur why
    /// the act was allowed.
    pub standing: Option<serde_json::Value>,
}

impl AuditContext {
    /// Changes made by the service itself or its command line.
    pub fn system() -> Self {
        Self {
            actor_role: Some("system".into()),
            ..Self::default()
        }
    }
}

/// What one change did, described by the store method making it.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Dotted verb, e.g. `account.created`, `token.revoked`.
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: String,
    /// What changed, as JSON. Never contains secrets.
    pub summary: serde_json::Value,
}

/// The change's summary with the standing the gate relied on, if any, as
/// its `standing` member (a summary that is not an object is kept whole
/// under `change`).
fn with_standing(
    summary: serde_json::Value,
    standing: Option<&serde_json::Value>,
) -> serde_json::Value {
    let Some(standing) = standing else {
        return summary;
    };
    match summary {
        serde_json::Value::Object(mut map) => {
            map.insert("standing".into(), standing.clone());
            serde_json::Value::Object(map)
        }
        other => serde_json::json!({"change": other, "standing": standing}),
    }
}

/// One stored audit entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: AuditId,
    /// Position in the chain: 1 for the first entry, no gaps. 0 until the
    /// entry is appended.
    pub seq: i64,
    /// Truncated to whole microseconds, the precision both databases keep.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Option<AccountId>,
    pub actor_role: Option<String>,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub summary: serde_json::Value,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// Hash of the previous entry (lowercase hex in JSON).
    #[serde(with = "hex_hash")]
    pub prev_hash: ChainHash,
    /// `SHA-256(prev_hash || canonical content)` (lowercase hex in JSON).
    #[serde(with = "hex_hash")]
    pub hash: ChainHash,
}

impl AuditEntry {
    /// The entry a change will be stored as, not yet placed in the chain
    /// (see [`AuditEntry::link`]).
    pub fn new(ctx: &AuditContext, change: Change, at: OffsetDateTime) -> Self {
        Self {
            id: AuditId::new(),
            seq: 0,
            at: truncate_to_micros(at),
            actor: ctx.actor,
            actor_role: ctx.actor_role.clone(),
            on_behalf_of: ctx.on_behalf_of.clone(),
            action: change.action.to_owned(),
            target_type: change.target_type.to_owned(),
            target_id: change.target_id,
            summary: with_standing(change.summary, ctx.standing.as_ref()),
            reason: ctx.reason.clone(),
            request_id: ctx.request_id.clone(),
            idempotency_key: ctx.idempotency_key.clone(),
            prev_hash: GENESIS,
            hash: GENESIS,
        }
    }

    /// Places the entry after `prev` (the head of the chain): sets `seq`,
    /// `prev_hash` and `hash`.
    pub fn link(&mut self, prev: &ChainHead) {
        self.seq = prev.seq + 1;
        self.prev_hash = prev.hash;
        self.hash = self.chain_hash(&prev.hash);
    }

    /// `SHA-256(prev || canonical content)`: the hash this entry must carry
    /// when it follows an entry whose hash is `prev`.
    pub fn chain_hash(&self, prev: &ChainHash) -> ChainHash {
        let mut hasher = Sha256::new();
        hasher.update(prev);
        hasher.update(self.canonical_content());
        hasher.finalize().into()
    }

    /// The deterministic byte encoding of every field but the hashes.
    ///
    /// `"redress.audit.v1"`, a zero byte, then for each field in this order:
    /// id, seq, at, actor, actor_role, on_behalf_of, action, target_type,
    /// target_id, summary, reason, request_id, idempotency_key: a single
    /// `0x00` byte when the field is absent (null), otherwise `0x01`, the
    /// length of its text as 4 bytes big-endian, and the UTF-8 text. The
    /// texts: ids as lowercase hyphenated UUIDs, seq in decimal, `at` as
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, summary as canonical JSON
    /// ([`canonical_json`]), the rest as stored.
    pub fn canonical_content(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(CANONICAL_TAG);
        let mut field = |value: Option<&str>| match value {
            None => out.push(0),
            Some(text) => {
                out.push(1);
                let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        };
        field(Some(&self.id.0.hyphenated().to_string()));
        field(Some(&self.seq.to_string()));
        field(Some(&canonical_time(self.at)));
        field(self.actor.map(|a| a.0.hyphenated().to_string()).as_deref());
        field(self.actor_role.as_deref());
        field(self.on_behalf_of.as_deref());
        field(Some(&self.action));
        field(Some(&self.target_type));
        field(Some(&self.target_id));
        field(Some(&canonical_json(&self.summary)));
        field(self.reason.as_deref());
        field(self.request_id.as_deref());
        field(self.idempotency_key.as_deref());
        out
    }
}

/// Drops the nanoseconds below a microsecond.
pub fn truncate_to_micros(at: OffsetDateTime) -> OffsetDateTime {
    let nanos = at.nanosecond();
    at.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(at)
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC: the fixed form of `at` that is hashed.
pub fn canonical_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// JSON with object keys sorted by their UTF-8 bytes and no whitespace.
/// Strings and numbers are written as `serde_json` writes them: strings with
/// only `"`, `\` and control characters escaped (`\b \f \n \r \t`, others as
/// `\u00xx`), integers in decimal, other numbers in the shortest form that
/// reads back to the same 64-bit float.
pub fn canonical_json(value: &serde_json::Value) -> String {
    fn write(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(key.clone()).to_string());
                    out.push(':');
                    write(&map[key], out);
                }
                out.push('}');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Lowercase hex of a hash.
pub fn hex(hash: &ChainHash) -> String {
    use std::fmt::Write as _;
    hash.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Reads 64 hex digits.
pub fn parse_hex(text: &str) -> Option<ChainHash> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

mod hex_hash {
    pub(super) fn serialize<S: serde::Serializer>(
        hash: &super::ChainHash,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::hex(hash))
    }
}

/// The newest entry of the chain: what to publish so that a later rewrite of
/// the log can be proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    /// Number of entries in the chain (the `seq` of the newest); 0 when empty.
    pub seq: i64,
    #[serde(with = "hex_hash")]
    pub hash: ChainHash,
    /// When the newest entry was written; `None` for an empty chain.
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
}

impl ChainHead {
    /// The head of an empty chain.
    pub const fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS,
            at: None,
        }
    }
}

/// What is wrong at a broken link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainProblem {
    /// The entry's content does not hash to its stored hash: it was changed.
    HashMismatch {
        #[serde(with = "hex_hash")]
        stored: ChainHash,
        #[serde(with = "hex_hash")]
        computed: ChainHash,
    },
    /// The entry's `prev_hash` is not the hash of the entry before it.
    PrevHashMismatch {
        #[serde(with = "hex_hash")]
        stored: ChainHash,
        #[serde(with = "hex_hash")]
        expected: ChainHash,
    },
    /// The entry at this position has another `seq`: entries were deleted
    /// (found > expected) or inserted (found <= the previous one).
    SeqGap { expected: i64, found: i64 },
    /// The entry has no place in the chain at all (`seq` is null).
    Unchained,
    /// The entry cannot be read back (a column holds something invalid).
    Unreadable { detail: String },
    /// The recorded head does not match the newest entry.
    HeadMismatch {
        head_seq: i64,
        #[serde(with = "hex_hash")]
        head_hash: ChainHash,
        last_seq: i64,
        #[serde(with = "hex_hash")]
        last_hash: ChainHash,
    },
}

impl ChainProblem {
    /// A stable name for the kind of problem.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::HashMismatch { .. } => "hash_mismatch",
            Self::PrevHashMismatch { .. } => "prev_hash_mismatch",
            Self::SeqGap { .. } => "seq_gap",
            Self::Unchained => "unchained",
            Self::Unreadable { .. } => "unreadable",
            Self::HeadMismatch { .. } => "head_mismatch",
        }
    }
}

/// The first place where the chain does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// Position in the chain where the break was found.
    pub seq: i64,
    /// The entry found there, if there is one.
    pub entry: Option<AuditId>,
    pub problem: ChainProblem,
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "seq {}", self.seq)?;
        if let Some(id) = self.entry {
            write!(f, " (entry {id})")?;
        }
        match &self.problem {
            ChainProblem::HashMismatch { stored, computed } => write!(
                f,
                ": content does not match its hash (stored {}, computed {})",
                hex(stored),
                hex(computed)
            ),
            ChainProblem::PrevHashMismatch { stored, expected } => write!(
                f,
                ": prev_hash {} is not the previous entry's hash {}",
                hex(stored),
                hex(expected)
            ),
            ChainProblem::SeqGap { expected, found } => write!(
                f,
                ": expected seq {expected}, found {found} (entries deleted or inserted)"
            ),
            ChainProblem::Unchained => write!(f, ": entry is outside the chain (no seq)"),
            ChainProblem::Unreadable { detail } => write!(f, ": entry cannot be read: {detail}"),
            ChainProblem::HeadMismatch {
                head_seq,
                head_hash,
                last_seq,
                last_hash,
            } => write!(
                f,
                ": recorded head is seq {head_seq} hash {}, but the last entry is seq {last_seq} hash {}",
                hex(head_hash),
                hex(last_hash)
            ),
        }
    }
}

/// The outcome of checking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChainReport {
    /// Every entry hashes correctly and links to the one before it, and the
    /// recorded head is the newest entry.
    Intact { entries: u64, head: ChainHead },
    /// The first broken link, in chain order.
    Broken { broken: BrokenLink },
}

/// Checks entries fed in `seq` order, one at a time, in constant memory.
/// Both backends page through the log and feed it; the rules live here.
#[derive(Clone, Debug)]
pub struct ChainVerifier {
    last: ChainHead,
    entries: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    pub const fn new() -> Self {
        Self {
            last: ChainHead::genesis(),
            entries: 0,
        }
    }

    /// The last entry checked (the genesis head before any).
    pub const fn last(&self) -> &ChainHead {
        &self.last
    }

    /// Checks the next entry in `seq` order.
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), BrokenLink> {
        let expected = self.last.seq + 1;
        let broken = |problem| BrokenLink {
            seq: expected,
            entry: Some(entry.id),
            problem,
        };
        if entry.seq != expected {
            return Err(broken(ChainProblem::SeqGap {
                expected,
                found: entry.seq,
            }));
        }
        if entry.prev_hash != self.last.hash {
            return Err(broken(ChainProblem::PrevHashMismatch {
                stored: entry.prev_hash,
                expected: self.last.hash,
            }));
        }
        let computed = entry.chain_hash(&entry.prev_hash);
        if computed != entry.hash {
            return Err(broken(ChainProblem::HashMismatch {
                stored: entry.hash,
                computed,
            }));
        }
        self.last = ChainHead {
            seq: entry.seq,
            hash: entry.hash,
            at: Some(entry.at),
        };
        self.entries += 1;
        Ok(())
    }

    /// An entry at the next position that could not be decoded.
    pub fn unreadable(&self, seq: i64, entry: Option<AuditId>, detail: String) -> BrokenLink {
        BrokenLink {
            seq,
            entry,
            problem: ChainProblem::Unreadable { detail },
        }
    }

    /// Compares the recorded head with the last entry checked.
    pub fn finish(self, recorded: (i64, ChainHash)) -> ChainReport {
        let (head_seq, head_hash) = recorded;
        if head_seq != self.last.seq || head_hash != self.last.hash {
            return ChainReport::Broken {
                broken: BrokenLink {
                    seq: head_seq.max(self.last.seq),
                    entry: None,
                    problem: ChainProblem::HeadMismatch {
                        head_seq,
                        head_hash,
                        last_seq: self.last.seq,
                        last_hash: self.last.hash,
                    },
                },
            };
        }
        ChainReport::Intact {
            entries: self.entries,
            head: self.last,
        }
    }
}

/// Filters for reading the log. Every field narrows the result.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub actor: Option<AccountId>,
    pub action: Option<String>,
    /// The entry at this position in the chain.
    pub seq: Option<i64>,
    /// Entries written at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Entries written before this time.
    pub to: Option<OffsetDateTime>,
}

/// How many entries verification reads per query.
pub const VERIFY_PAGE: i64 = 2_000;

#[async_trait::async_trait]
pub trait AuditStore {
    /// Records an event that changes nothing but must be on record, such as
    /// staff reading a claimant's personal data.
    async fn record_event(
        &self,
        ctx: &AuditContext,
        event: Change,
    ) -> Result<(), crate::StoreError>;

    /// Entries in the order they were written, oldest first.
    async fn audit_entries(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, crate::StoreError>;

    /// The newest entry of the chain.
    async fn chain_head(&self) -> Result<ChainHead, crate::StoreError>;

    /// Recomputes every hash in `seq` order, reading the log in pages of
    /// [`VERIFY_PAGE`], and reports the first broken link. `Err` only when
    /// the database cannot be read.
    async fn verify_chain(&self) -> Result<ChainReport, crate::StoreError>;

    /// Gives entries written without their place in the chain (a backend
    /// that chains after the change's commit: PostgreSQL) their place, unless
    /// another instance is doing it right now. Run in the background every
    /// [`CHAIN_INTERVAL`]; reading the head, verifying and listing chain
    /// first themselves. Returns how many entries were chained.
    async fn chain_pending(&self) -> Result<u64, crate::StoreError> {
        Ok(0)
    }
}

/// How often the background chainer runs: also the longest an entry waits
/// outside the chain while the service is up.
pub const CHAIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// Raw access to the log for tests that play an attacker with database
/// superuser rights: the backend disables the append-only protection
/// (triggers) and runs `sql`. Panics on failure.
#[cfg(feature = "testing")]
#[async_trait::async_trait]
pub trait TamperForTests {
    async fn tamper_for_tests(&self, sql: &str);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn entry() -> AuditEntry {
        let mut e = AuditEntry::new(
            &AuditContext::system(),
            Change {
                action: "account.created",
                target_type: "account",
                target_id: "x".into(),
                summary: json!({"b": 1, "a": [true, null, "é\n"], "c": {"z": 1.5, "y": -2}}),
            },
            datetime!(2026-03-01 12:00:00.123456789 +02:00),
        );
        e.id = AuditId::from_uuid(uuid::Uuid::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0001,
        ));
        e
    }

    #[test]
    fn time_is_fixed_width_utc_microseconds() {
        let e = entry();
        assert_eq!(canonical_time(e.at), "2026-03-01T10:00:00.123456Z");
        assert_eq!(e.at.nanosecond(), 123_456_000);
    }

    #[test]
    fn summary_keys_are_sorted() {
        assert_eq!(
            canonical_json(&entry().summary),
            r#"{"a":[true,null,"é\n"],"b":1,"c":{"y":-2,"z":1.5}}"#
        );
    }

    #[test]
    fn the_standing_relied_on_joins_the_summary() {
        let ctx = AuditContext {
            standing: Some(json!({"entry_into_force": "2026-09-01", "counted_consents": 25})),
            ..AuditContext::system()
        };
        let change = |summary| Change {
            action: "decision.approved",
            target_type: "decision",
            target_id: "d".into(),
            summary,
        };
        let at = datetime!(2026-09-02 10:00 UTC);
        let e = AuditEntry::new(&ctx, change(json!({"number": 1})), at);
        assert_eq!(e.summary["number"], 1);
        assert_eq!(e.summary["standing"]["counted_consents"], 25);
        let e = AuditEntry::new(&ctx, change(json!("plain")), at);
        assert_eq!(e.summary["change"], "plain");
        assert_eq!(e.summary["standing"]["entry_into_force"], "2026-09-01");
        let e = AuditEntry::new(&AuditContext::system(), change(json!({"number": 1})), at);
        assert_eq!(e.summary, json!({"number": 1}), "no gate, no standing");
    }

    #[test]
    fn hash_covers_every_field_and_the_previous_hash() {
        let mut e = entry();
        e.link(&ChainHead::genesis());
        assert_eq!(e.seq, 1);
        let base = e.hash;
        assert_eq!(e.chain_hash(&GENESIS), base);
        assert_ne!(e.chain_hash(&[1; 32]), base);
        let mut changed = e.clone();
        changed.reason = Some(String::new());
        assert_ne!(
            changed.chain_hash(&GENESIS),
            base,
            "absent differs from empty"
        );
        let mut changed = e.clone();
        changed.summary = json!({"b": 2});
        assert_ne!(changed.chain_hash(&GENESIS), base);
        let mut changed = e.clone();
        changed.seq = 2;
        assert_ne!(changed.chain_hash(&GENESIS), base);
    }

    #[test]
    fn verifier_finds_the_first_broken_link() {
        let mut head = ChainHead::genesis();
        let mut chain = Vec::new();
        for _ in 0..4 {
            let mut e = entry();
            e.id = AuditId::new();
            e.link(&head);
            head = ChainHead {
                seq: e.seq,
                hash: e.hash,
                at: Some(e.at),
            };
            chain.push(e);
        }
        let run = |entries: &[AuditEntry], recorded: (i64, ChainHash)| {
            let mut v = ChainVerifier::new();
            for e in entries {
                if let Err(b) = v.check(e) {
                    return ChainReport::Broken { broken: b };
                }
            }
            v.finish(recorded)
        };
        assert!(matches!(
            run(&chain, (4, head.hash)),
            ChainReport::Intact { entries: 4, .. }
        ));
        let mut tampered = chain.clone();
        tampered[1].summary = json!({"b": 3});
        let ChainReport::Broken { broken } = run(&tampered, (4, head.hash)) else {
            panic!("tampering not found");
        };
        assert_eq!((broken.seq, broken.entry), (2, Some(chain[1].id)));
        assert!(matches!(broken.problem, ChainProblem::HashMismatch { .. }));
        let mut deleted = chain.clone();
        deleted.remove(2);
        let ChainReport::Broken { broken } = run(&deleted, (4, head.hash)) else {
            panic!("deletion not found");
        };
        assert_eq!(
            broken.problem,
            ChainProblem::SeqGap {
                expected: 3,
                found: 4
            }
        );
        let ChainReport::Broken { broken } = run(&chain[..3], (4, head.hash)) else {
            panic!("truncation not found");
        };
        assert!(matches!(broken.problem, ChainProblem::HeadMismatch { .. }));
    }

    #[test]
    fn hex_round_trips() {
        let h = entry().chain_hash(&GENESIS);
        assert_eq!(parse_hex(&hex(&h)), Some(h));
        assert_eq!(parse_hex("zz"), None);
    }
}
