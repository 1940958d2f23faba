//! The model: what the chat application knows and how it is laid out, as
//! plain data. [`state::State`] is everything on screen and in flight,
//! [`msg::Msg`] what can happen, [`msg::Effect`] what the runtime is asked to
//! do, [`ExitStatus`] how a session ended; the text geometry (wrapping,
//! display width, where each part of the screen goes, code-block numbering)
//! lives here too, because `update` and `ui` must agree on it.
//!
//! The model sits below `update`, `commands` and `ui` and above the store,
//! the backends and redaction: it names their types (a conversation id, a
//! reply's state, a backend's channel) and re-exports the few that `ui`
//! draws, so `ui` reads the model only.

pub mod clock;
pub mod code_blocks;
pub mod commands;
pub mod demo;
pub mod editor;
pub mod entries;
pub mod layout;
pub mod msg;
pub mod notice;
pub mod popups;
pub mod screens;
pub mod startup_screen;
pub mod state;
pub mod store_job;
pub mod wrap;

pub use crate::backend::Channel;
pub use crate::redact::egress::Mode as RedactionMode;
pub use crate::store::{ReplyState, Role};

/// How a chat session ended; `cli` maps it to the process's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// The user quit.
    Ok,
    /// Something failed that the user could not fix from the screen.
    Error,
    /// Ctrl-C on a screen before the chat.
    Cancelled,
    /// SIGTERM or SIGHUP.
    Terminated,
    /// Too many wrong passphrases.
    UnlockFailed,
}
