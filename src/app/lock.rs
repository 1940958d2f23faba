//! Locking while open (`/lock`, or after the configured idle time): a
//! streaming reply is stopped (what arrived is kept), the decrypted history,
//! titles, the draft and the placeholder map leave the state, the runtime
//! drops the vault's keys and the backends (which may hold API keys from the
//! vault), and the unlock screen comes back.

use super::editor::Editor;
use super::msg::Effect;
use super::send;
use super::state::{Screen, State, UnlockForm};

/// Locks now. `why` is shown on the unlock screen.
pub fn lock(state: &mut State, why: &str) -> Vec<Effect> {
    let mut effects = send::cancel(state);
    state.conversations.clear();
    state.memory_conversations.clear();
    state.current_in_memory = false;
    state.current = None;
    state.opening = None;
    state.pending_jump = None;
    state.set_entries(Vec::new());
    state.editor = Editor::default();
    state.redaction_map = Default::default();
    state.popup = None;
    state.notice = None;
    state.lock_reason = Some(why.to_owned());
    state.screen = Screen::Working {
        text: "Locking…".into(),
        can_cancel: false,
    };
    effects.push(Effect::Lock);
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
