//! The pure heart of the application: `update(state, msg)` changes the state
//! and returns the effects the runtime must carry out. No IO happens here, so
//! every behaviour is tested by feeding messages and looking at the state
//! and the effects.

mod keys;
mod lock;
pub(crate) mod screens;
mod scroll;
pub mod send;

#[cfg(test)]
mod tests;

use crate::model::msg::{Effect, Msg, StoreJob};
use crate::model::state::{
    ConversationItem, Entry, MAX_UNLOCK_TRIES, Popup, Screen, State, UnlockForm, mark_superseded,
};

/// Applies `msg` to `state`. Returns the effects, and whether anything
/// visible changed (the runtime draws only then).
pub fn update(state: &mut State, msg: Msg) -> (Vec<Effect>, bool) {
    match msg {
        Msg::Key(key) => {
            state.last_activity = state.clock;
            (keys::key(state, key), true)
        }
        Msg::Paste(text) => {
            state.last_activity = state.clock;
            keys::paste(state, &text);
            (Vec::new(), true)
        }
        Msg::Mouse(mouse) => {
            state.last_activity = state.clock;
            (Vec::new(), keys::mouse(state, mouse))
        }
        Msg::Resize { width, height } => {
            state.viewport = (width, height);
            (Vec::new(), true)
        }
        Msg::Tick { now } => {
            state.clock = now;
            if state.last_activity.as_unix_ms() == 0 {
                state.last_activity = now;
            }
            let locking = lock::maybe_auto_lock(state);
            if !locking.is_empty() {
                return (locking, true);
            }
            tick(state)
        }
        Msg::Locked {
            needs_passphrase,
            prompt,
        } => {
            lock::locked(state, needs_passphrase, prompt);
            (Vec::new(), true)
        }
        Msg::InputFailed(message) => {
            let mut effects = send::cancel(state);
            state.exit = Some((
                crate::model::ExitStatus::Error,
                Some(format!("cannot read the terminal: {message}")),
            ));
            effects.push(Effect::Quit);
            (effects, true)
        }
        Msg::Terminate => {
            let mut effects = send::cancel(state);
            state.exit = Some((crate::model::ExitStatus::Terminated, None));
            effects.push(Effect::Quit);
            (effects, true)
        }
        Msg::ScrollResolved { follow, anchor } => {
            let changed = state.scroll.follow != follow || state.scroll.anchor != anchor || state.scroll.pending != 0;
            state.scroll.follow = follow;
            state.scroll.anchor = anchor;
            state.scroll.pending = 0;
            (Vec::new(), changed)
        }
        Msg::VaultOpened {
            conversations,
            warnings,
            theme,
            redaction,
            retention_default,
            created,
        } => {
            state.retention_default = retention_default;
            if let Some(mode) = redaction.and_then(|m| m.parse().ok()) {
                state.redaction = mode;
            }
            (opened(state, conversations, warnings, theme, created), true)
        }
        Msg::UnlockFailed { message, fatal } => {
            unlock_failed(state, message, fatal);
            (Vec::new(), true)
        }
        Msg::CreateFailed { message } => {
            state.screen = Screen::Welcome(crate::model::state::WelcomeForm {
                error: Some(message),
                ..Default::default()
            });
            (Vec::new(), true)
        }
        Msg::ConversationsListed(list) => {
            state.conversations = list;
            clamp_sidebar(state);
            (Vec::new(), true)
        }
        Msg::ConversationOpened {
            id,
            entries,
            map,
            damaged,
        } => {
            if open_conversation(state, id, entries, damaged) {
                state.redaction_map = map;
            }
            (Vec::new(), true)
        }
        Msg::SendStored {
            conversation,
            created,
            user_seq,
            reply_seq,
            at,
        } => {
            if state.current.is_none() && state.current_in_memory {
                state.memory_conversations.push(conversation);
            }
            if let Some(item) = created {
                state.conversations.insert(0, item);
                state.sidebar_selected = 0;
            }
            (send::stored(state, conversation, user_seq, reply_seq, at), true)
        }
        Msg::SendFailed { message } => {
            send::send_failed(state, &message);
            (Vec::new(), true)
        }
        Msg::SearchDone { query, hits } => {
            if let Some(Popup::Search {
                query: shown,
                hits: slot,
                selected,
            }) = &mut state.popup
                && *shown == query
            {
                *slot = Some(hits);
                *selected = 0;
            }
            (Vec::new(), true)
        }
        Msg::ReportLoaded { title, lines } => {
            state.popup = Some(Popup::Report {
                title,
                lines,
                scroll: 0,
            });
            (Vec::new(), true)
        }
        Msg::ConsentKnown { backend, given } => {
            if state.backend.choice.name == backend {
                state.backend.consented = given || !state.backend.choice.channel.leaves_machine();
            }
            (Vec::new(), true)
        }
        Msg::StoreFailed { what, message } => (store_failed(state, &what, message), true),
        Msg::StoreRepaired(message) => {
            state.error(message);
            (Vec::new(), true)
        }
        Msg::Wiped { notice } => {
            // The store listed the conversations again just before this.
            let mut effects = Vec::new();
            if let Some(id) = state.current.filter(|_| !state.current_in_memory) {
                if state.conversations.iter().any(|c| c.id == id) {
                    // Some of its messages may be gone: load it again.
                    effects.push(Effect::Store(StoreJob::OpenConversation(id)));
                } else {
                    state.current = None;
                    state.redaction_map = Default::default();
                    state.set_entries(Vec::new());
                }
            }
            state.notify(notice);
            (effects, true)
        }
        Msg::RetentionChanged { default, notice } => {
            state.retention_default = default;
            state.notify(notice);
            (Vec::new(), true)
        }
        Msg::VaultWiped { notice } => {
            state.exit = Some((crate::model::ExitStatus::Ok, Some(notice)));
            (vec![Effect::Quit], true)
        }
        Msg::Exported { notice } => {
            state.notify(notice);
            (Vec::new(), true)
        }
        Msg::BackendReady(info) => {
            if state.backend.choice.name == info.name {
                state.backend.info = Some(info);
                state.backend.error = None;
            }
            (Vec::new(), true)
        }
        Msg::BackendNote { backend, note } => {
            state.notify(format!("backend '{backend}': {note}"));
            (Vec::new(), true)
        }
        Msg::BackendFailed { backend, message } => {
            if state.backend.choice.name == backend {
                state.backend.error = Some(message.clone());
            }
            state.error(format!("backend '{backend}' is not usable: {message}"));
            (Vec::new(), true)
        }
        Msg::Delta { stream, text } => {
            // A reply arriving is activity: no lock in the middle of it.
            state.last_activity = state.clock;
            (Vec::new(), send::delta(state, stream, &text))
        }
        Msg::ReplyEnded { stream, result } => (send::ended(state, stream, result), true),
        Msg::EditorReturned(result) => {
            match result {
                Ok(text) => state.editor.set_text(text.trim_end_matches('\n')),
                Err(message) => state.error(message),
            }
            (Vec::new(), true)
        }
        Msg::ThemeLoaded { theme, error, chosen } => {
            let name = theme.name.clone();
            state.theme = theme;
            state.generation += 1;
            let mut effects = Vec::new();
            match error {
                Some(message) => state.error(format!("{message}; using the '{name}' theme")),
                None if chosen => {
                    state.notify(format!("theme '{name}'"));
                    if !state.incognito {
                        effects.push(Effect::Store(StoreJob::SaveSetting {
                            name: "ui.theme".into(),
                            value: name,
                        }));
                    }
                }
                None => {}
            }
            (effects, true)
        }
    }
}

fn tick(state: &mut State) -> (Vec<Effect>, bool) {
    let mut changed = state.streaming.is_some();
    if let Some(notice) = &mut state.notice {
        notice.ttl = notice.ttl.saturating_sub(1);
        if notice.ttl == 0 {
            state.notice = None;
            changed = true;
        }
    }
    let mut effects = send::checkpoint(state);
    if sweep_due(state) {
        state.last_sweep = state.clock;
        effects.push(Effect::Store(StoreJob::SweepRetention));
    }
    (effects, changed)
}

/// How often retention is enforced while the vault is open.
const SWEEP_EVERY_MS: i64 = 60_000;

/// Whether a retention sweep is due: some rule can expire messages, the vault
/// is open, and the last sweep was a while ago.
fn sweep_due(state: &State) -> bool {
    let any_rule = state.retention_default.is_some()
        || state
            .conversations
            .iter()
            .any(|c| matches!(c.retention, Some(crate::store::Retention::For(_))));
    any_rule
        && !state.incognito
        && matches!(state.screen, Screen::Chat)
        && state.clock.as_unix_ms() - state.last_sweep.as_unix_ms() >= SWEEP_EVERY_MS
}

fn opened(
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
    // Open the most recent conversation, as a chat app does.
    if let Some(first) = state.conversations.first() {
        let id = first.id;
        effects.push(scroll::open(state, id));
    }
    effects
}

fn unlock_failed(state: &mut State, message: String, fatal: bool) {
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
fn open_conversation(
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
        scroll::jump_to_seq(state, seq);
    }
    if damaged > 0 {
        state.error(format!(
            "{damaged} message(s) of this conversation cannot be read; 'sotto verify' lists them"
        ));
    }
    true
}

fn store_failed(state: &mut State, what: &str, message: String) -> Vec<Effect> {
    let mut effects = Vec::new();
    if what == "open the conversation" {
        state.opening = None;
    }
    if what == "checkpoint" && state.streaming.is_some() {
        // A reply that cannot be saved must not keep arriving.
        effects = send::cancel(state);
    }
    state.error(format!("could not {what}: {message}"));
    effects
}

fn clamp_sidebar(state: &mut State) {
    state.sidebar_selected = state.sidebar_selected.min(state.conversations.len().saturating_sub(1));
}
