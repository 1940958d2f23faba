//! Tampering and damage: altered, moved, swapped, removed and rolled-back
//! records, and raw damage inside sled's files.

use super::*;

/// Rewrites one record through sled itself, as an attacker with the files could.
fn tamper(root: &Path, tree: &str, edit: impl FnOnce(&sled::Tree)) {
    let db = support::open_sled_directly(root);
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

use support::message_key;

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
    let old_entry = support::open_sled_directly(&root)
        .open_tree("index")
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
            Err(VaultError::DatabaseCorrupted { .. } | VaultError::Database { .. }) => continue,
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
        assert!(
            matches!(
                losses.as_slice(),
                [StorageLoss::Messages { id: lost, from, to: 50, name: Some(name) }]
                    if *lost == id && *from == stored && name.title == "bit rot" && name.last_message_at.is_some()
            ),
            "{percent}%: {stored} of 50 messages remain, and {losses:?}"
        );
        assert!(
            losses[0].described().starts_with("'bit rot': messages #"),
            "{}",
            losses[0].described()
        );
        assert!(!losses[0].to_string().contains("bit rot"), "a warning names no title");
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

#[test]
fn lost_audit_events_are_noticed_even_when_new_events_follow() {
    use sotto::store::StorageLoss;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    {
        let mut vault = new_vault(&root);
        vault.record_audit(AuditEvent::PassphraseChanged).unwrap();
        vault.record_audit(AuditEvent::Rekey).unwrap();
    } // closed: the watermark says three audit events
    // The last two vanish, as if sled had discarded the end of its log…
    tamper(&root, "audit", |tree| {
        for seq in [1u64, 2] {
            tree.remove(seq.to_be_bytes()).unwrap();
        }
    });
    // …and two failed unlocks would fill exactly those slots when imported.
    let wrong = SecretString::from("nope".to_owned());
    for _ in 0..2 {
        assert!(LockedVault::open(&root).unwrap().unlock(Some(&wrong)).is_err());
    }
    let vault = reopen(&root);
    assert_eq!(vault.unlock_report().failed_attempts.len(), 2);
    assert_eq!(
        vault.unlock_report().storage_losses,
        [StorageLoss::AuditEvents { from: 1, to: 3 }]
    );
}

#[test]
fn an_unreadable_watermark_is_reported_once_and_started_over() {
    use sotto::store::StorageLoss;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    std::fs::write(root.join("watermark.sealed"), b"damaged").unwrap();
    let vault = reopen(&root);
    let losses = &vault.unlock_report().storage_losses;
    assert!(
        matches!(losses.as_slice(), [StorageLoss::Unverifiable { .. }]),
        "{losses:?}"
    );
    assert!(!vault.verify().unwrap().is_intact());
    let recorded = vault
        .audit_log()
        .unwrap()
        .into_iter()
        .any(|e| e.unwrap().event == AuditEvent::WatermarkUnreadable);
    assert!(recorded);
    drop(vault);
    assert!(reopen(&root).unlock_report().storage_losses.is_empty());
}

#[test]
fn a_record_planted_at_the_end_of_the_audit_log_neither_locks_the_vault_nor_fills_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    tamper(&root, "audit", |tree| {
        tree.insert(u64::MAX.to_be_bytes(), b"planted".to_vec()).unwrap();
        tree.insert(b"not-a-seq", b"planted".to_vec()).unwrap();
    });
    let mut vault = reopen(&root);
    vault.record_audit(AuditEvent::Rekey).unwrap();
    assert!(
        vault
            .audit_log()
            .unwrap()
            .iter()
            .any(|e| e.as_ref().is_ok_and(|e| e.event == AuditEvent::Rekey))
    );
    assert!(!vault.verify().unwrap().is_intact());
}

/// A record already under a conversation's id (planted, or left by damage)
/// stops its import before anything is written: a long conversation is
/// written in several commits, and without the look first its earlier
/// commits went in, and their clean-up removed the stray record with them.
#[test]
fn an_import_refuses_a_conversation_whose_id_already_has_a_message_record() {
    // A conversation of one commit, and one of three (500 messages each)
    // with the stray record in its last.
    for (messages, planted_at) in [(8, 5), (1_200, 1_100)] {
        refused_import_leaves_everything_as_it_was(messages, planted_at);
    }
}

fn refused_import_leaves_everything_as_it_was(messages: u64, planted_at: u64) {
    use sotto::store::{ImportedConversation, ImportedMessage};
    use sotto::time::Timestamp;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (kept, _) = two_conversations(&root, ["kept", "other"], 2);
    let id = ConversationId::from_bytes([7; 16]);
    let planted = b"not a sealed record".to_vec();
    tamper(&root, "messages", |tree| {
        tree.insert(message_key(id, planted_at), planted.clone()).unwrap();
    });
    let mut vault = reopen(&root);
    let at = Timestamp::from_unix_ms(1_700_000_000_000);
    let conversation = ImportedConversation {
        id,
        title: "imported".into(),
        created: at,
        updated: at,
        retention: None,
        messages: (0..messages)
            .map(|seq| ImportedMessage {
                seq,
                role: Role::User,
                at,
                text: format!("imported {seq}"),
                meta: Default::default(),
            })
            .collect(),
    };
    let err = vault.import_conversation(conversation).unwrap_err();
    assert!(
        err.to_string().contains("refusing to overwrite") && err.to_string().contains("sotto verify"),
        "{messages} messages: {err}"
    );
    assert!(!vault.has_conversation(id).unwrap());
    assert_eq!(vault.list_conversations().unwrap().conversations.len(), 2);
    assert_eq!(texts(&vault.newest_messages(kept, 10).unwrap()), ["kept 0", "kept 1"]);
    drop(vault);
    let db = support::open_sled_directly(&root);
    let stored: Vec<_> = db
        .open_tree("messages")
        .unwrap()
        .scan_prefix(id.as_bytes())
        .map(|item| item.unwrap())
        .collect();
    assert_eq!(
        stored,
        [(
            sled::IVec::from(message_key(id, planted_at)),
            sled::IVec::from(planted.clone())
        )],
        "{messages} messages: only the planted record is under the id"
    );
    let meta = db.open_tree("meta").unwrap();
    assert_eq!(
        meta.scan_prefix(b"import-pending/").count(),
        0,
        "a pending marker was left"
    );
}
