//! The store API: conversations, messages, streamed replies, settings.

use super::*;

#[test]
fn conversations_messages_and_settings_survive_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vault");
    let (first, second);
    {
        let mut vault = new_vault(&root);
        first = vault.create_conversation("Printer trouble").unwrap();
        second = vault.create_conversation("Passwords").unwrap();
        vault
            .append_message(first, NewMessage::user("my printer is offline"))
            .unwrap();
        vault
            .append_message(first, NewMessage::assistant("Try turning it off and on."))
            .unwrap();
        vault
            .append_message(second, NewMessage::system("You are a help-desk bot."))
            .unwrap();
        std::thread::sleep(Duration::from_millis(5)); // timestamps have millisecond resolution
        vault.rename_conversation(first, "Printer offline").unwrap();
        vault.set_setting("theme", "dark").unwrap();
        vault
            .set_secret("backend.llama.api_key", &SecretString::from("sk-test-1".to_owned()))
            .unwrap();
    }
    let vault = reopen(&root);
    let list = vault.list_conversations().unwrap();
    assert!(list.damaged.is_empty());
    let titles: Vec<&str> = list.conversations.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Printer offline", "Passwords"], "most recently updated first");
    assert_eq!(list.conversations[0].message_count, 2);
    let messages = vault.newest_messages(first, 10).unwrap();
    assert_eq!(
        texts(&messages),
        ["my printer is offline", "Try turning it off and on."]
    );
    let roles: Vec<Role> = messages.iter().map(|m| m.as_ref().unwrap().role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant]);
    assert_eq!(vault.message_count(second).unwrap(), 1);
    assert_eq!(vault.setting("theme").unwrap().as_deref(), Some("dark"));
    assert_eq!(
        vault.secret("backend.llama.api_key").unwrap().unwrap().expose_secret(),
        "sk-test-1"
    );
    assert_eq!(
        vault.setting("backend.llama.api_key").unwrap(),
        None,
        "a secret is not a plain setting"
    );
    let names = vault.setting_names().unwrap();
    assert_eq!(names.iter().filter(|n| n.secret).count(), 1);
}

#[test]
fn newest_n_and_ranges_load_exactly_the_asked_messages() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir.path().join("v"));
    let id = vault.create_conversation("counting").unwrap();
    let other = vault.create_conversation("neighbour").unwrap();
    for i in 0..300 {
        vault
            .append_message(id, NewMessage::user(&format!("message {i}")))
            .unwrap();
        if i % 50 == 0 {
            vault.append_message(other, NewMessage::user("noise")).unwrap();
        }
    }
    let newest = vault.newest_messages(id, 3).unwrap();
    assert_eq!(texts(&newest), ["message 297", "message 298", "message 299"]);
    let range = vault.messages_in_range(id, 255..258).unwrap();
    assert_eq!(texts(&range), ["message 255", "message 256", "message 257"]);
    assert_eq!(vault.newest_messages(id, 1000).unwrap().len(), 300);
    assert_eq!(vault.message_count(id).unwrap(), 300);
    assert_eq!(vault.message_count(other).unwrap(), 6);
}

#[test]
fn metadata_and_timestamps_are_kept_with_each_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir.path().join("v"));
    let id = vault.create_conversation("meta").unwrap();
    let meta = MessageMeta {
        backend: Some("llama".into()),
        model: Some("smollm2".into()),
        withheld: 2,
        replaces: Some(7),
        ..Default::default()
    };
    let at = sotto::time::Timestamp::from_unix_ms(1_700_000_000_000);
    vault
        .append_message(
            id,
            NewMessage {
                role: Role::Assistant,
                text: "hi",
                meta: meta.clone(),
                at: Some(at),
            },
        )
        .unwrap();
    let loaded = vault.newest_messages(id, 1).unwrap();
    let message = loaded[0].as_ref().unwrap();
    assert_eq!(message.meta, meta);
    assert_eq!(message.at, at);
    assert_eq!(vault.conversation(id).unwrap().first_message_at, Some(at));
}

#[test]
fn a_streamed_reply_is_checkpointed_and_an_interrupted_one_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (id, finished, cut_off);
    {
        let mut vault = new_vault(&root);
        id = vault.create_conversation("streaming").unwrap();
        vault.append_message(id, NewMessage::user("tell me a story")).unwrap();
        finished = vault
            .begin_reply(
                id,
                MessageMeta {
                    backend: Some("local".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        vault.checkpoint_reply(id, finished, "Once upon").unwrap();
        let live = vault.newest_messages(id, 1).unwrap();
        assert_eq!(
            live[0].as_ref().unwrap().meta.state,
            ReplyState::Streaming,
            "still streaming in this process"
        );
        vault
            .finish_reply(
                id,
                finished,
                "Once upon a time.",
                ReplyState::Complete,
                Some("stop".into()),
            )
            .unwrap();
        cut_off = vault.begin_reply(id, MessageMeta::default()).unwrap();
        vault.checkpoint_reply(id, cut_off, "The second sto").unwrap();
        // The process "dies" here: the vault is dropped without finishing the reply.
    }
    let vault = reopen(&root);
    let messages = vault.newest_messages(id, 10).unwrap();
    let done = messages[1].as_ref().unwrap();
    assert_eq!(
        (done.seq, done.text.as_str(), done.meta.state),
        (finished, "Once upon a time.", ReplyState::Complete)
    );
    assert_eq!(done.meta.finish_reason.as_deref(), Some("stop"));
    assert_eq!(done.meta.backend.as_deref(), Some("local"));
    let partial = messages[2].as_ref().unwrap();
    assert_eq!((partial.seq, partial.text.as_str()), (cut_off, "The second sto"));
    assert_eq!(partial.meta.state, ReplyState::Interrupted);
}

#[test]
fn deleting_a_conversation_removes_its_messages_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir.path().join("v"));
    let doomed = vault.create_conversation("doomed").unwrap();
    let kept = vault.create_conversation("kept").unwrap();
    for _ in 0..5 {
        vault.append_message(doomed, NewMessage::user("bye")).unwrap();
    }
    vault.append_message(kept, NewMessage::user("stay")).unwrap();
    assert_eq!(vault.wipe_conversation(doomed).unwrap().messages_removed, 5);
    assert!(matches!(
        vault.newest_messages(doomed, 5),
        Err(VaultError::ConversationNotFound(_)) | Err(VaultError::ConversationDamaged { .. })
    ));
    assert!(matches!(
        vault.conversation(doomed),
        Err(VaultError::ConversationNotFound(_))
    ));
    assert!(matches!(
        vault.wipe_conversation(doomed),
        Err(VaultError::ConversationNotFound(_))
    ));
    assert_eq!(vault.list_conversations().unwrap().conversations.len(), 1);
    assert!(vault.verify().unwrap().is_intact());
    assert_eq!(texts(&vault.newest_messages(kept, 5).unwrap()), ["stay"]);
}

#[test]
fn a_batch_of_messages_is_appended_in_order_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir.path().join("v"));
    let id = vault.create_conversation("batch").unwrap();
    vault.append_message(id, NewMessage::user("first")).unwrap();
    let texts_in: Vec<String> = (0..5).map(|i| format!("batch {i}")).collect();
    let seqs = vault
        .append_messages(id, texts_in.iter().map(|t| NewMessage::assistant(t)))
        .unwrap();
    assert_eq!(seqs, 1..6);
    assert_eq!(vault.message_count(id).unwrap(), 6);
    let loaded = texts(&vault.newest_messages(id, 3).unwrap());
    assert_eq!(loaded, ["batch 2", "batch 3", "batch 4"]);
}

#[test]
fn debug_output_never_shows_message_text_or_titles() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir.path().join("v"));
    let id = vault.create_conversation("Secret Title 42").unwrap();
    vault.append_message(id, NewMessage::user("secret body 42")).unwrap();
    let shown = format!(
        "{:?} {:?} {:?}",
        vault.list_conversations().unwrap(),
        vault.newest_messages(id, 1).unwrap(),
        vault
    );
    assert!(
        !shown.contains("Secret Title") && !shown.contains("secret body"),
        "{shown}"
    );
    assert!(shown.contains("[15 chars]") && shown.contains("[14 chars]"), "{shown}");
}

#[test]
fn only_a_reply_being_streamed_can_change() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (id, user, reply);
    {
        let mut vault = new_vault(&root);
        id = vault.create_conversation("immutable").unwrap();
        user = vault.append_message(id, NewMessage::user("what I said")).unwrap();
        assert!(matches!(
            vault.checkpoint_reply(id, user, "rewritten"),
            Err(VaultError::ReplyNotStreaming { .. })
        ));
        reply = vault.begin_reply(id, MessageMeta::default()).unwrap();
        assert!(matches!(
            vault.finish_reply(id, reply, "x", ReplyState::Streaming, None),
            Err(VaultError::InvalidReplyEnd { .. })
        ));
        vault
            .finish_reply(id, reply, "done", ReplyState::Complete, None)
            .unwrap();
        assert!(matches!(
            vault.checkpoint_reply(id, reply, "again"),
            Err(VaultError::ReplyNotStreaming { .. })
        ));
    }
    let mut vault = reopen(&root);
    assert_eq!(texts(&vault.newest_messages(id, 5).unwrap()), ["what I said", "done"]);
    assert!(matches!(
        vault.finish_reply(id, reply, "later", ReplyState::Complete, None),
        Err(VaultError::ReplyNotStreaming { .. })
    ));
}

#[test]
fn a_message_too_large_for_the_log_round_trips() {
    // sled stores values over a fraction of its segment size as separate blob
    // files, which the store syncs itself.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let big: String = (0..1_000_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let id = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("a pasted log").unwrap();
        vault.append_message(id, NewMessage::user(&big)).unwrap();
        id
    };
    assert!(
        std::fs::read_dir(root.join("db/blobs")).unwrap().count() > 0,
        "the message did not go to a blob; the test does not cover blob syncing"
    );
    let vault = reopen(&root);
    assert_eq!(texts(&vault.newest_messages(id, 1).unwrap()), [big]);
    assert!(vault.verify().unwrap().is_intact());
}

#[test]
fn the_conversation_list_shows_every_commit_even_right_after_it_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir.path().join("vault"));
    let titles = |vault: &Vault| -> Vec<(String, u64)> {
        let mut listed: Vec<(String, u64)> = vault
            .list_conversations()
            .unwrap()
            .conversations
            .iter()
            .map(|c| (c.title.clone(), c.message_count))
            .collect();
        listed.sort();
        listed
    };
    let first = vault.create_conversation("first").unwrap();
    assert_eq!(titles(&vault), [("first".to_owned(), 0)]);
    vault.rename_conversation(first, "renamed").unwrap();
    assert_eq!(titles(&vault), [("renamed".to_owned(), 0)]);
    vault.append_message(first, NewMessage::user("hello")).unwrap();
    assert_eq!(titles(&vault), [("renamed".to_owned(), 1)]);
    let second = vault.create_conversation("second").unwrap();
    assert_eq!(titles(&vault), [("renamed".to_owned(), 1), ("second".to_owned(), 0)]);
    vault.wipe_conversation(second).unwrap();
    assert_eq!(titles(&vault), [("renamed".to_owned(), 1)]);
}
