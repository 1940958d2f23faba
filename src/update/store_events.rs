//! What the store thread reports, as state transitions: the vault opened
//! (with its warnings, settings and conversation list), an unlock failed,
//! a conversation was read back, or a job failed.

use super::{reply, scroll};
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::{ConversationItem, Entry, MAX_UNLOCK_TRIES, Screen, State, UnlockForm, mark_superseded};

/// The backend chosen with `/backend` in an earlier session, unless this
/// run names one (`--backend`); a name the config no longer has is told,
/// and the run's backend stays.
pub(super) fn use_remembered_backend(state: &mut State, name: &str) {
    if state.backend_pinned || name == state.backend.choice.name {
        return;
    }
    match state.backends.iter().find(|b| b.name == name).cloned() {
        Some(choice) => state.backend = crate::model::state::ActiveBackend::chosen(choice),
        None => state.notify(format!(
            "the backend '{}' chosen last time is not in the config any more; using '{}'",
            crate::sanitize::one_line(name, 40),
            state.backend.choice.name
        )),
    }
}

pub(super) fn opened(
    state: &mut State,
    conversations: Vec<ConversationItem>,
    warnings: Vec<String>,
    theme: Option<String>,
    created: bool,
) -> Vec<Effect> {
    state.conversations = conversations;
    state.screen = if created {
        Screen::ChooseBackend {
            selected: state
                .backends
                .iter()
                .position(|b| b.name == state.backend.choice.name)
                .unwrap_or(0),
        }
    } else {
        Screen::Chat
    };
    if !warnings.is_empty() {
        state.error(warnings.join(" "));
    } else if created {
        state.notify("your vault is ready");
    }
    let mut effects = vec![
        Effect::PrepareBackend(state.backend.choice.name.clone()),
        Effect::Store(StoreJob::CheckConsent {
            backend: state.backend.choice.name.clone(),
        }),
    ];
    if let Some(name) = theme.filter(|n| *n != state.theme.name) {
        effects.push(Effect::LoadTheme { name, chosen: false });
    }
    // The most recent conversation opens, as in a chat app: the store sends
    // it right after this (app::store's unlock), before any job of ours.
    state.opening = state.conversations.first().map(|c| c.id);
    effects
}

/// The database is damaged: the unlock form comes back as the repair's,
/// with the error that says what happened.
pub(super) fn vault_damaged(state: &mut State, message: String, needs_passphrase: bool) {
    let prompt = state.unlock_memory.take().map(|(_, prompt)| prompt).unwrap_or_default();
    state.screen = Screen::Unlock(UnlockForm {
        error: Some(message),
        prompt,
        no_passphrase: !needs_passphrase,
        repair: true,
        ..Default::default()
    });
}

pub(super) fn unlock_failed(state: &mut State, message: String, fatal: bool) {
    let (failures, prompt) = state.unlock_memory.take().unwrap_or_default();
    let failures = failures + 1;
    if fatal || failures >= MAX_UNLOCK_TRIES {
        let text = if fatal {
            message
        } else {
            format!(
                "{message}. That was the {MAX_UNLOCK_TRIES}rd wrong passphrase: sotto stops here. \
                 Every failed attempt is recorded in the vault's audit log ('sotto view' shows them)."
            )
        };
        state.exit = Some((crate::model::ExitStatus::UnlockFailed, Some(text)));
        return;
    }
    state.screen = Screen::Unlock(UnlockForm {
        failures,
        error: Some(format!(
            "{message}. {} more {} before sotto exits.",
            MAX_UNLOCK_TRIES - failures,
            if MAX_UNLOCK_TRIES - failures == 1 {
                "try"
            } else {
                "tries"
            }
        )),
        prompt,
        ..Default::default()
    });
}

/// Shows the opened conversation; false when the answer is stale.
pub(super) fn open_conversation(
    state: &mut State,
    id: crate::store::ConversationId,
    mut entries: Vec<Entry>,
    damaged: usize,
) -> bool {
    // Only the answer to the latest request counts: the user may have moved
    // on (to a new conversation, or deleted this one) since asking.
    if state.opening != Some(id) || state.streaming.is_some() || state.sending {
        return false;
    }
    state.opening = None;
    let jump = state.pending_jump.take();
    mark_superseded(&mut entries);
    let history: Vec<String> = entries
        .iter()
        .filter(|e| e.role == crate::store::Role::User)
        .map(|e| e.text.clone())
        .collect();
    state.editor.set_history(history);
    state.current = Some(id);
    state.current_in_memory = state.memory_conversations.contains(&id);
    state.set_entries(entries);
    if let Some(i) = state.conversations.iter().position(|c| c.id == id) {
        state.sidebar_selected = i;
    }
    if let Some((conversation, seq)) = jump
        && conversation == id
    {
        if state.entries.iter().any(|e| e.seq == Some(seq)) {
            scroll::jump_to_seq(state, seq);
        } else {
            // In the older messages still to come.
            state.pending_jump = Some((conversation, seq));
        }
    }
    if damaged > 0 {
        state.error(format!(
            "{damaged} message(s) of this conversation cannot be read; 'sotto verify' lists them"
        ));
    }
    true
}

/// The older messages of the conversation that opened with its newest page.
pub(super) fn history_arrived(
    state: &mut State,
    id: crate::store::ConversationId,
    older: Vec<Entry>,
    map: crate::redact::mask::RedactionMap,
    damaged: usize,
) {
    if state.history_pending != Some(id) || state.current != Some(id) {
        return;
    }
    // Oldest first, as the map was built.
    let mut whole = map;
    whole.absorb(&state.redaction_map);
    state.redaction_map = whole;
    let mut history: Vec<String> = older
        .iter()
        .filter(|e| e.role == crate::store::Role::User)
        .map(|e| e.text.clone())
        .collect();
    history.extend(
        state
            .entries
            .iter()
            .filter(|e| e.role == crate::store::Role::User)
            .map(|e| e.text.clone()),
    );
    state.editor.set_history(history);
    state.prepend_history(older);
    if let Some((conversation, seq)) = state.pending_jump.take()
        && conversation == id
    {
        scroll::jump_to_seq(state, seq);
    }
    if damaged > 0 {
        state.error(format!(
            "{damaged} older message(s) of this conversation cannot be read; 'sotto verify' lists them"
        ));
    }
}

pub(super) fn store_failed(state: &mut State, what: &str, message: String) -> Vec<Effect> {
    let mut effects = Vec::new();
    if what == "open the conversation" {
        state.opening = None;
    }
    if what == "checkpoint" && state.streaming.is_some() {
        // A reply that cannot be saved must not keep arriving.
        effects = reply::cancel(state);
    }
    state.error(format!("could not {what}: {message}"));
    effects
}
