//! What flows into `update` (messages from the terminal, the store, the
//! backends and the timer) and what flows out of it (effects for the runtime
//! to carry out). Both are plain data; neither holds a handle to anything.

use crossterm::event::{KeyEvent, MouseEvent};
use secrecy::SecretString;

use super::state::{ConversationItem, Entry, SearchHit};
use crate::backend::{BackendInfo, ChatRequest, Completion};
use crate::store::{ConversationId, MessageMeta, ReplyState};

/// Something that happened.
#[derive(Debug)]
pub enum Msg {
    // ─── Terminal ───
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// A few times a second: checkpoints, notices fading.
    Tick,
    /// SIGTERM or SIGHUP (a closed SSH session): stop the reply, keep what
    /// arrived, close the vault cleanly.
    Terminate,

    // ─── Layout (the runtime measures real wrapped heights) ───
    /// Where the chat view ended up after a scroll was applied.
    ScrollResolved {
        follow: bool,
        anchor: (usize, usize),
    },

    // ─── Store ───
    /// The vault is open (unlocked or just created).
    VaultOpened {
        conversations: Vec<ConversationItem>,
        /// Warnings from the unlock (failed attempts, storage loss).
        warnings: Vec<String>,
        /// The remembered theme, if any.
        theme: Option<String>,
        created: bool,
    },
    UnlockFailed {
        message: String,
        fatal: bool,
    },
    CreateFailed {
        message: String,
    },
    ConversationsListed(Vec<ConversationItem>),
    ConversationOpened {
        id: ConversationId,
        entries: Vec<Entry>,
        /// Messages that could not be read.
        damaged: usize,
    },
    /// The user's message is durable and the reply's record begun.
    SendStored {
        conversation: ConversationId,
        /// Set when the send created the conversation.
        created: Option<ConversationItem>,
        user_seq: Option<u64>,
        reply_seq: u64,
    },
    SearchDone {
        query: String,
        hits: Vec<SearchHit>,
    },
    /// Consent for the active backend, as the vault has it.
    ConsentKnown {
        backend: String,
        given: bool,
    },
    /// A store job failed; `what` says which.
    StoreFailed {
        what: String,
        message: String,
    },

    // ─── Backend ───
    BackendReady(BackendInfo),
    BackendFailed {
        backend: String,
        message: String,
    },
    Delta {
        stream: u64,
        text: String,
    },
    ReplyEnded {
        stream: u64,
        result: Result<Completion, String>,
    },

    // ─── Editor and themes ───
    EditorReturned(Result<String, String>),
    ThemeLoaded {
        theme: crate::theme::Theme,
        /// Why the chosen theme could not be used (the default is used instead).
        error: Option<String>,
        /// Whether the user chose it now (then it is remembered).
        chosen: bool,
    },
}

/// Something for the runtime to do.
#[derive(Debug)]
pub enum Effect {
    // ─── Vault ───
    Unlock(Option<SecretString>),
    CreateVault(SecretString),
    ListConversations,
    OpenConversation(ConversationId),
    /// Store the user's message (creating the conversation if `conversation`
    /// is `None`; no message when `text` is `None`, as for a regenerated
    /// reply) and begin the reply's record.
    StoreSend {
        conversation: Option<ConversationId>,
        title: String,
        text: Option<String>,
        user_meta: MessageMeta,
        reply_meta: MessageMeta,
    },
    Checkpoint {
        conversation: ConversationId,
        seq: u64,
        text: String,
    },
    FinishReply {
        conversation: ConversationId,
        seq: u64,
        text: String,
        state: ReplyState,
        reason: Option<String>,
    },
    Rename {
        conversation: ConversationId,
        title: String,
    },
    Delete(ConversationId),
    Search(String),
    SaveSetting {
        name: String,
        value: String,
    },
    /// Store consent for a backend's origin and audit it.
    GiveConsent {
        backend: String,
        target: String,
    },
    CheckConsent {
        backend: String,
    },

    // ─── Backends ───
    /// Build (or rebuild) the named backend.
    PrepareBackend(String),
    StartReply {
        stream: u64,
        backend: String,
        request: ChatRequest,
    },
    CancelReply {
        stream: u64,
    },

    // ─── Terminal ───
    CopyToClipboard(String),
    OpenEditor(String),
    /// Load the named theme from disk (the user may have edited it);
    /// `chosen` when the user picked it now.
    LoadTheme {
        name: String,
        chosen: bool,
    },
    Quit,
}
