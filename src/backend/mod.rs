//! Bot backends: the small [`Backend`] trait and what flows through it.
//!
//! A backend turns a conversation into a streamed reply. Implementations are
//! `local` (the built-in offline help-desk bot) and `openai` (any
//! OpenAI-compatible Chat Completions server). Calls block the calling thread;
//! the TUI runs each in a background thread that forwards deltas as events.
//! Every reply is untrusted text: the caller sanitises it before it reaches a
//! terminal.

mod cancel;
mod error;
pub mod local;
pub mod openai;
pub mod sse;

pub use cancel::CancelToken;
pub use error::{BackendError, ConnectFailure, HttpFailure};

use crate::redact::egress::EgressRequest;

/// Token counts, when the backend reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// Why a reply ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    /// The model finished its answer.
    Stop,
    /// The model hit its token limit.
    Length,
    /// The server filtered the content.
    ContentFilter,
    /// Another reason the server gave, verbatim.
    Other(String),
    /// The user cancelled; what arrived is kept.
    Cancelled,
    /// The reply passed the configured size cap; what arrived is kept.
    Truncated,
}

impl Finish {
    pub fn as_str(&self) -> &str {
        match self {
            Finish::Stop => "stop",
            Finish::Length => "length",
            Finish::ContentFilter => "content_filter",
            Finish::Other(reason) => reason,
            Finish::Cancelled => "cancelled",
            Finish::Truncated => "truncated",
        }
    }
}

/// How a streamed reply ended well (errors are [`BackendError`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub finish: Finish,
    pub usage: Option<Usage>,
    /// The model that answered, if the backend said.
    pub model: Option<String>,
}

/// How text travels to a backend, for the status bar and consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Inside this process: nothing leaves the machine.
    InProcess,
    /// To this machine over the loopback interface.
    Loopback,
    /// Over the network with TLS.
    Tls,
    /// Over the network in the clear (`allow_insecure_http`).
    Insecure,
}

impl Channel {
    pub fn describe(self) -> &'static str {
        match self {
            Channel::InProcess => "built in (nothing leaves this machine)",
            Channel::Loopback => "loopback (this machine)",
            Channel::Tls => "TLS",
            Channel::Insecure => "INSECURE plain HTTP",
        }
    }

    /// Whether text sent this way leaves the machine (and so needs consent).
    pub fn leaves_machine(self) -> bool {
        matches!(self, Channel::Tls | Channel::Insecure)
    }
}

/// What a backend is, for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendInfo {
    /// The name in the config (`local`, `llama`, …).
    pub name: String,
    /// `local` or `openai`.
    pub kind: &'static str,
    /// Where text goes: a host (`api.openai.com`), or `built in`.
    pub host: String,
    pub channel: Channel,
    /// The configured model, if any.
    pub model: Option<String>,
}

/// A bot backend.
pub trait Backend: Send + Sync {
    fn info(&self) -> &BackendInfo;

    /// What the user should know about how this backend was set up, in one
    /// line (knowledge files that were skipped, and why); `None` if nothing.
    fn setup_note(&self) -> Option<String> {
        None
    }

    /// Streams a reply to `request`, calling `on_delta` with each piece of
    /// text as it arrives. Returns when the reply ends, is cancelled through
    /// `cancel`, or fails; on failure the deltas already delivered are all
    /// that arrived.
    fn stream(
        &self,
        request: &EgressRequest,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError>;

    /// Whether the backend answers at all (a cheap request, no generation).
    fn health(&self) -> Result<(), BackendError>;

    /// The models the backend offers, where its protocol can list them.
    fn list_models(&self) -> Result<Option<Vec<String>>, BackendError>;

    /// Does, ahead of the first request, work every request would otherwise
    /// wait for the first time (the built-in bot's word meanings). Called
    /// off the UI thread once the backend is in use; nothing by default.
    fn warm(&self) {}
}
