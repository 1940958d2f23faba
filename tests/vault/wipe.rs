//! Wipes, rekeys and passphrase changes: what they remove cannot be recovered
//! from any byte left on disk, even with the passphrase; everything else still
//! reads; and a process killed in the middle leaves a vault that opens.

use super::*;
use sotto::time::Timestamp;
use support::forensics;

const KEPT_MARKER: &str = "kept-marker-5be1c0";

/// A vault with three conversations, one of which is full of `canary`.
fn filled_vault(root: &Path, canary: &str) -> (ConversationId, Vec<ConversationId>) {
    let mut vault = new_vault(root);
    let mut kept = Vec::new();
    for n in 0..2 {
        let id = vault.create_conversation(&format!("kept {n}")).unwrap();
        for i in 0..20 {
            vault
                .append_message(id, NewMessage::user(&format!("{KEPT_MARKER} {n}/{i}")))
                .unwrap();
        }
        kept.push(id);
    }
    let doomed = vault.create_conversation(&format!("title {canary}")).unwrap();
    for i in 0..20 {
        vault
            .append_message(doomed, NewMessage::user(&format!("{canary} message {i}")))
            .unwrap();
    }
    vault.rename_conversation(doomed, &format!("renamed {canary}")).unwrap();
    (doomed, kept)
}

#[test]
fn a_wiped_conversation_cannot_be_recovered_from_any_byte_even_with_the_passphrase() {
    let canary = "canary-wipe-9d4e2a";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (doomed, kept) = filled_vault(&root, canary);

    // The toolkit works: before the wipe it recovers the canary and the rest.
    let before = forensics::attack(&root, &passphrase());
    assert!(
        before.contains(canary),
        "the attack recovers nothing even before the wipe"
    );
    assert!(before.contains(KEPT_MARKER));

    let mut vault = reopen(&root);
    let report = vault.wipe_conversation(doomed).unwrap();
    assert_eq!((report.conversations_removed, report.messages_removed), (1, 20));
    assert_eq!(report.left_damaged, 0);
    drop(vault);

    let after = forensics::attack(&root, &passphrase());
    assert!(!after.identities.is_empty() && !after.data_keys.is_empty());
    assert!(
        !after.contains(canary),
        "a wiped conversation came back from the bytes on disk"
    );
    assert!(after.contains(KEPT_MARKER), "the attack no longer reads what it should");
    assert_canary_absent(&[&root], canary);

    let vault = reopen(&root);
    assert!(vault.unlock_report().storage_losses.is_empty());
    assert!(vault.verify().unwrap().is_intact());
    let left: Vec<ConversationId> = vault
        .list_conversations()
        .unwrap()
        .conversations
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(left.len(), 2);
    for id in kept {
        assert!(left.contains(&id));
        assert_eq!(vault.newest_messages(id, 100).unwrap().len(), 20);
    }
    let log = vault.audit_log().unwrap();
    assert!(log.iter().any(|e| matches!(
        e,
        Ok(entry) if entry.event == AuditEvent::Wipe {
            scope: Scope::Conversation { id: doomed },
            conversations: 1,
            messages: 20
        }
    )));
}

#[test]
fn wiping_older_than_a_date_shreds_old_messages_and_keeps_newer_ones() {
    let canary = "canary-old-71f0c3";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let cutoff = Timestamp::from_unix_ms(1_700_000_000_000);
    let old = Timestamp::from_unix_ms(1_600_000_000_000);
    let (mixed, recent) = {
        let mut vault = new_vault(&root);
        let mixed = vault.create_conversation("mixed").unwrap();
        let at = |at| NewMessage {
            at: Some(at),
            ..NewMessage::user(canary)
        };
        vault.append_messages(mixed, [at(old), at(old)]).unwrap();
        vault
            .append_message(mixed, NewMessage::user(&format!("{KEPT_MARKER} new")))
            .unwrap();
        let recent = vault.create_conversation("recent").unwrap();
        vault.append_message(recent, NewMessage::user(KEPT_MARKER)).unwrap();
        (mixed, recent)
    };
    let mut vault = reopen(&root);
    let report = vault.wipe_older_than(cutoff).unwrap();
    assert_eq!((report.conversations_removed, report.messages_removed), (0, 2));
    let left = vault.newest_messages(mixed, 10).unwrap();
    assert_eq!(texts(&left), [format!("{KEPT_MARKER} new")]);
    let summary = vault.conversation(mixed).unwrap();
    assert_eq!(summary.message_count, 1);
    assert!(summary.first_message_at.unwrap() >= cutoff);
    assert_eq!(vault.newest_messages(recent, 10).unwrap().len(), 1);
    drop(vault);

    let recovered = forensics::attack(&root, &passphrase());
    assert!(
        !recovered.contains(canary),
        "an expired message came back from the bytes on disk"
    );
    assert!(recovered.contains(KEPT_MARKER));
    let vault = reopen(&root);
    assert!(vault.verify().unwrap().is_intact());
    assert!(vault.unlock_report().storage_losses.is_empty());
}

#[test]
fn rekey_changes_the_identity_and_everything_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (doomed, kept) = filled_vault(&root, "not-a-canary");
    let mut vault = reopen(&root);
    let old = vault.recipient();
    let report = vault.rekey().unwrap();
    assert_eq!(report.keys_rewrapped, 3);
    assert_ne!(vault.recipient(), old);
    assert_eq!(vault.manifest().recipient, vault.recipient());
    drop(vault);
    let vault = reopen(&root);
    for id in kept.into_iter().chain([doomed]) {
        assert_eq!(vault.newest_messages(id, 100).unwrap().len(), 20);
    }
    assert!(vault.verify().unwrap().is_intact());
    assert!(matches!(
        vault.audit_log().unwrap().last(),
        Some(Ok(entry)) if entry.event == AuditEvent::Rekey
    ));
}

#[test]
fn a_new_passphrase_opens_the_vault_and_the_old_one_no_longer_does() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (doomed, _) = filled_vault(&root, "not-a-canary");
    let old_identity_file = std::fs::read(root.join("identity.age")).unwrap();
    let new = SecretString::from("a different and long passphrase".to_owned());
    reopen(&root).change_passphrase(&new, support::cheap_kdf()).unwrap();
    assert!(matches!(unlock_error(&root), VaultError::WrongPassphrase { .. }));
    let vault = LockedVault::open(&root).unwrap().unlock_and_open(Some(&new)).unwrap();
    assert_eq!(vault.newest_messages(doomed, 100).unwrap().len(), 20);
    drop(vault);
    // A copy of the old identity file, opened with the old passphrase, opens
    // nothing stored now: the identity was rotated with the passphrase.
    std::fs::write(root.join("identity.age"), &old_identity_file).unwrap();
    assert!(matches!(
        LockedVault::open(&root).unwrap().unlock_and_open(Some(&passphrase())),
        Err(VaultError::RecipientMismatch { .. })
    ));
}

#[test]
fn wiping_everything_leaves_no_vault_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    filled_vault(&root, "not-a-canary");
    reopen(&root).wipe_everything().unwrap();
    assert!(!root.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "something was left beside the vault"
    );
    assert!(matches!(LockedVault::open(&root), Err(VaultError::NoVault { .. })));
}

const KILL_CHILD_ENV: &str = "SOTTO_TEST_WIPE_CHILD";
const KILL_ROUNDS: usize = 25;

#[test]
fn a_wipe_killed_at_any_moment_leaves_a_vault_that_opens_with_the_wipe_done_or_not() {
    if let Ok(spec) = std::env::var(KILL_CHILD_ENV) {
        let (root, id) = spec.split_once('|').unwrap();
        let mut vault = reopen(Path::new(root));
        use std::io::Write;
        writeln!(std::io::stdout(), "opened").unwrap();
        std::io::stdout().flush().unwrap();
        let _ = vault.wipe_conversation(id.parse().unwrap());
        loop {
            vault.rekey().unwrap();
        }
    }
    use rand::Rng;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (mut doomed, kept) = filled_vault(&root, "not-a-canary");
    // How often the kill found the wipe not done, and done.
    let mut outcomes = [0usize; 2];
    for round in 0..KILL_ROUNDS {
        let mut child = spawn_child_test(
            "wipe::a_wipe_killed_at_any_moment_leaves_a_vault_that_opens_with_the_wipe_done_or_not",
            KILL_CHILD_ENV,
            format!("{}|{doomed}", root.display()),
        );
        assert!(
            child_says(&mut child, "opened"),
            "round {round}: the child did not open the vault"
        );
        std::thread::sleep(Duration::from_micros(rand::thread_rng().gen_range(0..20_000)));
        child.kill().unwrap();
        child.wait().unwrap();

        let vault = reopen(&root);
        assert!(vault.verify().unwrap().is_intact(), "round {round}");
        assert!(vault.unlock_report().storage_losses.is_empty(), "round {round}");
        for id in &kept {
            assert_eq!(vault.newest_messages(*id, 100).unwrap().len(), 20, "round {round}");
        }
        match vault.conversation(doomed) {
            Ok(_) => {
                let messages = vault.newest_messages(doomed, 100).unwrap();
                assert_eq!(messages.len(), 20, "round {round}: a half-wiped conversation");
                outcomes[0] += 1;
            }
            Err(VaultError::ConversationNotFound(_)) => {
                assert!(matches!(
                    vault.newest_messages(doomed, 1),
                    Err(VaultError::ConversationNotFound(_) | VaultError::ConversationDamaged { .. })
                ));
                outcomes[1] += 1;
            }
            Err(e) => panic!("round {round}: {e}"),
        }
        for name in ["rotation.pending", "identity.next.age", "watermark.next.sealed"] {
            assert!(
                !root.join(name).exists(),
                "round {round}: '{name}' was left after unlock"
            );
        }
        drop(vault);
        if outcomes[1] > 0 && vault_lacks(&root, doomed) {
            doomed = add_doomed(&root);
        }
    }
    println!("wipe kill test: not done {}, done {}", outcomes[0], outcomes[1]);
    assert!(
        outcomes[1] > 0,
        "the wipe never completed in {KILL_ROUNDS} rounds: {outcomes:?}"
    );
}

fn vault_lacks(root: &Path, id: ConversationId) -> bool {
    matches!(reopen(root).conversation(id), Err(VaultError::ConversationNotFound(_)))
}

fn add_doomed(root: &Path) -> ConversationId {
    let mut vault = reopen(root);
    let id = vault.create_conversation("doomed").unwrap();
    for i in 0..20 {
        vault
            .append_message(id, NewMessage::user(&format!("doomed {i}")))
            .unwrap();
    }
    id
}

/// The files of a vault before and after a rekey, to assemble the states an
/// interrupted rotation leaves.
struct Rotation {
    _dir: tempfile::TempDir,
    before: std::path::PathBuf,
    after: std::path::PathBuf,
    conversation: ConversationId,
}

fn rotation() -> Rotation {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before");
    let after = dir.path().join("after");
    let (conversation, _) = filled_vault(&before, "not-a-canary");
    copy_dir(&before, &after);
    reopen(&after).rekey().unwrap();
    Rotation {
        _dir: dir,
        before,
        after,
        conversation,
    }
}

fn recipient_of(root: &Path) -> String {
    let manifest = std::fs::read_to_string(root.join("vault.toml")).unwrap();
    let line = manifest.lines().find(|l| l.starts_with("recipient")).unwrap();
    line.split('"').nth(1).unwrap().to_owned()
}

fn write_marker(root: &Path, from: &str, to: &str) {
    std::fs::write(
        root.join("rotation.pending"),
        format!("from = \"{from}\"\nto = \"{to}\"\n"),
    )
    .unwrap();
}

fn assert_settled(root: &Path, conversation: ConversationId, recipient: &str) {
    let vault = reopen(root);
    assert_eq!(vault.recipient(), recipient);
    assert_eq!(vault.manifest().recipient, recipient);
    assert_eq!(vault.newest_messages(conversation, 100).unwrap().len(), 20);
    assert!(vault.verify().unwrap().is_intact());
    assert!(vault.unlock_report().storage_losses.is_empty());
    drop(vault);
    for name in ["rotation.pending", "identity.next.age", "watermark.next.sealed"] {
        assert!(!root.join(name).exists(), "'{name}' was left after unlock");
    }
}

#[test]
fn a_rotation_interrupted_before_its_commit_is_rolled_back_at_unlock() {
    let r = rotation();
    let (old, new) = (recipient_of(&r.before), recipient_of(&r.after));
    // The new files were written, the database never changed.
    std::fs::copy(r.after.join("identity.age"), r.before.join("identity.next.age")).unwrap();
    std::fs::copy(r.after.join("watermark.sealed"), r.before.join("watermark.next.sealed")).unwrap();
    write_marker(&r.before, &old, &new);
    assert_settled(&r.before, r.conversation, &old);
}

#[test]
fn a_rotation_interrupted_after_its_commit_is_finished_at_unlock() {
    let r = rotation();
    let (old, new) = (recipient_of(&r.before), recipient_of(&r.after));
    // The database was committed; the old identity and manifest are still in place.
    std::fs::rename(r.after.join("identity.age"), r.after.join("identity.next.age")).unwrap();
    std::fs::copy(r.before.join("identity.age"), r.after.join("identity.age")).unwrap();
    std::fs::copy(r.before.join("vault.toml"), r.after.join("vault.toml")).unwrap();
    write_marker(&r.after, &old, &new);
    let old_identity = std::fs::read(r.after.join("identity.age")).unwrap();
    assert_settled(&r.after, r.conversation, &new);
    assert_ne!(std::fs::read(r.after.join("identity.age")).unwrap(), old_identity);
}

#[test]
fn a_rotation_interrupted_after_overwriting_the_old_identity_is_finished_at_unlock() {
    let r = rotation();
    let (old, new) = (recipient_of(&r.before), recipient_of(&r.after));
    std::fs::rename(r.after.join("identity.age"), r.after.join("identity.next.age")).unwrap();
    std::fs::write(r.after.join("identity.age"), vec![0x5a; 300]).unwrap();
    write_marker(&r.after, &old, &new);
    assert_settled(&r.after, r.conversation, &new);
}

#[test]
fn a_marker_naming_neither_identity_is_refused_as_tampering() {
    let r = rotation();
    write_marker(&r.after, "age1somebodyelse", "age1someoneelse");
    std::fs::copy(r.before.join("vault.toml"), r.after.join("vault.toml")).unwrap();
    assert!(matches!(
        LockedVault::open(&r.after)
            .unwrap()
            .unlock_and_open(Some(&passphrase())),
        Err(VaultError::RecipientMismatch { .. })
    ));
}

#[test]
fn retention_wipes_what_each_rule_expires_for_good_and_nothing_else() {
    let canary = "canary-expired-3e81aa";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let now = Timestamp::now();
    let old = Timestamp::from_unix_ms(now.as_unix_ms() - 3 * 24 * 3_600_000);
    let at = |at, text: &'static str| NewMessage {
        at: Some(at),
        ..NewMessage::user(text)
    };
    let (mixed, kept_forever, expired) = {
        let mut vault = new_vault(&root);
        let mixed = vault.create_conversation("mixed").unwrap();
        vault
            .append_messages(mixed, [at(old, canary), at(now, KEPT_MARKER)])
            .unwrap();
        let kept_forever = vault.create_conversation("forever").unwrap();
        vault.append_messages(kept_forever, [at(old, KEPT_MARKER)]).unwrap();
        vault
            .set_conversation_retention(kept_forever, Some(sotto::store::Retention::Forever))
            .unwrap();
        let expired = vault.create_conversation("expired").unwrap();
        vault.append_messages(expired, [at(old, canary)]).unwrap();
        (mixed, kept_forever, expired)
    };
    let mut vault = reopen(&root);
    assert_eq!(vault.sweep_retention(now).unwrap(), None, "no rule, nothing expires");
    vault
        .set_default_retention(Some(sotto::time::Span::parse("1d").unwrap()))
        .unwrap();
    // The conversation was created just now, so only its messages are old.
    let report = vault.sweep_retention(now).unwrap().expect("something expired");
    assert_eq!((report.conversations_removed, report.messages_removed), (0, 2));
    assert_eq!(texts(&vault.newest_messages(mixed, 10).unwrap()), [KEPT_MARKER]);
    assert_eq!(vault.newest_messages(kept_forever, 10).unwrap().len(), 1);
    assert_eq!(vault.conversation(expired).unwrap().message_count, 0);
    assert_eq!(
        vault.sweep_retention(now).unwrap(),
        None,
        "a second sweep finds nothing"
    );
    // Two days later everything but the 'forever' conversation has expired,
    // the emptied conversation and the mixed one with it.
    let later = Timestamp::from_unix_ms(now.as_unix_ms() + 2 * 24 * 3_600_000);
    let report = vault.sweep_retention(later).unwrap().expect("more expired");
    assert_eq!((report.conversations_removed, report.messages_removed), (2, 1));
    assert_eq!(vault.newest_messages(kept_forever, 10).unwrap().len(), 1);
    assert!(matches!(
        vault.conversation(expired),
        Err(VaultError::ConversationNotFound(_))
    ));
    assert!(matches!(
        vault.audit_log().unwrap().last(),
        Some(Ok(entry)) if matches!(entry.event, AuditEvent::RetentionSweep { .. })
    ));
    drop(vault);
    let recovered = forensics::attack(&root, &passphrase());
    assert!(
        !recovered.contains(canary),
        "an expired message came back from the bytes on disk"
    );
    assert!(recovered.contains(KEPT_MARKER));
}

#[test]
fn a_prepared_identity_serves_the_next_wipe_and_never_outlives_a_passphrase_change() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (doomed, kept) = filled_vault(&root, "not-a-canary");
    let mut vault = reopen(&root);
    vault.prepare_rotation();
    assert!(vault.rotation_prepared());
    vault.wipe_conversation(doomed).unwrap();
    assert!(!vault.rotation_prepared(), "the prepared identity was used");
    assert_eq!(vault.manifest().recipient, vault.recipient());
    drop(vault);
    let mut vault = reopen(&root);
    assert_eq!(vault.newest_messages(kept[0], 100).unwrap().len(), 20);

    // Prepared under the old passphrase, then the passphrase changes: the
    // rotation must seal with the new one.
    vault.prepare_rotation();
    let new = SecretString::from("a different and long passphrase".to_owned());
    vault.change_passphrase(&new, support::cheap_kdf()).unwrap();
    drop(vault);
    assert!(matches!(unlock_error(&root), VaultError::WrongPassphrase { .. }));
    let vault = LockedVault::open(&root).unwrap().unlock_and_open(Some(&new)).unwrap();
    assert_eq!(vault.newest_messages(kept[1], 100).unwrap().len(), 20);
}

#[test]
fn a_vault_with_a_long_audit_log_still_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let mut vault = new_vault(&root);
    let id = vault.create_conversation("doomed").unwrap();
    for _ in 0..1_100 {
        vault.record_audit(AuditEvent::PassphraseChanged).unwrap();
    }
    vault.wipe_conversation(id).unwrap();
    vault.rekey().unwrap();
    let events = vault.audit_log().unwrap();
    assert_eq!(events.len(), 1_103, "every event kept, the two new ones appended");
    assert!(events.iter().all(|e| e.is_ok()));
    drop(vault);
    assert!(reopen(&root).verify().unwrap().is_intact());
}

#[test]
fn a_recovery_unlock_mid_way_through_finishing_a_rotation_keeps_the_only_passphrase_copy() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before");
    let after = dir.path().join("after");
    let (conversation, _) = filled_vault(&before, "not-a-canary");
    let key = reopen(&before).create_recovery_key().unwrap();
    copy_dir(&before, &after);
    reopen(&after).rekey().unwrap();
    let (old, new) = (recipient_of(&before), recipient_of(&after));
    // Killed after the recovery copy was renamed into place and before the
    // identity was: identity.age overwritten, the new one still pending.
    std::fs::rename(after.join("identity.age"), after.join("identity.next.age")).unwrap();
    std::fs::write(after.join("identity.age"), vec![0x5a; 300]).unwrap();
    write_marker(&after, &old, &new);
    let locked = LockedVault::open(&after).unwrap();
    let unlocked = locked.unlock_with_recovery_key(&key).unwrap();
    let vault = locked.open_unlocked(unlocked).unwrap();
    assert_eq!(vault.newest_messages(conversation, 100).unwrap().len(), 20);
    drop(vault);
    assert!(
        after.join("identity.next.age").exists(),
        "the passphrase's only copy stays"
    );
    // The next unlock with the passphrase finishes the rotation.
    assert_settled(&after, conversation, &new);
}
