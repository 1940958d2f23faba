//! Everything the chat application knows, as plain data: which screen is up,
//! the conversations, the open conversation's messages, the reply that is
//! streaming, the draft, popups, scroll position and the status facts. Only
//! `update` changes it; the drawing code reads it.
//!
//! Decrypted text lives here while the vault is open. Titles, message texts
//! and the passphrase fields are zeroized when dropped; none of them appear in
//! `Debug` output.

use zeroize::Zeroize;

use super::editor::Editor;
pub use super::entries::{ConversationItem, Entry, SearchHit, context, mark_superseded, renumber_code_blocks};
pub use super::popups::{ConfirmAction, ExportRequest, PickerKind, Popup, RedactionItem, TypedAnswer};
pub use super::screens::{MAX_UNLOCK_TRIES, Screen, SecretField, UnlockForm, WelcomeForm};
use crate::backend::{BackendInfo, Channel};
use crate::redact::egress::{EgressRequest, Mode};
use crate::redact::mask::RedactionMap;
use crate::store::ConversationId;
use crate::theme::Theme;
use crate::time::Timestamp;

/// The reply being streamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streaming {
    /// Which stream the deltas belong to; events of an older one are ignored.
    pub stream: u64,
    /// The conversation, once the store has it (a new one gets its id then).
    pub conversation: Option<ConversationId>,
    /// The entry index of the reply in `entries`.
    pub entry: usize,
    /// Its sequence number, once `begin_reply` answered.
    pub seq: Option<u64>,
    /// Text length at the last checkpoint.
    pub checkpointed: usize,
    /// When the last checkpoint (or the start) was.
    pub checkpointed_at: Timestamp,
}

/// Where the chat view is scrolled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scroll {
    /// Stick to the newest row (the default; a streaming reply stays in view).
    pub follow: bool,
    /// The entry and row within it shown at the top of the view, when not following.
    pub anchor: (usize, usize),
    /// Rows to move, resolved against real wrapped heights before drawing.
    pub pending: isize,
}

impl Default for Scroll {
    fn default() -> Self {
        Scroll {
            follow: true,
            anchor: (0, 0),
            pending: 0,
        }
    }
}

/// Which part of the chat screen has the keyboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Input,
    Sidebar,
}

/// A short message in the status line: what just happened, or what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// When it fades (model::notice: an error stays longer).
    pub until: Timestamp,
}

/// A backend the user can pick, as the config describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendChoice {
    pub name: String,
    pub host: String,
    pub channel: Channel,
    pub model: Option<String>,
    /// What consent is given for (scheme, host, port).
    pub consent_target: String,
}

impl BackendChoice {
    /// Where text goes and how, for people: "built in (nothing leaves this
    /// machine)", "`https://api.example.com` (TLS)".
    pub fn destination(&self) -> String {
        match self.channel {
            Channel::InProcess => self.channel.describe().to_owned(),
            channel => format!("{} ({})", self.consent_target, channel.describe()),
        }
    }
}

/// The backend in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveBackend {
    pub choice: BackendChoice,
    /// Set once the runtime has built it.
    pub info: Option<BackendInfo>,
    /// Whether consent for its origin is stored (or given for this session).
    pub consented: bool,
    /// Why it could not be built (a missing key, an unreadable CA file).
    pub error: Option<String>,
}

impl ActiveBackend {
    /// A backend just chosen: not built yet; consent is needed only when it
    /// sends text off this machine.
    pub fn chosen(choice: BackendChoice) -> ActiveBackend {
        ActiveBackend {
            consented: !choice.channel.leaves_machine(),
            choice,
            info: None,
            error: None,
        }
    }
}

/// The vault setting that remembers the backend chosen with `/backend`.
pub const BACKEND_SETTING: &str = "ui.backend";
/// The vault setting that remembers the theme chosen with `/theme`.
pub const THEME_SETTING: &str = "ui.theme";

/// A send that waits for something first (consent, the backend to be ready).
#[derive(Clone, PartialEq, Eq)]
pub struct PendingSend {
    pub text: String,
    pub replaces: Option<u64>,
}

impl std::fmt::Debug for PendingSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PendingSend([{} chars])", self.text.chars().count())
    }
}

impl Drop for PendingSend {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

/// The whole application state. Its `Debug` shows no conversation text:
/// every field holding some redacts itself.
#[derive(Debug)]
pub struct State {
    pub screen: Screen,
    /// Where the vault lives (shown on the welcome screen and in `/help`).
    pub vault_path: String,
    /// Incognito: nothing is stored, the vault is never opened.
    pub incognito: bool,
    /// The open conversation lives in memory only (`/incognito`).
    pub current_in_memory: bool,
    /// The vault's retention default (`None`: kept until deleted).
    pub retention_default: Option<crate::time::Span>,
    /// The guided tour of `sotto demo`, when it runs.
    pub demo: Option<super::demo::DemoTour>,
    /// When retention was last enforced in this session.
    pub last_sweep: Timestamp,
    /// Conversations of this session that live in memory only.
    pub memory_conversations: Vec<ConversationId>,
    pub conversations: Vec<ConversationItem>,
    /// The open conversation; `None` is a new one not yet stored.
    pub current: Option<ConversationId>,
    pub entries: Vec<Entry>,
    /// Bumped whenever `entries` is replaced, so cached layouts are dropped.
    pub generation: u64,
    pub streaming: Option<Streaming>,
    /// A send waiting for the store to create the conversation or the message.
    pub sending: bool,
    pub next_stream: u64,
    pub editor: Editor,
    pub focus: Focus,
    pub sidebar_visible: bool,
    pub sidebar_selected: usize,
    pub popup: Option<Popup>,
    /// Which completion is highlighted while typing a slash command.
    pub completion_selected: usize,
    pub scroll: Scroll,
    /// After opening a conversation from a search hit: the message to show.
    pub pending_jump: Option<(ConversationId, u64)>,
    /// The conversation asked of the store; any other answer is stale.
    pub opening: Option<ConversationId>,
    /// The open conversation whose older messages are still coming (it
    /// opened with its newest page): sends wait for them.
    pub history_pending: Option<ConversationId>,
    /// The first frame shows the startup record while the vault opens: the
    /// input that arrives meanwhile, held for the real chat.
    pub preview: Option<super::startup_screen::Preview>,
    /// The time, as the last tick brought it (update reads no clock).
    pub clock: Timestamp,
    /// The terminal's size, for page scrolling.
    pub viewport: (u16, u16),
    /// Failures so far and the prompt, kept while an unlock attempt runs.
    pub unlock_memory: Option<(u32, String)>,
    /// `/edit`: the message the draft will replace when sent.
    pub editing: Option<u64>,
    pub show_timestamps: bool,
    pub theme: Theme,
    pub theme_names: Vec<String>,
    pub backends: Vec<BackendChoice>,
    pub backend: ActiveBackend,
    /// The backend was named for this run, so a remembered choice does not replace it.
    pub backend_pinned: bool,
    /// Where `/export` writes when no file is named (the runtime finds it).
    pub export_dir: Option<std::path::PathBuf>,
    pub pending_send: Option<PendingSend>,
    /// The request for the reply being prepared, built (and masked) when
    /// the message was sent, started once the store has the message.
    pub pending_request: Option<EgressRequest>,
    /// What happens to personal data in outgoing messages.
    pub redaction: Mode,
    /// Findings of damage, loss or tampering the vault holds until they are
    /// acknowledged ('sotto verify --acknowledge'): the status bar shows them.
    pub findings_waiting: usize,
    /// The open conversation's placeholders and their values.
    pub redaction_map: RedactionMap,
    /// How much history goes with each message.
    pub context: crate::redact::egress::ContextLimits,
    /// Lock after this many milliseconds without activity (0: never).
    pub auto_lock_ms: i64,
    /// When the user last did something (a key, a paste, the wheel).
    pub last_activity: Timestamp,
    /// Why the vault was locked, for the unlock screen.
    pub lock_reason: Option<String>,
    pub notice: Option<Notice>,
    /// The last press of Ctrl-C asked to press it again to quit.
    pub quit_armed: bool,
    /// Set when the application should end; the message is printed after the
    /// terminal is restored, the code is the exit status.
    pub exit: Option<(super::ExitStatus, Option<String>)>,
}

impl State {
    pub fn new(
        screen: Screen,
        vault_path: String,
        backends: Vec<BackendChoice>,
        backend: BackendChoice,
        theme: Theme,
        theme_names: Vec<String>,
    ) -> Self {
        State {
            screen,
            vault_path,
            incognito: false,
            current_in_memory: false,
            retention_default: None,
            last_sweep: Timestamp::from_unix_ms(0),
            demo: None,
            memory_conversations: Vec::new(),
            conversations: Vec::new(),
            current: None,
            entries: Vec::new(),
            generation: 0,
            streaming: None,
            sending: false,
            next_stream: 1,
            editor: Editor::default(),
            focus: Focus::Input,
            sidebar_visible: true,
            sidebar_selected: 0,
            popup: None,
            completion_selected: 0,
            scroll: Scroll::default(),
            pending_jump: None,
            opening: None,
            history_pending: None,
            preview: None,
            clock: Timestamp::from_unix_ms(0),
            viewport: (80, 24),
            unlock_memory: None,
            editing: None,
            show_timestamps: false,
            theme,
            theme_names,
            backends,
            backend: ActiveBackend::chosen(backend),
            backend_pinned: false,
            export_dir: None,
            pending_send: None,
            pending_request: None,
            redaction: Mode::default(),
            findings_waiting: 0,
            redaction_map: RedactionMap::default(),
            context: Default::default(),
            auto_lock_ms: 0,
            last_activity: Timestamp::from_unix_ms(0),
            lock_reason: None,
            notice: None,
            quit_armed: false,
            exit: None,
        }
    }

    pub fn is_streaming(&self) -> bool {
        self.streaming.is_some()
    }

    /// How long the open conversation's messages are kept (for a new one, the default).
    pub fn current_retention(&self) -> crate::store::Retention {
        let own = self
            .current
            .and_then(|id| self.conversations.iter().find(|c| c.id == id))
            .and_then(|c| c.retention);
        crate::store::Retention::effective(own, self.retention_default)
    }

    /// The title of the open conversation.
    pub fn current_title(&self) -> Option<&str> {
        let id = self.current?;
        self.conversations.iter().find(|c| c.id == id).map(|c| c.title.as_str())
    }

    /// Replaces the shown messages (a conversation was opened or started).
    /// What belonged to the conversation left behind goes with it.
    pub fn set_entries(&mut self, entries: Vec<Entry>) {
        self.entries = entries;
        self.generation += 1;
        self.scroll = Scroll::default();
        self.editing = None;
        self.pending_send = None;
        renumber_code_blocks(&mut self.entries);
        mark_superseded(&mut self.entries);
        self.history_pending = None;
    }

    /// Puts the older messages of the open conversation before the shown
    /// ones; what is on screen stays where it is.
    pub fn prepend_history(&mut self, older: Vec<Entry>) {
        let shift = older.len();
        let mut entries = older;
        entries.append(&mut self.entries);
        self.entries = entries;
        self.generation += 1;
        self.scroll.anchor.0 += shift;
        // Sends wait for the history, so no reply streams now; were one to,
        // its entry moved too.
        if let Some(streaming) = &mut self.streaming {
            streaming.entry += shift;
        }
        renumber_code_blocks(&mut self.entries);
        mark_superseded(&mut self.entries);
        self.history_pending = None;
    }
}

#[cfg(test)]
pub mod tests_support {
    //! States for the unit tests of `update`, the layout and the drawing.

    use super::*;

    pub fn local_choice() -> BackendChoice {
        BackendChoice {
            name: "local".into(),
            host: "built in".into(),
            channel: Channel::InProcess,
            model: Some("help-desk".into()),
            consent_target: "built in".into(),
        }
    }

    pub fn remote_choice() -> BackendChoice {
        BackendChoice {
            name: "cloud".into(),
            host: "api.example.com".into(),
            channel: Channel::Tls,
            model: Some("gpt".into()),
            consent_target: "https://api.example.com".into(),
        }
    }

    /// An unlocked chat screen with the built-in bot and a remote backend.
    pub fn chat_state() -> State {
        State::new(
            Screen::Chat,
            "/home/u/.local/share/sotto".into(),
            vec![local_choice(), remote_choice()],
            local_choice(),
            Theme::fallback(false),
            vec!["dark".into(), "light".into(), "high-contrast".into()],
        )
    }
}
