//! The first chat frame drawn from the startup record while the database
//! opens (`model::startup_screen`). It is a picture, not yet the chat: the
//! keys and pastes that arrive while it shows are held, and go through the
//! chat once the real conversation has replaced the picture, so nothing
//! typed is lost and nothing acts on a conversation the store has not
//! opened.

use super::store_events::open_conversation;
use super::update;
use crate::model::msg::{Effect, Msg};
use crate::model::startup_screen::StartupScreen;
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
        theme,
        backend,
        redaction,
        ..
    } = screen;
    state.preview = Some(Vec::new());
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

/// Holds a key, paste or wheel turn for the real chat. Ctrl-C too: the
/// picture looks like the chat, so it means what it means there (it quits
/// at once when nothing would be lost), a few milliseconds later.
pub(super) fn hold(state: &mut State, msg: Msg) {
    if let Some(held) = &mut state.preview {
        held.push(msg);
    }
}

/// The real chat has replaced the picture: what was held goes through it,
/// in order.
pub(super) fn end(state: &mut State) -> Vec<Effect> {
    let Some(held) = state.preview.take() else {
        return Vec::new();
    };
    let mut effects = Vec::new();
    for msg in held {
        effects.extend(update(state, msg).0);
    }
    effects
}

/// The unlock failed after all (or the vault locked): the picture and what
/// was typed at it go.
pub(super) fn abandon(state: &mut State) {
    state.preview = None;
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::model::msg::StoreJob;
    use crate::model::startup_screen::NewestPage;
    use crate::model::state::tests_support::chat_state;
    use crate::model::state::{ConversationItem, Entry};
    use crate::redact::mask::RedactionMap;
    use crate::store::{ConversationId, ReplyState, Role};
    use crate::time::Timestamp;

    fn entry(seq: u64, role: Role, text: &str) -> Entry {
        Entry {
            seq: Some(seq),
            role,
            at: Timestamp::from_unix_ms(1_000),
            text: text.into(),
            state: ReplyState::Complete,
            backend: None,
            first_code: 0,
            superseded: false,
            replaces: None,
            sent: None,
            withheld: 0,
        }
    }

    fn last_time() -> Vec<Entry> {
        vec![
            entry(0, Role::User, "question from last time"),
            entry(1, Role::Assistant, "its answer"),
        ]
    }

    /// The unlock screen, then the record's picture of one conversation.
    fn previewing(id: ConversationId) -> State {
        let mut state = chat_state();
        state.screen = Screen::Working {
            text: "Unlocking…".into(),
            can_cancel: true,
        };
        let item = ConversationItem::created(id, "newest", Timestamp::from_unix_ms(1_000));
        let page = NewestPage {
            id,
            entries: last_time(),
            map: RedactionMap::default(),
            older: false,
        };
        let screen = StartupScreen::new(vec![item], Some(page), [None, None, None], None);
        update(&mut state, Msg::Preview(Box::new(screen)));
        state
    }

    fn vault_opened(id: ConversationId) -> Msg {
        Msg::VaultOpened {
            backend: None,
            conversations: vec![ConversationItem::created(id, "newest", Timestamp::from_unix_ms(1_000))],
            warnings: Vec::new(),
            theme: None,
            redaction: None,
            retention_default: None,
            created: false,
            findings: 0,
        }
    }

    fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
        update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))).0
    }

    #[test]
    fn keys_typed_at_the_startup_picture_reach_the_real_chat_once_it_has_opened() {
        let id = ConversationId::random();
        let mut state = previewing(id);
        assert!(matches!(state.screen, Screen::Chat));
        assert_eq!(state.current, Some(id));
        let texts: Vec<&str> = state.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["question from last time", "its answer"]);

        // Typed while the database opens: held, nothing acts yet.
        for c in "more".chars() {
            assert!(press(&mut state, KeyCode::Char(c)).is_empty());
        }
        assert!(press(&mut state, KeyCode::Enter).is_empty());
        assert_eq!(state.editor.text(), "", "nothing reached the picture's composer");

        let effects = update(&mut state, vault_opened(id)).0;
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Store(StoreJob::Send { .. })))
        );
        assert!(state.preview.is_some(), "held until the conversation itself is there");

        let (effects, _) = update(
            &mut state,
            Msg::ConversationOpened {
                id,
                entries: last_time(),
                map: RedactionMap::default(),
                damaged: 0,
                history_pending: false,
            },
        );
        assert!(state.preview.is_none());
        let sent = effects.iter().find_map(|e| match e {
            Effect::Store(StoreJob::Send { conversation, text, .. }) => Some((*conversation, text.clone())),
            _ => None,
        });
        assert_eq!(sent, Some((Some(id), Some("more".to_owned()))), "{effects:?}");
    }

    #[test]
    fn a_failed_unlock_drops_the_picture_and_what_was_typed_at_it() {
        let id = ConversationId::random();
        let mut state = previewing(id);
        press(&mut state, KeyCode::Char('x'));
        update(
            &mut state,
            Msg::UnlockFailed {
                message: "the database is gone".into(),
                fatal: true,
            },
        );
        assert!(state.preview.is_none());
        assert_eq!(state.editor.text(), "");
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
        let screen = StartupScreen::new(Vec::new(), Some(page), [None, None, None], None);
        update(&mut state, Msg::Preview(Box::new(screen)));
        assert!(state.preview.is_none());
        assert_eq!(state.current, None);
    }

    #[test]
    fn an_empty_vault_ends_the_picture_at_its_opening() {
        let mut state = chat_state();
        state.screen = Screen::Working {
            text: "Unlocking…".into(),
            can_cancel: true,
        };
        let screen = StartupScreen::new(Vec::new(), None, [None, None, None], None);
        update(&mut state, Msg::Preview(Box::new(screen)));
        press(&mut state, KeyCode::Char('a'));
        let mut opened = vault_opened(ConversationId::random());
        if let Msg::VaultOpened { conversations, .. } = &mut opened {
            conversations.clear();
        }
        update(&mut state, opened);
        assert!(state.preview.is_none());
        assert_eq!(state.editor.text(), "a");
    }
}
