//! The pure heart of the application: `update(state, msg)` changes the state
//! and returns the effects the runtime must carry out. No IO happens here, so
//! every behaviour is tested by feeding messages and looking at the state
//! and the effects.

mod keys;
mod lock;
mod popup_keys;
mod preview;
mod reply;
pub(crate) mod screens;
mod scroll;
pub mod send;
mod store_events;

#[cfg(test)]
mod tests;

use crate::model::msg::{Effect, Msg, StoreJob};
use crate::model::state::{Popup, Screen, State};
use store_events::{open_conversation, opened, store_failed, unlock_failed};

/// Applies `msg` to `state`. Returns the effects, and whether anything
/// visible changed (the runtime draws only then).
pub fn update(state: &mut State, msg: Msg) -> (Vec<Effect>, bool) {
    if matches!(msg, Msg::Key(_) | Msg::Paste(_) | Msg::Mouse(_)) && preview::holding(state) {
        let effects = preview::hold(state, msg);
        let quitting = !effects.is_empty();
        return (effects, quitting);
    }
    match msg {
        Msg::Preview(screen) => (preview::show(state, *screen), true),
        Msg::Key(key) => {
            state.last_activity = state.clock;
            (keys::key(state, key), true)
        }
        Msg::Paste(text) => {
            state.last_activity = state.clock;
            keys::disarm_quit(state);
            keys::paste(state, &text);
            (Vec::new(), true)
        }
        Msg::Mouse(mouse) => {
            state.last_activity = state.clock;
            (Vec::new(), keys::mouse(state, mouse))
        }
        Msg::Resize { width, height } => {
            // A toast was placed and wrapped for the old size and has been
            // seen; it goes. An error stays its time: it says what to do.
            if (width, height) != state.viewport && state.notice.as_ref().is_some_and(|n| !n.error) {
                state.notice = None;
            }
            state.viewport = (width, height);
            (Vec::new(), true)
        }
        // Only a redraw: the chat pane lays code out again in colour.
        Msg::CodeColoursReady => (Vec::new(), true),
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
            preview::abandon(state);
            lock::locked(state, needs_passphrase, prompt);
            (Vec::new(), true)
        }
        Msg::InputFailed(message) => {
            let mut effects = reply::cancel(state);
            state.exit = Some((
                crate::model::ExitStatus::Error,
                Some(format!("cannot read the terminal: {message}")),
            ));
            effects.push(Effect::Quit);
            (effects, true)
        }
        Msg::Terminate => {
            let mut effects = reply::cancel(state);
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
            backend,
            conversations,
            warnings,
            theme,
            redaction,
            retention_default,
            created,
            findings,
        } => {
            state.retention_default = retention_default;
            state.findings_waiting = findings;
            if let Some(name) = backend {
                store_events::use_remembered_backend(state, &name);
            }
            if let Some(mode) = redaction.and_then(|m| m.parse().ok()) {
                state.redaction = mode;
            }
            let mut effects = opened(state, conversations, warnings, theme, created);
            effects.extend(preview::vault_opened(state));
            (effects, true)
        }
        Msg::UnlockFailed { message, fatal } => {
            preview::abandon(state);
            unlock_failed(state, message, fatal);
            (Vec::new(), true)
        }
        Msg::VaultDamaged {
            message,
            needs_passphrase,
        } => {
            preview::abandon(state);
            store_events::vault_damaged(state, message, needs_passphrase);
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
            history_pending,
        } => {
            let mut effects = Vec::new();
            if open_conversation(state, id, entries, damaged) {
                state.redaction_map = map;
                state.history_pending = history_pending.then_some(id);
                if !history_pending {
                    // A jump to a message that is not there has nowhere to go.
                    state.pending_jump = None;
                }
                effects = preview::conversation_opened(state);
            }
            (effects, true)
        }
        Msg::ConversationHistory {
            id,
            entries,
            map,
            damaged,
        } => {
            store_events::history_arrived(state, id, entries, map, damaged);
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
            (reply::stored(state, conversation, user_seq, reply_seq, at), true)
        }
        Msg::SendFailed { message } => {
            reply::send_failed(state, &message);
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
            (preview::consent_known(state, &backend), true)
        }
        Msg::StoreFailed { what, message } => {
            let mut effects = store_failed(state, &what, message);
            effects.extend(preview::store_failed(state, &what));
            (effects, true)
        }
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
                    effects.push(scroll::open(state, id));
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
            (Vec::new(), reply::delta(state, stream, &text))
        }
        Msg::ReplyEnded { stream, result } => (reply::ended(state, stream, result), true),
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
                            name: crate::model::state::THEME_SETTING.into(),
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
    if state.notice.as_ref().is_some_and(|n| n.until <= state.clock) {
        state.notice = None;
        changed = true;
    }
    let mut effects = reply::checkpoint(state);
    if state.sweep_due() {
        state.last_sweep = state.clock;
        effects.push(Effect::Store(StoreJob::SweepRetention));
    }
    (effects, changed)
}

fn clamp_sidebar(state: &mut State) {
    state.sidebar_selected = state.sidebar_selected.min(state.conversations.len().saturating_sub(1));
}
