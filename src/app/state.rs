//! Everything the chat application knows, as plain data: which screen is up,
//! the conversations, the open conversation's messages, the reply that is
//! streaming, the draft, popups, scroll position and the status facts. Only
//! `update` changes it; the drawing code reads it.
//!
//! Decrypted text lives here while the vault is open. Titles, message texts
//! and the passphrase fields are zeroized when dropped; none of them appear in
//! `Debug` output.

use secrecy::SecretString;
use zeroize::Zeroize;

use super::editor::Editor;
use crate::backend::{BackendInfo, Channel};
use crate::redact::egress::{EgressRequest, Mode};
use crate::redact::mask::RedactionMap;
use crate::store::{ConversationId, ReplyState, Role};
use crate::theme::Theme;
use crate::time::Timestamp;

/// Wrong passphrases allowed at the unlock screen before sotto exits.
pub const MAX_UNLOCK_TRIES: u32 = 3;

/// Which full screen is shown.
#[derive(Debug)]
pub enum Screen {
    /// First run: what sotto stores and how, then a passphrase twice.
    Welcome(WelcomeForm),
    /// After the vault is created: pick the backend to talk to.
    ChooseBackend {
        selected: usize,
    },
    /// Later runs: the passphrase.
    Unlock(UnlockForm),
    /// Unlocking or creating: scrypt takes a moment. Creating cannot be
    /// interrupted (the vault would be half made); unlocking can.
    Working {
        text: String,
        can_cancel: bool,
    },
    Chat,
}

/// A masked text field for a passphrase.
#[derive(Default)]
pub struct SecretField {
    text: String,
}

impl std::fmt::Debug for SecretField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretField([{} chars])", self.text.chars().count())
    }
}

impl Drop for SecretField {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

impl SecretField {
    pub fn push(&mut self, c: char) {
        if !c.is_control() && self.text.len() < 1024 {
            self.text.push(c);
        }
    }

    pub fn pop(&mut self) {
        self.text.pop();
    }

    pub fn clear(&mut self) {
        self.text.zeroize();
        self.text.clear();
    }

    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn matches(&self, other: &SecretField) -> bool {
        self.text == other.text
    }

    /// A copy for the vault, in a type that zeroizes itself.
    pub fn secret(&self) -> SecretString {
        SecretString::from(self.text.clone())
    }
}

/// The first-run form.
#[derive(Debug, Default)]
pub struct WelcomeForm {
    pub passphrase: SecretField,
    pub confirm: SecretField,
    /// Which field has the cursor: 0 passphrase, 1 confirmation.
    pub focus: usize,
    /// The estimator's verdict on the passphrase as typed.
    pub strength: Option<crate::crypto::passphrase::Strength>,
    pub error: Option<String>,
}

/// The unlock form.
#[derive(Debug, Default)]
pub struct UnlockForm {
    pub passphrase: SecretField,
    pub failures: u32,
    pub error: Option<String>,
    /// Set when the identity is protected by the user's own identity file.
    pub prompt: String,
    /// The vault needs no passphrase (a plain identity file): Enter unlocks.
    pub no_passphrase: bool,
}

/// A conversation in the sidebar.
#[derive(Clone, PartialEq, Eq)]
pub struct ConversationItem {
    pub id: ConversationId,
    pub title: String,
    pub updated: Timestamp,
    pub message_count: u64,
    /// Its own retention rule; `None` follows the vault's default.
    pub retention: Option<crate::store::Retention>,
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
#[derive(Clone, PartialEq, Eq)]
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
    pub fn code_blocks(&self) -> usize {
        crate::ui::markdown::code_blocks(&self.text).len()
    }
}

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

/// What a confirmation popup will do when confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmAction {
    /// Wipe one conversation for good (`/delete`, `/wipe`).
    DeleteConversation(ConversationId),
    /// Wipe every message written before this time.
    WipeOlderThan(Timestamp),
    /// Destroy the whole vault, then quit.
    WipeAll,
    /// Write an export (asked first only when it is plaintext).
    Export(ExportRequest),
    /// Consent to send conversations to this backend's origin.
    TrustBackend { backend: String, target: String },
}

/// An export the user asked for in the chat screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRequest {
    pub scope: crate::export::ExportScope,
    pub format: crate::store::ExportFormat,
    pub plaintext: bool,
    pub path: std::path::PathBuf,
}

/// A confirmation that must be typed, not just a `y`: what is accepted and
/// what has been typed so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedAnswer {
    /// Any of these, exactly (surrounding spaces ignored), confirms.
    pub accepted: Vec<String>,
    pub typed: String,
}

impl TypedAnswer {
    /// "'wipe'" or "'Taxes' or 'wipe'", for the prompt and the error.
    pub fn describe(&self) -> String {
        self.accepted
            .iter()
            .map(|a| format!("'{}'", crate::sanitize::one_line(a, 40)))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// A popup over the chat screen. Esc closes any of them.
#[derive(Clone, PartialEq, Eq)]
pub enum Popup {
    Help {
        scroll: usize,
    },
    Confirm {
        action: ConfirmAction,
        title: String,
        body: String,
        /// Set for destructive actions: the answer must be typed.
        answer: Option<TypedAnswer>,
    },
    Search {
        query: String,
        hits: Option<Vec<SearchHit>>,
        selected: usize,
    },
    Picker {
        kind: PickerKind,
        items: Vec<String>,
        selected: usize,
    },
    /// A read-only report: the privacy events, the inventory.
    Report {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
    /// Warn or block mode found personal data in a message about to be sent.
    Redaction {
        text: String,
        replaces: Option<u64>,
        items: Vec<RedactionItem>,
        selected: usize,
        /// Block mode: only masked sending or editing.
        blocked: bool,
    },
}

impl std::fmt::Debug for Popup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies quote titles and the query is what the user looks for.
        match self {
            Popup::Help { scroll } => write!(f, "Help({scroll})"),
            Popup::Confirm { action, .. } => write!(f, "Confirm({action:?})"),
            Popup::Search { hits, selected, .. } => {
                write!(f, "Search({:?} hits, {selected})", hits.as_ref().map(Vec::len))
            }
            Popup::Picker { kind, selected, .. } => write!(f, "Picker({kind:?}, {selected})"),
            Popup::Redaction { items, .. } => write!(f, "Redaction({} items)", items.len()),
            Popup::Report { title, lines, .. } => write!(f, "Report({title}, {} lines)", lines.len()),
        }
    }
}

impl Popup {
    /// Overwrites the text it holds (titles, messages, search words and
    /// snippets, report lines), before it is dropped at a lock.
    pub fn forget(&mut self) {
        match self {
            Popup::Help { .. } => {}
            Popup::Confirm {
                title, body, answer, ..
            } => {
                title.zeroize();
                body.zeroize();
                if let Some(answer) = answer {
                    answer.typed.zeroize();
                    answer.accepted.iter_mut().for_each(Zeroize::zeroize);
                }
            }
            Popup::Search { query, hits, .. } => {
                query.zeroize();
                // The hits zeroize themselves when dropped.
                *hits = None;
            }
            Popup::Picker { items, .. } => items.iter_mut().for_each(Zeroize::zeroize),
            Popup::Report { title, lines, .. } => {
                title.zeroize();
                lines.iter_mut().for_each(Zeroize::zeroize);
            }
            Popup::Redaction { text, items, .. } => {
                text.zeroize();
                items.iter_mut().for_each(|i| i.preview.zeroize());
            }
        }
    }
}

/// One finding in the redaction popup.
#[derive(Clone, PartialEq, Eq)]
pub struct RedactionItem {
    pub kind: crate::redact::Kind,
    /// A masked preview (`•••• 1881`), never the value.
    pub preview: String,
    /// The user chose to send this one as written.
    pub send_anyway: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerKind {
    Backend,
    Theme,
}

/// A short message in the status line: what just happened, or what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// Ticks left before it fades (errors stay until the next action).
    pub ttl: u32,
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
    /// machine)", "https://api.example.com (TLS)".
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
    pub pending_send: Option<PendingSend>,
    /// The request for the reply being prepared, built (and masked) when
    /// the message was sent, started once the store has the message.
    pub pending_request: Option<EgressRequest>,
    /// What happens to personal data in outgoing messages.
    pub redaction: Mode,
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
    pub exit: Option<(u8, Option<String>)>,
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
            clock: Timestamp::from_unix_ms(0),
            viewport: (80, 24),
            unlock_memory: None,
            editing: None,
            show_timestamps: false,
            theme,
            theme_names,
            backends,
            backend: ActiveBackend {
                consented: !backend.channel.leaves_machine(),
                choice: backend,
                info: None,
                error: None,
            },
            pending_send: None,
            pending_request: None,
            redaction: Mode::default(),
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

    pub fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: false,
            ttl: 16,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: true,
            ttl: 40,
        });
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
