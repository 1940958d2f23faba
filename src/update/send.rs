//! Sending a message, as state transitions: the user's text is reviewed
//! (warn mode) and prepared for egress (`exchange::prepare`), becomes an
//! entry and a store job, and the reply's entry waits for the store; a
//! regeneration replaces the last reply. What happens once the send is
//! durable is in `reply`.

use crate::exchange::{self, Draft};
use crate::model::entries::context;
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::{ConfirmAction, Entry, PendingSend, Popup, RedactionItem, State, Streaming};
use crate::redact::egress::{self, Mode};
use crate::store::{MessageMeta, ReplyState, Role};

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
    if let Some(refusal) = history_refusal(state) {
        state.editor.set_text(&text);
        state.error(refusal);
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

/// Why nothing may be sent yet in the open conversation: its older messages
/// (and with them its placeholders) have not arrived, so a new placeholder
/// could be numbered as an old one.
pub fn history_refusal(state: &State) -> Option<&'static str> {
    state.history_pending.is_some().then_some(
        "this conversation's older messages are still loading: wait a moment (if it lasts, a storage error was \
         shown; open the conversation again, or start a /new one)",
    )
}

/// Asks again for the last reply: a new reply replaces the old one.
pub fn regenerate(state: &mut State) -> Result<Vec<Effect>, String> {
    if state.streaming.is_some() || state.sending || state.opening.is_some() {
        return Err("a reply is still coming (or a conversation is opening): wait for it, or press Esc".into());
    }
    if let Some(refusal) = history_refusal(state) {
        return Err(refusal.into());
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
