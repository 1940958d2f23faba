//! Receiving a reply, as state transitions: once the send is durable the
//! reply streams into its entry, is checkpointed on ticks (at most every
//! `exchange::CHECKPOINT_EVERY`), and is finished with how it ended
//! (`exchange::ending`). Esc (or quitting) stops a reply at once: what
//! arrived is kept and marked, and late events of that stream are ignored.

use crate::exchange::{self, Note, ReplyResult};
use crate::model::entries::context;
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::State;
use crate::store::Role;
use crate::store::{ConversationId, ReplyState};
use crate::time::Timestamp;

/// The store has the user's message and the reply's record: stream.
pub fn stored(
    state: &mut State,
    conversation: ConversationId,
    user_seq: Option<u64>,
    reply_seq: u64,
    at: Timestamp,
) -> Vec<Effect> {
    state.sending = false;
    state.current = Some(conversation);
    // The entries of this send are the last ones without a sequence number.
    let reply = state
        .entries
        .iter()
        .rposition(|e| e.role == Role::Assistant && e.seq.is_none());
    if let Some(i) = reply {
        state.entries[i].seq = Some(reply_seq);
        state.entries[i].at = at;
        if let Some(seq) = user_seq
            && let Some(user) = state.entries[..i]
                .iter_mut()
                .rev()
                .find(|e| e.role == Role::User && e.seq.is_none())
        {
            user.seq = Some(seq);
            user.at = at;
        }
    }
    if let Some(item) = state.conversations.iter_mut().find(|c| c.id == conversation) {
        item.message_count += u64::from(user_seq.is_some()) + 1;
        item.updated = at;
    }
    let Some(streaming) = state.streaming.as_mut() else {
        // Stopped before the store answered: finish the empty record.
        let text = reply.map(|i| state.entries[i].text.clone()).unwrap_or_default();
        return vec![Effect::Store(StoreJob::FinishReply {
            conversation,
            seq: reply_seq,
            text,
            state: ReplyState::Cancelled,
            reason: Some("cancelled".into()),
        })];
    };
    streaming.conversation = Some(conversation);
    streaming.seq = Some(reply_seq);
    let stream = streaming.stream;
    let request = match state.pending_request.take() {
        Some(request) => request,
        None => exchange::prepare_regeneration(
            context(&state.entries),
            state.redaction,
            state.context,
            &mut state.redaction_map,
        ),
    };
    vec![Effect::StartReply {
        stream,
        backend: state.backend.choice.name.clone(),
        request,
    }]
}

/// The store could not take the send, so nothing of it was stored (its
/// durable part is one commit): the message goes back into the draft, after
/// whatever was typed meanwhile.
pub fn send_failed(state: &mut State, message: &str) {
    state.sending = false;
    state.streaming = None;
    state.pending_request = None;
    if let Some(i) = state
        .entries
        .iter()
        .rposition(|e| e.role == Role::Assistant && e.seq.is_none())
    {
        state.entries.remove(i);
    }
    let unsent = state
        .entries
        .iter()
        .rposition(|e| e.role == Role::User && e.seq.is_none());
    match unsent {
        Some(i) => {
            let entry = state.entries.remove(i);
            let draft = state.editor.text().to_owned();
            let joined = if draft.is_empty() {
                entry.text.clone()
            } else {
                format!("{}\n{draft}", entry.text)
            };
            state.editor.set_text(&joined);
            state.error(format!("nothing was sent: {message}. Your message is back in the box"));
        }
        None => state.error(format!("could not send: {message}")),
    }
}

/// A piece of the reply arrived.
pub fn delta(state: &mut State, stream: u64, text: &str) -> bool {
    match &state.streaming {
        Some(s) if s.stream == stream => {
            state.entries[s.entry].text.push_str(text);
            true
        }
        _ => false,
    }
}

/// On a tick: save what streamed since the last checkpoint, at most every
/// `exchange::CHECKPOINT_EVERY`.
pub fn checkpoint(state: &mut State) -> Vec<Effect> {
    let Some(s) = state.streaming.as_mut() else {
        return Vec::new();
    };
    let Some(seq) = s.seq else {
        return Vec::new();
    };
    let Some(conversation) = s.conversation else {
        return Vec::new();
    };
    let text = &state.entries[s.entry].text;
    let since = state.clock.as_unix_ms() - s.checkpointed_at.as_unix_ms();
    if text.len() == s.checkpointed || since < exchange::CHECKPOINT_EVERY.as_millis() as i64 {
        return Vec::new();
    }
    s.checkpointed = text.len();
    s.checkpointed_at = state.clock;
    vec![Effect::Store(StoreJob::Checkpoint {
        conversation,
        seq,
        text: text.clone(),
    })]
}

/// The reply ended (or failed) on its own.
pub fn ended(state: &mut State, stream: u64, result: ReplyResult) -> Vec<Effect> {
    if state.streaming.as_ref().is_none_or(|s| s.stream != stream) {
        return Vec::new();
    }
    let ending = exchange::ending(&result);
    match ending.note {
        Some(Note::Problem(text)) => state.error(text),
        Some(Note::Info(text)) => state.notify(text),
        None => {}
    }
    finish(state, ending.state, ending.reason)
}

/// Stops the streaming reply now, keeping what arrived.
pub fn cancel(state: &mut State) -> Vec<Effect> {
    let Some(stream) = state.streaming.as_ref().map(|s| s.stream) else {
        return Vec::new();
    };
    state.notify(exchange::STOPPED);
    let mut effects = vec![Effect::CancelReply { stream }];
    effects.extend(finish(state, ReplyState::Cancelled, "cancelled".into()));
    effects
}

fn finish(state: &mut State, reply_state: ReplyState, reason: String) -> Vec<Effect> {
    let Some(s) = state.streaming.take() else {
        return Vec::new();
    };
    let entry = &mut state.entries[s.entry];
    entry.state = reply_state;
    let effects = match (s.seq, s.conversation) {
        (Some(seq), Some(conversation)) => vec![Effect::Store(StoreJob::FinishReply {
            conversation,
            seq,
            text: entry.text.clone(),
            state: reply_state,
            reason: Some(reason),
        })],
        // Not stored yet: `stored` finishes the record when the store answers.
        _ => Vec::new(),
    };
    crate::model::state::renumber_code_blocks(&mut state.entries);
    if let Some(item) = state.conversations.iter_mut().find(|c| Some(c.id) == state.current) {
        item.updated = state.clock;
    }
    effects
}
