//! Keys on the screens before the chat: the first-run welcome (a passphrase
//! twice, judged live by the strength estimator), the backend choice after
//! the vault is created, and the unlock screen.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::crypto::passphrase;
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::{Screen, State, WelcomeForm};

/// Words that make a passphrase weaker when it contains them.
const CONTEXT_WORDS: &[&str] = &["sotto", "vault", "passphrase", "password"];

pub fn rate_passphrase(form: &mut WelcomeForm) {
    form.strength = (!form.passphrase.is_empty()).then(|| passphrase::assess(&form.passphrase.secret(), CONTEXT_WORDS));
}

fn quit_unchanged(state: &mut State, message: &str) -> Vec<Effect> {
    state.exit = Some((crate::model::ExitStatus::Ok, Some(message.to_owned())));
    vec![Effect::Quit]
}

pub fn welcome_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')) {
        return quit_unchanged(state, "No vault was created; nothing was written.");
    }
    let Screen::Welcome(form) = &mut state.screen else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => form.focus = 1 - form.focus,
        KeyCode::Backspace => {
            if form.focus == 0 {
                form.passphrase.pop();
                rate_passphrase(form);
            } else {
                form.confirm.pop();
            }
        }
        KeyCode::Char('u') if ctrl => {
            if form.focus == 0 {
                form.passphrase.clear();
                rate_passphrase(form);
            } else {
                form.confirm.clear();
            }
        }
        KeyCode::Enter => return welcome_enter(state),
        KeyCode::Char(c) if !ctrl => {
            form.error = None;
            if form.focus == 0 {
                form.passphrase.push(c);
                rate_passphrase(form);
            } else {
                form.confirm.push(c);
            }
        }
        _ => {}
    }
    Vec::new()
}

fn welcome_enter(state: &mut State) -> Vec<Effect> {
    let Screen::Welcome(form) = &mut state.screen else {
        return Vec::new();
    };
    let acceptable = form.strength.as_ref().is_some_and(|s| s.is_acceptable());
    if !acceptable {
        form.error = Some(match &form.strength {
            None => "Type a passphrase first.".into(),
            Some(strength) => format!(
                "Not strong enough yet. {} Four or five random words work well.",
                strength.advice()
            ),
        });
        // A refused passphrase leaves the fields empty: what is typed next
        // is a new passphrase, not more of the refused one.
        start_over(form);
        return Vec::new();
    }
    if form.focus == 0 {
        form.focus = 1;
        return Vec::new();
    }
    if !form.passphrase.matches(&form.confirm) {
        form.error = Some("The two passphrases differ. Type the same one twice.".into());
        start_over(form);
        return Vec::new();
    }
    let secret = form.passphrase.secret();
    state.screen = Screen::Working {
        text: "Creating your vault (deriving the key from your passphrase)…".into(),
        can_cancel: false,
    };
    vec![Effect::Store(StoreJob::CreateVault(secret))]
}

/// Empties both fields and puts the cursor in the first; the error stays.
fn start_over(form: &mut WelcomeForm) {
    form.passphrase.clear();
    form.confirm.clear();
    form.focus = 0;
    rate_passphrase(form);
}

pub fn unlock_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')) {
        return quit_unchanged(state, "The vault stays locked.");
    }
    let Screen::Unlock(form) = &mut state.screen else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Backspace => form.passphrase.pop(),
        KeyCode::Char('u') if ctrl => form.passphrase.clear(),
        KeyCode::Enter if form.repair && (form.no_passphrase || !form.passphrase.is_empty()) => {
            let secret = (!form.no_passphrase).then(|| form.passphrase.secret());
            form.passphrase.clear();
            state.unlock_memory = Some((form.failures, form.prompt.clone()));
            state.screen = Screen::Working {
                text: "Repairing: the damaged database is kept; every record that still reads, and the newest \
                       snapshot, go into a new one…"
                    .into(),
                can_cancel: false,
            };
            return vec![Effect::Store(StoreJob::Repair(secret))];
        }
        KeyCode::Enter if form.no_passphrase => {
            state.screen = Screen::Working {
                text: "Unlocking…".into(),
                can_cancel: true,
            };
            return vec![Effect::Store(StoreJob::Unlock(None))];
        }
        KeyCode::Enter if !form.passphrase.is_empty() => {
            let secret = form.passphrase.secret();
            form.passphrase.clear();
            let failures = form.failures;
            let prompt = form.prompt.clone();
            state.screen = Screen::Working {
                text: "Unlocking…".into(),
                can_cancel: true,
            };
            state.unlock_memory = Some((failures, prompt));
            return vec![Effect::Store(StoreJob::Unlock(Some(secret)))];
        }
        KeyCode::Char(c) if !ctrl => {
            form.error = None;
            form.passphrase.push(c);
        }
        _ => {}
    }
    Vec::new()
}

pub fn choose_backend_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return super::keys::quit(state);
    }
    let Screen::ChooseBackend { selected } = &mut state.screen else {
        return Vec::new();
    };
    let last = state.backends.len().saturating_sub(1);
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => *selected = (*selected + 1).min(last),
        KeyCode::Enter | KeyCode::Esc => {
            let chosen = state.backends.get(*selected).cloned();
            state.screen = Screen::Chat;
            if let Some(choice) = chosen
                && choice.name != state.backend.choice.name
            {
                return super::keys::run_command(state, &format!("/backend {}", choice.name));
            }
        }
        _ => {}
    }
    Vec::new()
}
