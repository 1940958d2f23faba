//! Conversations: their keys, their index entries (title, timestamps, counts),
//! and the operations on them. The index lives under the vault key, so listing
//! conversations reads one small record per conversation and never touches a
//! message or a conversation key: listing does not grow with message count.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::error::VaultError;
use super::ids::ConversationId;
use super::records::{Change, RecordError, TreeId, open_value, seal_value};
use super::retention::Retention;
use super::vault::Vault;
use crate::crypto::{DataKey, KeyPurpose, keys};
use crate::time::Timestamp;

/// The index as it was read at a count of commits (`Vault::index_entries`).
pub(crate) struct IndexEntries {
    commits: u64,
    /// Each entry's conversation (if its key is one) and its record.
    pub entries: Vec<(Option<ConversationId>, Result<IndexRecord, RecordError>)>,
}

/// The sealed index entry of one conversation.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct IndexRecord {
    pub title: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub message_count: u64,
    pub next_seq: u64,
    pub first_message_at: Option<Timestamp>,
    pub last_message_at: Option<Timestamp>,
    /// The conversation's own retention rule; `None` follows the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
}

impl Drop for IndexRecord {
    fn drop(&mut self) {
        self.title.zeroize();
    }
}

/// A conversation made in memory, for a commit that also holds its first
/// messages.
pub(crate) struct NewConversation {
    pub id: ConversationId,
    pub key: DataKey,
    pub key_change: Change,
    pub index: IndexRecord,
}

/// A conversation as listed: no messages, no key.
#[derive(Clone, PartialEq, Eq)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub title: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub message_count: u64,
    pub first_message_at: Option<Timestamp>,
    pub last_message_at: Option<Timestamp>,
    /// Its own retention rule; `None` follows the vault's default.
    pub retention: Option<Retention>,
}

impl Drop for ConversationSummary {
    fn drop(&mut self) {
        self.title.zeroize();
    }
}

impl fmt::Debug for ConversationSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The title is conversation content: never in Debug output.
        f.debug_struct("ConversationSummary")
            .field("id", &self.id)
            .field("title", &format_args!("[{} chars]", self.title.chars().count()))
            .field("message_count", &self.message_count)
            .finish_non_exhaustive()
    }
}

/// An index entry that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamagedConversation {
    /// `None` when even the record key is not a conversation id.
    pub id: Option<ConversationId>,
    pub error: RecordError,
}

/// Every conversation, most recently updated first, and the entries that
/// could not be read.
#[derive(Debug, Default)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
    pub damaged: Vec<DamagedConversation>,
}

/// A conversation title from the first line of its first message.
pub fn title_for(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("New conversation");
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}

fn summary(id: ConversationId, record: &IndexRecord) -> ConversationSummary {
    ConversationSummary {
        id,
        title: record.title.clone(),
        created: record.created,
        updated: record.updated,
        message_count: record.message_count,
        first_message_at: record.first_message_at,
        last_message_at: record.last_message_at,
        retention: record.retention,
    }
}

pub(crate) fn id_of_key(key: &[u8]) -> Option<ConversationId> {
    <[u8; 16]>::try_from(key).ok().map(ConversationId::from_bytes)
}

impl Vault {
    /// Creates an empty conversation with its own data key.
    pub fn create_conversation(&mut self, title: &str) -> Result<ConversationId, VaultError> {
        let NewConversation {
            id,
            key,
            key_change,
            index,
        } = self.new_conversation(title);
        self.records.commit(&[key_change, self.index_change(id, &index)])?;
        self.records.flush()?;
        self.conversation_keys.borrow_mut().insert(id, key);
        Ok(id)
    }

    /// A new conversation, not yet committed: its id, key, the wrapped key's
    /// record and an empty index entry.
    pub(crate) fn new_conversation(&self, title: &str) -> NewConversation {
        let id = ConversationId::random();
        let key = DataKey::generate();
        let now = Timestamp::now();
        let index = IndexRecord {
            title: title.to_owned(),
            created: now,
            updated: now,
            message_count: 0,
            next_seq: 0,
            first_message_at: None,
            last_message_at: None,
            retention: None,
        };
        let wrapped = keys::wrap(&key, KeyPurpose::Conversation(*id.as_bytes()), &self.identity);
        NewConversation {
            id,
            key,
            key_change: Change::Put {
                tree: TreeId::Keys,
                key: id.as_bytes().to_vec(),
                value: wrapped,
            },
            index,
        }
    }

    /// Every index entry, opened: read once and kept until the next commit
    /// (an unlock reads the whole index for the watermark, the retention
    /// sweep and the list; decrypting it is most of the cost).
    pub(crate) fn index_entries(&self) -> Result<Arc<IndexEntries>, VaultError> {
        let commits = self.records.commits();
        if let Some(entries) = self.index_entries.borrow().as_ref().filter(|e| e.commits == commits) {
            return Ok(entries.clone());
        }
        let mut opened = Vec::new();
        for item in self.records.scan(TreeId::Index) {
            let (key, sealed) = item?;
            let entry = match id_of_key(&key) {
                Some(id) => (
                    Some(id),
                    open_value::<IndexRecord>(&self.vault_key, TreeId::Index, &key, &sealed),
                ),
                None => (
                    None,
                    Err(RecordError::Decode("the record key is not a conversation id".into())),
                ),
            };
            opened.push(entry);
        }
        let entries = Arc::new(IndexEntries {
            commits,
            entries: opened,
        });
        *self.index_entries.borrow_mut() = Some(entries.clone());
        Ok(entries)
    }

    /// All conversations, most recently updated first.
    pub fn list_conversations(&self) -> Result<ConversationList, VaultError> {
        let mut list = ConversationList::default();
        for (id, entry) in &self.index_entries()?.entries {
            match (id, entry) {
                (Some(id), Ok(record)) => list.conversations.push(summary(*id, record)),
                (id, Err(error)) => list.damaged.push(DamagedConversation {
                    id: *id,
                    error: error.clone(),
                }),
                (None, Ok(_)) => unreachable!("an entry without an id is never opened"),
            }
        }
        list.conversations
            .sort_by(|a, b| b.updated.cmp(&a.updated).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    /// One conversation's summary.
    pub fn conversation(&self, id: ConversationId) -> Result<ConversationSummary, VaultError> {
        self.index_record(id).map(|record| summary(id, &record))
    }

    pub fn rename_conversation(&mut self, id: ConversationId, title: &str) -> Result<(), VaultError> {
        let mut record = self.index_record(id)?;
        record.title.zeroize();
        record.title = title.to_owned();
        record.updated = Timestamp::now();
        self.records.commit(&[self.index_change(id, &record)])?;
        self.records.flush()
    }

    pub(crate) fn index_record(&self, id: ConversationId) -> Result<IndexRecord, VaultError> {
        let sealed = self
            .records
            .get(TreeId::Index, id.as_bytes())?
            .ok_or(VaultError::ConversationNotFound(id))?;
        open_value(&self.vault_key, TreeId::Index, id.as_bytes(), &sealed).map_err(|e| {
            VaultError::ConversationDamaged {
                id,
                reason: format!("its index entry: {e}"),
            }
        })
    }

    pub(crate) fn index_change(&self, id: ConversationId, record: &IndexRecord) -> Change {
        Change::Put {
            tree: TreeId::Index,
            key: id.as_bytes().to_vec(),
            value: seal_value(&self.vault_key, TreeId::Index, id.as_bytes(), record),
        }
    }

    /// The conversation's data key, unwrapped once and then kept in memory
    /// until the vault is closed.
    pub(crate) fn conversation_key(&self, id: ConversationId) -> Result<DataKey, VaultError> {
        if let Some(key) = self.conversation_keys.borrow().get(&id) {
            return Ok(key.clone());
        }
        let wrapped =
            self.records
                .get(TreeId::Keys, id.as_bytes())?
                .ok_or_else(|| VaultError::ConversationDamaged {
                    id,
                    reason: "its key is missing".into(),
                })?;
        let key = keys::unwrap(&wrapped, KeyPurpose::Conversation(*id.as_bytes()), &self.identity).map_err(|e| {
            VaultError::ConversationDamaged {
                id,
                reason: format!("its key: {e}"),
            }
        })?;
        self.conversation_keys.borrow_mut().insert(id, key.clone());
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_line_and_are_short() {
        assert_eq!(title_for("\n  My printer\nis broken"), "My printer");
        let long = "x".repeat(100);
        assert_eq!(title_for(&long).chars().count(), 61);
    }
}
