//! Sending a message and receiving its reply, as state transitions: the
//! user's text becomes an entry and a store job; once it is durable, the
//! reply streams into the next entry, is checkpointed on ticks, and is
//! finished with how it ended (the steps of the shared pipeline in
//! `exchange`). Esc (or quitting) stops a reply at once: what
//! arrived is kept and marked, and late events of that stream are ignored.

use crate::exchange::{self, Draft, Note, ReplyResult};
use crate::model::entries::context;
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::{ConfirmAction, Entry, PendingSend, Popup, RedactionItem, State, Streaming};
use crate::redact::egress::{self, Mode};
use crate::store::{ConversationId, MessageMeta, ReplyState, Role};
use crate::time::Timestamp;

/// Starts sending `text` (already known not to be a command). `replaces` is
/// the message an edit replaces.
pub fn send(state: &mut State, text: String, replaces: Option<u64>) -> Vec<Effect> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    if state.streaming.is_some() || state.sending || state.opening.is_some() {
        state.editor.set_text(&text);
        state.error("a reply is still coming (or a conversation is opening): wait for it, or press Esc");
        return Vec::new();
    }
    if let Some(error) = &state.backend.error {
        let message = format!(
            "backend '{}' is not usable: {error}. Nothing was sent; /backend switches to another",
            state.backend.choice.name
        );
        state.editor.set_text(&text);
        state.error(message);
        return Vec::new();
    }
    if !state.backend.consented {
        let choice = &state.backend.choice;
        state.popup = Some(Popup::Confirm {
            action: ConfirmAction::TrustBackend {
                backend: choice.name.clone(),
                target: choice.consent_target.clone(),
            },
            title: "Send this conversation off this machine?".into(),
            answer: None,
            body: format!(
                "Backend '{}' sends what you write, and the conversation so far, to '{}' ({}). \
                 Its operator can read and keep it. sotto remembers your answer for this address \
                 (see 'sotto view'; withdraw with 'sotto backend revoke {}').",
                choice.name,
                choice.consent_target,
                choice.channel.describe(),
                choice.name
            ),
        });
        state.pending_send = Some(PendingSend {
            text: text.clone(),
            replaces,
        });
        return Vec::new();
    }
    if matches!(state.redaction, Mode::Warn | Mode::Block) {
        let findings = crate::redact::detect(&text);
        if !findings.is_empty() {
            let items = findings
                .iter()
                .map(|f| RedactionItem {
                    kind: f.kind,
                    preview: egress::preview(f.kind, &text[f.start..f.end]),
                    send_anyway: false,
                })
                .collect();
            state.popup = Some(Popup::Redaction {
                text,
                replaces,
                items,
                selected: 0,
                blocked: state.redaction == Mode::Block,
            });
            return Vec::new();
        }
    }
    dispatch(state, text, replaces, &[])
}

/// Sends `text` after review: the egress boundary prepares what leaves (the
/// message and every message of the context, masked unless redaction is
/// off; `send_anyway` are findings the user chose to send as written), the
/// store gets what was written and what was sent, and the request waits for
/// the store.
pub fn dispatch(state: &mut State, text: String, replaces: Option<u64>, send_anyway: &[usize]) -> Vec<Effect> {
    let meta = reply_meta(state);
    let prepared = exchange::prepare(
        Draft {
            text: &text,
            mode: state.redaction,
            send_anyway,
            history: context(&state.entries),
            limits: state.context,
            reply_meta: &meta,
            replaces,
        },
        &mut state.redaction_map,
    );
    let title = crate::store::title_for(&text);
    push_entry(state, Role::User, text.clone(), replaces);
    if let Some(entry) = state.entries.last_mut() {
        entry.withheld = prepared.withheld.len() as u32;
        entry.sent = (!prepared.withheld.is_empty()).then(|| prepared.sent.clone());
    }
    if let Some(summary) = egress::withheld_summary(prepared.withheld.iter().map(|f| f.kind)) {
        state.notify(summary);
    }
    start_reply_entry(state);
    state.sending = true;
    state.pending_request = Some(prepared.request);
    vec![Effect::Store(StoreJob::Send {
        conversation: state.current,
        title,
        text: Some(text),
        user_meta: prepared.user_meta,
        reply_meta: meta,
        memory: state.current.is_none() && state.current_in_memory,
    })]
}

/// Asks again for the last reply: a new reply replaces the old one.
pub fn regenerate(state: &mut State) -> Result<Vec<Effect>, String> {
    if state.streaming.is_some() || state.sending {
        return Err("a reply is still coming: wait for it, or press Esc to stop it".into());
    }
    let Some(conversation) = state.current else {
        return Err("there is no reply to ask for again yet".into());
    };
    let last = state
        .entries
        .iter()
        .rposition(|e| !e.superseded)
        .ok_or("there is no reply to ask for again yet")?;
    let old = &state.entries[last];
    if old.role != Role::Assistant {
        return Err("the last message is yours: there is no reply to ask for again".into());
    }
    let old_seq = old.seq.ok_or("that reply is not stored yet")?;
    if !state.backend.consented {
        return Err(format!(
            "backend '{}' needs your consent first: send a message to be asked",
            state.backend.choice.name
        ));
    }
    let mut meta = reply_meta(state);
    meta.replaces = Some(old_seq);
    state.entries[last].superseded = true;
    let request = exchange::prepare_regeneration(
        context(&state.entries),
        state.redaction,
        state.context,
        &mut state.redaction_map,
    );
    state.pending_request = Some(request);
    start_reply_entry(state);
    if let Some(reply) = state.entries.last_mut() {
        reply.replaces = Some(old_seq);
    }
    state.sending = true;
    Ok(vec![Effect::Store(StoreJob::Send {
        conversation: Some(conversation),
        title: String::new(),
        text: None,
        user_meta: MessageMeta::default(),
        reply_meta: meta,
        memory: false,
    })])
}

fn reply_meta(state: &State) -> MessageMeta {
    let choice = &state.backend.choice;
    MessageMeta {
        backend: Some(choice.name.clone()),
        model: state
            .backend
            .info
            .as_ref()
            .and_then(|i| i.model.clone())
            .or_else(|| choice.model.clone()),
        ..Default::default()
    }
}

fn push_entry(state: &mut State, role: Role, text: String, replaces: Option<u64>) {
    let first_code = state.entries.last().map_or(1, |e| e.first_code + e.code_blocks());
    state.entries.push(Entry {
        seq: None,
        role,
        at: state.clock,
        text,
        state: ReplyState::Complete,
        backend: None,
        first_code,
        superseded: false,
        sent: None,
        withheld: 0,
        replaces,
    });
    if replaces.is_some() {
        crate::model::state::mark_superseded(&mut state.entries);
    }
    state.scroll.follow = true;
}

fn start_reply_entry(state: &mut State) {
    push_entry(state, Role::Assistant, String::new(), None);
    let entry = state.entries.len() - 1;
    state.entries[entry].state = ReplyState::Streaming;
    state.entries[entry].backend = Some(state.backend.choice.name.clone());
    let stream = state.next_stream;
    state.next_stream += 1;
    state.streaming = Some(Streaming {
        stream,
        conversation: state.current,
        entry,
        seq: None,
        checkpointed: 0,
        checkpointed_at: state.clock,
    });
}

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
