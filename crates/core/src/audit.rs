//! The tamper-evident audit trail: a hash chain over canonical rows.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and a
//! canonical, length-prefixed encoding of the entry's own fields, so that
//! editing, deleting, inserting or reordering any row breaks the chain at
//! that row, and cutting the tail is caught against a head hash kept
//! outside the database (`debrief audit head`). Length prefixes (not
//! separators) make the encoding unambiguous whatever the fields contain:
//! a CR/LF or NUL in a user name cannot forge a second field.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::time::utc;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    /// When, in UTC (stored to the microsecond).
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// Who: a user name, `anonymous` or `system`.
    pub actor: String,
    /// The acting user's id, when a user acts.
    pub actor_id: Option<uuid::Uuid>,
    /// What was done, e.g. `incident.update`, `login.failure`.
    pub action: String,
    /// What it was done to, e.g. `incident:INC-2025-1128`.
    pub object: String,
    /// The value before, as canonical JSON text.
    pub before: Option<String>,
    /// The value after, as canonical JSON text.
    pub after: Option<String>,
    /// The source address of the request.
    pub source: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// A chained entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// The event.
    #[serde(flatten)]
    pub event: AuditEvent,
    /// Hash of the previous entry ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditEvent {
    /// The event with its time cut to microseconds, the precision both
    /// databases keep, so the hash computed now matches the one recomputed
    /// from the stored row.
    pub fn normalized(mut self) -> Self {
        self.at = self.at.trunc_subsecs(6);
        self
    }

    /// Chains the event after `prev` (seq and hash of the previous entry).
    pub fn chain(self, prev_seq: i64, prev_hash: &str) -> AuditEntry {
        let event = self.normalized();
        let seq = prev_seq + 1;
        let hash = entry_hash(prev_hash, seq, &event);
        AuditEntry {
            seq,
            event,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }
}

fn put(buf: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => buf.push(0),
        Some(bytes) => {
            buf.push(1);
            buf.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            buf.extend_from_slice(bytes);
        }
    }
}

/// The canonical encoding of an entry's content.
pub fn canonical(seq: i64, e: &AuditEvent) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(b"debrief-audit-v1");
    put(&mut buf, Some(&seq.to_be_bytes()));
    let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    put(&mut buf, Some(at.as_bytes()));
    put(&mut buf, Some(e.actor.as_bytes()));
    put(
        &mut buf,
        e.actor_id
            .as_ref()
            .map(uuid::Uuid::as_bytes)
            .map(<[u8; 16]>::as_slice),
    );
    put(&mut buf, Some(e.action.as_bytes()));
    put(&mut buf, Some(e.object.as_bytes()));
    put(&mut buf, e.before.as_deref().map(str::as_bytes));
    put(&mut buf, e.after.as_deref().map(str::as_bytes));
    put(&mut buf, e.source.as_deref().map(str::as_bytes));
    put(&mut buf, e.request_id.as_deref().map(str::as_bytes));
    buf
}

/// SHA-256 over the previous hash and the canonical encoding, as hex.
pub fn entry_hash(prev_hash: &str, seq: i64, e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical(seq, e));
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BrokenLink {
    /// The first position at fault.
    pub seq: i64,
    /// What is wrong there.
    pub reason: String,
}

/// The result of walking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// Hash of the last entry, if any.
    pub head: Option<String>,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

impl Verification {
    /// True when the chain is intact.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Walks a chain incrementally, so a store can stream rows through it.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
    entries: u64,
    broken: Option<BrokenLink>,
    seen_head: bool,
    known_head: Option<String>,
}

impl Verifier {
    /// A verifier; `known_head` is a head hash kept outside the database,
    /// which must appear in the chain (else the tail was cut).
    pub fn new(known_head: Option<String>) -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_owned(),
            entries: 0,
            broken: None,
            seen_head: false,
            known_head,
        }
    }

    /// Checks the next entry, in seq order. Stops checking after the first break.
    pub fn push(&mut self, e: &AuditEntry) {
        if self.broken.is_some() {
            return;
        }
        let fail = |reason: String| Some(BrokenLink { seq: e.seq, reason });
        self.broken = if e.seq != self.expected_seq {
            let seq = self.expected_seq;
            Some(BrokenLink {
                seq,
                reason: format!(
                    "expected entry {} here, found {} (an entry was removed, inserted or moved)",
                    self.expected_seq, e.seq
                ),
            })
        } else if e.prev_hash != self.prev_hash {
            fail("its prev_hash does not match the previous entry's hash".to_owned())
        } else if entry_hash(&e.prev_hash, e.seq, &e.event) != e.hash {
            fail("its content does not match its hash (the entry was edited)".to_owned())
        } else {
            None
        };
        if self.broken.is_none() {
            self.entries += 1;
            self.expected_seq += 1;
            self.prev_hash.clone_from(&e.hash);
            if self.known_head.as_deref() == Some(e.hash.as_str()) {
                self.seen_head = true;
            }
        }
    }

    /// The verdict.
    pub fn finish(self) -> Verification {
        let head = (self.entries > 0).then(|| self.prev_hash.clone());
        let broken = self.broken.or_else(|| match &self.known_head {
            Some(h) if !self.seen_head => Some(BrokenLink {
                seq: self.expected_seq,
                reason: format!(
                    "the chain does not contain the known head {h} (entries were cut from the end)"
                ),
            }),
            _ => None,
        });
        Verification {
            entries: self.entries,
            head,
            broken,
        }
    }
}

/// Verifies a whole chain held in memory.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    known_head: Option<String>,
) -> Verification {
    let mut v = Verifier::new(known_head);
    for e in entries {
        v.push(e);
    }
    v.finish()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn event(i: i64) -> AuditEvent {
        AuditEvent {
            at: Utc.with_ymd_and_hms(2025, 11, 28, 3, 0, 0).unwrap()
                + Duration::microseconds(i * 1_001_001),
            actor: format!("user{}", i % 7),
            actor_id: (i % 5 != 0).then(|| uuid::Uuid::from_u128(i as u128)),
            action: if i % 3 == 0 {
                "incident.update".into()
            } else {
                "login.success".into()
            },
            object: format!("incident:INC-2025-{:04}", i % 50),
            before: (i % 2 == 0).then(|| format!("{{\"title\":\"t{i}\"}}")),
            after: Some(format!("{{\"title\":\"t{}\"}}", i + 1)),
            source: Some("127.0.0.1".into()),
            request_id: Some(format!("req-{i}")),
        }
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let (seq, prev) = out
                .last()
                .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()));
            out.push(event(i).chain(seq, &prev));
        }
        out
    }

    #[test]
    fn the_acting_users_id_is_covered_by_the_hash() {
        let c = chain(3);
        let mut t = c.clone();
        t[1].event.actor_id = Some(uuid::Uuid::from_u128(42));
        assert_eq!(verify(&t, None).broken.map(|b| b.seq), Some(2));
    }

    #[test]
    fn an_untouched_chain_verifies_and_reports_its_head() {
        let c = chain(20);
        let v = verify(&c, Some(c[19].hash.clone()));
        assert!(v.is_intact(), "{v:?}");
        assert_eq!(v.entries, 20);
        assert_eq!(v.head.as_deref(), Some(c[19].hash.as_str()));
    }

    #[test]
    fn every_single_edit_delete_insert_reorder_and_tail_cut_is_caught_in_a_1000_row_trail() {
        use std::iter::once;
        let c = chain(1000);
        let head = || Some(c[999].hash.clone());
        let first_break = |v: Verification| v.broken.map(|b| b.seq);
        for pos in 0..1000usize {
            let (before, after) = (&c[..pos], &c[pos + 1..]);
            let at = pos as i64 + 1;

            // Edit one field of one row.
            let mut edited = c[pos].clone();
            edited.event.actor.push('x');
            let v = verify(before.iter().chain(once(&edited)).chain(after), head());
            assert_eq!(first_break(v), Some(at), "edit at {pos}");

            // Delete one row.
            let v = verify(before.iter().chain(after), head());
            assert_eq!(first_break(v), Some(at), "delete at {pos}");

            // Insert a forged row, correctly hashed against its predecessor.
            let prev = before
                .last()
                .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()));
            let forged = event(9999).chain(prev.0, &prev.1);
            let v = verify(before.iter().chain(once(&forged)).chain(&c[pos..]), head());
            // The forged row itself chains correctly; the row it displaced does not.
            assert_eq!(first_break(v), Some(at + 1), "insert at {pos}");

            // Swap this row's content with the next one's, keeping seq in place.
            if pos + 1 < 1000 {
                let (mut a, mut b) = (c[pos + 1].clone(), c[pos].clone());
                (a.seq, b.seq) = (c[pos].seq, c[pos + 1].seq);
                let v = verify(before.iter().chain([&a, &b]).chain(&c[pos + 2..]), None);
                assert_eq!(first_break(v), Some(at), "swap at {pos}");
            }

            // Cut the tail after this row, checked against the exported head.
            if pos < 999 {
                let v = verify(&c[..=pos], head());
                assert_eq!(first_break(v), Some(at + 1), "tail cut after {pos}");
            }
        }
    }

    #[test]
    fn a_line_break_in_a_name_cannot_forge_another_field() {
        let mut a = event(1);
        a.actor = "mallory\naction: login.success".into();
        let mut b = event(1);
        b.actor = "mallory".into();
        b.action = format!("action: login.success{}", a.action);
        assert_ne!(canonical(1, &a), canonical(1, &b));
    }
}
