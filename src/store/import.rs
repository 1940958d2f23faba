//! Importing conversations read back from an export: each keeps its id, its
//! messages' sequence numbers (which `replaces=SEQ` links point at) and its
//! times, and is written with a new data key, all of it or none; the
//! importer makes the whole import durable with one flush.
//!
//! A conversation of up to `IMPORT_CHUNK` messages is one atomic commit. A
//! longer one is written in commits of that many messages, because sled
//! holds a whole transaction, and every page version it makes, until it
//! commits (a 10,000-message conversation in one commit peaked at 77 MB,
//! BENCHMARKS.md). Its first commit also writes a sealed pending-import
//! marker in `meta`; its last writes the conversation's key and index entry
//! and removes the marker. Until then the conversation does not exist (no
//! key, no index entry), and its messages are sealed under a key that was
//! never stored. If the import is cut short, the next unlock finds the
//! marker and removes those messages (`remove_cut_imports`), so a
//! conversation is still in the vault whole or not at all.

use serde::{Deserialize, Serialize};

use super::conversations::IndexRecord;
use super::error::VaultError;
use super::ids::{ConversationId, message_key};
use super::messages::{MessageMeta, MessageRecord, Role};
use super::records::{Change, TreeId, open_value, seal_value};
use super::vault::Vault;
use crate::crypto::{DataKey, KeyPurpose, keys};
use crate::time::Timestamp;

/// Messages per commit of a long conversation's import.
pub(crate) const IMPORT_CHUNK: usize = 500;

/// In `meta`, before a conversation id: an import of that conversation in
/// several commits has begun and not finished.
pub(crate) const PENDING_IMPORT_PREFIX: &[u8] = b"import-pending/";

/// What a pending-import marker holds (sealed, so it cannot be planted).
#[derive(Serialize, Deserialize)]
struct PendingImport {
    started: Timestamp,
}

/// A conversation as an export holds it.
pub struct ImportedConversation {
    pub id: ConversationId,
    pub title: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    /// Its own retention rule, if it had one.
    pub retention: Option<super::retention::Retention>,
    /// In any order; sequence numbers must be unique.
    pub messages: Vec<ImportedMessage>,
}

pub struct ImportedMessage {
    pub seq: u64,
    pub role: Role,
    pub at: Timestamp,
    pub text: String,
    pub meta: MessageMeta,
}

pub(crate) fn pending_import_key(id: ConversationId) -> Vec<u8> {
    [PENDING_IMPORT_PREFIX, id.as_bytes()].concat()
}

/// A conversation from an export with its messages sealed under a new data
/// key: the part of its import that needs nothing of the vault, so that it
/// can run on another thread while the vault writes the one before.
pub struct SealedImport {
    id: ConversationId,
    key: DataKey,
    index: IndexRecord,
    /// The message records, sealed, in the export's order.
    messages: Vec<Change>,
    /// A sequence number at its maximum: refused when written (no next one).
    seq_at_maximum: bool,
}

impl SealedImport {
    pub fn id(&self) -> ConversationId {
        self.id
    }

    pub fn message_count(&self) -> u64 {
        self.messages.len() as u64
    }
}

impl ImportedConversation {
    /// Seals the messages under a new data key and works out the index entry.
    pub fn seal(self) -> SealedImport {
        let key = DataKey::generate();
        let mut index = IndexRecord {
            title: self.title,
            created: self.created,
            updated: self.updated,
            message_count: self.messages.len() as u64,
            next_seq: 0,
            first_message_at: None,
            last_message_at: None,
            retention: self.retention,
        };
        let mut seq_at_maximum = false;
        for message in &self.messages {
            match message.seq.checked_add(1) {
                Some(next) => index.next_seq = index.next_seq.max(next),
                None => seq_at_maximum = true,
            }
            index.first_message_at = Some(index.first_message_at.map_or(message.at, |t| t.min(message.at)));
            index.last_message_at = Some(index.last_message_at.map_or(message.at, |t| t.max(message.at)));
        }
        let id = self.id;
        let messages = self
            .messages
            .into_iter()
            .map(|message| {
                let record_key = message_key(id, message.seq);
                let record = MessageRecord {
                    role: message.role,
                    at: message.at,
                    text: message.text,
                    meta: message.meta,
                };
                Change::Create {
                    tree: TreeId::Messages,
                    key: record_key.to_vec(),
                    value: seal_value(&key, TreeId::Messages, &record_key, &record),
                }
            })
            .collect();
        SealedImport {
            id: self.id,
            key,
            index,
            messages,
            seq_at_maximum,
        }
    }
}

impl Vault {
    /// Whether a conversation with this id is in the vault (readable or not).
    pub fn has_conversation(&self, id: ConversationId) -> Result<bool, VaultError> {
        Ok(self.records.get(TreeId::Index, id.as_bytes())?.is_some()
            || self.records.get(TreeId::Keys, id.as_bytes())?.is_some())
    }

    /// Adds `conversation` with its own id, sequence numbers and times, all of
    /// it or nothing. An id already in the vault is refused.
    pub fn import_conversation(&mut self, conversation: ImportedConversation) -> Result<(), VaultError> {
        self.import_sealed(conversation.seal())
    }

    /// [`import_conversation`](Self::import_conversation) of a conversation
    /// already sealed.
    pub fn import_sealed(&mut self, sealed: SealedImport) -> Result<(), VaultError> {
        let SealedImport {
            id,
            key,
            index,
            mut messages,
            seq_at_maximum,
        } = sealed;
        if self.has_conversation(id)? {
            return Err(VaultError::ConversationExists(id));
        }
        // Any record already under the conversation's id (a vault whose
        // records contradict each other) refuses the import before anything
        // is written. Each message's own create would refuse it too, but in
        // a long conversation only at its chunk, after earlier commits, and
        // the clean-up of those would remove the stray record with them.
        if let Some(stray) = self.records.scan_prefix(TreeId::Messages, id.as_bytes()).next() {
            let (key, _) = stray?;
            return Err(self.records.already_there(TreeId::Messages, &key));
        }
        if seq_at_maximum {
            return Err(self.records.inconsistent("a message sequence number is at its maximum"));
        }
        // The last chunk goes with the key and the index entry; the ones
        // before it each make a commit of their own.
        let last = messages.len().saturating_sub(1) / IMPORT_CHUNK * IMPORT_CHUNK;
        let last_chunk = messages.split_off(last);
        let marker = pending_import_key(id);
        let written = self.write_messages_before_last(messages, &marker);
        let finished = written.and_then(|()| self.write_last_chunk(id, &key, &index, last_chunk, last > 0));
        if let Err(e) = finished {
            // What the earlier commits wrote goes now if it can; if not
            // (writes stopped), the next unlock removes it.
            if last > 0 {
                let _ = self.remove_cut_imports();
            }
            return Err(e);
        }
        self.conversation_keys.borrow_mut().insert(id, key);
        Ok(())
    }

    /// The commits before the last of a long conversation's import, the
    /// first with the pending marker.
    fn write_messages_before_last(&self, messages: Vec<Change>, marker: &[u8]) -> Result<(), VaultError> {
        let mut messages = messages.into_iter().peekable();
        let mut first = true;
        while messages.peek().is_some() {
            let mut changes: Vec<Change> = messages.by_ref().take(IMPORT_CHUNK).collect();
            if first {
                let pending = PendingImport {
                    started: Timestamp::now(),
                };
                changes.push(Change::Create {
                    tree: TreeId::Meta,
                    key: marker.to_vec(),
                    value: seal_value(&self.vault_key, TreeId::Meta, marker, &pending),
                });
                first = false;
            }
            self.records.commit(&changes)?;
        }
        Ok(())
    }

    /// The last commit: the last messages, the key and the index entry, and
    /// the marker's removal if there were commits before it.
    fn write_last_chunk(
        &self,
        id: ConversationId,
        key: &DataKey,
        index: &IndexRecord,
        mut changes: Vec<Change>,
        had_earlier: bool,
    ) -> Result<(), VaultError> {
        changes.push(Change::Create {
            tree: TreeId::Keys,
            key: id.as_bytes().to_vec(),
            value: keys::wrap(key, KeyPurpose::Conversation(*id.as_bytes()), &self.identity),
        });
        changes.push(self.index_change(id, index));
        if had_earlier {
            changes.push(Change::Remove {
                tree: TreeId::Meta,
                key: pending_import_key(id),
            });
        }
        // Atomic, but not yet durable: the caller flushes once for a whole
        // import (`Vault::flush_pending`), not once per conversation.
        self.records.commit(&changes)
    }

    /// Removes what imports cut short left: for each pending-import marker,
    /// the messages of a conversation that never got its key and index
    /// entry (sealed under a key nobody has), then the marker, in commits
    /// of `IMPORT_CHUNK` removals. A marker whose conversation does exist
    /// (which the last commit of an import rules out) goes alone: nothing
    /// of a conversation in the vault is ever removed here. Returns how many
    /// cut imports were removed.
    pub(crate) fn remove_cut_imports(&mut self) -> Result<usize, VaultError> {
        let mut markers = Vec::new();
        for item in self.records.scan_prefix(TreeId::Meta, PENDING_IMPORT_PREFIX) {
            let (key, sealed) = item?;
            // Only a marker sealed by this vault is acted on.
            if open_value::<PendingImport>(&self.vault_key, TreeId::Meta, &key, &sealed).is_err() {
                continue;
            }
            let Ok(id) = <[u8; 16]>::try_from(&key[PENDING_IMPORT_PREFIX.len()..]) else {
                continue;
            };
            markers.push((key.to_vec(), ConversationId::from_bytes(id)));
        }
        let mut removed = 0;
        for (marker, id) in markers {
            if !self.has_conversation(id)? {
                loop {
                    let changes: Vec<Change> = self
                        .records
                        .scan_prefix(TreeId::Messages, id.as_bytes())
                        .take(IMPORT_CHUNK)
                        .map(|item| {
                            item.map(|(key, _)| Change::Remove {
                                tree: TreeId::Messages,
                                key: key.to_vec(),
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    if changes.is_empty() {
                        break;
                    }
                    self.records.commit(&changes)?;
                }
                removed += 1;
            }
            self.records.commit(&[Change::Remove {
                tree: TreeId::Meta,
                key: marker,
            }])?;
        }
        if removed > 0 {
            self.records.flush()?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::vault::UnlockReport;

    #[test]
    fn an_unlock_that_removed_a_cut_import_says_how_many_and_what_to_do() {
        assert_eq!(UnlockReport::default().cut_imports_note(), None);
        let report = UnlockReport {
            cut_imports_removed: 2,
            ..UnlockReport::default()
        };
        let note = report.cut_imports_note().unwrap();
        assert!(
            note.contains("2 conversation(s)") && note.contains("'sotto import' again"),
            "{note}"
        );
    }
}
