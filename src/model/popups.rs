//! The popups over the chat: confirmations, typed answers, pickers, the
//! redaction review, search, help and the reports. What they hold is
//! forgotten (overwritten) when the vault locks.

use zeroize::Zeroize;

use super::entries::SearchHit;
use crate::store::ConversationId;
use crate::time::Timestamp;

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
