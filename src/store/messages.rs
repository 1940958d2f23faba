//! Messages: appending, loading the newest N or a range, counting, and the
//! assistant reply that is checkpointed while it streams.
//!
//! Each append is one atomic commit of the sealed message and the updated
//! index entry, flushed before the call returns: a message the caller was told
//! about survives a crash.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::conversations::IndexRecord;
use super::error::VaultError;
use super::ids::{ConversationId, message_key, split_message_key};
pub use super::meta::MessageMeta;
use super::records::{Change, RecordError, StoredRecord, TreeId, open_value, seal_value};
use super::vault::Vault;
use crate::crypto::DataKey;
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    System,
}

/// Where a reply stands. User and system messages are always `Complete`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyState {
    #[default]
    Complete,
    /// Being streamed by this process right now.
    Streaming,
    /// Was streaming when its process died; the text is the last checkpoint.
    Interrupted,
    /// Stopped by the user; the text is what had arrived.
    Cancelled,
    /// Stopped at the size limit; the text is what had arrived.
    Truncated,
    /// The backend failed; the text is what had arrived.
    Failed,
}

/// The sealed form; the conversation and sequence number are in the record key.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct MessageRecord {
    pub role: Role,
    pub at: Timestamp,
    pub text: String,
    pub meta: MessageMeta,
}

impl Drop for MessageRecord {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

/// A message read from the vault.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub conversation: ConversationId,
    pub seq: u64,
    pub role: Role,
    pub at: Timestamp,
    pub text: String,
    pub meta: MessageMeta,
}

impl Drop for Message {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The text is conversation content: never in Debug output.
        f.debug_struct("Message")
            .field("conversation", &self.conversation)
            .field("seq", &self.seq)
            .field("role", &self.role)
            .field("at", &self.at)
            .field("text", &format_args!("[{} chars]", self.text.chars().count()))
            .field("state", &self.meta.state)
            .finish_non_exhaustive()
    }
}

/// A message to append.
pub struct NewMessage<'a> {
    pub role: Role,
    pub text: &'a str,
    pub meta: MessageMeta,
    /// When it was written; `None` means now. Import keeps original times.
    pub at: Option<Timestamp>,
}

impl<'a> NewMessage<'a> {
    pub fn user(text: &'a str) -> Self {
        NewMessage {
            role: Role::User,
            text,
            meta: MessageMeta::default(),
            at: None,
        }
    }

    pub fn assistant(text: &'a str) -> Self {
        NewMessage {
            role: Role::Assistant,
            text,
            meta: MessageMeta::default(),
            at: None,
        }
    }

    pub fn system(text: &'a str) -> Self {
        NewMessage {
            role: Role::System,
            text,
            meta: MessageMeta::default(),
            at: None,
        }
    }
}

/// A message record that could not be read: which conversation, which message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamagedMessage {
    pub conversation: ConversationId,
    pub seq: u64,
    pub error: RecordError,
}

impl fmt::Display for DamagedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "message #{} of conversation {}: {}",
            self.seq, self.conversation, self.error
        )
    }
}

/// Each slot of a loaded conversation: the message, or why it is unreadable.
pub type LoadedMessage = Result<Message, DamagedMessage>;

/// The sealed record of `message` as the next of `conversation`, counted in
/// its `index` (which the caller commits in the same batch).
pub(crate) fn message_change(
    conversation: ConversationId,
    key: &DataKey,
    index: &mut IndexRecord,
    message: NewMessage<'_>,
) -> Change {
    let seq = index.next_seq;
    let at = message.at.unwrap_or_else(Timestamp::now);
    index.next_seq += 1;
    index.message_count += 1;
    index.updated = index.updated.max(at);
    index.first_message_at = Some(index.first_message_at.map_or(at, |t| t.min(at)));
    index.last_message_at = Some(index.last_message_at.map_or(at, |t| t.max(at)));
    let record = MessageRecord {
        role: message.role,
        at,
        text: message.text.to_owned(),
        meta: message.meta,
    };
    let record_key = message_key(conversation, seq);
    Change::Create {
        tree: TreeId::Messages,
        key: record_key.to_vec(),
        value: seal_value(key, TreeId::Messages, &record_key, &record),
    }
}

impl Vault {
    /// Appends a message and makes it durable before returning its sequence number.
    pub fn append_message(&mut self, conversation: ConversationId, message: NewMessage<'_>) -> Result<u64, VaultError> {
        self.append_messages(conversation, std::iter::once(message))
            .map(|seqs| seqs.start)
    }

    /// Appends several messages in one atomic, durable commit (import, bulk
    /// loads): all of them are stored or none. Returns their sequence numbers.
    pub fn append_messages<'a>(
        &mut self,
        conversation: ConversationId,
        messages: impl IntoIterator<Item = NewMessage<'a>>,
    ) -> Result<Range<u64>, VaultError> {
        let key = self.conversation_key(conversation)?;
        let mut index = self.index_record(conversation)?;
        let first = index.next_seq;
        let mut changes = Vec::new();
        for message in messages {
            changes.push(message_change(conversation, &key, &mut index, message));
        }
        changes.push(self.index_change(conversation, &index));
        self.keep_identity_file()?;
        self.records.commit(&changes)?;
        self.records.flush()?;
        Ok(first..index.next_seq)
    }

    /// Starts an assistant reply: an empty message marked as streaming, durable
    /// at once so even a reply cut off before its first checkpoint is on record.
    pub fn begin_reply(&mut self, conversation: ConversationId, mut meta: MessageMeta) -> Result<u64, VaultError> {
        meta.state = ReplyState::Streaming;
        let seq = self.append_message(
            conversation,
            NewMessage {
                role: Role::Assistant,
                text: "",
                meta,
                at: None,
            },
        )?;
        self.streaming.insert((conversation, seq));
        Ok(seq)
    }

    /// Saves the text streamed so far, durably. The caller decides how often
    /// (the TUI checkpoints a few times a second, not per token).
    pub fn checkpoint_reply(&mut self, conversation: ConversationId, seq: u64, text: &str) -> Result<(), VaultError> {
        self.rewrite_reply(conversation, seq, text, ReplyState::Streaming, None)
    }

    /// Completes a reply with its final text and how it ended.
    pub fn finish_reply(
        &mut self,
        conversation: ConversationId,
        seq: u64,
        text: &str,
        state: ReplyState,
        finish_reason: Option<String>,
    ) -> Result<(), VaultError> {
        if matches!(state, ReplyState::Streaming | ReplyState::Interrupted) {
            return Err(VaultError::InvalidReplyEnd {
                state: format!("{state:?}"),
            });
        }
        self.keep_identity_file()?;
        self.rewrite_reply(conversation, seq, text, state, finish_reason)?;
        self.streaming.remove(&(conversation, seq));
        Ok(())
    }

    fn rewrite_reply(
        &mut self,
        conversation: ConversationId,
        seq: u64,
        text: &str,
        state: ReplyState,
        finish_reason: Option<String>,
    ) -> Result<(), VaultError> {
        // Only a reply begun by this process and not yet finished may change:
        // stored messages are otherwise immutable.
        if !self.streaming.contains(&(conversation, seq)) {
            return Err(VaultError::ReplyNotStreaming { conversation, seq });
        }
        let key = self.conversation_key(conversation)?;
        let record_key = message_key(conversation, seq);
        let sealed = self
            .records
            .get(TreeId::Messages, &record_key)?
            .ok_or(VaultError::MessageNotFound { conversation, seq })?;
        let mut record: MessageRecord =
            open_value(&key, TreeId::Messages, &record_key, &sealed).map_err(|e| VaultError::ConversationDamaged {
                id: conversation,
                reason: format!("message #{seq}: {e}"),
            })?;
        record.text.zeroize();
        record.text = text.to_owned();
        record.meta.state = state;
        if finish_reason.is_some() {
            record.meta.finish_reason = finish_reason;
        }
        self.records.put(
            TreeId::Messages,
            &record_key,
            seal_value(&key, TreeId::Messages, &record_key, &record),
        )?;
        self.records.flush()
    }

    /// The newest `n` messages, oldest first.
    pub fn newest_messages(&self, conversation: ConversationId, n: usize) -> Result<Vec<LoadedMessage>, VaultError> {
        let key = self.conversation_key(conversation)?;
        let mut loaded = self
            .records
            .scan_prefix(TreeId::Messages, conversation.as_bytes())
            .rev()
            .take(n)
            .map(|item| self.open_message(&key, item))
            .collect::<Result<Vec<_>, _>>()?;
        loaded.reverse();
        Ok(loaded)
    }

    /// The messages whose sequence numbers fall in `seqs`, in order.
    pub fn messages_in_range(
        &self,
        conversation: ConversationId,
        seqs: Range<u64>,
    ) -> Result<Vec<LoadedMessage>, VaultError> {
        let key = self.conversation_key(conversation)?;
        let start = message_key(conversation, seqs.start);
        let end = message_key(conversation, seqs.end);
        self.records
            .scan_range(TreeId::Messages, &start[..]..&end[..])
            .map(|item| self.open_message(&key, item))
            .collect()
    }

    /// How many messages the conversation holds (from its index entry).
    pub fn message_count(&self, conversation: ConversationId) -> Result<u64, VaultError> {
        Ok(self.index_record(conversation)?.message_count)
    }

    fn open_message(&self, key: &DataKey, item: Result<StoredRecord, VaultError>) -> Result<LoadedMessage, VaultError> {
        let (record_key, sealed) = item?;
        let (conversation, seq) = split_message_key(&record_key)
            .ok_or_else(|| self.records.inconsistent("a message record has a malformed key"))?;
        Ok(
            open_message_record(key, conversation, seq, &record_key, &sealed).map(|mut message| {
                if message.meta.state == ReplyState::Streaming && !self.streaming.contains(&(conversation, seq)) {
                    message.meta.state = ReplyState::Interrupted;
                }
                message
            }),
        )
    }
}

pub(crate) fn open_message_record(
    key: &DataKey,
    conversation: ConversationId,
    seq: u64,
    record_key: &[u8],
    sealed: &[u8],
) -> Result<Message, DamagedMessage> {
    open_value::<MessageRecord>(key, TreeId::Messages, record_key, sealed)
        .map(|record| Message {
            conversation,
            seq,
            role: record.role,
            at: record.at,
            text: record.text.clone(),
            meta: record.meta.clone(),
        })
        .map_err(|error| DamagedMessage {
            conversation,
            seq,
            error,
        })
}
