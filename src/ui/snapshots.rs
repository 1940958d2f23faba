//! Snapshot tests of the main screens at 80x24 and 120x40, drawn with
//! ratatui's TestBackend from states built the way `update` builds them, and
//! a sweep of tiny sizes that must never panic.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::chat::ChatCache;
use crate::model::msg::Msg;
use crate::model::state::tests_support::{chat_state, remote_choice};
use crate::model::state::{
    ConfirmAction, ConversationItem, Entry, Popup, Screen, SearchHit, SecretField, State, UnlockForm, WelcomeForm,
};
use crate::store::{ConversationId, ReplyState, Role};
use crate::time::Timestamp;
use crate::update::update;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn draw(state: &mut State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    let mut cache = ChatCache::default();
    if matches!(state.screen, Screen::Chat) {
        let (w, h) = crate::model::layout::pane_size(ratatui::layout::Rect::new(0, 0, width, height), state);
        let (follow, anchor) = cache.resolve_scroll(state, w, h);
        update(state, Msg::ScrollResolved { follow, anchor });
    }
    terminal
        .draw(|frame| super::draw(frame, state, &mut cache))
        .expect("draws");
    terminal
}

fn snapshot(name: &str, make: impl Fn() -> State) {
    for (width, height) in SIZES {
        let mut state = make();
        let terminal = draw(&mut state, width, height);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
    }
}

fn id(n: u8) -> ConversationId {
    ConversationId::from_bytes([n; 16])
}

fn entry(seq: u64, role: Role, text: &str) -> Entry {
    Entry {
        seq: Some(seq),
        role,
        at: Timestamp::from_unix_ms(1_795_000_000_000),
        text: text.into(),
        state: ReplyState::Complete,
        backend: (role == Role::Assistant).then(|| "local".into()),
        first_code: 1,
        superseded: false,
        sent: None,
        withheld: 0,
        replaces: None,
    }
}

const REPLY: &str = "## Exporting your data\n\
Use **`sotto export`** to take *everything* with you. Steps:\n\
1. Run the command.\n\
2. Keep the file somewhere safe; see [the docs](https://example.org/export).\n\
> Exports are encrypted to your vault's own key by default.\n\
```sh\nsotto export --armor > backup.age\n```\n\
A hostile reply cannot clear your screen: \u{1b}[2J or hide text \u{202e}like this.";

fn conversation_state() -> State {
    let mut state = chat_state();
    state.conversations = vec![
        ConversationItem {
            id: id(1),
            title: "Taking my data with me".into(),
            updated: Timestamp::from_unix_ms(1_795_000_000_000),
            message_count: 2,
            retention: None,
        },
        ConversationItem {
            id: id(2),
            title: "Passphrase advice \u{1b}]0;evil title\u{7}".into(),
            updated: Timestamp::from_unix_ms(1_794_000_000_000),
            message_count: 4,
            retention: None,
        },
    ];
    state.opening = Some(id(1));
    update(
        &mut state,
        Msg::ConversationOpened {
            id: id(1),
            entries: vec![
                entry(0, Role::User, "How do I export my conversations?"),
                entry(1, Role::Assistant, REPLY),
            ],
            map: Default::default(),
            damaged: 0,
            history_pending: false,
        },
    );
    state
}

#[test]
fn welcome_screen() {
    snapshot("welcome", || {
        let mut state = chat_state();
        state.screen = Screen::Welcome(WelcomeForm::default());
        state
    });
}

#[test]
fn welcome_screen_with_a_weak_passphrase_typed() {
    snapshot("welcome_weak", || {
        let mut state = chat_state();
        let mut form = WelcomeForm::default();
        for c in "password1".chars() {
            form.passphrase.push(c);
        }
        crate::update::screens::rate_passphrase(&mut form);
        state.screen = Screen::Welcome(form);
        state
    });
}

#[test]
fn unlock_screen_after_a_wrong_passphrase() {
    snapshot("unlock", || {
        let mut state = chat_state();
        let mut passphrase = SecretField::default();
        passphrase.push('x');
        state.screen = Screen::Unlock(UnlockForm {
            passphrase,
            failures: 1,
            error: Some("That passphrase is not the right one. 2 more tries before sotto exits.".into()),
            prompt: String::new(),
            no_passphrase: false,
            repair: false,
        });
        state
    });
}

#[test]
fn the_repair_screen_when_the_database_will_not_open() {
    snapshot("repair", || {
        let mut state = chat_state();
        state.screen = Screen::Unlock(UnlockForm {
            error: Some(
                "the storage engine found corrupted data and stopped; nothing more was changed. Repairing moves the \
                 damaged database aside (it is kept), rebuilds the vault from every record that still reads and the \
                 newest snapshot, and says what came back and what is lost"
                    .into(),
            ),
            repair: true,
            ..Default::default()
        });
        state
    });
}

#[test]
fn chat_with_markdown_sidebar_and_status() {
    snapshot("chat", conversation_state);
}

#[test]
fn chat_while_a_reply_streams() {
    snapshot("streaming", || {
        let mut state = conversation_state();
        let mut reply = entry(2, Role::Assistant, "Half a sentence, still arr");
        reply.state = ReplyState::Streaming;
        state.entries.push(reply);
        state.streaming = Some(crate::model::state::Streaming {
            stream: 1,
            conversation: Some(id(1)),
            entry: 2,
            seq: Some(2),
            checkpointed: 0,
            checkpointed_at: state.clock,
        });
        state
    });
}

#[test]
fn help_popup() {
    snapshot("help", || {
        let mut state = conversation_state();
        state.popup = Some(Popup::Help { scroll: 0 });
        state
    });
}

#[test]
fn command_completion_popup() {
    snapshot("completion", || {
        let mut state = conversation_state();
        state.editor.insert("/re");
        state
    });
}

#[test]
fn consent_dialog_for_a_remote_backend() {
    snapshot("consent", || {
        let mut state = conversation_state();
        state.backend.choice = remote_choice();
        state.backend.consented = false;
        state.editor.insert("my question");
        update(
            &mut state,
            Msg::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Enter)),
        );
        assert!(matches!(
            state.popup,
            Some(Popup::Confirm {
                action: ConfirmAction::TrustBackend { .. },
                ..
            })
        ));
        state
    });
}

#[test]
fn search_results() {
    snapshot("search", || {
        let mut state = conversation_state();
        state.popup = Some(Popup::Search {
            query: "export".into(),
            hits: Some(vec![SearchHit {
                conversation: id(1),
                title: "Taking my data with me".into(),
                seq: 0,
                snippet: "How do I export my conversations?".into(),
            }]),
            selected: 0,
        });
        state
    });
}

#[test]
fn resizing_down_to_one_cell_and_back_with_one_layout_cache_never_panics() {
    let mut state = conversation_state();
    state.editor.insert("a draft with 漢字 and 👨‍👩‍👧 in it");
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let mut cache = ChatCache::default();
    let sizes = (1..=120u16).rev().chain(1..=120).map(|w| (w, (w / 3).clamp(1, 40)));
    for (width, height) in sizes {
        terminal.backend_mut().resize(width, height);
        update(&mut state, Msg::Resize { width, height });
        let (w, h) = crate::model::layout::pane_size(ratatui::layout::Rect::new(0, 0, width, height), &state);
        state.scroll.pending = -2;
        let (follow, anchor) = cache.resolve_scroll(&state, w, h);
        update(&mut state, Msg::ScrollResolved { follow, anchor });
        terminal
            .draw(|frame| super::draw(frame, &state, &mut cache))
            .expect("draws");
    }
}

#[test]
fn no_size_down_to_one_cell_panics_on_any_screen() {
    let states: Vec<fn() -> State> = vec![
        conversation_state,
        || {
            let mut s = conversation_state();
            s.popup = Some(Popup::Help { scroll: 3 });
            s
        },
        || {
            let mut s = conversation_state();
            s.editor.insert("/");
            s
        },
        || {
            let mut s = chat_state();
            s.screen = Screen::Welcome(WelcomeForm::default());
            s
        },
        || {
            let mut s = chat_state();
            s.screen = Screen::Unlock(UnlockForm::default());
            s
        },
        || {
            let mut s = chat_state();
            s.screen = Screen::ChooseBackend { selected: 1 };
            s
        },
    ];
    for make in states {
        for width in 1..=40 {
            for height in 1..=12 {
                let mut state = make();
                update(&mut state, Msg::Resize { width, height });
                draw(&mut state, width, height);
            }
        }
    }
}
