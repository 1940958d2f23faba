//! The durable half of a send, in one atomic commit: the conversation when it
//! is new (its wrapped key and index entry), the user's message, and the
//! reply's record marked as streaming. A crash leaves all of it or none of
//! it: never a conversation without the message that started it, nor a
//! message whose reply has no record to be marked interrupted.

use super::conversations::NewConversation;
use super::error::VaultError;
use super::ids::ConversationId;
use super::messages::{MessageMeta, NewMessage, ReplyState, Role, message_change};
use super::vault::Vault;
use crate::time::Timestamp;

/// Where a send goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeTarget<'a> {
    Existing(ConversationId),
    /// A new conversation with this title.
    New {
        title: &'a str,
    },
}

/// What the commit stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeStart {
    pub conversation: ConversationId,
    /// Whether the conversation was created by this send.
    pub created: bool,
    /// The user's message; `None` for a regeneration, which sends no new one.
    pub user_seq: Option<u64>,
    /// The reply's record, streaming until it is finished.
    pub reply_seq: u64,
    /// When the user's message was stored.
    pub at: Timestamp,
}

impl Vault {
    /// Stores the durable part of a send in one commit, flushed before it
    /// returns: the conversation if `target` is new, the user's `message`
    /// (if any), and the reply's record (empty, streaming, with
    /// `reply_meta`). Only then may the request leave the machine.
    pub fn begin_exchange(
        &mut self,
        target: ExchangeTarget<'_>,
        message: Option<(&str, MessageMeta)>,
        mut reply_meta: MessageMeta,
    ) -> Result<ExchangeStart, VaultError> {
        let mut changes = Vec::new();
        let (conversation, key, mut index, created) = match target {
            ExchangeTarget::Existing(id) => (id, self.conversation_key(id)?, self.index_record(id)?, false),
            ExchangeTarget::New { title } => {
                let NewConversation {
                    id,
                    key,
                    key_change,
                    index,
                } = self.new_conversation(title);
                changes.push(key_change);
                (id, key, index, true)
            }
        };
        let at = Timestamp::now();
        let user_seq = message.map(|(text, meta)| {
            let seq = index.next_seq;
            changes.push(message_change(
                conversation,
                &key,
                &mut index,
                NewMessage {
                    role: Role::User,
                    text,
                    meta,
                    at: Some(at),
                },
            ));
            seq
        });
        reply_meta.state = ReplyState::Streaming;
        let reply_seq = index.next_seq;
        changes.push(message_change(
            conversation,
            &key,
            &mut index,
            NewMessage {
                role: Role::Assistant,
                text: "",
                meta: reply_meta,
                at: Some(at),
            },
        ));
        changes.push(self.index_change(conversation, &index));
        self.keep_identity_file()?;
        self.records.commit(&changes)?;
        self.records.flush()?;
        if created {
            self.conversation_keys.borrow_mut().insert(conversation, key);
        }
        self.streaming.insert((conversation, reply_seq));
        Ok(ExchangeStart {
            conversation,
            created,
            user_seq,
            reply_seq,
            at,
        })
    }
}
