//! The first chat frame drawn from the startup record while the database
//! opens (`model::startup_screen`). It is a picture, not yet the chat: the
//! keys, pastes and wheel turns that arrive while it shows are held, and go
//! through the chat once the chat is as it would be for anyone typing: the
//! newest conversation opened for real and the backend's consent known.
//! So nothing acts on a conversation the store has not opened, and no held
//! Enter asks for a consent that is already given. Replaying stops at the
//! first question that opens (consent, a review of what redaction found):
//! keys typed blind never answer one. Ctrl-C with nothing typed quits at
//! once, as the chat would; an unlock that fails after all takes the
//! picture, and what was typed at it, away.

use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

use super::keys;
use super::store_events::open_conversation;
use super::update;
use crate::model::editor::Editor;
use crate::model::msg::{Effect, Msg};
use crate::model::startup_screen::{Preview, Remembered, StartupScreen};
use crate::model::state::{Screen, State};

/// Shows the record's screen. Only while the unlock is still running: any
/// other screen (a late record after a failure) stays as it is.
pub(super) fn show(state: &mut State, screen: StartupScreen) -> Vec<Effect> {
    if !matches!(state.screen, Screen::Working { .. }) || state.preview.is_some() {
        return Vec::new();
    }
    let StartupScreen {
        conversations,
        newest,
        remembered: Remembered {
            theme,
            backend,
            redaction,
        },
        ..
    } = screen;
    state.preview = Some(Preview {
        held: Vec::new(),
        opened: false,
        conversation_settled: false,
        consent_settled: false,
        backend_before: state.backend.clone(),
        redaction_before: state.redaction,
    });
    state.screen = Screen::Chat;
    state.conversations = conversations;
    // Silently: the real opening says so if the remembered one is gone.
    if let Some(choice) = backend
        .filter(|_| !state.backend_pinned)
        .and_then(|name| state.backends.iter().find(|b| b.name == name).cloned())
    {
        state.backend = crate::model::state::ActiveBackend::chosen(choice);
    }
    if let Some(mode) = redaction.and_then(|m| m.parse().ok()) {
        state.redaction = mode;
    }
    if let Some(page) = newest {
        state.opening = Some(page.id);
        if open_conversation(state, page.id, page.entries, 0) {
            state.redaction_map = page.map;
            state.history_pending = page.older.then_some(page.id);
        }
    }
    match theme.filter(|n| *n != state.theme.name) {
        Some(name) => vec![Effect::LoadTheme { name, chosen: false }],
        None => Vec::new(),
    }
}

/// Whether input is being held for the real chat.
pub(super) fn holding(state: &State) -> bool {
    state.preview.is_some()
}

/// Holds a key, paste or wheel turn for the real chat. Ctrl-C with nothing
/// held quits at once (nothing can be lost yet), so a store that never
/// answers cannot keep anyone in; after typed keys it is held like them.
pub(super) fn hold(state: &mut State, msg: Msg) -> Vec<Effect> {
    let Some(preview) = &mut state.preview else {
        return Vec::new();
    };
    let ctrl_c = matches!(&msg, Msg::Key(key)
        if key.kind != KeyEventKind::Release
            && key.modifiers.contains(KeyModifiers::CONTROL)
            && key.code == KeyCode::Char('c'));
    if ctrl_c && preview.held.is_empty() {
        state.preview = None;
        return keys::quit(state);
    }
    preview.held.push(msg);
    Vec::new()
}

/// `VaultOpened` came (after `opened` made the chat): the conversation is
/// settled now if there is none to open.
pub(super) fn vault_opened(state: &mut State) -> Vec<Effect> {
    let nothing_to_open = state.opening.is_none();
    if let Some(preview) = &mut state.preview {
        preview.opened = true;
        preview.conversation_settled |= nothing_to_open;
    }
    end_if_settled(state)
}

/// The newest conversation opened for real.
pub(super) fn conversation_opened(state: &mut State) -> Vec<Effect> {
    if let Some(preview) = &mut state.preview {
        preview.conversation_settled = true;
    }
    end_if_settled(state)
}

/// Consent for `backend` is known.
pub(super) fn consent_known(state: &mut State, backend: &str) -> Vec<Effect> {
    let active = state.backend.choice.name == backend;
    if let Some(preview) = &mut state.preview {
        preview.consent_settled |= active;
    }
    end_if_settled(state)
}

/// A job failed. If it is one the picture waits for, waiting ends; a
/// conversation that did not open leaves the picture too.
pub(super) fn store_failed(state: &mut State, what: &str) -> Vec<Effect> {
    if state.preview.is_none() {
        return Vec::new();
    }
    match what {
        "open the conversation" => {
            forget_conversation(state);
            if let Some(preview) = &mut state.preview {
                preview.conversation_settled = true;
            }
        }
        "read the consent" => {
            if let Some(preview) = &mut state.preview {
                preview.consent_settled = true;
            }
        }
        _ => {}
    }
    end_if_settled(state)
}

/// Replays what was held once the chat is what anyone typing would meet.
fn end_if_settled(state: &mut State) -> Vec<Effect> {
    let settled = state
        .preview
        .as_ref()
        .is_some_and(|p| p.opened && p.conversation_settled && p.consent_settled);
    if !settled {
        return Vec::new();
    }
    let held = state.preview.take().map(|p| p.held).unwrap_or_default();
    let mut effects = Vec::new();
    for msg in held {
        if state.popup.is_some() || state.exit.is_some() {
            // A question opened (or the chat ended): what follows was typed
            // without seeing it, and must not answer it.
            break;
        }
        effects.extend(update(state, msg).0);
    }
    effects
}

/// The unlock failed after all (the database is damaged, or the vault
/// locked): the picture goes, with what was typed at it, and the backend
/// and redaction mode it chose are put back.
pub(super) fn abandon(state: &mut State) {
    let Some(preview) = state.preview.take() else {
        return;
    };
    state.conversations.clear();
    forget_conversation(state);
    state.editor = Editor::default();
    state.backend = preview.backend_before;
    state.redaction = preview.redaction_before;
}

/// The picture's conversation leaves the screen.
fn forget_conversation(state: &mut State) {
    state.current = None;
    state.opening = None;
    state.set_entries(Vec::new());
    state.redaction_map = Default::default();
    state.editor.set_history(Vec::new());
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::model::msg::StoreJob;
    use crate::model::startup_screen::NewestPage;
    use crate::model::state::tests_support::{chat_state, local_choice, remote_choice};
    use crate::model::state::{ActiveBackend, ConversationItem, Entry, Popup};
    use crate::redact::mask::RedactionMap;
    use crate::store::{ConversationId, MessageMeta, Role};
    use crate::time::Timestamp;

    fn entry(seq: u64, role: Role, text: &str) -> Entry {
        let at = Timestamp::from_unix_ms(1_000);
        Entry::with_meta(seq, role, at, text.into(), &MessageMeta::default())
    }

    fn last_time() -> Vec<Entry> {
        vec![
            entry(0, Role::User, "question from last time"),
            entry(1, Role::Assistant, "its answer"),
        ]
    }

    fn item(id: ConversationId) -> ConversationItem {
        ConversationItem::created(id, "newest", Timestamp::from_unix_ms(1_000))
    }

    /// The unlock screen, then the record's picture of one conversation,
    /// which remembers `backend`.
    fn previewing(id: ConversationId, backend: &str) -> State {
        let mut state = chat_state();
        state.screen = Screen::Working {
            text: "Unlocking…".into(),
            can_cancel: true,
        };
        let page = NewestPage {
            id,
            entries: last_time(),
            map: RedactionMap::default(),
            older: false,
        };
        let screen = StartupScreen::new(
            vec![item(id)],
            Some(page),
            Remembered {
                backend: Some(backend.into()),
                ..Remembered::default()
            },
            None,
        );
        update(&mut state, Msg::Preview(Box::new(screen)));
        state
    }

    fn vault_opened(conversations: Vec<ConversationItem>, backend: &str) -> Msg {
        crate::update::tests::vault_opened_listing(conversations, Some(backend))
    }

    fn conversation_opened(id: ConversationId) -> Msg {
        Msg::ConversationOpened {
            id,
            entries: last_time(),
            map: RedactionMap::default(),
            damaged: 0,
            history_pending: false,
        }
    }

    fn consent(backend: &str, given: bool) -> Msg {
        Msg::ConsentKnown {
            backend: backend.into(),
            given,
        }
    }

    fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
        update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))).0
    }

    fn type_text(state: &mut State, text: &str) {
        for c in text.chars() {
            assert!(press(state, KeyCode::Char(c)).is_empty());
        }
    }

    fn sent(effects: &[Effect]) -> Option<(Option<ConversationId>, Option<String>)> {
        effects.iter().find_map(|e| match e {
            Effect::Store(StoreJob::Send { conversation, text, .. }) => Some((*conversation, text.clone())),
            _ => None,
        })
    }

    #[test]
    fn keys_typed_at_the_startup_picture_reach_the_real_chat_once_it_has_opened() {
        let id = ConversationId::random();
        let mut state = previewing(id, "local");
        assert!(matches!(state.screen, Screen::Chat));
        assert_eq!(state.current, Some(id));
        let texts: Vec<&str> = state.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["question from last time", "its answer"]);

        // Typed while the database opens: held, nothing acts yet.
        type_text(&mut state, "more");
        assert!(press(&mut state, KeyCode::Enter).is_empty());
        assert_eq!(state.editor.text(), "", "nothing reached the picture's composer");

        let effects = update(&mut state, vault_opened(vec![item(id)], "local")).0;
        assert_eq!(sent(&effects), None);
        let effects = update(&mut state, conversation_opened(id)).0;
        assert_eq!(sent(&effects), None, "held until consent is known too");
        assert!(state.preview.is_some());

        let effects = update(&mut state, consent("local", false)).0;
        assert!(state.preview.is_none());
        assert_eq!(sent(&effects), Some((Some(id), Some("more".to_owned()))), "{effects:?}");
    }

    #[test]
    fn a_held_enter_sends_to_a_remote_backend_whose_consent_is_stored_without_asking_again() {
        let id = ConversationId::random();
        let mut state = previewing(id, "cloud");
        assert_eq!(state.backend.choice.name, "cloud");
        type_text(&mut state, "hi");
        press(&mut state, KeyCode::Enter);
        update(&mut state, vault_opened(vec![item(id)], "cloud"));
        update(&mut state, conversation_opened(id));
        let effects = update(&mut state, consent("cloud", true)).0;
        assert!(state.popup.is_none(), "no question about a consent already given");
        assert_eq!(sent(&effects), Some((Some(id), Some("hi".to_owned()))), "{effects:?}");
    }

    #[test]
    fn keys_typed_blind_never_answer_the_consent_question_a_held_enter_opens() {
        let id = ConversationId::random();
        let mut state = previewing(id, "cloud");
        type_text(&mut state, "hi");
        press(&mut state, KeyCode::Enter);
        type_text(&mut state, "yes please");
        update(&mut state, vault_opened(vec![item(id)], "cloud"));
        update(&mut state, conversation_opened(id));
        let effects = update(&mut state, consent("cloud", false)).0;
        assert!(
            matches!(state.popup, Some(Popup::Confirm { .. })),
            "the question is asked"
        );
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Store(StoreJob::GiveConsent { .. } | StoreJob::Send { .. }))),
            "the held 'y' did not answer it: {effects:?}"
        );
        assert!(!state.backend.consented);
    }

    #[test]
    fn a_damaged_vault_after_the_picture_takes_the_picture_and_its_choices_away() {
        let id = ConversationId::random();
        let mut state = previewing(id, "cloud");
        type_text(&mut state, "x");
        update(
            &mut state,
            Msg::VaultDamaged {
                message: "the database is damaged".into(),
                needs_passphrase: true,
            },
        );
        assert!(state.preview.is_none());
        assert!(matches!(state.screen, Screen::Unlock(_)));
        assert!(state.conversations.is_empty());
        assert_eq!(state.current, None);
        assert!(state.entries.is_empty());
        assert_eq!(state.editor.text(), "");
        assert_eq!(
            state.backend,
            ActiveBackend::chosen(local_choice()),
            "the remembered backend is put back"
        );
    }

    #[test]
    fn a_newest_conversation_that_fails_to_open_leaves_the_picture_and_the_held_keys_go_on() {
        let id = ConversationId::random();
        let mut state = previewing(id, "local");
        type_text(&mut state, "draft");
        update(&mut state, vault_opened(vec![item(id)], "local"));
        update(
            &mut state,
            Msg::StoreFailed {
                what: "open the conversation".into(),
                message: "it is damaged".into(),
            },
        );
        assert_eq!(state.current, None);
        assert!(
            state.entries.is_empty(),
            "nothing of the picture stays as if it were read"
        );
        assert_eq!(state.history_pending, None);
        update(&mut state, consent("local", false));
        assert!(state.preview.is_none());
        assert_eq!(state.editor.text(), "draft");
    }

    #[test]
    fn another_failure_while_the_vault_opens_does_not_end_the_wait() {
        let id = ConversationId::random();
        let mut state = previewing(id, "local");
        type_text(&mut state, "a");
        update(&mut state, vault_opened(vec![item(id)], "local"));
        update(
            &mut state,
            Msg::StoreFailed {
                what: "enforce retention".into(),
                message: "disk full".into(),
            },
        );
        update(&mut state, consent("local", false));
        assert!(state.preview.is_some(), "the conversation has not opened yet");
        update(&mut state, conversation_opened(id));
        assert!(state.preview.is_none());
        assert_eq!(state.editor.text(), "a");
    }

    #[test]
    fn ctrl_c_at_the_picture_quits_at_once_unless_something_was_typed() {
        let ctrl_c = || Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        let mut state = previewing(ConversationId::random(), "local");
        let (effects, _) = update(&mut state, ctrl_c());
        assert!(matches!(effects.as_slice(), [Effect::Quit]), "{effects:?}");
        assert_eq!(state.exit, Some((crate::model::ExitStatus::Ok, None)));

        let mut state = previewing(ConversationId::random(), "local");
        type_text(&mut state, "a draft");
        let (effects, _) = update(&mut state, ctrl_c());
        assert!(effects.is_empty());
        assert_eq!(state.exit, None, "held like the keys before it: the chat decides");
    }

    #[test]
    fn a_record_arriving_after_the_unlock_screen_has_gone_changes_nothing() {
        let mut state = chat_state();
        let id = ConversationId::random();
        let page = NewestPage {
            id,
            entries: last_time(),
            map: RedactionMap::default(),
            older: false,
        };
        let screen = StartupScreen::new(Vec::new(), Some(page), Remembered::default(), None);
        update(&mut state, Msg::Preview(Box::new(screen)));
        assert!(state.preview.is_none());
        assert_eq!(state.current, None);
    }

    #[test]
    fn an_empty_vault_ends_the_picture_once_consent_is_known() {
        let mut state = chat_state();
        state.screen = Screen::Working {
            text: "Unlocking…".into(),
            can_cancel: true,
        };
        let screen = StartupScreen::new(Vec::new(), None, Remembered::default(), None);
        update(&mut state, Msg::Preview(Box::new(screen)));
        type_text(&mut state, "a");
        update(&mut state, vault_opened(Vec::new(), "local"));
        assert!(state.preview.is_some());
        update(&mut state, consent("local", false));
        assert!(state.preview.is_none());
        assert_eq!(state.editor.text(), "a");
    }

    #[test]
    fn a_remote_backend_chosen_last_time_shows_in_the_picture() {
        let state = previewing(ConversationId::random(), "cloud");
        assert_eq!(state.backend, ActiveBackend::chosen(remote_choice()));
    }
}
