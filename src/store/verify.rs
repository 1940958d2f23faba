//! Integrity check of every record: every wrapped key unwraps for its slot,
//! every sealed record opens in its slot, every conversation's messages are
//! all there, and nothing is left without its conversation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::conversations::{IndexRecord, id_of_key};
use super::error::VaultError;
use super::findings::{FINDINGS_KEY, RecordedFinding};
use super::ids::{ConversationId, split_message_key};
use super::integrity::{self, Tampering};
use super::messages::open_message_record;
use super::records::{FAILED_UNLOCK_IMPORT_KEY, SETTINGS_KEY, TreeId, VAULT_KEY_ID, open_value};
use super::recovery::RECOVERY_RECIPIENT_KEY;
use super::vault::Vault;
use super::watermark::StorageLoss;
use crate::crypto::{DataKey, KeyPurpose, keys};
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
    FailedUnlockImport,
    /// The integrity key or state record (see `integrity`).
    IntegrityState,
    RecoveryRecipient,
    FindingsRegister,
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
            RecordLocation::FailedUnlockImport => f.write_str("failed-unlock import marker"),
            RecordLocation::IntegrityState => f.write_str("integrity state"),
            RecordLocation::RecoveryRecipient => f.write_str("recovery key's recipient"),
            RecordLocation::FindingsRegister => f.write_str("register of findings"),
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
    /// Records lost inside the storage engine, found against the watermark
    /// when this vault was unlocked (see `watermark.rs`).
    pub losses: Vec<StorageLoss>,
    /// Tampering found when this vault was unlocked, and now (see `integrity`).
    pub tampering: Vec<Tampering>,
    /// Findings of earlier unlocks (and of this one) not yet acknowledged
    /// (see `findings`).
    pub unacknowledged: Vec<RecordedFinding>,
}

impl VerifyReport {
    /// Nothing damaged, lost or tampered with, and nothing found earlier
    /// waiting to be acknowledged.
    pub fn is_intact(&self) -> bool {
        self.damaged.is_empty() && self.losses.is_empty() && self.tampering.is_empty() && self.unacknowledged.is_empty()
    }
}

impl Vault {
    /// Opens every record in the vault and reports each one that fails, is
    /// missing, or has no place (a record whose conversation is gone).
    pub fn verify(&self) -> Result<VerifyReport, VaultError> {
        let mut report = VerifyReport::default();
        let mut found = Vec::new();
        let keys = self.verify_keys(&mut report, &mut found)?;
        let entries = self.verify_index(&keys, &mut report, &mut found)?;
        self.verify_messages(&keys, &entries, &mut report, &mut found)?;
        self.verify_audit(&mut report, &mut found)?;
        self.verify_singletons(&mut report, &mut found)?;
        found.sort_by(|a, b| a.location.cmp(&b.location));
        found.dedup();
        let messages_damaged = found
            .iter()
            .any(|d| matches!(d.location, RecordLocation::Message { .. }));
        report.damaged = found;
        report.losses = self.unlock_report.storage_losses.clone();
        report.tampering = self.unlock_report.tampering.clone();
        let new: Vec<Tampering> = self
            .verify_integrity(messages_damaged)?
            .into_iter()
            .filter(|t| !report.tampering.contains(t))
            .collect();
        if !new.is_empty() {
            self.record_verify_findings(&new)?;
        }
        report.tampering.extend(new);
        report.unacknowledged = self.unacknowledged_findings();
        Ok(report)
    }

    /// Every conversation key unwraps for its own slot. `None` marks a damaged key.
    fn verify_keys(
        &self,
        report: &mut VerifyReport,
        found: &mut Vec<DamagedRecord>,
    ) -> Result<BTreeMap<ConversationId, Option<DataKey>>, VaultError> {
        let mut keys = BTreeMap::new();
        for item in self.records.scan(TreeId::Keys) {
            let (key, wrapped) = item?;
            report.records_checked += 1;
            if key.as_ref() == VAULT_KEY_ID {
                continue; // already proven: the vault would not have opened
            }
            let Some(id) = id_of_key(&key) else {
                found.push(damaged(unknown(TreeId::Keys, &key), "unexpected record"));
                continue;
            };
            match keys::unwrap(&wrapped, KeyPurpose::Conversation(*id.as_bytes()), &self.identity) {
                Ok(k) => keys.insert(id, Some(k)),
                Err(e) => {
                    found.push(damaged(RecordLocation::ConversationKey(id), e.to_string()));
                    keys.insert(id, None)
                }
            };
        }
        Ok(keys)
    }

    /// Every index entry opens and has a key; every key has an index entry.
    /// Returns the readable entries; damaged ones map to `None`.
    fn verify_index(
        &self,
        keys: &BTreeMap<ConversationId, Option<DataKey>>,
        report: &mut VerifyReport,
        found: &mut Vec<DamagedRecord>,
    ) -> Result<BTreeMap<ConversationId, Option<IndexRecord>>, VaultError> {
        let mut entries = BTreeMap::new();
        for item in self.records.scan(TreeId::Index) {
            let (key, sealed) = item?;
            report.records_checked += 1;
            let Some(id) = id_of_key(&key) else {
                found.push(damaged(unknown(TreeId::Index, &key), "unexpected record"));
                continue;
            };
            match open_value::<IndexRecord>(&self.vault_key, TreeId::Index, &key, &sealed) {
                Ok(record) => {
                    report.conversations += 1;
                    entries.insert(id, Some(record));
                }
                Err(e) => {
                    found.push(damaged(RecordLocation::ConversationEntry(id), e.to_string()));
                    entries.insert(id, None);
                }
            }
            if !keys.contains_key(&id) {
                found.push(damaged(RecordLocation::ConversationKey(id), "the key is missing"));
            }
        }
        for id in keys.keys().filter(|id| !entries.contains_key(id)) {
            found.push(damaged(
                RecordLocation::ConversationEntry(*id),
                "it is missing: the conversation's key is there but its index entry was removed",
            ));
        }
        Ok(entries)
    }

    /// Every message opens with its conversation's key, belongs to a
    /// conversation, and every conversation has exactly the messages its index
    /// entry records.
    fn verify_messages(
        &self,
        keys: &BTreeMap<ConversationId, Option<DataKey>>,
        entries: &BTreeMap<ConversationId, Option<IndexRecord>>,
        report: &mut VerifyReport,
        found: &mut Vec<DamagedRecord>,
    ) -> Result<(), VaultError> {
        let mut present: BTreeMap<ConversationId, BTreeSet<u64>> = BTreeMap::new();
        for item in self.records.scan(TreeId::Messages) {
            let (key, sealed) = item?;
            report.records_checked += 1;
            let Some((conversation, seq)) = split_message_key(&key) else {
                found.push(damaged(unknown(TreeId::Messages, &key), "unexpected record"));
                continue;
            };
            present.entry(conversation).or_default().insert(seq);
            let location = RecordLocation::Message { conversation, seq };
            if !entries.contains_key(&conversation) {
                found.push(damaged(
                    location,
                    "it belongs to no conversation in the index (orphaned)",
                ));
                continue;
            }
            match keys.get(&conversation) {
                Some(Some(k)) => match open_message_record(k, conversation, seq, &key, &sealed) {
                    Ok(_) => report.messages += 1,
                    Err(e) => found.push(damaged(location, e.error.to_string())),
                },
                Some(None) => found.push(damaged(location, "its conversation key is damaged")),
                None => found.push(damaged(location, "its conversation key is missing")),
            }
        }
        for (id, entry) in entries {
            let Some(entry) = entry else { continue };
            let seqs = present.remove(id).unwrap_or_default();
            for seq in seqs.range(entry.next_seq..) {
                found.push(damaged(
                    RecordLocation::Message {
                        conversation: *id,
                        seq: *seq,
                    },
                    "it lies beyond the conversation's recorded end (its index entry was rolled back or replaced)",
                ));
            }
            let missing: Vec<u64> = (0..entry.next_seq).filter(|s| !seqs.contains(s)).collect();
            if missing.len() as u64 != entry.next_seq.saturating_sub(entry.message_count) {
                for seq in missing {
                    found.push(damaged(
                        RecordLocation::Message { conversation: *id, seq },
                        "it is missing (removed from the database)",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every audit event opens, and none is missing between the first and last.
    fn verify_audit(&self, report: &mut VerifyReport, found: &mut Vec<DamagedRecord>) -> Result<(), VaultError> {
        let mut expected = 0u64;
        for entry in self.audit_log()? {
            report.records_checked += 1;
            let seq = match &entry {
                Ok(e) => e.seq,
                Err(e) => e.seq,
            };
            for gap in expected..seq.min(expected.saturating_add(1000)) {
                found.push(damaged(
                    RecordLocation::AuditEvent(gap),
                    "it is missing (removed from the log)",
                ));
            }
            expected = seq.saturating_add(1);
            match entry {
                Ok(_) => report.audit_events += 1,
                Err(e) => found.push(damaged(RecordLocation::AuditEvent(e.seq), e.error.to_string())),
            }
        }
        Ok(())
    }

    /// The settings map and the meta records open; nothing else is in their trees.
    fn verify_singletons(&self, report: &mut VerifyReport, found: &mut Vec<DamagedRecord>) -> Result<(), VaultError> {
        let known: [(TreeId, &[u8], RecordLocation); 6] = [
            (TreeId::Settings, SETTINGS_KEY, RecordLocation::Settings),
            (
                TreeId::Meta,
                FAILED_UNLOCK_IMPORT_KEY,
                RecordLocation::FailedUnlockImport,
            ),
            (TreeId::Meta, integrity::STATE_KEY, RecordLocation::IntegrityState),
            (TreeId::Meta, integrity::INTEGRITY_KEY, RecordLocation::IntegrityState),
            (TreeId::Meta, RECOVERY_RECIPIENT_KEY, RecordLocation::RecoveryRecipient),
            (TreeId::Meta, FINDINGS_KEY, RecordLocation::FindingsRegister),
        ];
        for tree in [TreeId::Settings, TreeId::Meta] {
            for item in self.records.scan(tree) {
                let (key, sealed) = item?;
                report.records_checked += 1;
                match known.iter().find(|(t, k, _)| *t == tree && *k == key.as_ref()) {
                    None => found.push(damaged(unknown(tree, &key), "unexpected record")),
                    Some((_, _, location)) => {
                        if let Err(e) = open_value::<serde_json::Value>(&self.vault_key, tree, &key, &sealed) {
                            found.push(damaged(location.clone(), e.to_string()));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn damaged(location: RecordLocation, problem: impl Into<String>) -> DamagedRecord {
    DamagedRecord {
        location,
        problem: problem.into(),
    }
}

fn unknown(tree: TreeId, key: &[u8]) -> RecordLocation {
    RecordLocation::Unknown {
        tree: tree.name(),
        key: hex(key),
    }
}
