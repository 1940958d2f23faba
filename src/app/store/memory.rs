//! Conversations kept in memory only: a whole incognito session, and the
//! `/incognito` conversations of a session whose vault is open. Nothing of
//! them is ever written; they end with the session (or the lock).

use std::collections::BTreeMap;

use super::conversations::{
    ConversationStore, JobFailed, OpenedConversation, SendBegun, SendRequest, run_conversation_job,
};
use super::search;
use crate::model::msg::{Msg, StoreJob};
use crate::model::state::{ConversationItem, Entry, SearchHit};
use crate::redact::mask::RedactionMap;
use crate::store::{ConversationId, MessageMeta, ReplyState, Role, VaultError};
use crate::time::Timestamp;

struct MemoryConversation {
    title: String,
    updated: Timestamp,
    entries: Vec<Entry>,
    /// The placeholder map, kept as the vault keeps it.
    map: RedactionMap,
}

/// Conversations that live in this process only.
#[derive(Default)]
pub struct MemoryConversations {
    conversations: BTreeMap<ConversationId, MemoryConversation>,
}

impl MemoryConversations {
    pub fn holds(&self, id: ConversationId) -> bool {
        self.conversations.contains_key(&id)
    }

    /// The reply entry `seq` of a conversation, if both exist.
    fn entry(&mut self, id: ConversationId, seq: u64) -> Option<&mut Entry> {
        self.conversations
            .get_mut(&id)
            .and_then(|c| c.entries.get_mut(seq as usize))
    }
}

/// An entry as a just-stored message would read back.
fn entry(seq: u64, role: Role, text: String, meta: &MessageMeta, state: ReplyState, at: Timestamp) -> Entry {
    let mut entry = Entry::with_meta(seq, role, at, text, meta);
    entry.state = state;
    entry
}

impl ConversationStore for MemoryConversations {
    fn list(&self) -> Result<Vec<ConversationItem>, VaultError> {
        let mut items: Vec<ConversationItem> = self
            .conversations
            .iter()
            .map(|(id, c)| ConversationItem {
                id: *id,
                title: c.title.clone(),
                updated: c.updated,
                message_count: c.entries.len() as u64,
                retention: None,
            })
            .collect();
        items.sort_by_key(|item| std::cmp::Reverse(item.updated));
        Ok(items)
    }

    /// All of it: memory holds it already.
    fn open(&self, id: ConversationId, _newest: usize) -> Result<OpenedConversation, VaultError> {
        let c = self
            .conversations
            .get(&id)
            .ok_or(VaultError::ConversationNotFound(id))?;
        Ok(OpenedConversation {
            entries: c.entries.clone(),
            map: c.map.clone(),
            damaged: 0,
            older_than: None,
        })
    }

    /// Nothing: `open` left nothing out.
    fn open_older(&self, _id: ConversationId, _before: u64) -> Result<OpenedConversation, VaultError> {
        Ok(OpenedConversation::default())
    }

    fn begin_send(&mut self, send: SendRequest<'_>) -> Result<SendBegun, VaultError> {
        let now = Timestamp::now();
        let (id, created) = match send.conversation {
            Some(id) => (id, None),
            None => {
                let id = ConversationId::random();
                let item = ConversationItem::created(id, send.title, now);
                self.conversations.insert(
                    id,
                    MemoryConversation {
                        title: send.title.to_owned(),
                        updated: now,
                        entries: Vec::new(),
                        map: RedactionMap::default(),
                    },
                );
                (id, Some(item))
            }
        };
        let c = self
            .conversations
            .get_mut(&id)
            .ok_or(VaultError::ConversationNotFound(id))?;
        c.updated = now;
        let user_seq = send.text.map(|text| {
            let seq = c.entries.len() as u64;
            let user = entry(
                seq,
                Role::User,
                text.to_owned(),
                &send.user_meta,
                ReplyState::Complete,
                now,
            );
            c.entries.push(user);
            seq
        });
        let reply_seq = c.entries.len() as u64;
        let reply = entry(
            reply_seq,
            Role::Assistant,
            String::new(),
            &send.reply_meta,
            ReplyState::Streaming,
            now,
        );
        c.entries.push(reply);
        if let Some(part) = &send.user_meta.redaction_map {
            c.map.absorb(part);
        }
        Ok(SendBegun {
            conversation: id,
            created,
            user_seq,
            reply_seq,
            at: now,
        })
    }

    fn checkpoint(&mut self, id: ConversationId, seq: u64, text: &str) -> Result<(), VaultError> {
        if let Some(entry) = self.entry(id, seq) {
            entry.text = text.to_owned();
        }
        Ok(())
    }

    fn finish(
        &mut self,
        id: ConversationId,
        seq: u64,
        text: &str,
        state: ReplyState,
        _reason: Option<String>,
    ) -> Result<(), VaultError> {
        if let Some(entry) = self.entry(id, seq) {
            entry.text = text.to_owned();
            entry.state = state;
        }
        Ok(())
    }

    fn rename(&mut self, id: ConversationId, title: &str) -> Result<(), VaultError> {
        if let Some(c) = self.conversations.get_mut(&id) {
            c.title = title.to_owned();
        }
        Ok(())
    }

    fn delete(&mut self, id: ConversationId) -> Result<(), VaultError> {
        self.conversations.remove(&id);
        Ok(())
    }

    fn search(&self, query: &str) -> Result<Vec<SearchHit>, VaultError> {
        let conversations = self
            .conversations
            .iter()
            .map(|(id, c)| (*id, c.title.as_str(), c.entries.as_slice()));
        Ok(search::search_entries(conversations, query))
    }
}

/// Runs a job against memory: what only a vault can do is refused (wipe,
/// export, retention) or has nothing to do (settings, consent, reports:
/// incognito keeps none, and asks consent per session).
pub fn run_memory_job(memory: &mut MemoryConversations, job: StoreJob, send: &dyn Fn(Msg)) -> Result<(), JobFailed> {
    match run_conversation_job(memory, job, send)? {
        Some(StoreJob::WipeOlderThan(_) | StoreJob::Export(_) | StoreJob::SetRetention { .. }) => Err(JobFailed {
            what: "wipe or export",
            error: "incognito: nothing is stored".into(),
        }),
        _ => Ok(()),
    }
}
