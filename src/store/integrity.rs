//! The vault as a whole, not only each record: a keyed digest of every record,
//! kept in a sealed state record that every commit rewrites in the same sled
//! transaction.
//!
//! Sealing binds a record to its slot, but an older copy of the *same* record
//! (settings before a key was revoked, an index entry before a retention rule
//! was set, a reply before it was finished) still opens: it was sealed by us,
//! for that slot, under the same key. Only something that knows what the
//! record is *now* can refuse it. That is the state record (`meta/state`): per
//! tree, the XOR of HMAC-SHA256(integrity key, tree ‖ key ‖ sealed value) over
//! its records, the audit log's length, and a generation that counts commits.
//! The integrity key is random, sealed under the vault key in
//! `meta/integrity-key`, so nobody without the vault key can compute a digest
//! (and XOR of a keyed PRF cannot be steered towards a wanted value).
//!
//! At every unlock the digests of the vault-level trees (keys, index,
//! settings, meta) and the audit log's length are recomputed and compared: a
//! cost that grows with the number of conversations, not messages. `verify`
//! also recomputes the messages' digest. Because the state record changes in
//! the same transaction as the records, a crash can never leave them
//! disagreeing, so a difference is tampering (or damage), never a false alarm.
//! The watermark (outside sled) holds the generation of the last clean close,
//! so rolling back the state record together with the records it covers is
//! noticed too, unless the attacker also has and restores a copy of the
//! watermark from then: restoring an older copy of the whole vault stays
//! possible for someone who can write the data directory (SECURITY.md).

use std::fmt;

use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroize;

use super::records::{Change, TreeId};
use crate::crypto::DataKey;

/// In `meta`: the sealed state record.
pub(crate) const STATE_KEY: &[u8] = b"state";
/// In `meta`: the sealed random key the digests are computed with.
pub(crate) const INTEGRITY_KEY: &[u8] = b"integrity-key";

pub(crate) type DigestBytes = [u8; 32];

/// What the vault held after its last commit, as digests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StateRecord {
    /// Commits since the vault was made (or migrated); never goes down.
    pub generation: u64,
    #[serde(with = "hex_digest")]
    pub keys: DigestBytes,
    #[serde(with = "hex_digest")]
    pub index: DigestBytes,
    #[serde(with = "hex_digest")]
    pub settings: DigestBytes,
    #[serde(with = "hex_digest")]
    pub meta: DigestBytes,
    #[serde(with = "hex_digest")]
    pub messages: DigestBytes,
    /// The audit log's next sequence number.
    pub audit_next: u64,
    /// Whether a watermark file was ever written for this vault; from then
    /// on, a missing one was removed.
    #[serde(default)]
    pub watermark_written: bool,
    /// The settings that protect the user (the retention default, the
    /// redaction mode) as last written: when the settings record cannot be
    /// trusted, these are what it is replaced with, so a discard never
    /// loosens them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub protective: std::collections::BTreeMap<String, String>,
}

impl StateRecord {
    /// The digest a record of `tree` counts in, if its tree is digested.
    pub fn digest_mut(&mut self, tree: TreeId) -> Option<&mut DigestBytes> {
        match tree {
            TreeId::Keys => Some(&mut self.keys),
            TreeId::Index => Some(&mut self.index),
            TreeId::Settings => Some(&mut self.settings),
            TreeId::Meta => Some(&mut self.meta),
            TreeId::Messages => Some(&mut self.messages),
            TreeId::Audit => None,
        }
    }

    pub fn digest(&self, tree: TreeId) -> Option<&DigestBytes> {
        match tree {
            TreeId::Keys => Some(&self.keys),
            TreeId::Index => Some(&self.index),
            TreeId::Settings => Some(&self.settings),
            TreeId::Meta => Some(&self.meta),
            TreeId::Messages => Some(&self.messages),
            TreeId::Audit => None,
        }
    }
}

/// Digests as 64 hex digits: the state record is rewritten with every
/// commit, so it is kept small (a JSON array of numbers is twice the size).
mod hex_digest {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::DigestBytes;
    use crate::store::fsutil;

    pub fn serialize<S: Serializer>(digest: &DigestBytes, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&fsutil::hex(digest))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DigestBytes, D::Error> {
        let text = <&str>::deserialize(deserializer)?;
        fsutil::unhex(text).ok_or_else(|| serde::de::Error::custom("a digest is 64 hex digits"))
    }
}

/// The sealed form of the integrity key.
#[derive(Serialize, Deserialize)]
pub(crate) struct IntegrityKeyRecord {
    key: DigestBytes,
}

impl Drop for IntegrityKeyRecord {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// The integrity key: random, 256 bits, never printed.
pub(crate) struct IntegrityKey(SecretBox<DigestBytes>);

impl IntegrityKey {
    pub fn generate() -> Self {
        IntegrityKey(SecretBox::init_with_mut(|key: &mut DigestBytes| {
            rand::rngs::OsRng.fill_bytes(key)
        }))
    }

    pub fn from_record(record: &IntegrityKeyRecord) -> Self {
        IntegrityKey(SecretBox::init_with_mut(|key: &mut DigestBytes| {
            key.copy_from_slice(&record.key)
        }))
    }

    pub fn to_record(&self) -> IntegrityKeyRecord {
        IntegrityKeyRecord {
            key: *self.0.expose_secret(),
        }
    }

    /// The keyed MAC of one record: its tree, key and sealed value, with
    /// lengths so that no two records share an encoding.
    pub fn record_mac(&self, tree: TreeId, key: &[u8], value: &[u8]) -> DigestBytes {
        self.record_macs().mac(tree, key, value)
    }

    /// A MAC keyed once for many records (a whole tree at unlock): the same
    /// bytes as `record_mac`, without setting up the key for each.
    pub fn record_macs(&self) -> RecordMacs {
        let mut keyed = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .expect("invariant: HMAC takes a key of any length");
        keyed.update(b"sotto/record-digest/v1");
        RecordMacs(keyed)
    }
}

/// See [`IntegrityKey::record_macs`].
pub struct RecordMacs(Hmac<Sha256>);

impl RecordMacs {
    pub fn mac(&self, tree: TreeId, key: &[u8], value: &[u8]) -> DigestBytes {
        let mut mac = self.0.clone();
        mac.update(tree.name().as_bytes());
        mac.update(&(key.len() as u32).to_be_bytes());
        mac.update(key);
        mac.update(value);
        mac.finalize().into_bytes().into()
    }
}

impl Clone for IntegrityKey {
    fn clone(&self) -> Self {
        IntegrityKey(SecretBox::init_with_mut(|key: &mut DigestBytes| {
            key.copy_from_slice(self.0.expose_secret())
        }))
    }
}

impl fmt::Debug for IntegrityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntegrityKey([redacted])")
    }
}

/// Every tree with a digest of its own (the audit log is counted instead).
pub(crate) const DIGESTED_TREES: [TreeId; 5] = [
    TreeId::Keys,
    TreeId::Index,
    TreeId::Settings,
    TreeId::Meta,
    TreeId::Messages,
];

/// Whether a record counts in the digests: every record of a digested tree
/// except the state record itself.
pub(crate) fn is_digested(tree: TreeId, key: &[u8]) -> bool {
    tree != TreeId::Audit && !(tree == TreeId::Meta && key == STATE_KEY)
}

pub(crate) fn xor_into(digest: &mut DigestBytes, mac: &DigestBytes) {
    for (d, m) in digest.iter_mut().zip(mac) {
        *d ^= m;
    }
}

/// The state the records follow while a vault is open: kept by `Records`,
/// which brings it forward in every commit.
pub(crate) struct Tracker {
    pub key: IntegrityKey,
    /// The vault key, which seals the state record.
    pub seal_key: DataKey,
    pub state: StateRecord,
}

impl Tracker {
    /// The state after `changes`, given each changed record's value before
    /// them (`old`, in the same order; `None` where there was none).
    pub fn advance(&self, changes: &[Change], old: &[Option<Vec<u8>>]) -> StateRecord {
        let mut next = self.state.clone();
        for (change, old) in changes.iter().zip(old) {
            let (tree, key, new) = match change {
                Change::Put { tree, key, value } | Change::Create { tree, key, value } => (*tree, key, Some(value)),
                Change::Remove { tree, key } => (*tree, key, None),
            };
            if tree == TreeId::Audit {
                if new.is_some()
                    && let Ok(seq) = <[u8; 8]>::try_from(key.as_slice())
                {
                    next.audit_next = next.audit_next.max(u64::from_be_bytes(seq).saturating_add(1));
                }
                continue;
            }
            if !is_digested(tree, key) {
                continue;
            }
            let digest = next
                .digest_mut(tree)
                .expect("invariant: every tree but the audit log is digested");
            if let Some(old) = old {
                xor_into(digest, &self.key.record_mac(tree, key, old));
            }
            if let Some(new) = new {
                xor_into(digest, &self.key.record_mac(tree, key, new.as_bytes()));
            }
        }
        next.generation = next.generation.saturating_add(1);
        next
    }
}

/// What the integrity check found wrong with the vault as a whole. Names
/// trees and counts, never content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tampering {
    /// The records of a tree are not what sotto last wrote there: one was
    /// replaced by an older copy of itself, altered, added or removed.
    Records { tree: &'static str },
    /// The settings record was not what sotto last wrote, so it was not
    /// used: it was discarded (names only: what must be set again).
    SettingsDiscarded { names: Vec<String> },
    /// Audit events were removed from the end of the log (or added).
    AuditLog { expected: u64, found: u64 },
    /// The state record or the integrity key is gone from a vault that had them.
    StateMissing,
    /// The records are older than at the last clean close: an older copy of
    /// the database (or of parts of it) was put back, or the disk lost writes.
    RolledBack { closed_at: u64, now: u64 },
    /// The watermark was removed from a vault that had one.
    WatermarkRemoved,
    /// `recovery.age` is there, but the sealed record of the recovery key's
    /// recipient is missing or does not open; the copy was destroyed.
    RecoveryRecipientLost,
    /// `recovery.age` was removed although the vault has a recovery key; it
    /// was written again.
    RecoveryCopyRemoved,
}

impl Tampering {
    /// The fixed name of what was found, for the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            Tampering::Records { tree } => tree,
            Tampering::SettingsDiscarded { .. } => "settings",
            Tampering::AuditLog { .. } => "audit",
            Tampering::StateMissing => "state",
            Tampering::RolledBack { .. } => "rollback",
            Tampering::WatermarkRemoved => "watermark",
            Tampering::RecoveryRecipientLost | Tampering::RecoveryCopyRemoved => "recovery",
        }
    }
}

impl fmt::Display for Tampering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tampering::Records { tree: "messages" } => f.write_str(
                "message records are not what sotto last wrote: one was replaced by an older copy of itself \
                 (an earlier state of a reply), altered, added or removed",
            ),
            Tampering::Records { tree } => write!(
                f,
                "the '{tree}' records are not what sotto last wrote: one was replaced by an older copy of \
                 itself, altered, added or removed"
            ),
            Tampering::SettingsDiscarded { names } if names.is_empty() => f.write_str(
                "the settings record could not be trusted (it was not what sotto last wrote, or what it was \
                 checked against was gone), so it was discarded unread; the retention default and redaction \
                 mode were kept as last set, everything else is back to its default",
            ),
            Tampering::SettingsDiscarded { names } => write!(
                f,
                "the settings record could not be trusted (it was not what sotto last wrote, or what it was \
                 checked against was gone; an older copy put back?), so it was discarded, not used: the \
                 retention default and redaction mode were kept as last set; set the rest again (the \
                 discarded record held {}; newer ones may be missing from that list); stored API keys need \
                 'sotto key set', consents are asked again",
                names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
            ),
            Tampering::AuditLog { expected, found } if found < expected => write!(
                f,
                "audit events #{found} to #{} were removed from the end of the audit log",
                expected - 1
            ),
            Tampering::AuditLog { expected, found } => write!(
                f,
                "the audit log has {} event(s) more than sotto wrote",
                found - expected
            ),
            Tampering::StateMissing => f.write_str(
                "the vault's state record (what it held at its last change) was removed or does not open, so \
                 records replaced by older copies cannot be ruled out; it was made again from what is there now",
            ),
            Tampering::RolledBack { closed_at, now } => write!(
                f,
                "the vault's records are older than when it was last closed (change {now}, closed at change \
                 {closed_at}): an older copy of the database was put back, or the disk lost writes"
            ),
            Tampering::WatermarkRemoved => f.write_str(
                "the watermark file (what the vault held at its last close) was removed, so records lost or \
                 rolled back since then cannot be ruled out",
            ),
            Tampering::RecoveryRecipientLost => f.write_str(
                "'recovery.age' was there but the sealed record of the recovery key was removed or does not \
                 open, so the copy was destroyed (no rotation could keep it current); make a new recovery \
                 key with 'sotto recovery-key'",
            ),
            Tampering::RecoveryCopyRemoved => f.write_str(
                "'recovery.age' was removed although the vault has a recovery key; it was written again, so \
                 the recovery key keeps working",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> Tracker {
        Tracker {
            key: IntegrityKey::generate(),
            seal_key: DataKey::generate(),
            state: StateRecord::default(),
        }
    }

    /// `plaintext` sealed for its slot, as every value the record layer takes.
    fn sealed(tree: TreeId, key: &[u8], plaintext: &[u8]) -> crate::crypto::Sealed {
        crate::crypto::seal::seal(
            &DataKey::generate(),
            crate::crypto::RecordSlot { tree: tree.name(), key },
            plaintext,
        )
    }

    fn put(tree: TreeId, key: &[u8], value: &crate::crypto::Sealed) -> Change {
        Change::Put {
            tree,
            key: key.to_vec(),
            value: value.clone(),
        }
    }

    #[test]
    fn a_record_put_back_to_an_older_value_changes_the_digest() {
        let t = tracker();
        let (one, two) = (
            sealed(TreeId::Settings, b"settings", b"one"),
            sealed(TreeId::Settings, b"settings", b"two"),
        );
        let v1 = t.advance(&[put(TreeId::Settings, b"settings", &one)], &[None]);
        let t = Tracker { state: v1.clone(), ..t };
        let v2 = t.advance(
            &[put(TreeId::Settings, b"settings", &two)],
            &[Some(one.as_bytes().to_vec())],
        );
        assert_ne!(v1.settings, v2.settings);
        // The digest is that of the set: the same records give the same digest
        // whatever the path that led there.
        let mut fresh = StateRecord::default();
        xor_into(
            &mut fresh.settings,
            &t.key.record_mac(TreeId::Settings, b"settings", two.as_bytes()),
        );
        assert_eq!(fresh.settings, v2.settings);
        assert_eq!(v2.generation, 2);
    }

    #[test]
    fn the_state_record_and_the_audit_log_are_not_digested_but_counted() {
        let t = tracker();
        let audit = Change::Create {
            tree: TreeId::Audit,
            key: 41u64.to_be_bytes().to_vec(),
            value: sealed(TreeId::Audit, &41u64.to_be_bytes(), b"event"),
        };
        let state = sealed(TreeId::Meta, STATE_KEY, b"x");
        let next = t.advance(&[audit, put(TreeId::Meta, STATE_KEY, &state)], &[None, None]);
        assert_eq!(next.audit_next, 42);
        assert_eq!(next.meta, DigestBytes::default());
    }

    #[test]
    fn the_state_record_round_trips_and_stays_small() {
        let t = tracker();
        let state = t.advance(&[put(TreeId::Index, b"k", &sealed(TreeId::Index, b"k", b"v"))], &[None]);
        let json = serde_json::to_string(&state).unwrap();
        // Five digests as arrays of numbers would take about 700 bytes alone.
        assert!(json.len() < 480, "{} bytes", json.len());
        assert_eq!(serde_json::from_str::<StateRecord>(&json).unwrap(), state);
    }

    #[test]
    fn another_key_gives_other_digests() {
        let (a, b) = (IntegrityKey::generate(), IntegrityKey::generate());
        assert_ne!(
            a.record_mac(TreeId::Index, b"k", b"v"),
            b.record_mac(TreeId::Index, b"k", b"v")
        );
        assert_ne!(
            a.record_mac(TreeId::Index, b"k", b"v"),
            a.record_mac(TreeId::Keys, b"k", b"v")
        );
    }
}
