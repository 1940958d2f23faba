//! What flows into `update` (messages from the terminal, the store, the
//! backends and the timer) and what flows out of it (effects for the runtime
//! to carry out). Both are plain data; neither holds a handle to anything.

use crossterm::event::{KeyEvent, MouseEvent};

use super::state::{ConversationItem, Entry, SearchHit};
use crate::backend::BackendInfo;
use crate::redact::egress::EgressRequest;
use crate::store::ConversationId;

pub use super::store_job::StoreJob;

/// Something that happened. `Debug` names the variant only: most carry
/// conversation text (keys typed, pastes, deltas).
pub enum Msg {
    // ─── Terminal ───
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// A few times a second, with the time: checkpoints, notices fading.
    Tick {
        now: crate::time::Timestamp,
    },
    /// Code languages the screen asked for were made ready in the
    /// background: code drawn plain until now can be drawn in colour.
    CodeColoursReady,
    /// The terminal cannot be read any more.
    InputFailed(String),
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
    /// The chat screen as the vault last closed (the startup record), to
    /// draw while the database opens. `VaultOpened` follows and replaces it.
    Preview(Box<super::startup_screen::StartupScreen>),
    /// The vault is open (unlocked or just created). The store follows it
    /// with `ConversationOpened` for the newest conversation (the first of
    /// `conversations`), if there is one, before answering any job (only the
    /// unlock's own notices, a retention sweep's, may come between).
    VaultOpened {
        /// The backend chosen with `/backend` in an earlier session.
        backend: Option<String>,
        conversations: Vec<ConversationItem>,
        /// Warnings from the unlock (failed attempts, storage loss).
        warnings: Vec<String>,
        /// The remembered theme, if any.
        theme: Option<String>,
        /// The remembered redaction mode, if any.
        redaction: Option<String>,
        /// The retention default.
        retention_default: Option<crate::time::Span>,
        created: bool,
        /// Findings of damage, loss or tampering not yet acknowledged (this
        /// unlock's included): shown in the status bar for the session.
        findings: usize,
    },
    UnlockFailed {
        message: String,
        fatal: bool,
    },
    /// The identity unlocked but the database is damaged: the chat screen
    /// offers `sotto repair`'s rebuild (`StoreJob::Repair`).
    VaultDamaged {
        message: String,
        needs_passphrase: bool,
    },
    /// The vault is closed and locked again (after /lock or idle time).
    Locked {
        needs_passphrase: bool,
        prompt: String,
    },
    CreateFailed {
        message: String,
    },
    ConversationsListed(Vec<ConversationItem>),
    ConversationOpened {
        id: ConversationId,
        entries: Vec<Entry>,
        /// Its placeholders, rebuilt from the messages' sealed metadata.
        map: crate::redact::mask::RedactionMap,
        /// Messages that could not be read.
        damaged: usize,
        /// Only the newest messages came: `ConversationHistory` brings the
        /// older ones next.
        history_pending: bool,
    },
    /// The older messages of the conversation just opened, oldest first.
    ConversationHistory {
        id: ConversationId,
        entries: Vec<Entry>,
        /// The placeholders these messages recorded.
        map: crate::redact::mask::RedactionMap,
        damaged: usize,
    },
    /// The user's message is durable and the reply's record begun.
    SendStored {
        conversation: ConversationId,
        /// Set when the send created the conversation.
        created: Option<ConversationItem>,
        user_seq: Option<u64>,
        reply_seq: u64,
        /// When the store recorded the message.
        at: crate::time::Timestamp,
    },
    /// The store could not keep a send. Its durable part is one commit, so
    /// nothing of it was stored: the message goes back into the draft.
    SendFailed {
        message: String,
    },
    SearchDone {
        query: String,
        hits: Vec<SearchHit>,
    },
    /// A report for a popup (the privacy events, the inventory, and the open
    /// conversation in detail, which names its title): a title and lines of
    /// terminal-safe text.
    ReportLoaded {
        title: String,
        lines: Vec<String>,
    },
    /// Consent for the active backend, as the vault has it.
    ConsentKnown {
        backend: String,
        given: bool,
    },
    /// A retention rule changed; `default` is the vault's default now.
    RetentionChanged {
        default: Option<crate::time::Span>,
        notice: String,
    },
    /// A wipe by date finished; `notice` says what went.
    Wiped {
        notice: String,
    },
    /// The whole vault was destroyed: nothing is left to use.
    VaultWiped {
        notice: String,
    },
    /// An export was written; `notice` says where and how it is protected.
    Exported {
        notice: String,
    },
    /// A store job failed; `what` says which.
    StoreFailed {
        what: String,
        message: String,
    },
    /// The vault put something right on its own (an identity file removed
    /// while open was written back); the user must hear of it.
    StoreRepaired(String),

    // ─── Backend ───
    BackendReady(BackendInfo),
    /// Something about how a backend was set up that the user should know.
    BackendNote {
        backend: String,
        note: String,
    },
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
        result: crate::exchange::ReplyResult,
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

/// A change of retention rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetentionChange {
    /// The vault default: `None` keeps messages until deleted.
    Default(Option<crate::time::Span>),
    /// One conversation: its own rule, or `None` to follow the default.
    Conversation(Option<crate::store::Retention>),
}

/// Something for the runtime to do. `Debug` names the variant only.
#[expect(
    clippy::large_enum_variant,
    reason = "a few per message, moved once through a channel; a box would cost an allocation each"
)]
pub enum Effect {
    /// A job for the store thread, carried to it as it is.
    Store(StoreJob),

    // ─── Backends ───
    /// Build (or rebuild) the named backend.
    PrepareBackend(String),
    StartReply {
        stream: u64,
        backend: String,
        request: EgressRequest,
    },
    CancelReply {
        stream: u64,
    },

    // ─── Terminal ───
    CopyToClipboard(String),
    OpenEditor(String),
    /// Ctrl-L: clear the terminal and draw every cell again, whatever the
    /// terminal shows now (another program's output, a ghost glyph).
    Repaint,
    /// Load the named theme from disk (the user may have edited it);
    /// `chosen` when the user picked it now.
    LoadTheme {
        name: String,
        chosen: bool,
    },
    Quit,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Msg::Key(_) => "Key",
            Msg::Paste(_) => "Paste",
            Msg::Mouse(_) => "Mouse",
            Msg::Resize { .. } => "Resize",
            Msg::Tick { .. } => "Tick",
            Msg::CodeColoursReady => "CodeColoursReady",
            Msg::Terminate => "Terminate",
            Msg::InputFailed(_) => "InputFailed",
            Msg::ScrollResolved { .. } => "ScrollResolved",
            Msg::Preview(_) => "Preview",
            Msg::VaultOpened { .. } => "VaultOpened",
            Msg::UnlockFailed { .. } => "UnlockFailed",
            Msg::VaultDamaged { .. } => "VaultDamaged",
            Msg::Locked { .. } => "Locked",
            Msg::CreateFailed { .. } => "CreateFailed",
            Msg::ConversationsListed(_) => "ConversationsListed",
            Msg::ConversationOpened { .. } => "ConversationOpened",
            Msg::ConversationHistory { .. } => "ConversationHistory",
            Msg::SendStored { .. } => "SendStored",
            Msg::SendFailed { .. } => "SendFailed",
            Msg::SearchDone { .. } => "SearchDone",
            Msg::ReportLoaded { .. } => "ReportLoaded",
            Msg::ConsentKnown { .. } => "ConsentKnown",
            Msg::StoreFailed { .. } => "StoreFailed",
            Msg::StoreRepaired(_) => "StoreRepaired",
            Msg::Wiped { .. } => "Wiped",
            Msg::RetentionChanged { .. } => "RetentionChanged",
            Msg::VaultWiped { .. } => "VaultWiped",
            Msg::Exported { .. } => "Exported",
            Msg::BackendReady(_) => "BackendReady",
            Msg::BackendNote { .. } => "BackendNote",
            Msg::BackendFailed { .. } => "BackendFailed",
            Msg::Delta { stream, .. } => return write!(f, "Delta(stream {stream})"),
            Msg::ReplyEnded { stream, .. } => return write!(f, "ReplyEnded(stream {stream})"),
            Msg::EditorReturned(_) => "EditorReturned",
            Msg::ThemeLoaded { .. } => "ThemeLoaded",
        };
        f.write_str(name)
    }
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Effect::Store(job) => return job.fmt(f),
            Effect::PrepareBackend(name) => return write!(f, "PrepareBackend({name})"),
            Effect::StartReply { stream, .. } => return write!(f, "StartReply(stream {stream})"),
            Effect::CancelReply { stream } => return write!(f, "CancelReply(stream {stream})"),
            Effect::CopyToClipboard(_) => "CopyToClipboard",
            Effect::OpenEditor(_) => "OpenEditor",
            Effect::Repaint => "Repaint",
            Effect::LoadTheme { name, .. } => return write!(f, "LoadTheme({name})"),
            Effect::Quit => "Quit",
        };
        f.write_str(name)
    }
}
