//! One send pipeline, for the chat screen and `sotto ask` alike:
//!
//! 1. [`prepare`]: the egress step decides what leaves (the message masked,
//!    the history cut to the context limits and masked again) and the user
//!    message's metadata records it;
//! 2. durable: `Vault::begin_exchange` stores the conversation if new, the
//!    message and the reply's record in one commit, before anything is sent;
//! 3. stream: `Backend::stream` takes the prepared `EgressRequest`;
//! 4. checkpoints: the reply's text is saved every [`CHECKPOINT_EVERY`]
//!    while it streams;
//! 5. complete: [`ending`] says how the reply is stored (its state and
//!    reason) and what the user is told.
//!
//! The chat screen runs steps 1, 4 and 5 in `update` (pure), step 2 on the
//! store thread and step 3 on a reply thread; `sotto ask` runs them in a row.

use std::time::Duration;

use crate::backend::{BackendError, Completion, Finish};
use crate::redact::Finding;
use crate::redact::egress::{self, ContextLimits, EgressRequest, Mode};
use crate::redact::mask::RedactionMap;
use crate::request::{ChatMessage, ChatRequest, ChatRole};
use crate::store::{MessageMeta, ReplyState};

/// How often a streaming reply is saved: often enough that a crash loses
/// little, seldom enough that a fast stream is not one write per token.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// A message about to be sent.
pub struct Draft<'a> {
    /// What the user wrote.
    pub text: &'a str,
    pub mode: Mode,
    /// Findings (indices into `redact::detect(text)`) the user chose to send
    /// as written, in warn mode.
    pub send_anyway: &'a [usize],
    /// The conversation so far, as context: messages in force, user messages
    /// in their sent form.
    pub history: Vec<ChatMessage>,
    pub limits: ContextLimits,
    /// The backend and model that will answer, recorded with the message.
    pub reply_meta: &'a MessageMeta,
    /// The message an edit replaces.
    pub replaces: Option<u64>,
}

/// A message ready to go: the request a backend may receive and what the
/// store keeps with the message.
pub struct Prepared {
    /// The message as sent (placeholders for what was withheld).
    pub sent: String,
    /// What was withheld, one finding per distinct value.
    pub withheld: Vec<Finding>,
    pub request: EgressRequest,
    /// The user message's metadata: backend, model, sent text, placeholders.
    pub user_meta: MessageMeta,
    /// Earlier messages the context limits kept on this machine.
    pub left_behind: usize,
}

/// Step 1 of a send: what leaves, and what is recorded with the message.
/// `map` is the conversation's placeholder map; it learns every value
/// withheld now, and the metadata carries the new entries.
pub fn prepare(draft: Draft<'_>, map: &mut RedactionMap) -> Prepared {
    let before = map.len();
    let mut messages = draft.history;
    let outgoing = egress::prepare(draft.text, draft.mode, map, draft.send_anyway, &messages);
    messages.push(ChatMessage {
        role: ChatRole::User,
        content: outgoing.sent.clone(),
    });
    let mut request = ChatRequest {
        messages,
        ..Default::default()
    };
    let left_behind = draft.limits.apply(&mut request);
    // History sent earlier in another mode is masked too.
    let request = egress::outgoing_request(request, draft.mode, map, true);
    let user_meta = MessageMeta {
        backend: draft.reply_meta.backend.clone(),
        model: draft.reply_meta.model.clone(),
        sent: (!outgoing.withheld.is_empty()).then(|| outgoing.sent.clone()),
        withheld: outgoing.withheld.len() as u32,
        redaction_map: (map.len() > before).then(|| map.entries_since(before)),
        replaces: draft.replaces,
        ..Default::default()
    };
    Prepared {
        sent: outgoing.sent,
        withheld: outgoing.withheld,
        request,
        user_meta,
        left_behind,
    }
}

/// Step 1 of a regeneration: the history alone, cut and masked.
pub fn prepare_regeneration(
    history: Vec<ChatMessage>,
    mode: Mode,
    limits: ContextLimits,
    map: &mut RedactionMap,
) -> EgressRequest {
    let mut request = ChatRequest {
        messages: history,
        ..Default::default()
    };
    limits.apply(&mut request);
    egress::outgoing_request(request, mode, map, false)
}

/// Why a reply failed: a short reason kept with the reply, and the message
/// for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyFailure {
    pub reason: &'static str,
    pub message: String,
}

impl From<&BackendError> for ReplyFailure {
    fn from(e: &BackendError) -> Self {
        let reason = match e {
            BackendError::Connect { .. } => "connect_failed",
            BackendError::Stalled { .. } => "stalled",
            BackendError::TooSlow { .. } => "too_slow",
            BackendError::Http { .. } => "http_error",
            BackendError::InStream { .. } => "server_error",
            BackendError::Protocol { .. } => "protocol_error",
            BackendError::Interrupted { .. } => "interrupted",
            BackendError::MissingKey { .. } => "missing_key",
            BackendError::Unavailable(_) => "unavailable",
        };
        ReplyFailure {
            reason,
            message: e.to_string(),
        }
    }
}

/// How a streamed reply ended.
pub type ReplyResult = Result<Completion, ReplyFailure>;

/// Step 5: how an ended reply is stored, and what the user is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    pub state: ReplyState,
    pub reason: String,
    /// What the user is told, if anything.
    pub note: Option<Note>,
}

/// A line for the user about how a reply ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Something went wrong (shown as an error).
    Problem(String),
    /// Worth knowing, nothing wrong.
    Info(String),
}

impl Note {
    pub fn text(&self) -> &str {
        match self {
            Note::Problem(text) | Note::Info(text) => text,
        }
    }
}

pub fn ending(result: &ReplyResult) -> Ending {
    let (state, reason, note) = match result {
        Ok(done) => match &done.finish {
            Finish::Cancelled => (
                ReplyState::Cancelled,
                "cancelled".to_owned(),
                Some(Note::Info(STOPPED.to_owned())),
            ),
            Finish::Truncated => (
                ReplyState::Truncated,
                "truncated".to_owned(),
                Some(Note::Problem(
                    "the reply passed this backend's size limit (max_reply_kib) and was cut there".to_owned(),
                )),
            ),
            Finish::Length => (
                ReplyState::Complete,
                "length".to_owned(),
                Some(Note::Info("the model stopped at its length limit".to_owned())),
            ),
            other => (ReplyState::Complete, other.as_str().to_owned(), None),
        },
        Err(failure) => (
            ReplyState::Failed,
            failure.reason.to_owned(),
            Some(Note::Problem(failure.message.clone())),
        ),
    };
    Ending { state, reason, note }
}

/// What the user is told when a reply is stopped.
pub const STOPPED: &str = "stopped; the part of the reply that arrived is kept";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prepared_message_records_what_was_sent_and_the_new_placeholders() {
        let mut map = RedactionMap::default();
        let reply_meta = MessageMeta {
            backend: Some("local".into()),
            ..Default::default()
        };
        let history = vec![ChatMessage {
            role: ChatRole::User,
            content: "earlier: mail bob@example.org".into(),
        }];
        let prepared = prepare(
            Draft {
                text: "call me at jane@example.org",
                mode: Mode::Mask,
                send_anyway: &[],
                history,
                limits: ContextLimits::default(),
                reply_meta: &reply_meta,
                replaces: Some(4),
            },
            &mut map,
        );
        // The history's values are learned first, so they keep the lower numbers.
        assert_eq!(prepared.sent, "call me at [EMAIL_2]");
        let sent: Vec<&str> = prepared.request.messages().iter().map(|m| m.content.as_str()).collect();
        assert_eq!(sent, ["earlier: mail [EMAIL_1]", "call me at [EMAIL_2]"]);
        assert_eq!(prepared.user_meta.backend.as_deref(), Some("local"));
        assert_eq!(prepared.user_meta.replaces, Some(4));
        assert_eq!(prepared.user_meta.sent.as_deref(), Some("call me at [EMAIL_2]"));
        assert_eq!(prepared.user_meta.withheld, 1);
        let recorded = prepared
            .user_meta
            .redaction_map
            .expect("the new placeholders are recorded");
        assert_eq!(
            recorded.len(),
            2,
            "both values the map learned are kept with the message"
        );
    }

    #[test]
    fn the_context_limits_keep_old_history_on_this_machine() {
        let mut map = RedactionMap::default();
        let history = (0..5)
            .map(|i| ChatMessage {
                role: ChatRole::User,
                content: format!("message {i}"),
            })
            .collect();
        let prepared = prepare(
            Draft {
                text: "now",
                mode: Mode::Off,
                send_anyway: &[],
                history,
                limits: ContextLimits {
                    max_messages: 2,
                    max_chars: 1000,
                },
                reply_meta: &MessageMeta::default(),
                replaces: None,
            },
            &mut map,
        );
        assert_eq!(prepared.left_behind, 3);
        assert_eq!(prepared.request.messages().len(), 3);
    }

    #[test]
    fn every_ending_is_stored_with_its_state_and_reason() {
        let done = |finish| {
            Ok(Completion {
                finish,
                usage: None,
                model: None,
            })
        };
        let stop = ending(&done(Finish::Stop));
        assert_eq!(
            (stop.state, stop.reason.as_str(), stop.note),
            (ReplyState::Complete, "stop", None)
        );
        assert_eq!(ending(&done(Finish::Cancelled)).state, ReplyState::Cancelled);
        let cut = ending(&done(Finish::Truncated));
        assert_eq!(cut.state, ReplyState::Truncated);
        assert!(
            matches!(cut.note, Some(Note::Problem(_))),
            "a cut reply is reported as a problem"
        );
        let failed = ending(&Err(ReplyFailure::from(&BackendError::Unavailable("down".into()))));
        assert_eq!(
            (failed.state, failed.reason.as_str()),
            (ReplyState::Failed, "unavailable")
        );
        assert!(failed.note.unwrap().text().contains("down"));
    }
}
