//! Unlocking: wrong passphrases and identities, the lock, missing or
//! swapped files, vaults protected by the user's own key.

use super::*;

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
