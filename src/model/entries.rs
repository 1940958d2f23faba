//! The conversations in the sidebar and the messages of the open one, as
//! they are shown: text, state, the sent (masked) form, code-block numbers,
//! and whether a later edit replaced them. Titles and texts are zeroized when
//! dropped and never appear in `Debug` output.

use zeroize::Zeroize;

use crate::redact::egress;
use crate::request::{ChatMessage, ChatRole};
use crate::store::{ConversationId, ReplyState, Role};
use crate::time::Timestamp;

/// A conversation in the sidebar.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConversationItem {
    pub id: ConversationId,
    pub title: String,
    pub updated: Timestamp,
    pub message_count: u64,
    /// Its own retention rule; `None` follows the vault's default.
    pub retention: Option<crate::store::Retention>,
}

impl ConversationItem {
    /// A conversation just created, before its first message is counted.
    pub fn created(id: ConversationId, title: &str, at: Timestamp) -> Self {
        ConversationItem {
            id,
            title: title.to_owned(),
            updated: at,
            message_count: 0,
            retention: None,
        }
    }
}

impl std::fmt::Debug for ConversationItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConversationItem({}, {} messages)", self.id, self.message_count)
    }
}

impl Drop for ConversationItem {
    fn drop(&mut self) {
        self.title.zeroize();
    }
}

/// One message of the open conversation as shown.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Its sequence number in the vault, once stored.
    pub seq: Option<u64>,
    pub role: Role,
    pub at: Timestamp,
    pub text: String,
    pub state: ReplyState,
    /// The backend that wrote a reply.
    pub backend: Option<String>,
    /// The number of this message's first code block in the conversation.
    pub first_code: usize,
    /// A later message replaces this one in the context (edit, regenerate).
    pub superseded: bool,
    /// The message this one replaces, if any (its sequence number).
    pub replaces: Option<u64>,
    /// What was sent, when redaction withheld something from the text.
    pub sent: Option<String>,
    /// How many items redaction withheld from this message.
    pub withheld: u32,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Entry({:?} {:?}, [{} chars], {:?})",
            self.seq,
            self.role,
            self.text.chars().count(),
            self.state
        )
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.text.zeroize();
        if let Some(sent) = &mut self.sent {
            sent.zeroize();
        }
    }
}

impl Entry {
    /// A stored message as shown (and as context).
    pub fn from_stored(message: &crate::store::Message) -> Entry {
        Entry::with_meta(
            message.seq,
            message.role,
            message.at,
            message.text.clone(),
            &message.meta,
        )
    }

    /// A message as shown: its state, backend, sent form, count of what was
    /// withheld and what it replaces come from its metadata.
    pub fn with_meta(seq: u64, role: Role, at: Timestamp, text: String, meta: &crate::store::MessageMeta) -> Entry {
        Entry {
            seq: Some(seq),
            role,
            at,
            text,
            state: meta.state,
            backend: meta.backend.clone(),
            first_code: 0,
            superseded: false,
            sent: meta.sent.clone(),
            withheld: meta.withheld,
            replaces: meta.replaces,
        }
    }

    /// What was withheld from this message, for the line under it. The sent
    /// text's placeholders name the kinds; a message stored before they were
    /// kept only has its count.
    pub fn withheld_note(&self) -> String {
        let kinds = self.sent.as_deref().map(egress::placeholder_kinds).unwrap_or_default();
        egress::withheld_summary(kinds).unwrap_or_else(|| {
            format!(
                "{} item(s) withheld from the backend, sent as placeholders",
                self.withheld
            )
        })
    }

    pub fn code_blocks(&self) -> usize {
        crate::model::code_blocks::count(&self.text)
    }
}

/// A search hit in the decrypted history.
#[derive(Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub conversation: ConversationId,
    pub title: String,
    pub seq: u64,
    /// A sanitised line around the match.
    pub snippet: String,
}

impl Drop for SearchHit {
    fn drop(&mut self) {
        self.title.zeroize();
        self.snippet.zeroize();
    }
}

impl std::fmt::Debug for SearchHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SearchHit({} #{})", self.conversation, self.seq)
    }
}

/// Numbers code blocks through the conversation, so `/copy N` names one.
pub fn renumber_code_blocks(entries: &mut [Entry]) {
    let mut next = 1;
    for entry in entries {
        entry.first_code = next;
        next += entry.code_blocks();
    }
}

/// Marks messages that a later edit or regeneration replaced.
pub fn mark_superseded(entries: &mut [Entry]) {
    let replaced: Vec<u64> = entries.iter().filter_map(|e| e.replaces).collect();
    for entry in entries.iter_mut() {
        entry.superseded = entry.seq.is_some_and(|s| replaced.contains(&s));
    }
    // A replaced question's replies (the first and any retried ones) go
    // with it, up to the next question.
    let mut replaced_question = false;
    for entry in entries.iter_mut() {
        match entry.role {
            Role::User => replaced_question = entry.superseded,
            _ if replaced_question => entry.superseded = true,
            _ => {}
        }
    }
}

/// The conversation as context for the backend: every message still in
/// force, without replies that failed or never got a word in.
pub fn context(entries: &[Entry]) -> Vec<ChatMessage> {
    entries
        .iter()
        .filter(|e| !e.superseded && e.state != ReplyState::Streaming)
        .filter(|e| !(e.role == Role::Assistant && (e.text.trim().is_empty() || e.state == ReplyState::Failed)))
        .map(|e| ChatMessage {
            role: match e.role {
                Role::User => ChatRole::User,
                Role::Assistant => ChatRole::Assistant,
                Role::System => ChatRole::System,
            },
            // A user's message as it was sent (placeholders for what was withheld).
            content: e.sent.clone().unwrap_or_else(|| e.text.clone()),
        })
        .collect()
}
