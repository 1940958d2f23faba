//! The store thread, driven through its channel against a real vault in a
//! temp dir.

use super::*;
use crate::crypto::KdfCost;
use secrecy::SecretString;

use crate::store::{ConversationId, MessageMeta, NewProtection};

fn passphrase() -> SecretString {
    SecretString::from("plinth walrus cobalt ember quaver".to_owned())
}

fn vault_at(root: &std::path::Path) {
    let cost = KdfCost::from_log_n(4).expect("a valid work factor");
    let protection = NewProtection::Passphrase {
        passphrase: &passphrase(),
        cost,
    };
    drop(Vault::create(root, protection).expect("a test vault"));
}

/// Runs `jobs` through an actor on the vault at `root`; returns the messages.
fn run(root: &std::path::Path, jobs: Vec<StoreJob>) -> Vec<Msg> {
    let locked = LockedVault::open(root).expect("the vault opens");
    let (events, inbox) = std::sync::mpsc::channel();
    let actor = StoreActor::new(
        root.to_owned(),
        Config::default(),
        Vec::new(),
        Some(locked),
        false,
        events,
    );
    let (tx, rx) = std::sync::mpsc::channel();
    for job in jobs {
        tx.send(StoreInput::Job(job)).expect("queued");
    }
    tx.send(StoreInput::Close).expect("queued");
    actor.run(rx);
    inbox
        .try_iter()
        .filter_map(|e| match e {
            Event::Msg(msg) => Some(msg),
            Event::Backend { .. } => None,
        })
        .collect()
}

/// A conversation titled `title` holding one user message, "hello".
fn one_conversation_saying_hello(root: &std::path::Path, title: &str) -> ConversationId {
    let mut vault = reopen(root);
    let id = vault.create_conversation(title).unwrap();
    vault
        .append_message(id, crate::store::NewMessage::user("hello"))
        .unwrap();
    id
}

fn reopen(root: &std::path::Path) -> Vault {
    LockedVault::open(root)
        .and_then(|l| l.unlock_and_open(Some(&passphrase())))
        .expect("reopens")
}

#[test]
fn a_reply_begun_but_never_finished_is_closed_as_stopped_with_its_last_checkpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    let messages = run(
        &root,
        vec![
            StoreJob::Unlock(Some(passphrase())),
            StoreJob::Send {
                conversation: None,
                title: "t".into(),
                text: Some("question".into()),
                user_meta: MessageMeta::default(),
                reply_meta: MessageMeta::default(),
                memory: false,
            },
        ],
    );
    let Some(Msg::SendStored {
        conversation,
        reply_seq,
        ..
    }) = messages.iter().find(|m| matches!(m, Msg::SendStored { .. }))
    else {
        panic!("{messages:?}")
    };
    // The loop quit before the reply streamed or was finished: the
    // actor's close finished it.
    let (conversation, reply_seq) = (*conversation, *reply_seq);
    let vault = reopen(&root);
    let reply = vault.messages_in_range(conversation, reply_seq..reply_seq + 1).unwrap();
    let reply = reply[0].as_ref().unwrap();
    assert_eq!(reply.meta.state, ReplyState::Cancelled, "not left 'streaming'");
    assert_eq!(reply.text, "");
}

#[test]
fn a_send_to_a_conversation_that_is_gone_reports_what_was_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    let messages = run(
        &root,
        vec![
            StoreJob::Unlock(Some(passphrase())),
            StoreJob::Send {
                conversation: Some(ConversationId::random()),
                title: String::new(),
                text: Some("question".into()),
                user_meta: MessageMeta::default(),
                reply_meta: MessageMeta::default(),
                memory: false,
            },
        ],
    );
    assert!(
        messages.iter().any(|m| matches!(m, Msg::SendFailed { .. })),
        "{messages:?}"
    );
}

#[test]
fn export_then_wipe_all_writes_the_file_and_leaves_no_vault() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    let id = one_conversation_saying_hello(&root, "t");
    let path = dir.path().join("out.json.age");
    let messages = run(
        &root,
        vec![
            StoreJob::Unlock(Some(passphrase())),
            StoreJob::WipeOlderThan(crate::time::Timestamp::from_unix_ms(1)),
            StoreJob::Export(crate::model::state::ExportRequest {
                scope: crate::export::ExportScope::Conversation(id),
                format: crate::store::ExportFormat::Json,
                plaintext: false,
                path: path.clone(),
            }),
            StoreJob::WipeAll,
        ],
    );
    let notices: Vec<&String> = messages
        .iter()
        .filter_map(|m| match m {
            Msg::Wiped { notice } | Msg::Exported { notice } | Msg::VaultWiped { notice } => Some(notice),
            _ => None,
        })
        .collect();
    assert_eq!(notices.len(), 3, "{messages:?}");
    assert!(notices[0].contains("wiped 0 message(s)"), "{}", notices[0]);
    assert!(
        notices[1].contains("1 message(s)") && notices[1].contains("encrypted"),
        "{}",
        notices[1]
    );
    assert!(notices[2].contains("Wiped the whole vault"), "{}", notices[2]);
    assert!(std::fs::read(&path).unwrap().starts_with(b"age-encryption.org/v1"));
    assert!(!root.exists());
}

#[test]
fn view_adds_the_open_conversation_in_detail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    let id = one_conversation_saying_hello(&root, "printer");
    let messages = run(
        &root,
        vec![StoreJob::Unlock(Some(passphrase())), StoreJob::LoadView(Some(id))],
    );
    let Some(Msg::ReportLoaded { lines, .. }) = messages.iter().find(|m| matches!(m, Msg::ReportLoaded { .. })) else {
        panic!("{messages:?}")
    };
    let text = lines.join("\n");
    assert!(
        text.contains("Recovery key") && text.contains("This conversation"),
        "{text}"
    );
    assert!(text.contains("'printer'") && text.contains("1 user"), "{text}");
}

#[test]
fn unlocking_enforces_retention_and_says_what_went() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    {
        let mut vault = reopen(&root);
        vault
            .set_default_retention(Some(crate::time::Span::parse("1d").unwrap()))
            .unwrap();
        let id = vault.create_conversation("t").unwrap();
        let old = crate::time::Timestamp::from_unix_ms(1_000);
        let message = crate::store::NewMessage {
            at: Some(old),
            ..crate::store::NewMessage::user("stale")
        };
        vault.append_message(id, message).unwrap();
    }
    let messages = run(&root, vec![StoreJob::Unlock(Some(passphrase()))]);
    assert!(
        messages
            .iter()
            .any(|m| matches!(m, Msg::Wiped { notice } if notice.contains("1 expired message(s)"))),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| matches!(
            m,
            Msg::VaultOpened {
                retention_default: Some(_),
                ..
            }
        )),
        "{messages:?}"
    );
    assert_eq!(reopen(&root).inventory().unwrap().messages, 0);
}

#[test]
fn search_finds_text_in_every_stored_conversation_case_insensitively() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    {
        let mut vault = reopen(&root);
        for (title, text) in [
            ("a", "the Invoice is late"),
            ("b", "no match here"),
            ("c", "INVOICE #4"),
        ] {
            let id = vault.create_conversation(title).unwrap();
            vault.append_message(id, crate::store::NewMessage::user(text)).unwrap();
        }
    }
    let messages = run(
        &root,
        vec![StoreJob::Unlock(Some(passphrase())), StoreJob::Search("invoice".into())],
    );
    let Some(Msg::SearchDone { hits, .. }) = messages.iter().find(|m| matches!(m, Msg::SearchDone { .. })) else {
        panic!("{messages:?}")
    };
    let mut titles: Vec<&str> = hits.iter().map(|h| h.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["a", "c"]);
}

#[test]
fn a_search_snippet_is_one_safe_line_around_the_match() {
    assert_eq!(
        search::snippet("first line\nthe Invoice \u{1b}[2J is late", "invoice").as_deref(),
        Some("the Invoice ␛[2J is late")
    );
    assert_eq!(search::snippet("nothing here", "invoice"), None);
    let long = format!("{}needle{}", "a".repeat(100), "b".repeat(100));
    let shown = search::snippet(&long, "needle").unwrap();
    assert!(shown.starts_with('…') && shown.contains("needle"), "{shown}");
}

// ─── Incognito ───

const CANARY: &str = "CANARY-incognito-8842";

/// Every file under `root`, for a byte search.
fn all_bytes(root: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                bytes.extend(std::fs::read(&path).expect("readable file"));
            }
        }
    }
    bytes
}

#[test]
fn nothing_of_an_incognito_conversation_reaches_the_vault_and_counts_do_not_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    let mut vault = LockedVault::open(&root)
        .and_then(|l| l.unlock_and_open(Some(&passphrase())))
        .expect("opens");
    let kept = vault.create_conversation("kept").expect("conversation");
    vault
        .append_message(kept, crate::store::NewMessage::user("an ordinary message"))
        .expect("append");
    drop(vault);

    let locked = LockedVault::open(&root).expect("opens");
    let (events, inbox) = std::sync::mpsc::channel();
    let actor = StoreActor::new(root.clone(), Config::default(), Vec::new(), Some(locked), false, events);
    let (jobs, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || actor.run(rx));
    jobs.send(StoreInput::Job(StoreJob::Unlock(Some(passphrase()))))
        .unwrap();
    jobs.send(StoreInput::Job(StoreJob::Send {
        conversation: None,
        title: format!("title {CANARY}"),
        text: Some(format!("message {CANARY}")),
        user_meta: MessageMeta::default(),
        reply_meta: MessageMeta::default(),
        memory: true,
    }))
    .unwrap();
    let stored = loop {
        match inbox
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("an answer")
        {
            Event::Msg(Msg::SendStored {
                conversation,
                reply_seq,
                ..
            }) => break (conversation, reply_seq),
            Event::Msg(Msg::SendFailed { message, .. }) => panic!("{message}"),
            _ => {}
        }
    };
    let (id, reply) = stored;
    jobs.send(StoreInput::Job(StoreJob::Checkpoint {
        conversation: id,
        seq: reply,
        text: format!("reply {CANARY}"),
    }))
    .unwrap();
    jobs.send(StoreInput::Job(StoreJob::FinishReply {
        conversation: id,
        seq: reply,
        text: format!("reply {CANARY} done"),
        state: ReplyState::Complete,
        reason: None,
    }))
    .unwrap();
    jobs.send(StoreInput::Job(StoreJob::OpenConversation(id))).unwrap();
    jobs.send(StoreInput::Close).unwrap();
    handle.join().expect("the actor ends");
    let reopened: Vec<Msg> = inbox
        .try_iter()
        .filter_map(|e| match e {
            // The unlock opened the newest stored conversation first.
            Event::Msg(m @ Msg::ConversationOpened { id: opened, .. }) if opened == id => Some(m),
            _ => None,
        })
        .collect();
    let [Msg::ConversationOpened { entries, .. }] = reopened.as_slice() else {
        panic!("{reopened:?}")
    };
    assert_eq!(entries.len(), 2, "the session could read it back from memory");

    let bytes = all_bytes(&root);
    assert!(
        !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
        "the canary reached the data dir"
    );
    let vault = LockedVault::open(&root)
        .and_then(|l| l.unlock_and_open(Some(&passphrase())))
        .expect("reopens");
    let list = vault.list_conversations().expect("list").conversations;
    assert_eq!(list.len(), 1, "only the ordinary conversation is stored");
    assert_eq!(vault.message_count(kept).expect("count"), 1);
}

#[test]
fn an_incognito_session_searches_its_own_conversations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (events, inbox) = std::sync::mpsc::channel();
    let actor = StoreActor::new(
        dir.path().join("none"),
        Config::default(),
        Vec::new(),
        None,
        true,
        events,
    );
    let (tx, rx) = std::sync::mpsc::channel();
    for text in ["the Invoice is late", "nothing here"] {
        tx.send(StoreInput::Job(StoreJob::Send {
            conversation: None,
            title: text.into(),
            text: Some(text.into()),
            user_meta: MessageMeta::default(),
            reply_meta: MessageMeta::default(),
            memory: false,
        }))
        .expect("queued");
    }
    tx.send(StoreInput::Job(StoreJob::Search("INVOICE".into())))
        .expect("queued");
    tx.send(StoreInput::Close).expect("queued");
    actor.run(rx);
    let hits = inbox
        .try_iter()
        .find_map(|e| match e {
            Event::Msg(Msg::SearchDone { hits, .. }) => Some(hits),
            _ => None,
        })
        .expect("a search answer");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].title, "the Invoice is late");
    assert!(!dir.path().join("none").exists(), "incognito wrote nothing");
}

#[test]
fn an_unlock_opens_the_newest_conversation_at_once_so_the_first_frame_shows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    one_conversation_saying_hello(&root, "older");
    std::thread::sleep(std::time::Duration::from_millis(5));
    let newest = one_conversation_saying_hello(&root, "newest");
    let messages = run(&root, vec![StoreJob::Unlock(Some(passphrase()))]);
    let opened_at = messages
        .iter()
        .position(|m| matches!(m, Msg::VaultOpened { .. }))
        .unwrap_or_else(|| panic!("{messages:?}"));
    match &messages[opened_at + 1..] {
        [Msg::ConversationOpened { id, entries, .. }, ..] => {
            assert_eq!(*id, newest);
            assert_eq!(entries.len(), 1);
        }
        other => panic!("the newest conversation did not follow: {other:?}"),
    }
}

#[test]
fn a_long_conversation_opens_with_its_newest_page_and_the_older_messages_follow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    let older = 30;
    let total = conversations::FIRST_PAGE + older;
    let id = {
        let mut vault = reopen(&root);
        let id = vault.create_conversation("long").unwrap();
        for i in 0..total {
            vault
                .append_message(id, crate::store::NewMessage::user(&format!("message {i}")))
                .unwrap();
        }
        id
    };
    let messages = run(&root, vec![StoreJob::Unlock(Some(passphrase()))]);
    let page = messages.iter().find_map(|m| match m {
        Msg::ConversationOpened {
            id: opened,
            entries,
            history_pending,
            ..
        } if *opened == id => Some((entries, *history_pending)),
        _ => None,
    });
    let (entries, pending) = page.unwrap_or_else(|| panic!("{messages:?}"));
    assert!(pending, "the screen is told more is coming");
    let texts: Vec<&str> = entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts.len(), conversations::FIRST_PAGE);
    assert_eq!(texts[0], format!("message {older}"));
    assert_eq!(texts[texts.len() - 1], format!("message {}", total - 1));

    let history = messages.iter().find_map(|m| match m {
        Msg::ConversationHistory {
            id: opened,
            entries,
            damaged,
            ..
        } if *opened == id => Some((entries, *damaged)),
        _ => None,
    });
    let (entries, damaged) = history.unwrap_or_else(|| panic!("no history followed: {messages:?}"));
    let texts: Vec<String> = entries.iter().map(|e| e.text.clone()).collect();
    let expected: Vec<String> = (0..older).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, expected, "every older message, oldest first, and no other");
    assert_eq!(damaged, 0);
}

#[test]
fn a_damaged_database_is_offered_for_repair_and_the_repair_opens_the_vault_with_its_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    one_conversation_saying_hello(&root, "kept safe");
    // One bit of sled's checksummed config: it refuses the database.
    let conf = root.join("db/conf");
    let mut bytes = std::fs::read(&conf).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&conf, bytes).unwrap();
    let messages = run(
        &root,
        vec![
            StoreJob::Unlock(Some(passphrase())),
            StoreJob::Repair(Some(passphrase())),
        ],
    );
    let offered = messages.iter().position(|m| {
        matches!(m, Msg::VaultDamaged { message, needs_passphrase: true }
            if message.contains("corrupted data") && message.contains("damaged database aside"))
    });
    let opened = messages.iter().position(|m| {
        matches!(m, Msg::VaultOpened { conversations, findings, .. }
            if conversations.len() == 1 && conversations[0].title == "kept safe" && *findings >= 1)
    });
    let told = messages
        .iter()
        .position(|m| matches!(m, Msg::StoreRepaired(text) if text.contains("rebuilt by 'sotto repair'")));
    assert!(
        matches!((offered, opened, told), (Some(a), Some(b), Some(c)) if a < b && b < c),
        "{messages:?}"
    );
    let vault = reopen(&root);
    assert_eq!(vault.list_conversations().unwrap().conversations.len(), 1);
}

#[test]
fn a_clean_close_leaves_a_startup_record_that_the_next_unlock_shows_before_the_vault_opens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("vault");
    vault_at(&root);
    let id = one_conversation_saying_hello(&root, "greeting");
    let record = root.join("startup.sealed");
    assert!(!record.exists(), "only the chat screen's close writes one");

    let first = run(&root, vec![StoreJob::Unlock(Some(passphrase()))]);
    assert!(!first.iter().any(|m| matches!(m, Msg::Preview(_))), "{first:?}");
    assert!(record.exists(), "the close wrote the record");

    let second = run(&root, vec![StoreJob::Unlock(Some(passphrase()))]);
    let names: Vec<String> = second.iter().take(3).map(|m| format!("{m:?}")).collect();
    assert_eq!(names, ["Preview", "VaultOpened", "ConversationOpened"]);
    let Msg::Preview(screen) = &second[0] else {
        unreachable!()
    };
    let titles: Vec<&str> = screen.conversations.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["greeting"]);
    let page = screen.newest.as_ref().expect("the newest page");
    assert_eq!(page.id, id);
    let texts: Vec<&str> = page.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["hello"]);

    // Anything else that opens the database shreds it first, so what it
    // changes (here a wipe) is never shown from an older record.
    let mut vault = reopen(&root);
    assert!(!record.exists(), "opening the database removed the record");
    vault.wipe_conversation(id).unwrap();
    let kept = vault.create_conversation("kept").unwrap();
    drop(vault);
    let third = run(&root, vec![StoreJob::Unlock(Some(passphrase()))]);
    assert!(!third.iter().any(|m| matches!(m, Msg::Preview(_))), "{third:?}");
    // That session's close wrote what is there now, and nothing wiped.
    let fourth = run(&root, vec![StoreJob::Unlock(Some(passphrase()))]);
    let Some(Msg::Preview(screen)) = fourth.first() else {
        panic!("{fourth:?}")
    };
    let ids: Vec<ConversationId> = screen.conversations.iter().map(|c| c.id).collect();
    assert_eq!(ids, [kept]);
    assert_eq!(screen.newest.as_ref().map(|p| p.id), Some(kept));
}
