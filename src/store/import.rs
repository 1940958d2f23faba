//! Importing conversations read back from an export: each keeps its id, its
//! messages' sequence numbers (which `replaces=SEQ` links point at) and its
//! times, and is written in one atomic commit with a new data key; the
//! importer makes the whole import durable with one flush.

use super::conversations::IndexRecord;
use super::error::VaultError;
use super::ids::{ConversationId, message_key};
use super::messages::{MessageMeta, MessageRecord, Role};
use super::records::{Change, TreeId, seal_value};
use super::vault::Vault;
use crate::crypto::{DataKey, KeyPurpose, keys};
use crate::time::Timestamp;

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

impl Vault {
    /// Whether a conversation with this id is in the vault (readable or not).
    pub fn has_conversation(&self, id: ConversationId) -> Result<bool, VaultError> {
        Ok(self.records.get(TreeId::Index, id.as_bytes())?.is_some()
            || self.records.get(TreeId::Keys, id.as_bytes())?.is_some())
    }

    /// Adds `conversation` with its own id, sequence numbers and times, all of
    /// it or nothing. An id already in the vault is refused.
    pub fn import_conversation(&mut self, conversation: &ImportedConversation) -> Result<(), VaultError> {
        let id = conversation.id;
        if self.has_conversation(id)? {
            return Err(VaultError::ConversationExists(id));
        }
        let key = DataKey::generate();
        let mut index = IndexRecord {
            title: conversation.title.clone(),
            created: conversation.created,
            updated: conversation.updated,
            message_count: conversation.messages.len() as u64,
            next_seq: 0,
            first_message_at: None,
            last_message_at: None,
            retention: conversation.retention,
        };
        let mut changes = vec![Change::Create {
            tree: TreeId::Keys,
            key: id.as_bytes().to_vec(),
            value: keys::wrap(&key, KeyPurpose::Conversation(*id.as_bytes()), &self.identity),
        }];
        for message in &conversation.messages {
            let next = message
                .seq
                .checked_add(1)
                .ok_or_else(|| self.records.inconsistent("a message sequence number is at its maximum"))?;
            index.next_seq = index.next_seq.max(next);
            index.first_message_at = Some(index.first_message_at.map_or(message.at, |t| t.min(message.at)));
            index.last_message_at = Some(index.last_message_at.map_or(message.at, |t| t.max(message.at)));
            let record_key = message_key(id, message.seq);
            let record = MessageRecord {
                role: message.role,
                at: message.at,
                text: message.text.clone(),
                meta: message.meta.clone(),
            };
            changes.push(Change::Create {
                tree: TreeId::Messages,
                key: record_key.to_vec(),
                value: seal_value(&key, TreeId::Messages, &record_key, &record),
            });
        }
        changes.push(self.index_change(id, &index));
        // Atomic, but not yet durable: the caller flushes once for a whole
        // import (`Vault::flush_pending`), not once per conversation.
        self.records.commit(&changes)?;
        self.conversation_keys.borrow_mut().insert(id, key);
        Ok(())
    }
}
