//! Integrity check of every record: every wrapped key unwraps for its slot,
//! every sealed record opens in its slot, every conversation's messages are
//! all there, and nothing is left without its conversation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::conversations::{IndexRecord, id_of_key};
use super::error::VaultError;
use super::ids::{ConversationId, split_message_key};
use super::messages::open_message_record;
use super::records::{SETTINGS_KEY, TreeId, VAULT_KEY_ID, open_value};
use super::vault::Vault;
use crate::crypto::{KeyPurpose, keys};
use crate::store::fsutil::hex;

/// Where a damaged record sits. Ids and numbers only, never content.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordLocation {
    ConversationKey(ConversationId),
    ConversationEntry(ConversationId),
    Message {
        conversation: ConversationId,
        seq: u64,
    },
    AuditEvent(u64),
    Settings,
    /// A record whose key fits no known shape, by tree and hex key.
    Unknown {
        tree: &'static str,
        key: String,
    },
}

impl fmt::Display for RecordLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordLocation::ConversationKey(id) => write!(f, "key of conversation {id}"),
            RecordLocation::ConversationEntry(id) => write!(f, "index entry of conversation {id}"),
            RecordLocation::Message { conversation, seq } => write!(f, "message #{seq} of conversation {conversation}"),
            RecordLocation::AuditEvent(seq) => write!(f, "audit event #{seq}"),
            RecordLocation::Settings => f.write_str("settings"),
            RecordLocation::Unknown { tree, key } => write!(f, "record '{key}' in tree '{tree}'"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamagedRecord {
    pub location: RecordLocation,
    pub problem: String,
}

#[derive(Debug, Default)]
pub struct VerifyReport {
    pub conversations: u64,
    pub messages: u64,
    pub audit_events: u64,
    pub records_checked: u64,
    pub damaged: Vec<DamagedRecord>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.damaged.is_empty()
    }
}

impl Vault {
    /// Opens every record in the vault and reports each one that fails.
    pub fn verify(&self) -> Result<VerifyReport, VaultError> {
        let mut report = VerifyReport::default();
        let damaged = |location, problem: String| DamagedRecord { location, problem };
        let mut found = Vec::new();

        // Keys: every conversation key must unwrap for its own slot.
        let mut keys = BTreeMap::new();
        for item in self.records.tree(TreeId::Keys).iter() {
            let (key, wrapped) = item.map_err(|e| self.records.error(e))?;
            report.records_checked += 1;
            if key.as_ref() == VAULT_KEY_ID {
                continue; // already proven: the vault would not have opened
            }
            match id_of_key(&key) {
                Some(id) => match keys::unwrap(&wrapped, KeyPurpose::Conversation(*id.as_bytes()), &self.identity) {
                    Ok(k) => {
                        keys.insert(id, Some(k));
                    }
                    Err(e) => {
                        found.push(damaged(RecordLocation::ConversationKey(id), e.to_string()));
                        keys.insert(id, None);
                    }
                },
                None => found.push(damaged(unknown(TreeId::Keys, &key), "unexpected record".into())),
            }
        }

        // Index entries: each opens, and each has a key.
        let mut entries: BTreeMap<ConversationId, IndexRecord> = BTreeMap::new();
        for item in self.records.tree(TreeId::Index).iter() {
            let (key, sealed) = item.map_err(|e| self.records.error(e))?;
            report.records_checked += 1;
            let Some(id) = id_of_key(&key) else {
                found.push(damaged(unknown(TreeId::Index, &key), "unexpected record".into()));
                continue;
            };
            match open_value::<IndexRecord>(&self.vault_key, TreeId::Index, &key, &sealed) {
                Ok(record) => {
                    entries.insert(id, record);
                }
                Err(e) => found.push(damaged(RecordLocation::ConversationEntry(id), e.to_string())),
            }
            if !keys.contains_key(&id) {
                found.push(damaged(
                    RecordLocation::ConversationKey(id),
                    "the key is missing".into(),
                ));
            }
        }
        report.conversations = entries.len() as u64;

        // Messages: each opens with its conversation's key; note which exist.
        let mut present: BTreeMap<ConversationId, BTreeSet<u64>> = BTreeMap::new();
        for item in self.records.tree(TreeId::Messages).iter() {
            let (key, sealed) = item.map_err(|e| self.records.error(e))?;
            report.records_checked += 1;
            let Some((conversation, seq)) = split_message_key(&key) else {
                found.push(damaged(unknown(TreeId::Messages, &key), "unexpected record".into()));
                continue;
            };
            present.entry(conversation).or_default().insert(seq);
            let location = RecordLocation::Message { conversation, seq };
            match keys.get(&conversation) {
                Some(Some(k)) => match open_message_record(k, conversation, seq, &key, &sealed) {
                    Ok(_) => report.messages += 1,
                    Err(e) => found.push(damaged(location, e.error.to_string())),
                },
                Some(None) => found.push(damaged(location, "its conversation key is damaged".into())),
                None => found.push(damaged(location, "it belongs to no conversation (orphaned)".into())),
            }
        }

        // Completeness: every message the index promises is present.
        for (id, entry) in &entries {
            let seqs = present.remove(id).unwrap_or_default();
            let missing: Vec<u64> = (0..entry.next_seq).filter(|s| !seqs.contains(s)).collect();
            let expected_missing = entry.next_seq.saturating_sub(entry.message_count);
            if missing.len() as u64 > expected_missing {
                for seq in missing {
                    found.push(damaged(
                        RecordLocation::Message { conversation: *id, seq },
                        "it is missing (removed from the database)".into(),
                    ));
                }
            }
        }

        // Audit log and settings.
        for entry in self.audit_log()? {
            report.records_checked += 1;
            match entry {
                Ok(_) => report.audit_events += 1,
                Err(e) => found.push(damaged(RecordLocation::AuditEvent(e.seq), e.error.to_string())),
            }
        }
        if let Some(sealed) = self.records.get(TreeId::Settings, SETTINGS_KEY)? {
            report.records_checked += 1;
            if let Err(e) = open_value::<serde_json::Value>(&self.vault_key, TreeId::Settings, SETTINGS_KEY, &sealed) {
                found.push(damaged(RecordLocation::Settings, e.to_string()));
            }
        }

        found.sort_by(|a, b| a.location.cmp(&b.location));
        report.damaged = found;
        Ok(report)
    }
}

fn unknown(tree: TreeId, key: &[u8]) -> RecordLocation {
    RecordLocation::Unknown {
        tree: tree.name(),
        key: hex(key),
    }
}
