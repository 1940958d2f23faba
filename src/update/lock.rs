//! Locking while open (`/lock`, or after the configured idle time): a
//! streaming reply is stopped (what arrived is kept), the decrypted history,
//! titles, the draft, the placeholder map, a request waiting to be sent and
//! any popup leave the state (overwritten as they go), the runtime drops the
//! vault's keys and the backends (which may hold API keys from the vault),
//! and the unlock screen comes back. Drawing that screen empties the chat
//! pane's layout cache (`ui::chat::ChatCache::forget`).

use zeroize::Zeroize;

use super::reply;
use crate::model::editor::Editor;
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::{Screen, State, UnlockForm};

/// Locks now. `why` is shown on the unlock screen.
pub fn lock(state: &mut State, why: &str) -> Vec<Effect> {
    let mut effects = reply::cancel(state);
    state.conversations.clear();
    state.memory_conversations.clear();
    state.current_in_memory = false;
    state.current = None;
    state.opening = None;
    state.pending_jump = None;
    state.set_entries(Vec::new());
    state.editor = Editor::default();
    state.redaction_map = Default::default();
    // A request prepared for a send the store has not answered yet.
    state.pending_request = None;
    if let Some(popup) = &mut state.popup {
        popup.forget();
    }
    state.popup = None;
    if let Some(notice) = &mut state.notice {
        notice.text.zeroize();
    }
    state.notice = None;
    state.lock_reason = Some(why.to_owned());
    state.screen = Screen::Working {
        text: "Locking…".into(),
        can_cancel: false,
    };
    effects.push(Effect::Store(StoreJob::Lock));
    effects
}

/// The store has closed the vault: ask for the passphrase again.
pub fn locked(state: &mut State, needs_passphrase: bool, prompt: String) {
    state.screen = Screen::Unlock(UnlockForm {
        prompt,
        no_passphrase: !needs_passphrase,
        error: state.lock_reason.take(),
        ..Default::default()
    });
}

/// On a tick: lock if the user has been away longer than allowed.
pub fn maybe_auto_lock(state: &mut State) -> Vec<Effect> {
    let idle = state.clock.as_unix_ms() - state.last_activity.as_unix_ms();
    if state.auto_lock_ms > 0
        && !state.incognito
        && matches!(state.screen, Screen::Chat)
        && !state.is_streaming()
        && !state.sending
        && state.last_activity.as_unix_ms() > 0
        && idle >= state.auto_lock_ms
    {
        let minutes = state.auto_lock_ms / 60_000;
        return lock(state, &format!("Locked after {minutes} minutes without activity."));
    }
    Vec::new()
}
