//! The vault through its library API, with real sled files in temp dirs and
//! real age: envelope encryption, the store API, failure behaviour, nothing
//! readable at rest, and durability under SIGKILL.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use sotto::crypto::user_identity::UserIdentity;
use sotto::store::{
    AuditEvent, ConversationId, FailedUnlockReason, LockedVault, MessageMeta, NewMessage, NewProtection,
    RecordLocation, ReplyState, Role, Scope, Vault, VaultError,
};
use support::{
    assert_canary_absent, assert_unchanged_or_appended, copy_dir, flip_log_byte, long_log_vault, new_vault, passphrase,
    reopen, snapshot, unlock_error,
};

fn texts(messages: &[sotto::store::LoadedMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            m.as_ref()
                .map(|m| m.text.clone())
                .unwrap_or_else(|d| format!("<damaged #{}>", d.seq))
        })
        .collect()
}

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
    let mut meta = MessageMeta {
        backend: Some("llama".into()),
        model: Some("smollm2".into()),
        ..Default::default()
    };
    meta.extra.insert("withheld".into(), "2".into());
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
    assert_eq!(vault.delete_conversation(doomed).unwrap(), 5);
    assert!(matches!(
        vault.newest_messages(doomed, 5),
        Err(VaultError::ConversationNotFound(_)) | Err(VaultError::ConversationDamaged { .. })
    ));
    assert!(matches!(
        vault.conversation(doomed),
        Err(VaultError::ConversationNotFound(_))
    ));
    assert!(matches!(
        vault.delete_conversation(doomed),
        Err(VaultError::ConversationNotFound(_))
    ));
    assert_eq!(vault.list_conversations().unwrap().conversations.len(), 1);
    assert!(vault.verify().unwrap().is_intact());
    assert_eq!(texts(&vault.newest_messages(kept, 5).unwrap()), ["stay"]);
}

#[test]
fn audit_log_records_privacy_events_in_order_and_never_content() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let canary = "Zebra-Quokka-7731";
    let mut vault = new_vault(&root);
    let id = vault.create_conversation(canary).unwrap();
    vault.append_message(id, NewMessage::user(canary)).unwrap();
    vault
        .record_audit(AuditEvent::Wipe {
            scope: Scope::Conversation { id },
            conversations: 1,
            messages: 1,
        })
        .unwrap();
    vault
        .record_audit(AuditEvent::ConsentGiven {
            backend: "llama".into(),
            host: "example.org".into(),
        })
        .unwrap();
    vault.record_audit(AuditEvent::PassphraseChanged).unwrap();
    let log = vault.audit_log().unwrap();
    let events: Vec<AuditEvent> = log.into_iter().map(|e| e.unwrap().event).collect();
    assert!(matches!(events[0], AuditEvent::VaultCreated { .. }));
    assert!(matches!(events[1], AuditEvent::Wipe { .. }));
    assert_eq!(events[3], AuditEvent::PassphraseChanged);
    for event in &events {
        let shown = format!("{} {:?}", event.describe(), event);
        assert!(!shown.contains(canary), "audit event shows content: {shown}");
    }
}

#[test]
fn wrong_passphrase_changes_nothing_and_is_reported_at_the_next_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("hello").unwrap();
        vault.append_message(id, NewMessage::user("hello")).unwrap();
    }
    let before = snapshot(&root);
    let wrong = SecretString::from("not the passphrase".to_owned());
    for _ in 0..2 {
        let locked = LockedVault::open(&root).unwrap();
        match locked.unlock(Some(&wrong)) {
            Err(VaultError::WrongPassphrase { path, note }) => {
                assert_eq!(path, root);
                assert!(note.contains("was recorded"), "{note}");
            }
            Err(other) => panic!("expected WrongPassphrase, got {other}"),
            Ok(_) => panic!("a wrong passphrase unlocked the vault"),
        }
    }
    let after = snapshot(&root);
    assert_unchanged_or_appended(&before, &after);
    let side = root.join("failed-unlocks.age");
    assert!(after.contains_key(&side), "the failed attempts were recorded");

    let vault = reopen(&root);
    let report = vault.unlock_report();
    assert_eq!(report.failed_attempts.len(), 2);
    assert!(
        report
            .summary()
            .unwrap()
            .starts_with("2 failed attempts to unlock this vault since ")
    );
    let failures = vault
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| {
            matches!(
                e.as_ref().unwrap().event,
                AuditEvent::UnlockFailed {
                    reason: FailedUnlockReason::WrongPassphrase,
                    ..
                }
            )
        })
        .count();
    assert_eq!(failures, 2, "both attempts moved into the audit log");
    assert!(!side.exists(), "the side file is emptied once moved");
    drop(vault);
    assert!(reopen(&root).unlock_report().summary().is_none(), "reported once only");
}

#[test]
fn failed_attempts_are_not_imported_twice_after_a_crash_between_steps() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let wrong = SecretString::from("nope".to_owned());
    let _ = LockedVault::open(&root).unwrap().unlock(Some(&wrong));
    let side = root.join("failed-unlocks.age");
    let saved = std::fs::read(&side).unwrap();
    drop(reopen(&root));
    // Simulate a crash after the audit write but before the side file went away.
    std::fs::write(&side, &saved).unwrap();
    let vault = reopen(&root);
    let failures = vault
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.as_ref().unwrap().event, AuditEvent::UnlockFailed { .. }))
        .count();
    assert_eq!(failures, 1);
}

#[test]
fn second_opener_gets_a_clear_in_use_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let vault = new_vault(&root);
    let started = Instant::now();
    let err = LockedVault::open(&root).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(matches!(err, VaultError::InUse { .. }), "{err}");
    assert!(err.to_string().contains("in use by another sotto process"), "{err}");
    drop(vault);
    drop(reopen(&root));
}

/// Rewrites one record through sled itself, as an attacker with the files could.
fn tamper(root: &Path, tree: &str, edit: impl FnOnce(&sled::Tree)) {
    let db = sled::open(root.join("db")).unwrap();
    edit(&db.open_tree(tree).unwrap());
    db.flush().unwrap();
}

/// A closed vault at `root` with two conversations named `names`, each holding
/// `messages` messages "<name> <i>". Returns their ids.
fn two_conversations(root: &Path, names: [&str; 2], messages: usize) -> (ConversationId, ConversationId) {
    let mut vault = new_vault(root);
    let a = vault.create_conversation(names[0]).unwrap();
    let b = vault.create_conversation(names[1]).unwrap();
    for i in 0..messages {
        for (id, name) in [(a, names[0]), (b, names[1])] {
            vault
                .append_message(id, NewMessage::user(&format!("{name} {i}")))
                .unwrap();
        }
    }
    (a, b)
}

/// Where verify found damage, in its order.
fn damaged_locations(report: &sotto::store::VerifyReport) -> Vec<&RecordLocation> {
    report.damaged.iter().map(|d| &d.location).collect()
}

fn message_key(id: ConversationId, seq: u64) -> Vec<u8> {
    let mut key = id.as_bytes().to_vec();
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

#[test]
fn an_altered_record_is_reported_damaged_and_everything_else_loads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (hit, intact) = two_conversations(&root, ["hit", "intact"], 5);
    tamper(&root, "messages", |tree| {
        let key = message_key(hit, 2);
        let mut value = tree.get(&key).unwrap().unwrap().to_vec();
        let last = value.len() - 1;
        value[last / 2] ^= 0x01;
        tree.insert(key, value).unwrap();
    });
    let vault = reopen(&root);
    let loaded = vault.newest_messages(hit, 10).unwrap();
    assert_eq!(texts(&loaded), ["hit 0", "hit 1", "<damaged #2>", "hit 3", "hit 4"]);
    let damaged = loaded[2].as_ref().unwrap_err();
    assert_eq!((damaged.conversation, damaged.seq), (hit, 2));
    assert_eq!(
        vault
            .newest_messages(intact, 10)
            .unwrap()
            .iter()
            .filter(|m| m.is_ok())
            .count(),
        5
    );
    let report = vault.verify().unwrap();
    assert_eq!(
        damaged_locations(&report),
        [&RecordLocation::Message {
            conversation: hit,
            seq: 2
        }]
    );
    assert_eq!(report.messages, 9);
}

#[test]
fn a_sealed_record_copied_to_another_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (a, b) = two_conversations(&root, ["a", "b"], 3);
    tamper(&root, "messages", |tree| {
        let first = tree.get(message_key(a, 0)).unwrap().unwrap();
        tree.insert(message_key(a, 2), first.clone()).unwrap(); // replayed into a later slot
        tree.insert(message_key(b, 1), first).unwrap(); // moved into another conversation
    });
    tamper(&root, "index", |tree| {
        // Swap the two conversations' index entries.
        let ea = tree.get(a.as_bytes()).unwrap().unwrap();
        let eb = tree.get(b.as_bytes()).unwrap().unwrap();
        tree.insert(a.as_bytes(), eb).unwrap();
        tree.insert(b.as_bytes(), ea).unwrap();
    });
    let vault = reopen(&root);
    assert_eq!(
        texts(&vault.newest_messages(a, 5).unwrap()),
        ["a 0", "a 1", "<damaged #2>"]
    );
    assert_eq!(
        texts(&vault.newest_messages(b, 5).unwrap()),
        ["b 0", "<damaged #1>", "b 2"]
    );
    let list = vault.list_conversations().unwrap();
    assert_eq!(list.conversations.len(), 0);
    assert_eq!(list.damaged.len(), 2, "swapped index entries do not open");
    let report = vault.verify().unwrap();
    assert_eq!(report.damaged.len(), 4, "{:?}", report.damaged);
}

#[test]
fn a_wrapped_key_swapped_between_conversations_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (a, b) = two_conversations(&root, ["a", "b"], 1);
    tamper(&root, "keys", |tree| {
        let ka = tree.get(a.as_bytes()).unwrap().unwrap();
        tree.insert(b.as_bytes(), ka).unwrap();
    });
    let vault = reopen(&root);
    assert_eq!(texts(&vault.newest_messages(a, 5).unwrap()), ["a 0"]);
    let err = vault.newest_messages(b, 5).unwrap_err();
    assert!(
        matches!(err, VaultError::ConversationDamaged { id, .. } if id == b),
        "{err}"
    );
    let report = vault.verify().unwrap();
    assert!(
        report
            .damaged
            .iter()
            .any(|d| d.location == RecordLocation::ConversationKey(b))
    );
}

#[test]
fn a_missing_identity_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    std::fs::remove_file(root.join("identity.age")).unwrap();
    let before = snapshot(&root);
    let err = unlock_error(&root);
    assert!(matches!(err, VaultError::IdentityMissing { .. }), "{err}");
    assert!(
        err.to_string().contains("identity.age") && err.to_string().contains("backup"),
        "{err}"
    );
    assert_eq!(before, snapshot(&root));
}

#[test]
fn an_unreadable_identity_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    std::fs::write(root.join("identity.age"), b"this is not an age file").unwrap();
    let err = unlock_error(&root);
    assert!(matches!(err, VaultError::IdentityUnreadable { .. }), "{err}");
}

#[test]
fn a_swapped_manifest_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    drop(new_vault(&one));
    drop(new_vault(&two));
    std::fs::copy(two.join("vault.toml"), one.join("vault.toml")).unwrap();
    let err = unlock_error(&one);
    assert!(matches!(err, VaultError::RecipientMismatch { .. }), "{err}");
}

#[test]
fn no_vault_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let err = LockedVault::open(&dir.path().join("nothing")).unwrap_err();
    assert!(matches!(err, VaultError::NoVault { .. }));
    assert!(err.to_string().contains("sotto init"), "{err}");
}

#[test]
fn creating_where_a_vault_or_other_files_exist_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let pass = passphrase();
    let again = Vault::create(
        &root,
        NewProtection::Passphrase {
            passphrase: &pass,
            cost: support::cheap_kdf(),
        },
    );
    assert!(matches!(again, Err(VaultError::AlreadyExists { .. })));
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let err = Vault::create(
        &busy,
        NewProtection::Passphrase {
            passphrase: &pass,
            cost: support::cheap_kdf(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, VaultError::NotEmpty { .. }), "{err}");
    assert_eq!(
        std::fs::read_dir(&busy).unwrap().count(),
        1,
        "nothing added to the user's directory"
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    drop(
        Vault::create(
            &empty,
            NewProtection::Passphrase {
                passphrase: &pass,
                cost: support::cheap_kdf(),
            },
        )
        .unwrap(),
    );
}

#[test]
fn an_unwritable_data_dir_leaves_no_half_made_vault() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a directory is needed: fails for root too.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "a file").unwrap();
    let pass = passphrase();
    let err = Vault::create(
        &blocker.join("vault"),
        NewProtection::Passphrase {
            passphrase: &pass,
            cost: support::cheap_kdf(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("blocker"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["blocker"]);
}

#[test]
fn a_failure_half_way_through_creation_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // A plugin identity whose plugin is not installed: creation gets as far as
    // asking the plugin for its recipient, then fails.
    let key = dir.path().join("plugin-key.txt");
    let plugin = age::plugin::Identity::default_for_plugin("sottotestmissing");
    std::fs::write(&key, format!("{plugin}\n")).unwrap();
    let user = UserIdentity::load(&key, None).unwrap();
    let root = dir.path().join("v");
    let err = Vault::create(&root, NewProtection::UserIdentity(&user)).unwrap_err();
    assert!(err.to_string().contains("age-plugin-sottotestmissing"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["plugin-key.txt"], "no vault and no staging directory");
}

fn write_plain_identity(path: &Path) -> age::x25519::Identity {
    let identity = age::x25519::Identity::generate();
    std::fs::write(path, format!("# test key\n{}\n", identity.to_string().expose_secret())).unwrap();
    identity
}

#[test]
fn a_vault_protected_by_a_plain_key_file_opens_without_a_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("me.key");
    write_plain_identity(&key);
    let root = dir.path().join("v");
    let user = UserIdentity::load(&key, None).unwrap();
    let id = {
        let mut vault = Vault::create(&root, NewProtection::UserIdentity(&user)).unwrap();
        let id = vault.create_conversation("keyed").unwrap();
        vault.append_message(id, NewMessage::user("hello")).unwrap();
        id
    };
    let locked = LockedVault::open(&root).unwrap();
    assert!(!locked.needs_passphrase().unwrap());
    let vault = locked.unlock_and_open(None).unwrap();
    assert_eq!(texts(&vault.newest_messages(id, 1).unwrap()), ["hello"]);
    drop(vault);

    // Another key in its place is a wrong identity, recorded like a wrong passphrase.
    write_plain_identity(&key);
    let before = snapshot(&root);
    let err = LockedVault::open(&root).unwrap().unlock(None).err().unwrap();
    assert!(matches!(err, VaultError::WrongIdentity { .. }), "{err}");
    assert_unchanged_or_appended(&before, &snapshot(&root));
    assert!(root.join("failed-unlocks.age").exists());
}

#[test]
fn a_vault_protected_by_a_passphrase_encrypted_key_file_asks_for_that_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let identity = age::x25519::Identity::generate();
    let key = dir.path().join("me.key.age");
    let mut recipient = age::scrypt::Recipient::new(SecretString::from("key file pass".to_owned()));
    recipient.set_work_factor(4);
    let encrypted = age::encrypt(
        &recipient,
        format!("{}\n", identity.to_string().expose_secret()).as_bytes(),
    )
    .unwrap();
    std::fs::write(&key, encrypted).unwrap();
    let key_pass = SecretString::from("key file pass".to_owned());
    let user = UserIdentity::load(&key, Some(&key_pass)).unwrap();
    let root = dir.path().join("v");
    drop(Vault::create(&root, NewProtection::UserIdentity(&user)).unwrap());
    let locked = LockedVault::open(&root).unwrap();
    assert!(locked.needs_passphrase().unwrap());
    assert!(matches!(
        locked.unlock(None),
        Err(VaultError::PassphraseRequired { .. })
    ));
    let wrong = SecretString::from("wrong".to_owned());
    assert!(matches!(
        locked.unlock(Some(&wrong)),
        Err(VaultError::WrongPassphrase { .. })
    ));
    drop(locked.unlock_and_open(Some(&key_pass)).unwrap());
}

#[test]
fn nothing_readable_reaches_disk_and_modes_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data").join("sotto");
    let config_dir = dir.path().join("config");
    std::fs::create_dir(&config_dir).unwrap();
    let canary = "Canary-Marmalade-4471";
    {
        let mut vault = new_vault(&root);
        for n in 0..3 {
            let id = vault.create_conversation(&format!("{canary} title {n}")).unwrap();
            for i in 0..20 {
                vault
                    .append_message(
                        id,
                        NewMessage::user(&format!("user says {canary} #{i} ünïcødé {canary}")),
                    )
                    .unwrap();
                let reply = vault.begin_reply(id, MessageMeta::default()).unwrap();
                vault.checkpoint_reply(id, reply, &format!("partial {canary}")).unwrap();
                vault
                    .finish_reply(id, reply, &format!("reply {canary}"), ReplyState::Complete, None)
                    .unwrap();
            }
            vault.rename_conversation(id, &format!("renamed {canary}")).unwrap();
        }
        vault.set_setting("note", canary).unwrap();
        vault
            .set_secret("api", &SecretString::from(format!("sk-{canary}")))
            .unwrap();
        let gone = vault.create_conversation(canary).unwrap();
        vault.append_message(gone, NewMessage::user(canary)).unwrap();
        vault.delete_conversation(gone).unwrap();
    }
    assert_canary_absent(&[&root, &config_dir], canary);
    let mut checked = 0;
    let mut stack = vec![root.clone()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "directory '{}' has mode {mode:o}", path.display());
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "file '{}' has mode {mode:o}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 6, "expected a populated vault, checked {checked} paths");
}

/// Child half of the kill test: appends messages and streams replies forever,
/// printing each step only once the vault has made it durable.
fn write_until_killed(root: &Path, conversation: ConversationId, round: u32) -> ! {
    use std::io::Write;
    let mut vault = reopen(root);
    let mut out = std::io::stdout().lock();
    let mut ack = |line: String| {
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
    };
    for i in 0.. {
        let text = format!("round {round} message {i} {}", "x".repeat(i % 700));
        let seq = vault.append_message(conversation, NewMessage::user(&text)).unwrap();
        ack(format!("user {seq} {text}"));
        if i % 3 == 0 {
            let seq = vault.begin_reply(conversation, MessageMeta::default()).unwrap();
            ack(format!("reply {seq} "));
            let mut text = String::new();
            for part in 0..3 {
                text.push_str(&format!("part {part} of round {round} reply {i}. "));
                vault.checkpoint_reply(conversation, seq, &text).unwrap();
                ack(format!("reply {seq} {text}"));
            }
            text.push_str("The end.");
            vault
                .finish_reply(conversation, seq, &text, ReplyState::Complete, None)
                .unwrap();
            ack(format!("done {seq} {text}"));
        }
    }
    unreachable!()
}

const CHILD_ENV: &str = "SOTTO_TEST_KILL_CHILD";

/// What the children acknowledged: exact user messages, and for each reply the
/// last durable text and whether it was finished.
#[derive(Default)]
struct Acknowledged {
    users: std::collections::BTreeMap<u64, String>,
    replies: std::collections::BTreeMap<u64, (String, bool)>,
}

impl Acknowledged {
    fn take(&mut self, line: &str) {
        let (kind, rest) = line.split_once(' ').unwrap();
        let (seq, text) = rest.split_once(' ').unwrap();
        let seq: u64 = seq.parse().unwrap();
        match kind {
            "user" => drop(self.users.insert(seq, text.to_owned())),
            "reply" => drop(self.replies.insert(seq, (text.to_owned(), false))),
            "done" => drop(self.replies.insert(seq, (text.to_owned(), true))),
            other => panic!("unexpected line kind {other}"),
        }
    }

    fn count(&self) -> usize {
        self.users.len() + self.replies.len()
    }

    fn check(&self, stored: &[sotto::store::LoadedMessage], round: u32) {
        let by_seq: std::collections::BTreeMap<u64, &sotto::store::Message> = stored
            .iter()
            .map(|m| {
                let m = m.as_ref().expect("every stored message reads");
                (m.seq, m)
            })
            .collect();
        for (seq, text) in &self.users {
            let m = by_seq
                .get(seq)
                .unwrap_or_else(|| panic!("round {round}: message #{seq} lost"));
            assert_eq!(
                (&m.text, m.role),
                (text, Role::User),
                "round {round}: message #{seq} changed"
            );
        }
        for (seq, (text, finished)) in &self.replies {
            let m = by_seq
                .get(seq)
                .unwrap_or_else(|| panic!("round {round}: reply #{seq} lost"));
            if *finished {
                assert_eq!(
                    (&m.text, m.meta.state),
                    (text, ReplyState::Complete),
                    "round {round}: reply #{seq}"
                );
            } else {
                assert!(
                    m.text.starts_with(text.as_str()),
                    "round {round}: reply #{seq} lost its checkpoint {text:?}, has {:?}",
                    m.text
                );
                assert!(matches!(m.meta.state, ReplyState::Interrupted | ReplyState::Complete));
            }
        }
    }
}

#[test]
fn acknowledged_messages_survive_sigkill_at_random_moments() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let mut parts = spec.splitn(3, '|');
        let (root, id, round) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        write_until_killed(Path::new(root), id.parse().unwrap(), round.parse().unwrap());
    }
    use rand::Rng;
    use std::io::Read;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let id = {
        let mut vault = new_vault(&root);
        vault.create_conversation("durability").unwrap()
    };
    let mut acked = Acknowledged::default();
    let mut rng = rand::thread_rng();
    const ROUNDS: u32 = 50;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "acknowledged_messages_survive_sigkill_at_random_moments",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, format!("{}|{id}|{round}", root.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Read while the child writes, or a full pipe would stall it.
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            stdout.read_to_string(&mut out).unwrap();
            out
        });
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..150)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let out = reader.join().unwrap();
        // Only complete lines were acknowledged; a line cut by the kill was not.
        let complete = &out[..out.rfind('\n').map_or(0, |i| i + 1)];
        let acks = ["user ", "reply ", "done "];
        for line in complete.lines().filter(|l| acks.iter().any(|a| l.starts_with(a))) {
            acked.take(line);
        }
        let vault = reopen(&root);
        assert!(
            vault.unlock_report().storage_losses.is_empty(),
            "round {round}: a crash read as a storage loss: {:?}",
            vault.unlock_report().storage_losses
        );
        let stored = vault.newest_messages(id, usize::MAX).unwrap();
        acked.check(&stored, round);
        let count = vault.message_count(id).unwrap();
        assert_eq!(
            count,
            stored.len() as u64,
            "round {round}: the index count disagrees with the messages"
        );
        assert_eq!(
            stored.last().map_or(0, |m| m.as_ref().unwrap().seq + 1),
            count,
            "round {round}: gaps"
        );
        if round % 10 == 9 {
            assert!(
                vault.verify().unwrap().is_intact(),
                "round {round}: the vault has damaged records"
            );
        }
    }
    assert!(
        acked.count() > ROUNDS as usize,
        "the children acknowledged too little to prove anything: {}",
        acked.count()
    );
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
fn verify_reports_a_conversation_whose_index_entry_was_removed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let id = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("vanishing").unwrap();
        vault.append_message(id, NewMessage::user("one")).unwrap();
        vault.append_message(id, NewMessage::user("two")).unwrap();
        id
    };
    tamper(&root, "index", |tree| {
        tree.remove(id.as_bytes()).unwrap();
    });
    let vault = reopen(&root);
    assert!(
        vault.unlock_report().storage_losses.is_empty(),
        "tampering, not a loss inside sled"
    );
    assert!(vault.list_conversations().unwrap().conversations.is_empty());
    let report = vault.verify().unwrap();
    assert_eq!(
        damaged_locations(&report),
        [
            &RecordLocation::ConversationEntry(id),
            &RecordLocation::Message {
                conversation: id,
                seq: 0
            },
            &RecordLocation::Message {
                conversation: id,
                seq: 1
            },
        ]
    );
}

#[test]
fn a_rolled_back_index_entry_is_reported_and_appends_never_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let id = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("rollback").unwrap();
        vault.append_message(id, NewMessage::user("m0")).unwrap();
        vault.append_message(id, NewMessage::user("m1")).unwrap();
        id
    };
    let old_entry = sled::open(root.join("db"))
        .and_then(|db| db.open_tree("index"))
        .and_then(|tree| tree.get(id.as_bytes()))
        .unwrap()
        .unwrap();
    {
        let mut vault = reopen(&root);
        vault.append_message(id, NewMessage::user("m2")).unwrap();
        vault.append_message(id, NewMessage::user("m3")).unwrap();
    }
    // Replay the older, validly sealed index entry into its own slot.
    tamper(&root, "index", |tree| {
        tree.insert(id.as_bytes(), old_entry).unwrap();
    });
    let mut vault = reopen(&root);
    assert!(
        vault.unlock_report().storage_losses.is_empty(),
        "tampering, not a loss inside sled"
    );
    let report = vault.verify().unwrap();
    assert_eq!(
        damaged_locations(&report),
        [
            &RecordLocation::Message {
                conversation: id,
                seq: 2
            },
            &RecordLocation::Message {
                conversation: id,
                seq: 3
            },
        ]
    );
    let err = vault
        .append_message(id, NewMessage::user("would overwrite m2"))
        .unwrap_err();
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    assert_eq!(texts(&vault.messages_in_range(id, 2..3).unwrap()), ["m2"]);
}

#[test]
fn a_removed_audit_event_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    {
        let mut vault = new_vault(&root);
        vault.record_audit(AuditEvent::PassphraseChanged).unwrap();
        vault.record_audit(AuditEvent::Rekey).unwrap();
    }
    tamper(&root, "audit", |tree| {
        tree.remove(1u64.to_be_bytes()).unwrap();
    });
    let report = reopen(&root).verify().unwrap();
    assert_eq!(damaged_locations(&report), [&RecordLocation::AuditEvent(1)]);
}

#[test]
fn a_wrong_passphrase_is_reported_even_when_the_attempt_cannot_be_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    // A directory where the side file goes: appending to it fails, even for root.
    std::fs::create_dir(root.join("failed-unlocks.age")).unwrap();
    let wrong = SecretString::from("nope".to_owned());
    match LockedVault::open(&root).unwrap().unlock(Some(&wrong)) {
        Err(VaultError::WrongPassphrase { note, .. }) => {
            assert!(note.contains("could not be recorded"), "{note}")
        }
        Err(other) => panic!("expected WrongPassphrase, got {other}"),
        Ok(_) => panic!("unlocked with a wrong passphrase"),
    }
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
fn a_vault_can_be_made_in_an_empty_directory_reached_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("mounted");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let pass = passphrase();
    let vault = Vault::create(
        &link,
        NewProtection::Passphrase {
            passphrase: &pass,
            cost: support::cheap_kdf(),
        },
    )
    .unwrap();
    assert_eq!(vault.root(), real.canonicalize().unwrap());
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o700);
    drop(vault);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    drop(reopen(&link));
}

#[test]
fn the_remains_of_an_interrupted_init_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    // What a crash before the manifest (written last) leaves.
    std::fs::remove_file(root.join("vault.toml")).unwrap();
    let pass = passphrase();
    let err = Vault::create(
        &root,
        NewProtection::Passphrase {
            passphrase: &pass,
            cost: support::cheap_kdf(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, VaultError::InterruptedInit { .. }), "{err}");
    assert!(err.to_string().contains("interrupted 'sotto init'"), "{err}");
}

#[test]
fn raw_damage_in_the_database_files_never_loses_records_silently() {
    use sotto::store::StorageLoss;
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    let id = long_log_vault(&pristine);
    let mut losses_seen = 0;
    for percent in [50, 30, 70, 10, 90] {
        let root = dir.path().join(format!("flipped-{percent}"));
        copy_dir(&pristine, &root);
        flip_log_byte(&root, percent);
        let opened = LockedVault::open(&root).unwrap().unlock_and_open(Some(&passphrase()));
        let vault = match opened {
            // sled found the damage and refused: a clear error, not a silent loss.
            Err(VaultError::Database { .. }) => continue,
            Err(other) => panic!("{percent}%: unexpected error {other}"),
            Ok(vault) => vault,
        };
        let stored = vault.newest_messages(id, usize::MAX).unwrap().len() as u64;
        let losses = vault.unlock_report().storage_losses.clone();
        if stored == 50 {
            assert!(
                losses.is_empty(),
                "{percent}%: nothing was lost but {losses:?} was reported"
            );
            continue;
        }
        assert_eq!(
            losses,
            [StorageLoss::Messages {
                id,
                from: stored,
                to: 50
            }],
            "{percent}%: {stored} of 50 messages remain"
        );
        assert!(!vault.verify().unwrap().is_intact());
        let logged =
            vault.audit_log().unwrap().into_iter().any(
                |e| matches!(e.unwrap().event, AuditEvent::StorageLoss { messages, .. } if messages == 50 - stored),
            );
        assert!(logged, "{percent}%: the loss is not in the audit log");
        drop(vault);
        assert!(
            reopen(&root).unlock_report().storage_losses.is_empty(),
            "reported once, then on record"
        );
        losses_seen += 1;
    }
    assert!(
        losses_seen > 0,
        "no flip made sled discard records; the test proves nothing"
    );
}

const DELETE_CHILD_ENV: &str = "SOTTO_TEST_DELETE_CHILD";

#[test]
fn a_crash_right_after_deleting_a_conversation_is_not_read_as_a_loss() {
    if let Ok(spec) = std::env::var(DELETE_CHILD_ENV) {
        let (root, id) = spec.split_once('|').unwrap();
        let mut vault = reopen(Path::new(root));
        vault.delete_conversation(id.parse().unwrap()).unwrap();
        // Straight to stdout: the test harness captures println!.
        use std::io::Write;
        writeln!(std::io::stdout(), "deleted").unwrap();
        std::io::stdout().flush().unwrap();
        std::thread::sleep(Duration::from_secs(60)); // killed here, never closing the vault
        unreachable!();
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (gone, kept) = {
        let mut vault = new_vault(&root);
        let gone = vault.create_conversation("gone").unwrap();
        let kept = vault.create_conversation("kept").unwrap();
        vault.append_message(gone, NewMessage::user("bye")).unwrap();
        (gone, kept)
    };
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "a_crash_right_after_deleting_a_conversation_is_not_read_as_a_loss",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DELETE_CHILD_ENV, format!("{}|{gone}", root.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    // libtest prints "test <name> ... " before the test runs, on the same line.
    let deleted = std::io::BufRead::lines(stdout).any(|line| line.unwrap().ends_with("deleted"));
    assert!(deleted, "the child did not delete the conversation");
    child.kill().unwrap();
    child.wait().unwrap();
    let vault = reopen(&root);
    assert!(
        vault.unlock_report().storage_losses.is_empty(),
        "{:?}",
        vault.unlock_report().storage_losses
    );
    let ids: Vec<ConversationId> = vault
        .list_conversations()
        .unwrap()
        .conversations
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, [kept]);
}
