//! What every place a session keeps its conversations can do: the vault, or
//! memory for an incognito session and for `/incognito` conversations. The
//! jobs both handle (list, open, send, checkpoint, finish, rename, delete,
//! search) run through [`ConversationStore`] once, so the two kinds of
//! session cannot drift apart; the jobs only a vault can do stay with it.
//! How a search reads each kind of store is in `search`.

use crate::model::msg::{Msg, StoreJob};
use crate::model::state::{ConversationItem, Entry, SearchHit};
use crate::redact::mask::RedactionMap;
use crate::store::{ConversationId, MessageMeta, ReplyState, VaultError};
use crate::time::Timestamp;

/// A conversation read back to show it.
#[derive(Default)]
pub struct OpenedConversation {
    pub entries: Vec<Entry>,
    /// Its placeholder map, rebuilt from what these messages recorded.
    pub map: RedactionMap,
    /// Messages that could not be read.
    pub damaged: usize,
    /// Set when messages older than this sequence number were left out.
    pub older_than: Option<u64>,
}

/// How many of a conversation's newest messages the first answer to
/// `OpenConversation` holds: more than the tallest screen shows, so the
/// first frame waits for them alone; the older ones follow in a second
/// answer (a conversation of 10,000 messages takes tens of milliseconds to
/// decrypt whole).
pub const FIRST_PAGE: usize = 120;

/// The durable half of a send, done.
pub struct SendBegun {
    pub conversation: ConversationId,
    /// The conversation, when this send created it.
    pub created: Option<ConversationItem>,
    pub user_seq: Option<u64>,
    pub reply_seq: u64,
    pub at: Timestamp,
}

/// What a send asks to keep: see [`StoreJob::Send`].
pub struct SendRequest<'a> {
    pub conversation: Option<ConversationId>,
    pub title: &'a str,
    pub text: Option<&'a str>,
    pub user_meta: MessageMeta,
    pub reply_meta: MessageMeta,
}

/// A place that keeps conversations.
pub trait ConversationStore {
    /// Newest first.
    fn list(&self) -> Result<Vec<ConversationItem>, VaultError>;
    /// The conversation's `newest` messages (or all, where that costs
    /// nothing).
    fn open(&self, id: ConversationId, newest: usize) -> Result<OpenedConversation, VaultError>;
    /// Its messages older than sequence number `before`.
    fn open_older(&self, id: ConversationId, before: u64) -> Result<OpenedConversation, VaultError>;
    /// The conversation if new, the user's message and the reply's record,
    /// all or nothing.
    fn begin_send(&mut self, send: SendRequest<'_>) -> Result<SendBegun, VaultError>;
    fn checkpoint(&mut self, id: ConversationId, seq: u64, text: &str) -> Result<(), VaultError>;
    fn finish(
        &mut self,
        id: ConversationId,
        seq: u64,
        text: &str,
        state: ReplyState,
        reason: Option<String>,
    ) -> Result<(), VaultError>;
    fn rename(&mut self, id: ConversationId, title: &str) -> Result<(), VaultError>;
    fn delete(&mut self, id: ConversationId) -> Result<(), VaultError>;
    /// Case-insensitive, at most `search::MAX_SEARCH_HITS` hits.
    fn search(&self, query: &str) -> Result<Vec<SearchHit>, VaultError>;
}

/// A job that failed: what it was doing, and why.
#[derive(Debug)]
pub struct JobFailed {
    pub what: &'static str,
    pub error: String,
}

/// Maps a store error to a failed job doing `what`.
pub fn failed(what: &'static str) -> impl Fn(VaultError) -> JobFailed {
    move |e| JobFailed {
        what,
        error: e.to_string(),
    }
}

/// Runs `job` if every conversation store handles it, and hands it back
/// otherwise (`Ok(Some(job))`), for the store that alone can.
pub fn run_conversation_job(
    store: &mut dyn ConversationStore,
    job: StoreJob,
    send: &dyn Fn(Msg),
) -> Result<Option<StoreJob>, JobFailed> {
    match job {
        StoreJob::ListConversations => send(Msg::ConversationsListed(
            store.list().map_err(failed("list the conversations"))?,
        )),
        StoreJob::OpenConversation(id) => {
            let opened = store.open(id, FIRST_PAGE).map_err(failed("open the conversation"))?;
            send(Msg::ConversationOpened {
                id,
                entries: opened.entries,
                map: opened.map,
                damaged: opened.damaged,
                history_pending: opened.older_than.is_some(),
            });
            if let Some(before) = opened.older_than {
                // On failure the screen keeps waiting, and sends stay
                // refused: without the older placeholders a new one could be
                // numbered as an old one.
                let older = store
                    .open_older(id, before)
                    .map_err(failed("load the conversation's older messages"))?;
                send(Msg::ConversationHistory {
                    id,
                    entries: older.entries,
                    map: older.map,
                    damaged: older.damaged,
                });
            }
        }
        StoreJob::Send {
            conversation,
            title,
            text,
            user_meta,
            reply_meta,
            ..
        } => {
            let begun = store.begin_send(SendRequest {
                conversation,
                title: &title,
                text: text.as_deref(),
                user_meta,
                reply_meta,
            });
            match begun {
                Ok(begun) => send(Msg::SendStored {
                    conversation: begun.conversation,
                    created: begun.created,
                    user_seq: begun.user_seq,
                    reply_seq: begun.reply_seq,
                    at: begun.at,
                }),
                Err(e) => send(Msg::SendFailed { message: e.to_string() }),
            }
        }
        StoreJob::Checkpoint {
            conversation,
            seq,
            text,
        } => store
            .checkpoint(conversation, seq, &text)
            .map_err(failed("checkpoint"))?,
        StoreJob::FinishReply {
            conversation,
            seq,
            text,
            state,
            reason,
        } => store
            .finish(conversation, seq, &text, state, reason)
            .map_err(failed("save the reply"))?,
        StoreJob::Rename { conversation, title } => store.rename(conversation, &title).map_err(failed("rename"))?,
        StoreJob::Delete(id) => store.delete(id).map_err(failed("delete"))?,
        StoreJob::Search(query) => {
            let hits = store.search(&query).map_err(failed("search"))?;
            send(Msg::SearchDone { query, hits });
        }
        other => return Ok(Some(other)),
    }
    Ok(None)
}
