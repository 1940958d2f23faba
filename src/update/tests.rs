//! The application's promises, tested without IO: feed messages to `update`,
//! look at the state and the effects.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::update;
use crate::backend::{Completion, Finish};
use crate::model::msg::{Effect, Msg, RetentionChange, StoreJob};
use crate::model::state::tests_support::{chat_state, remote_choice};
use crate::model::state::{ConversationItem, Entry, Popup, Screen, State, UnlockForm, WelcomeForm};
use crate::request::ChatRole;
use crate::store::{ConversationId, ReplyState, Role};
use crate::time::Timestamp;

fn press(state: &mut State, code: KeyCode, modifiers: KeyModifiers) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, modifiers))).0
}

fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    press(state, code, KeyModifiers::NONE)
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        key(state, KeyCode::Char(c));
    }
}

fn completion(finish: Finish) -> Completion {
    Completion {
        finish,
        usage: None,
        model: None,
    }
}

/// Sends `text` and lets the store answer; returns the stream id and the
/// effects that started the reply.
fn send_and_store(state: &mut State, text: &str, conversation: ConversationId) -> (u64, Vec<Effect>) {
    type_text(state, text);
    let effects = key(state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Send { .. })]),
        "{effects:?}"
    );
    let user_seq = state.entries.len() as u64 - 2;
    let effects = update(
        state,
        Msg::SendStored {
            conversation,
            created: None,
            user_seq: Some(user_seq),
            reply_seq: user_seq + 1,
            at: Timestamp::from_unix_ms(1),
        },
    )
    .0;
    let stream = state.streaming.as_ref().expect("streaming").stream;
    (stream, effects)
}

#[test]
fn enter_stores_the_message_first_then_streams_checkpoints_and_finishes_the_reply() {
    let mut state = chat_state();
    type_text(&mut state, "hi there");
    let effects = key(&mut state, KeyCode::Enter);
    match effects.as_slice() {
        [
            Effect::Store(StoreJob::Send {
                conversation: None,
                title,
                text: Some(text),
                ..
            }),
        ] => {
            assert_eq!(text, "hi there");
            assert_eq!(title, "hi there");
        }
        other => panic!("{other:?}"),
    }
    assert!(state.editor.is_empty());
    assert!(state.sending);
    let id = ConversationId::random();
    let item = ConversationItem {
        id,
        title: "hi there".into(),
        updated: Timestamp::now(),
        message_count: 0,
        retention: None,
    };
    let effects = update(
        &mut state,
        Msg::SendStored {
            conversation: id,
            created: Some(item),
            user_seq: Some(0),
            reply_seq: 1,
            at: Timestamp::from_unix_ms(1),
        },
    )
    .0;
    let stream = match effects.as_slice() {
        [
            Effect::StartReply {
                stream,
                backend,
                request,
            },
        ] => {
            assert_eq!(backend, "local");
            assert_eq!(request.messages().len(), 1);
            assert_eq!(request.messages()[0].role, ChatRole::User);
            assert_eq!(request.messages()[0].content, "hi there");
            *stream
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(state.current, Some(id));
    assert_eq!(state.conversations.len(), 1);
    update(
        &mut state,
        Msg::Delta {
            stream,
            text: "Hel".into(),
        },
    );
    update(
        &mut state,
        Msg::Delta {
            stream,
            text: "lo".into(),
        },
    );
    assert_eq!(state.entries[1].text, "Hello");
    let effects = update(&mut state, Msg::Tick { now: Timestamp::now() }).0;
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Checkpoint { seq: 1, text, .. })] if text == "Hello"),
        "{effects:?}"
    );
    assert!(
        update(&mut state, Msg::Tick { now: Timestamp::now() }).0.is_empty(),
        "nothing new, no checkpoint"
    );
    let effects = update(
        &mut state,
        Msg::ReplyEnded {
            stream,
            result: Ok(completion(Finish::Stop)),
        },
    )
    .0;
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::FinishReply { seq: 1, state: ReplyState::Complete, text, .. })] if text == "Hello"),
        "{effects:?}"
    );
    assert!(!state.is_streaming());
}

#[test]
fn esc_stops_a_reply_at_once_keeps_what_arrived_and_ignores_late_events() {
    let mut state = chat_state();
    let id = ConversationId::random();
    let (stream, _) = send_and_store(&mut state, "question", id);
    update(
        &mut state,
        Msg::Delta {
            stream,
            text: "partial".into(),
        },
    );
    let effects = key(&mut state, KeyCode::Esc);
    assert!(matches!(effects[0], Effect::CancelReply { stream: s } if s == stream));
    assert!(
        matches!(&effects[1], Effect::Store(StoreJob::FinishReply { state: ReplyState::Cancelled, text, .. }) if text == "partial"),
        "{effects:?}"
    );
    assert!(!state.is_streaming());
    update(
        &mut state,
        Msg::Delta {
            stream,
            text: " late".into(),
        },
    );
    let late = update(
        &mut state,
        Msg::ReplyEnded {
            stream,
            result: Ok(completion(Finish::Cancelled)),
        },
    );
    assert!(late.0.is_empty());
    assert_eq!(state.entries[1].text, "partial");
    assert_eq!(state.entries[1].state, ReplyState::Cancelled);
}

#[test]
fn alt_enter_and_ctrl_j_insert_newlines_and_never_send() {
    let mut state = chat_state();
    type_text(&mut state, "one");
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::ALT).is_empty());
    type_text(&mut state, "two");
    assert!(press(&mut state, KeyCode::Char('j'), KeyModifiers::CONTROL).is_empty());
    type_text(&mut state, "three");
    assert_eq!(state.editor.text(), "one\ntwo\nthree");
    assert!(state.entries.is_empty());
}

#[test]
fn a_pasted_multi_line_text_is_inserted_never_sent() {
    let mut state = chat_state();
    let (effects, _) = update(&mut state, Msg::Paste("line one\nline two\n".into()));
    assert!(effects.is_empty());
    assert_eq!(state.editor.text(), "line one\nline two\n");
    assert!(state.entries.is_empty());
}

#[test]
fn an_unknown_command_says_so_and_sends_nothing() {
    let mut state = chat_state();
    type_text(&mut state, "/frobnicate now");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(effects.is_empty());
    let notice = state.notice.as_ref().expect("a notice");
    assert!(
        notice.error && notice.text.contains("unknown command '/frobnicate'"),
        "{notice:?}"
    );
    assert!(state.entries.is_empty());
}

#[test]
fn text_from_a_backend_is_never_run_as_a_command() {
    let mut state = chat_state();
    let (stream, _) = send_and_store(&mut state, "tell me a command", ConversationId::random());
    update(
        &mut state,
        Msg::Delta {
            stream,
            text: "/quit\n/delete\n".into(),
        },
    );
    let effects = update(
        &mut state,
        Msg::ReplyEnded {
            stream,
            result: Ok(completion(Finish::Stop)),
        },
    )
    .0;
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::FinishReply { .. })]),
        "{effects:?}"
    );
    assert!(state.exit.is_none());
    assert!(state.popup.is_none());
}

#[test]
fn a_double_slash_sends_a_message_that_starts_with_a_slash() {
    let mut state = chat_state();
    type_text(&mut state, "//etc/hosts is missing");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Send { text: Some(t), .. })] if t == "/etc/hosts is missing"),
        "{effects:?}"
    );
}

#[test]
fn a_remote_backend_asks_for_consent_before_anything_is_sent() {
    let mut state = chat_state();
    state.backend.choice = remote_choice();
    state.backend.consented = false;
    type_text(&mut state, "secret plans");
    assert!(key(&mut state, KeyCode::Enter).is_empty(), "nothing is sent yet");
    assert!(matches!(state.popup, Some(Popup::Confirm { .. })));
    // "No" puts the text back and sends nothing.
    assert!(key(&mut state, KeyCode::Char('n')).is_empty());
    assert_eq!(state.editor.text(), "secret plans");
    assert!(state.entries.is_empty());
    // "Yes" records the consent and sends.
    key(&mut state, KeyCode::Enter);
    let effects = key(&mut state, KeyCode::Char('y'));
    assert!(
        matches!(&effects[0], Effect::Store(StoreJob::GiveConsent { backend, target }) if backend == "cloud" && target == "https://api.example.com"),
        "{effects:?}"
    );
    assert!(
        matches!(&effects[1], Effect::Store(StoreJob::Send { .. })),
        "{effects:?}"
    );
}

#[test]
fn a_damaged_database_turns_the_unlock_form_into_the_repair_and_enter_asks_for_it() {
    let mut state = chat_state();
    state.screen = Screen::Unlock(UnlockForm::default());
    type_text(&mut state, "right one");
    key(&mut state, KeyCode::Enter);
    update(
        &mut state,
        Msg::VaultDamaged {
            message: "the storage engine found corrupted data and stopped".into(),
            needs_passphrase: true,
        },
    );
    let Screen::Unlock(form) = &state.screen else {
        panic!("the repair form")
    };
    assert!(form.repair && form.passphrase.is_empty());
    assert!(form.error.as_ref().unwrap().contains("corrupted data"));
    // Enter with nothing typed does nothing; with the passphrase it repairs.
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    type_text(&mut state, "right one");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Repair(Some(_)))]),
        "{effects:?}"
    );
    assert!(matches!(&state.screen, Screen::Working { text, .. } if text.starts_with("Repairing")));
}

#[test]
fn three_wrong_passphrases_end_the_program_with_the_unlock_exit_code() {
    let mut state = chat_state();
    state.screen = Screen::Unlock(UnlockForm::default());
    for attempt in 1..=3 {
        type_text(&mut state, "wrong");
        let effects = key(&mut state, KeyCode::Enter);
        assert!(matches!(effects.as_slice(), [Effect::Store(StoreJob::Unlock(Some(_)))]));
        update(
            &mut state,
            Msg::UnlockFailed {
                message: "That passphrase is not the right one".into(),
                fatal: false,
            },
        );
        if attempt < 3 {
            assert!(state.exit.is_none());
            let Screen::Unlock(form) = &state.screen else {
                panic!("back to the unlock screen")
            };
            assert!(form.error.as_ref().unwrap().contains(&format!("{} more", 3 - attempt)));
        }
    }
    let (code, message) = state.exit.clone().expect("exits");
    assert_eq!(code, crate::model::ExitStatus::UnlockFailed);
    assert!(message.unwrap().contains("audit log"));
}

#[test]
fn the_welcome_screen_refuses_weak_and_mismatched_passphrases() {
    let mut state = chat_state();
    state.screen = Screen::Welcome(WelcomeForm::default());
    type_text(&mut state, "password1");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    let Screen::Welcome(form) = &state.screen else { panic!() };
    assert!(
        form.error.as_ref().unwrap().contains("Not strong enough"),
        "{:?}",
        form.error
    );
    // The refused passphrase is gone: what is typed next starts afresh.
    assert!(form.passphrase.is_empty() && form.strength.is_none() && form.focus == 0);
    type_text(&mut state, "plinth walrus cobalt ember quaver");
    key(&mut state, KeyCode::Enter);
    type_text(&mut state, "plinth walrus cobalt ember quavers");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    let Screen::Welcome(form) = &state.screen else { panic!() };
    assert!(form.error.as_ref().unwrap().contains("differ"));
    assert!(form.passphrase.is_empty() && form.confirm.is_empty() && form.focus == 0);
    type_text(&mut state, "plinth walrus cobalt ember quaver");
    key(&mut state, KeyCode::Enter);
    type_text(&mut state, "plinth walrus cobalt ember quaver");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::CreateVault(_))]),
        "{effects:?}"
    );
    assert!(matches!(state.screen, Screen::Working { can_cancel: false, .. }));
}

#[test]
fn delete_wipes_only_when_the_title_or_wipe_is_typed() {
    let mut state = chat_state();
    let id = ConversationId::random();
    state.conversations.push(ConversationItem {
        id,
        title: "Taxes".into(),
        updated: Timestamp::now(),
        message_count: 2,
        retention: None,
    });
    state.current = Some(id);
    type_text(&mut state, "/delete");
    // Nothing is wiped yet; the next identity is prepared while the user types.
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::PrepareRotation)]),
        "{effects:?}"
    );
    assert!(matches!(&state.popup, Some(Popup::Confirm { body, .. }) if body.contains("'Taxes'")));
    assert!(key(&mut state, KeyCode::Esc).is_empty());
    assert_eq!(state.conversations.len(), 1);
    type_text(&mut state, "/delete");
    key(&mut state, KeyCode::Enter);
    // A 'y' is not enough, nor a wrong answer.
    assert!(key(&mut state, KeyCode::Char('y')).is_empty());
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(
        state.notice.as_ref().unwrap().text.contains("'Taxes' or 'wipe'"),
        "{}",
        state.notice.as_ref().unwrap().text
    );
    assert_eq!(state.conversations.len(), 1);
    key(&mut state, KeyCode::Backspace);
    type_text(&mut state, "Taxes");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Delete(d))] if *d == id),
        "{effects:?}"
    );
    assert!(state.conversations.is_empty());
    assert_eq!(state.current, None);
}

#[test]
fn wipe_before_a_date_or_of_everything_needs_the_word_wipe() {
    let mut state = chat_state();
    state.clock = Timestamp::from_unix_ms(1_795_000_000_000);
    type_text(&mut state, "/wipe before 2d");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::PrepareRotation)]),
        "{effects:?}"
    );
    type_text(&mut state, "wipe");
    let effects = key(&mut state, KeyCode::Enter);
    let two_days = 2 * 24 * 3_600_000;
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::WipeOlderThan(t))] if t.as_unix_ms() == 1_795_000_000_000 - two_days),
        "{effects:?}"
    );

    type_text(&mut state, "/wipe all");
    key(&mut state, KeyCode::Enter);
    type_text(&mut state, "Wipe");
    assert!(key(&mut state, KeyCode::Enter).is_empty(), "the word must be exact");
    for _ in 0..4 {
        key(&mut state, KeyCode::Backspace);
    }
    type_text(&mut state, "wipe");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.last(), Some(Effect::Store(StoreJob::WipeAll))),
        "{effects:?}"
    );

    let effects = update(&mut state, Msg::VaultWiped { notice: "gone".into() }).0;
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
    assert_eq!(state.exit, Some((crate::model::ExitStatus::Ok, Some("gone".into()))));

    type_text(&mut state, "/wipe sometime");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(
        state.notice.as_ref().unwrap().text.contains("'sometime'"),
        "{}",
        state.notice.as_ref().unwrap().text
    );
}

#[test]
fn export_is_encrypted_unless_plaintext_is_asked_and_confirmed() {
    let mut state = chat_state();
    let id = ConversationId::random();
    state.current = Some(id);
    type_text(&mut state, "/export notes.age");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Export(r))] if r.scope == crate::export::ExportScope::Conversation(id)
            && !r.plaintext && r.path == std::path::Path::new("notes.age")),
        "{effects:?}"
    );
    // With no file named, and no home directory known, it says what to do.
    type_text(&mut state, "/export all markdown plaintext");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("/export FILE"));
    state.export_dir = Some("/home/u/Downloads".into());
    if !state.editor.is_empty() {
        press(&mut state, KeyCode::Char('u'), KeyModifiers::CONTROL);
    }
    type_text(&mut state, "/export all markdown plaintext");
    assert!(key(&mut state, KeyCode::Enter).is_empty(), "plaintext asks first");
    assert!(matches!(&state.popup, Some(Popup::Confirm { body, .. }) if body.contains("leaves the vault")));
    let effects = key(&mut state, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Export(r))] if r.scope == crate::export::ExportScope::Vault
            && r.plaintext && r.format == crate::store::ExportFormat::Markdown
            && r.path.starts_with("/home/u/Downloads")),
        "{effects:?}"
    );
}

#[test]
fn the_quit_hint_goes_once_another_key_takes_back_the_first_ctrl_c() {
    let mut state = chat_state();
    type_text(&mut state, "unsent thoughts");
    press(&mut state, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(state.notice.as_ref().unwrap().text.contains("Ctrl-C again"));
    press(&mut state, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(state.editor.text(), "");
    assert!(state.notice.is_none(), "{:?}", state.notice.as_ref().map(|n| &n.text));
    // Another notice shown since is left alone.
    type_text(&mut state, "more");
    press(&mut state, KeyCode::Char('c'), KeyModifiers::CONTROL);
    state.notify("theme 'light'");
    key(&mut state, KeyCode::Backspace);
    assert_eq!(state.notice.as_ref().unwrap().text, "theme 'light'");
}

#[test]
fn ctrl_c_never_throws_a_draft_away_without_asking() {
    let mut state = chat_state();
    type_text(&mut state, "unsent thoughts");
    assert!(press(&mut state, KeyCode::Char('c'), KeyModifiers::CONTROL).is_empty());
    assert!(state.exit.is_none());
    assert_eq!(state.editor.text(), "unsent thoughts");
    let effects = press(&mut state, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(matches!(effects.last(), Some(Effect::Quit)));
    let mut empty = chat_state();
    let effects = press(&mut empty, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(
        matches!(effects.last(), Some(Effect::Quit)),
        "an empty draft quits at once"
    );
}

#[test]
fn a_send_the_store_could_not_keep_goes_back_into_the_draft() {
    let mut state = chat_state();
    type_text(&mut state, "important");
    key(&mut state, KeyCode::Enter);
    type_text(&mut state, "typed meanwhile");
    update(
        &mut state,
        Msg::SendFailed {
            message: "disk full".into(),
        },
    );
    assert_eq!(
        state.editor.text(),
        "important\ntyped meanwhile",
        "nothing typed is lost"
    );
    assert!(state.entries.is_empty());
    assert!(!state.is_streaming() && !state.sending);
    assert!(state.notice.as_ref().unwrap().text.contains("disk full"));
}

fn entry(seq: u64, role: Role, text: &str) -> Entry {
    Entry {
        seq: Some(seq),
        role,
        at: Timestamp::now(),
        text: text.into(),
        state: ReplyState::Complete,
        backend: None,
        first_code: 0,
        superseded: false,
        sent: None,
        withheld: 0,
        replaces: None,
    }
}

fn open(state: &mut State, entries: Vec<Entry>) -> ConversationId {
    open_page(state, entries, false)
}

/// Opens a new conversation showing `entries`; with `history_pending`, as
/// its newest page with the older messages still to come.
fn open_page(state: &mut State, entries: Vec<Entry>, history_pending: bool) -> ConversationId {
    let id = ConversationId::random();
    state.opening = Some(id);
    update(
        state,
        Msg::ConversationOpened {
            id,
            entries,
            map: Default::default(),
            damaged: 0,
            history_pending,
        },
    );
    id
}

#[test]
fn retry_asks_again_and_the_old_reply_leaves_the_context() {
    let mut state = chat_state();
    let id = open(
        &mut state,
        vec![entry(0, Role::User, "q"), entry(1, Role::Assistant, "bad answer")],
    );
    type_text(&mut state, "/retry");
    let effects = key(&mut state, KeyCode::Enter);
    match effects.as_slice() {
        [
            Effect::Store(StoreJob::Send {
                conversation: Some(c),
                text: None,
                reply_meta,
                ..
            }),
        ] => {
            assert_eq!(*c, id);
            assert_eq!(reply_meta.replaces, Some(1));
        }
        other => panic!("{other:?}"),
    }
    assert!(state.entries[1].superseded);
    let effects = update(
        &mut state,
        Msg::SendStored {
            conversation: id,
            created: None,
            user_seq: None,
            reply_seq: 2,
            at: Timestamp::from_unix_ms(1),
        },
    )
    .0;
    let [Effect::StartReply { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let contents: Vec<&str> = request.messages().iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["q"]);
}

#[test]
fn edit_resends_the_last_message_in_place_of_the_old_one() {
    let mut state = chat_state();
    open(
        &mut state,
        vec![
            entry(0, Role::User, "first"),
            entry(1, Role::Assistant, "a1"),
            entry(2, Role::User, "typo qestion"),
            entry(3, Role::Assistant, "a2"),
        ],
    );
    type_text(&mut state, "/edit");
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.editor.text(), "typo qestion");
    key(&mut state, KeyCode::Backspace);
    type_text(&mut state, "n!");
    let effects = key(&mut state, KeyCode::Enter);
    let [Effect::Store(StoreJob::Send { user_meta, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(user_meta.replaces, Some(2));
    assert!(state.entries[2].superseded && state.entries[3].superseded);
    let context = crate::model::entries::context(&state.entries);
    let contents: Vec<&str> = context.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["first", "a1", "typo qestion!"]);
}

#[test]
fn sending_while_a_reply_streams_keeps_the_draft() {
    let mut state = chat_state();
    send_and_store(&mut state, "one", ConversationId::random());
    type_text(&mut state, "two");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert_eq!(state.editor.text(), "two");
    assert_eq!(state.entries.len(), 2);
}

#[test]
fn copy_takes_the_last_reply_or_a_numbered_code_block() {
    let mut state = chat_state();
    open(
        &mut state,
        vec![
            entry(0, Role::Assistant, "```\nfirst block\n```"),
            entry(1, Role::Assistant, "text\n```sh\nls -la\n```\n```\nthird\n```"),
        ],
    );
    type_text(&mut state, "/copy 2");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::CopyToClipboard(t)] if t == "ls -la\n"),
        "{effects:?}"
    );
    type_text(&mut state, "/copy");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::CopyToClipboard(t)] if t.starts_with("text")),
        "{effects:?}"
    );
    type_text(&mut state, "/copy 9");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("no code block [9]"));
}

#[test]
fn a_search_hit_in_another_conversation_opens_it_at_the_message() {
    let mut state = chat_state();
    type_text(&mut state, "/search invoice");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::Store(StoreJob::Search(q))] if q == "invoice"));
    let other = ConversationId::random();
    update(
        &mut state,
        Msg::SearchDone {
            query: "invoice".into(),
            hits: vec![crate::model::state::SearchHit {
                conversation: other,
                title: "Billing".into(),
                seq: 1,
                snippet: "the invoice".into(),
            }],
        },
    );
    let effects = key(&mut state, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::Store(StoreJob::OpenConversation(c))] if *c == other));
    update(
        &mut state,
        Msg::ConversationOpened {
            id: other,
            entries: vec![entry(0, Role::User, "a"), entry(1, Role::Assistant, "the invoice")],
            map: Default::default(),
            damaged: 0,
            history_pending: false,
        },
    );
    assert!(!state.scroll.follow);
    assert_eq!(state.scroll.anchor, (1, 0));
}

#[test]
fn tab_completes_a_command_and_enter_runs_the_highlighted_one() {
    let mut state = chat_state();
    type_text(&mut state, "/ti");
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.editor.text(), "/timestamps");
    key(&mut state, KeyCode::Enter);
    assert!(state.show_timestamps);
    type_text(&mut state, "/he");
    key(&mut state, KeyCode::Enter);
    assert!(matches!(state.popup, Some(Popup::Help { .. })));
}

#[test]
fn a_chosen_theme_is_applied_and_remembered_and_a_broken_one_falls_back_with_the_reason() {
    let mut state = chat_state();
    type_text(&mut state, "/theme light");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadTheme { name, chosen: true }] if name == "light"),
        "{effects:?}"
    );
    let light = crate::theme::ThemeCatalog::default().load("light", false).unwrap();
    let effects = update(
        &mut state,
        Msg::ThemeLoaded {
            theme: light,
            error: None,
            chosen: true,
        },
    )
    .0;
    assert_eq!(state.theme.name, "light");
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::SaveSetting { name, value })] if name == "ui.theme" && value == "light"),
        "{effects:?}"
    );
    let effects = update(
        &mut state,
        Msg::ThemeLoaded {
            theme: crate::theme::Theme::fallback(false),
            error: Some("theme file 'mine.toml', line 3: unknown colour 'accnet'".into()),
            chosen: true,
        },
    )
    .0;
    assert!(effects.is_empty(), "a broken theme is not remembered");
    assert_eq!(state.theme.name, "dark");
    let notice = state.notice.as_ref().unwrap();
    assert!(
        notice.error && notice.text.contains("line 3") && notice.text.contains("'dark'"),
        "{notice:?}"
    );
    type_text(&mut state, "/theme neon");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("no theme 'neon'"));
}

#[test]
fn switching_to_a_remote_backend_prepares_it_and_checks_consent() {
    let mut state = chat_state();
    type_text(&mut state, "/backend cloud");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(&effects[0], Effect::PrepareBackend(n) if n == "cloud"),
        "{effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Store(StoreJob::CheckConsent { backend }) if backend == "cloud")),
        "{effects:?}"
    );
    assert!(!state.backend.consented);
    update(
        &mut state,
        Msg::ConsentKnown {
            backend: "cloud".into(),
            given: true,
        },
    );
    assert!(state.backend.consented);
    type_text(&mut state, "/backend nowhere");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("local, cloud"));
}

#[test]
fn a_backend_that_could_not_be_built_refuses_to_send_and_says_why() {
    let mut state = chat_state();
    update(
        &mut state,
        Msg::BackendFailed {
            backend: "local".into(),
            message: "the environment variable 'X' is not set".into(),
        },
    );
    type_text(&mut state, "hello");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert_eq!(state.editor.text(), "hello");
    assert!(state.notice.as_ref().unwrap().text.contains("'X' is not set"));
}

#[test]
fn backend_setup_notes_and_store_repairs_are_shown() {
    let mut state = chat_state();
    update(
        &mut state,
        Msg::BackendNote {
            backend: "runbooks".into(),
            note: "1 knowledge file(s) not loaded: 'huge.md' is larger than 2 MiB".into(),
        },
    );
    let notice = state.notice.clone().unwrap();
    assert!(notice.text.contains("backend 'runbooks'") && notice.text.contains("'huge.md'"));
    assert!(!notice.error);
    update(
        &mut state,
        Msg::StoreRepaired("the vault identity was written back".into()),
    );
    let notice = state.notice.clone().unwrap();
    assert!(
        notice.error && notice.text.contains("written back"),
        "a repair is shown as a warning"
    );
}

#[test]
fn the_open_conversation_cannot_be_deleted_while_its_send_is_in_flight() {
    let mut state = chat_state();
    let id = open(
        &mut state,
        vec![entry(0, Role::User, "q"), entry(1, Role::Assistant, "a")],
    );
    state.conversations.push(ConversationItem {
        id,
        title: "t".into(),
        updated: Timestamp::now(),
        message_count: 2,
        retention: None,
    });
    type_text(&mut state, "another");
    key(&mut state, KeyCode::Enter);
    assert!(state.sending);
    type_text(&mut state, "/delete");
    key(&mut state, KeyCode::Enter);
    let effects = key(&mut state, KeyCode::Char('y'));
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(state.current, Some(id));
    assert_eq!(state.conversations.len(), 1);
}

#[test]
fn an_edit_does_not_follow_the_user_into_another_conversation() {
    let mut state = chat_state();
    open(
        &mut state,
        vec![entry(0, Role::User, "mine"), entry(1, Role::Assistant, "a")],
    );
    type_text(&mut state, "/edit");
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.editing, Some(0));
    open(
        &mut state,
        vec![entry(0, Role::User, "other"), entry(1, Role::Assistant, "b")],
    );
    assert_eq!(state.editing, None);
    state.editor.set_text("new question");
    let effects = key(&mut state, KeyCode::Enter);
    let [Effect::Store(StoreJob::Send { user_meta, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(
        user_meta.replaces.is_none(),
        "nothing in the other conversation is replaced"
    );
}

#[test]
fn a_late_answer_for_a_conversation_the_user_left_is_dropped() {
    let mut state = chat_state();
    let older = ConversationId::random();
    state.conversations.push(ConversationItem {
        id: older,
        title: "older".into(),
        updated: Timestamp::now(),
        message_count: 2,
        retention: None,
    });
    let effects = press(&mut state, KeyCode::Down, KeyModifiers::ALT);
    assert!(matches!(effects.as_slice(), [Effect::Store(StoreJob::OpenConversation(c))] if *c == older));
    type_text(&mut state, "/new");
    key(&mut state, KeyCode::Enter);
    update(
        &mut state,
        Msg::ConversationOpened {
            id: older,
            entries: vec![entry(0, Role::User, "old text")],
            map: Default::default(),
            damaged: 0,
            history_pending: false,
        },
    );
    assert_eq!(state.current, None, "the new conversation stays");
    assert!(state.entries.is_empty());
}

#[test]
fn a_message_cannot_be_sent_while_a_conversation_is_opening() {
    let mut state = chat_state();
    let other = ConversationId::random();
    state.opening = Some(other);
    type_text(&mut state, "for which conversation?");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert_eq!(state.editor.text(), "for which conversation?");
}

#[test]
fn retry_then_edit_leaves_every_reply_to_the_replaced_question_out_of_the_context() {
    let mut entries = vec![
        entry(0, Role::User, "first"),
        entry(1, Role::Assistant, "a1"),
        entry(2, Role::User, "q"),
        entry(3, Role::Assistant, "old answer"),
        entry(4, Role::Assistant, "retried answer"),
    ];
    entries[4].replaces = Some(3);
    let mut edited = entry(5, Role::User, "q, edited");
    edited.replaces = Some(2);
    entries.push(edited);
    crate::model::state::mark_superseded(&mut entries);
    let context = crate::model::entries::context(&entries);
    let contents: Vec<&str> = context.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["first", "a1", "q, edited"]);
}

#[test]
fn a_reply_stopped_before_the_store_answered_is_finished_and_numbered() {
    let mut state = chat_state();
    type_text(&mut state, "question");
    key(&mut state, KeyCode::Enter);
    key(&mut state, KeyCode::Esc);
    assert!(!state.is_streaming());
    let effects = update(
        &mut state,
        Msg::SendStored {
            conversation: ConversationId::random(),
            created: None,
            user_seq: Some(0),
            reply_seq: 1,
            at: Timestamp::from_unix_ms(5),
        },
    )
    .0;
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Store(StoreJob::FinishReply {
                seq: 1,
                state: ReplyState::Cancelled,
                ..
            })]
        ),
        "{effects:?}"
    );
    assert_eq!(state.entries[0].seq, Some(0));
    assert_eq!(state.entries[1].seq, Some(1));
    assert!(!state.sending);
}

#[test]
fn enter_does_not_answer_a_confirmation_only_y_does() {
    let mut state = chat_state();
    state.backend.choice = remote_choice();
    state.backend.consented = false;
    type_text(&mut state, "hello");
    key(&mut state, KeyCode::Enter);
    assert!(
        key(&mut state, KeyCode::Enter).is_empty(),
        "a second Enter does not consent"
    );
    assert!(state.popup.is_some());
    assert!(!state.backend.consented);
}

#[test]
fn debug_output_never_shows_conversation_text() {
    let canary = "CANARY-7Q2 private words";
    let mut state = chat_state();
    open(&mut state, vec![entry(0, Role::User, canary)]);
    state.conversations.push(ConversationItem {
        id: ConversationId::random(),
        title: canary.into(),
        updated: Timestamp::now(),
        message_count: 1,
        retention: None,
    });
    state.editor.set_text(canary);
    state.popup = Some(Popup::Confirm {
        action: crate::model::state::ConfirmAction::DeleteConversation(ConversationId::random()),
        title: canary.into(),
        body: canary.into(),
        answer: None,
    });
    let msgs = [
        Msg::Paste(canary.into()),
        Msg::Delta {
            stream: 1,
            text: canary.into(),
        },
        Msg::Key(KeyEvent::new(KeyCode::Char('C'), KeyModifiers::NONE)),
    ];
    let effects = [
        Effect::Store(StoreJob::Search(canary.into())),
        Effect::CopyToClipboard(canary.into()),
        Effect::Store(StoreJob::Checkpoint {
            conversation: ConversationId::random(),
            seq: 1,
            text: canary.into(),
        }),
    ];
    let shown = format!("{state:?} {msgs:?} {effects:?}");
    assert!(!shown.contains("CANARY"), "{shown}");
    let mut search = chat_state();
    search.popup = Some(Popup::Search {
        query: canary.into(),
        hits: None,
        selected: 0,
    });
    assert!(!format!("{search:?}").contains("CANARY"));
}

#[test]
fn the_wheel_scrolls_up_and_stops_following_and_down_never_passes_the_end() {
    use crossterm::event::{MouseEvent, MouseEventKind};
    let mut state = chat_state();
    let wheel = |kind| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 40,
            row: 5,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut state, wheel(MouseEventKind::ScrollDown));
    assert_eq!(state.scroll.pending, 0, "already at the end");
    update(&mut state, wheel(MouseEventKind::ScrollUp));
    update(&mut state, wheel(MouseEventKind::ScrollUp));
    assert_eq!(state.scroll.pending, -6);
}

#[test]
fn the_status_bar_states_every_privacy_fact() {
    let mut state = chat_state();
    let facts =
        |state: &State| -> Vec<String> { crate::ui::status::facts(state).into_iter().map(|f| f.long).collect() };
    let shown = facts(&state).join(" | ");
    for expected in [
        "unlocked",
        "local @ built in",
        "in-process",
        "redaction mask",
        "kept until deleted",
    ] {
        assert!(shown.contains(expected), "{shown}");
    }
    state.incognito = true;
    state.backend.choice.channel = crate::backend::Channel::Insecure;
    state.redaction = crate::redact::egress::Mode::Off;
    send_and_store(&mut state, "q", ConversationId::random());
    let shown = facts(&state).join(" | ");
    for expected in ["not opened (incognito)", "INSECURE http", "streaming", "redaction off"] {
        assert!(shown.contains(expected), "{shown}");
    }
}

fn started_request(state: &mut State) -> crate::redact::egress::EgressRequest {
    let effects = update(
        state,
        Msg::SendStored {
            conversation: ConversationId::random(),
            created: None,
            user_seq: Some(state.entries.len() as u64 - 2),
            reply_seq: state.entries.len() as u64 - 1,
            at: Timestamp::from_unix_ms(1),
        },
    )
    .0;
    match effects.into_iter().next() {
        Some(Effect::StartReply { request, .. }) => request,
        other => panic!("{other:?}"),
    }
}

#[test]
fn mask_mode_sends_placeholders_stores_both_forms_and_says_what_was_withheld() {
    let mut state = chat_state();
    open(
        &mut state,
        vec![entry(0, Role::User, "earlier, sent as written: 536-22-1234 is my ssn")],
    );
    type_text(&mut state, "mail jane@example.org about it");
    let effects = key(&mut state, KeyCode::Enter);
    let [Effect::Store(StoreJob::Send { text, user_meta, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        text.as_deref(),
        Some("mail jane@example.org about it"),
        "what was written is stored"
    );
    assert_eq!(user_meta.sent.as_deref(), Some("mail [EMAIL_1] about it"));
    assert_eq!(user_meta.withheld, 1);
    assert!(user_meta.redaction_map.is_some());
    assert_eq!(state.entries.last().map(|e| e.role), Some(Role::Assistant));
    assert_eq!(state.entries[1].withheld, 1);
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("1 item(s) withheld from the backend (EMAIL)"),
        "the notice counts and names each type"
    );
    let request = started_request(&mut state);
    let sent: Vec<&str> = request.messages().iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        sent,
        [
            "earlier, sent as written: [US_SSN_1] is my ssn",
            "mail [EMAIL_1] about it"
        ]
    );
}

#[test]
fn warn_mode_asks_first_and_lets_one_item_go_as_written() {
    let mut state = chat_state();
    type_text(&mut state, "/redact warn");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::SaveSetting { name, value })] if name == "redaction.mode" && value == "warn")
    );
    type_text(&mut state, "mail jane@example.org, card 4111 1111 1111 1111");
    assert!(
        key(&mut state, KeyCode::Enter).is_empty(),
        "nothing is sent before the user chooses"
    );
    let Some(Popup::Redaction { items, .. }) = &state.popup else {
        panic!("{:?}", state.popup)
    };
    let previews: Vec<&str> = items.iter().map(|i| i.preview.as_str()).collect();
    assert_eq!(previews, ["j•••@example.org", "•••• 1111"]);
    assert!(!format!("{:?}", state.popup).contains("jane"));
    key(&mut state, KeyCode::Char(' '));
    let effects = key(&mut state, KeyCode::Char('m'));
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Send { .. })]),
        "{effects:?}"
    );
    let request = started_request(&mut state);
    assert_eq!(
        request.messages()[0].content,
        "mail jane@example.org, card [CREDIT_CARD_1]"
    );
}

#[test]
fn block_mode_holds_the_message_back_and_esc_returns_it_to_the_box() {
    let mut state = chat_state();
    state.redaction = crate::redact::egress::Mode::Block;
    type_text(&mut state, "key ghp_R8d2kLq9ZxW3mN7pT4vB6yC1fH5jK0sA2uE8");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    key(&mut state, KeyCode::Char(' '));
    let Some(Popup::Redaction {
        items, blocked: true, ..
    }) = &state.popup
    else {
        panic!("{:?}", state.popup)
    };
    assert!(!items[0].send_anyway, "block mode sends nothing as written");
    assert!(key(&mut state, KeyCode::Esc).is_empty());
    assert_eq!(state.editor.text(), "key ghp_R8d2kLq9ZxW3mN7pT4vB6yC1fH5jK0sA2uE8");
    assert!(state.entries.is_empty());
}

#[test]
fn off_mode_sends_as_written_and_the_mode_is_not_saved_in_incognito() {
    let mut state = chat_state();
    state.incognito = true;
    type_text(&mut state, "/redact off");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    type_text(&mut state, "mail jane@example.org");
    key(&mut state, KeyCode::Enter);
    let request = started_request(&mut state);
    assert_eq!(request.messages()[0].content, "mail jane@example.org");
    type_text(&mut state, "/redact loud");
    key(&mut state, KeyCode::Enter);
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("'loud' is not a redaction mode")
    );
}

#[test]
fn audit_shows_the_privacy_events_in_a_popup_and_is_refused_in_incognito() {
    let mut state = chat_state();
    type_text(&mut state, "/audit");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::LoadAudit)]),
        "{effects:?}"
    );
    update(
        &mut state,
        Msg::ReportLoaded {
            title: "Privacy events".into(),
            lines: vec!["2026-11-30 09:40 UTC  vault created (passphrase)".into()],
        },
    );
    assert!(matches!(&state.popup, Some(Popup::Report { lines, .. }) if lines.len() == 1));
    key(&mut state, KeyCode::Esc);
    state.incognito = true;
    type_text(&mut state, "/audit");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("incognito"));
}

#[test]
fn view_asks_the_store_for_the_inventory_and_is_refused_in_incognito() {
    let mut state = chat_state();
    type_text(&mut state, "/view");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::LoadView(_))]),
        "{effects:?}"
    );
    state.incognito = true;
    type_text(&mut state, "/view");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("memory only"));
}

#[test]
fn lock_stops_the_reply_clears_history_draft_and_map_and_asks_for_the_passphrase_again() {
    let mut state = chat_state();
    let (stream, _) = send_and_store(&mut state, "question", ConversationId::random());
    update(
        &mut state,
        Msg::Delta {
            stream,
            text: "partial".into(),
        },
    );
    state.redaction_map.mask("jane@example.org");
    type_text(&mut state, "/lock");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(
            effects.as_slice(),
            [
                Effect::CancelReply { .. },
                Effect::Store(StoreJob::FinishReply {
                    state: ReplyState::Cancelled,
                    ..
                }),
                Effect::Store(StoreJob::Lock)
            ]
        ),
        "{effects:?}"
    );
    assert!(state.entries.is_empty() && state.conversations.is_empty() && state.editor.is_empty());
    assert!(state.redaction_map.is_empty());
    update(
        &mut state,
        Msg::Locked {
            needs_passphrase: true,
            prompt: String::new(),
        },
    );
    let Screen::Unlock(form) = &state.screen else {
        panic!("{:?}", state.screen)
    };
    assert!(form.error.as_ref().unwrap().contains("Locked"));
}

#[test]
fn after_a_lock_no_cache_holds_any_of_the_conversation() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::ui::chat::ChatCache;

    const CANARY: &str = "zebra7291canary";
    // As the runtime does after every change: draw the screen.
    let draw = |state: &State, cache: &mut ChatCache| {
        let mut terminal = Terminal::new(TestBackend::new(100, 40)).unwrap();
        terminal.draw(|f| crate::ui::draw(f, state, cache)).unwrap();
    };
    let at = |seconds: i64| Msg::Tick {
        now: Timestamp::from_unix_ms(1_000_000 + seconds * 1000),
    };

    // The automatic lock, with a reply laid out (Markdown, a code block, a
    // link) and search hits on screen.
    let mut state = chat_state();
    state.auto_lock_ms = 60_000;
    update(&mut state, at(0));
    let (stream, _) = send_and_store(&mut state, &format!("question {CANARY}"), ConversationId::random());
    let reply = format!("**{CANARY}**\n\n```sh\necho {CANARY}\n```\n[see](https://h/{CANARY})\n");
    update(&mut state, Msg::Delta { stream, text: reply });
    update(
        &mut state,
        Msg::ReplyEnded {
            stream,
            result: Ok(completion(Finish::Stop)),
        },
    );
    type_text(&mut state, &format!("/search {CANARY}"));
    key(&mut state, KeyCode::Enter);
    let conversation = state.current.unwrap();
    update(
        &mut state,
        Msg::SearchDone {
            query: CANARY.into(),
            hits: vec![crate::model::state::SearchHit {
                conversation,
                title: format!("question {CANARY}"),
                seq: 0,
                snippet: format!("question {CANARY}"),
            }],
        },
    );
    let mut cache = ChatCache::default();
    draw(&state, &mut cache);
    assert!(cache.held_text().contains(CANARY), "laid out while open");
    assert!(matches!(&state.popup, Some(Popup::Search { hits: Some(h), .. }) if h.len() == 1));
    let effects = update(&mut state, at(120)).0;
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Store(StoreJob::Lock))),
        "{effects:?}"
    );
    draw(&state, &mut cache);
    assert_eq!(
        cache.held_text(),
        "",
        "the layout cache is empty once the lock screen is drawn"
    );
    assert!(state.popup.is_none() && state.notice.is_none());
    assert!(state.entries.is_empty() && state.conversations.is_empty());
    assert!(state.redaction_map.is_empty() && state.editor.is_empty());

    // `/lock` while a send waits for the store: the request prepared for it
    // (the message and its history) goes too.
    let mut state = chat_state();
    type_text(&mut state, &format!("another {CANARY}"));
    key(&mut state, KeyCode::Enter);
    let prepared = state.pending_request.as_ref().expect("a request waits for the store");
    assert!(prepared.messages().iter().any(|m| m.content.contains(CANARY)));
    type_text(&mut state, "/lock");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Store(StoreJob::Lock))),
        "{effects:?}"
    );
    assert!(state.pending_request.is_none());
}

#[test]
fn the_screen_locks_itself_after_the_idle_time_but_not_while_the_user_is_there() {
    let mut state = chat_state();
    state.auto_lock_ms = 15 * 60_000;
    let minute = |m: i64| Msg::Tick {
        now: Timestamp::from_unix_ms(1_000_000 + m * 60_000),
    };
    update(&mut state, minute(0));
    update(&mut state, minute(10));
    type_text(&mut state, "x");
    assert!(
        update(&mut state, minute(24)).0.is_empty(),
        "a key at minute 10 restarted the clock"
    );
    let effects = update(&mut state, minute(26)).0;
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Lock)]),
        "{effects:?}"
    );
    let mut never = chat_state();
    update(&mut never, minute(0));
    assert!(update(&mut never, minute(600)).0.is_empty(), "0 never locks");
}

#[test]
fn a_vault_without_a_passphrase_unlocks_with_enter() {
    let mut state = chat_state();
    state.screen = Screen::Unlock(UnlockForm {
        no_passphrase: true,
        ..Default::default()
    });
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::Unlock(None))]),
        "{effects:?}"
    );
}

#[test]
fn an_incognito_conversation_inside_a_session_is_created_in_memory_and_marked() {
    let mut state = chat_state();
    type_text(&mut state, "/incognito");
    key(&mut state, KeyCode::Enter);
    assert!(state.current_in_memory);
    type_text(&mut state, "off the record");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Store(StoreJob::Send {
                memory: true,
                conversation: None,
                ..
            })]
        ),
        "{effects:?}"
    );
    let id = ConversationId::random();
    update(
        &mut state,
        Msg::SendStored {
            conversation: id,
            created: None,
            user_seq: Some(0),
            reply_seq: 1,
            at: Timestamp::from_unix_ms(1),
        },
    );
    assert_eq!(state.memory_conversations, [id]);
    let shown: Vec<String> = crate::ui::status::facts(&state).into_iter().map(|f| f.long).collect();
    assert!(shown.iter().any(|v| v == "incognito: memory only"), "{shown:?}");
    // A later message of it is routed by its id; /new leaves incognito.
    let stream = state.streaming.as_ref().expect("streaming").stream;
    update(
        &mut state,
        Msg::ReplyEnded {
            stream,
            result: Ok(completion(Finish::Stop)),
        },
    );
    type_text(&mut state, "/new");
    key(&mut state, KeyCode::Enter);
    assert!(!state.current_in_memory);
}

#[test]
fn retention_is_set_per_conversation_or_for_the_vault_and_shown_in_the_status_bar() {
    let mut state = chat_state();
    let id = ConversationId::random();
    state.conversations.push(ConversationItem {
        id,
        title: "Taxes".into(),
        updated: Timestamp::now(),
        message_count: 1,
        retention: None,
    });
    state.current = Some(id);
    assert_eq!(state.current_retention().describe(), "kept until deleted");
    type_text(&mut state, "/retention 7d");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Store(StoreJob::SetRetention { conversation: Some(c), rule: RetentionChange::Conversation(Some(crate::store::Retention::For(_))) })] if *c == id),
        "{effects:?}"
    );
    type_text(&mut state, "/retention vault off");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Store(StoreJob::SetRetention {
                conversation: None,
                rule: RetentionChange::Default(None)
            })]
        ),
        "{effects:?}"
    );
    type_text(&mut state, "/retention soon");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("'soon'"));

    let week = crate::time::Span::parse("1w").unwrap();
    update(
        &mut state,
        Msg::RetentionChanged {
            default: Some(week),
            notice: "set".into(),
        },
    );
    assert_eq!(state.current_retention().describe(), "kept 1w");
    state.conversations[0].retention = Some(crate::store::Retention::Forever);
    assert_eq!(state.current_retention().describe(), "kept until deleted");
}

#[test]
fn retention_is_enforced_every_minute_only_when_some_rule_can_expire_messages() {
    let mut state = chat_state();
    let at = |ms: i64| Msg::Tick {
        now: Timestamp::from_unix_ms(1_795_000_000_000 + ms),
    };
    let sweeps = |effects: &[Effect]| {
        effects
            .iter()
            .filter(|e| matches!(e, Effect::Store(StoreJob::SweepRetention)))
            .count()
    };
    assert_eq!(sweeps(&update(&mut state, at(0)).0), 0, "no rule: no sweep");
    state.retention_default = Some(crate::time::Span::parse("1d").unwrap());
    assert_eq!(sweeps(&update(&mut state, at(1_000)).0), 1);
    assert_eq!(
        sweeps(&update(&mut state, at(30_000)).0),
        0,
        "not again within the minute"
    );
    assert_eq!(sweeps(&update(&mut state, at(61_000)).0), 1);
}

#[test]
fn redact_with_text_shows_what_the_backend_would_receive_and_sends_nothing() {
    let mut state = chat_state();
    open(&mut state, vec![entry(0, Role::User, "hello")]);
    type_text(&mut state, "/redact mail jane@example.org or call +44 20 7946 0958");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(effects.is_empty(), "a preview stores and sends nothing: {effects:?}");
    assert!(
        state.redaction_map.is_empty(),
        "the conversation's placeholders are unchanged"
    );
    let Some(Popup::Report { title, lines, .. }) = &state.popup else {
        panic!("{:?}", state.popup)
    };
    assert_eq!(title, "What the backend would receive");
    assert_eq!(lines[0], "mail [EMAIL_1] or call [PHONE_1]");
    assert!(
        lines
            .iter()
            .any(|l| l == "2 item(s) withheld from the backend (EMAIL, PHONE), sent as placeholders"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("jane@example.org") && !l.contains("7946 0958"))
    );
}

#[test]
fn redact_with_a_mistyped_mode_says_what_the_modes_are() {
    let mut state = chat_state();
    type_text(&mut state, "/redact mak");
    key(&mut state, KeyCode::Enter);
    let notice = state.notice.as_ref().map(|n| n.text.clone()).unwrap_or_default();
    assert!(notice.contains("'mak' is not a redaction mode"), "{notice}");
    assert_eq!(state.redaction, crate::redact::egress::Mode::Mask);
}

fn vault_opened(backend: Option<&str>) -> Msg {
    vault_opened_listing(Vec::new(), backend)
}

/// The vault opened, listing `conversations`, remembering `backend`.
pub(super) fn vault_opened_listing(conversations: Vec<ConversationItem>, backend: Option<&str>) -> Msg {
    Msg::VaultOpened {
        backend: backend.map(str::to_owned),
        conversations,
        warnings: Vec::new(),
        theme: None,
        redaction: None,
        retention_default: None,
        created: false,
        findings: 0,
    }
}

#[test]
fn a_backend_chosen_with_slash_backend_is_saved_and_used_at_the_next_unlock() {
    let mut state = chat_state();
    type_text(&mut state, "/backend cloud");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Store(StoreJob::SaveSetting { name, value })
            if name == crate::model::state::BACKEND_SETTING && value == "cloud")),
        "{effects:?}"
    );

    let mut next_start = chat_state();
    next_start.screen = Screen::Unlock(UnlockForm::default());
    let (effects, _) = update(&mut next_start, vault_opened(Some("cloud")));
    assert_eq!(next_start.backend.choice.name, "cloud");
    assert!(!next_start.backend.consented, "a remote backend still asks for consent");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::PrepareBackend(name) if name == "cloud")),
        "{effects:?}"
    );
}

#[test]
fn a_backend_named_for_the_run_beats_the_remembered_one_and_a_vanished_one_is_told() {
    let mut pinned = chat_state();
    pinned.backend_pinned = true;
    update(&mut pinned, vault_opened(Some("cloud")));
    assert_eq!(pinned.backend.choice.name, "local");

    let mut state = chat_state();
    update(&mut state, vault_opened(Some("gone")));
    assert_eq!(state.backend.choice.name, "local");
    let notice = state.notice.as_ref().expect("a notice").text.clone();
    assert!(
        notice.contains("'gone'") && notice.contains("using 'local'"),
        "{notice}"
    );
}

#[test]
fn an_incognito_session_does_not_remember_the_backend() {
    let mut state = chat_state();
    state.incognito = true;
    type_text(&mut state, "/backend cloud");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Store(StoreJob::SaveSetting { .. }))),
        "{effects:?}"
    );
}

#[test]
fn a_resize_takes_an_old_toast_away_but_leaves_an_error() {
    let mut state = chat_state();
    update(&mut state, Msg::Resize { width: 100, height: 30 });
    state.notify("theme 'light'");
    update(&mut state, Msg::Resize { width: 100, height: 30 });
    assert!(state.notice.is_some(), "the same size is no resize");
    update(&mut state, Msg::Resize { width: 80, height: 24 });
    assert!(state.notice.is_none());
    state.error("cannot write to the terminal's clipboard");
    update(&mut state, Msg::Resize { width: 100, height: 30 });
    assert!(state.notice.as_ref().is_some_and(|n| n.error));
}

#[test]
fn older_history_goes_before_the_shown_page_keeps_the_view_and_sends_wait_for_it() {
    let mut state = chat_state();
    let id = open_page(
        &mut state,
        vec![entry(2, Role::User, "newer"), entry(3, Role::Assistant, "newer reply")],
        true,
    );
    state.scroll.follow = false;
    state.scroll.anchor = (1, 0);

    // The placeholders of the older messages are not known yet: a send now
    // could number a new one as an old one.
    type_text(&mut state, "hello");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(state.editor.text(), "hello", "the draft is kept");

    let mut older_map = crate::redact::mask::RedactionMap::default();
    let masked = older_map.mask("write to ana@example.com");
    update(
        &mut state,
        Msg::ConversationHistory {
            id,
            entries: vec![
                entry(0, Role::User, &masked.text),
                entry(1, Role::Assistant, "old reply"),
            ],
            map: older_map,
            damaged: 0,
        },
    );
    let seqs: Vec<Option<u64>> = state.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![Some(0), Some(1), Some(2), Some(3)]);
    assert_eq!(
        state.scroll.anchor,
        (3, 0),
        "the same message stays at the top of the view"
    );
    assert_eq!(state.redaction_map.len(), 1, "the older placeholders are known");
    assert_eq!(state.history_pending, None);

    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Store(StoreJob::Send { conversation: Some(c), .. }) if *c == id)),
        "{effects:?}"
    );
}

#[test]
fn history_of_a_conversation_left_behind_is_dropped() {
    let mut state = chat_state();
    let first = open_page(&mut state, vec![entry(5, Role::User, "first, newest page")], true);
    // The user opens another conversation before the first one's history came.
    let second = ConversationId::random();
    state.opening = Some(second);
    update(
        &mut state,
        Msg::ConversationOpened {
            id: second,
            entries: vec![entry(0, Role::User, "second")],
            map: Default::default(),
            damaged: 0,
            history_pending: false,
        },
    );
    update(
        &mut state,
        Msg::ConversationHistory {
            id: first,
            entries: vec![entry(0, Role::User, "first, older")],
            map: Default::default(),
            damaged: 0,
        },
    );
    assert_eq!(state.current, Some(second));
    let texts: Vec<&str> = state.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["second"]);
    assert_eq!(state.history_pending, None);
}

#[test]
fn while_history_loads_retry_an_edit_and_a_slash_message_wait_and_lose_nothing() {
    let mut state = chat_state();
    open_page(
        &mut state,
        vec![entry(2, Role::User, "newer"), entry(3, Role::Assistant, "newer reply")],
        true,
    );
    type_text(&mut state, "/retry");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(state.streaming.is_none() && !state.sending);
    let notice = state.notice.as_ref().expect("a notice").text.clone();
    assert!(notice.contains("older messages are still loading"), "{notice}");

    state.editor.set_text("");
    type_text(&mut state, "//etc/hosts is the file");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(
        state.editor.text(),
        "//etc/hosts is the file",
        "not turned into a command"
    );

    state.editor.set_text("changed words");
    state.editing = Some(2);
    let effects = key(&mut state, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(state.editing, Some(2), "still an edit of message 2");
    assert_eq!(state.editor.text(), "changed words");
}

#[test]
fn an_opened_vault_waits_for_the_newest_conversation_without_asking_for_it() {
    let mut state = chat_state();
    state.screen = Screen::Unlock(UnlockForm::default());
    let newest = ConversationId::random();
    let older = ConversationId::random();
    let at = crate::time::Timestamp::now();
    let (effects, _) = update(
        &mut state,
        Msg::VaultOpened {
            backend: None,
            conversations: vec![
                crate::model::state::ConversationItem::created(newest, "newest", at),
                crate::model::state::ConversationItem::created(older, "older", at),
            ],
            warnings: Vec::new(),
            theme: None,
            redaction: None,
            retention_default: None,
            created: false,
            findings: 0,
        },
    );
    assert_eq!(state.opening, Some(newest), "the store sends it next");
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Store(StoreJob::OpenConversation(_)))),
        "{effects:?}"
    );
}
