//! The recovery key: a new one rotates the identity, so an earlier key opens
//! nothing stored now even with an old copy of `recovery.age`; and the
//! recipient a rotation encrypts the identity to is the sealed one, never
//! whatever `vault.toml` says.

use super::*;

fn recovery_unlock(root: &Path, key: &SecretString) -> Result<Vault, VaultError> {
    let locked = LockedVault::open(root)?;
    let identity = locked.unlock_with_recovery_key(key)?;
    locked.open_unlocked(identity)
}

/// Whether `key` (an `AGE-SECRET-KEY-1…`) decrypts the file at `path`.
fn opens(path: &Path, key: &SecretString) -> bool {
    let identity: age::x25519::Identity = key.expose_secret().parse().unwrap();
    let Ok(sealed) = std::fs::read(path) else {
        return false;
    };
    let decryptor = age::Decryptor::new_buffered(&sealed[..]).unwrap();
    decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .is_ok()
}

#[test]
fn an_earlier_recovery_key_with_an_old_copy_of_recovery_age_opens_nothing_stored_now() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let (first, id) = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("c").unwrap();
        vault.append_message(id, NewMessage::user("before")).unwrap();
        (vault.create_recovery_key().unwrap(), id)
    };
    let old_copy = std::fs::read(root.join("recovery.age")).unwrap();
    let second = {
        let mut vault = reopen(&root);
        let key = vault.create_recovery_key().unwrap();
        vault.append_message(id, NewMessage::user("after")).unwrap();
        key
    };
    let events: Vec<AuditEvent> = reopen(&root)
        .audit_log()
        .unwrap()
        .into_iter()
        .map(|e| e.unwrap().event)
        .collect();
    assert_eq!(
        events.iter().filter(|e| **e == AuditEvent::RecoveryKeyCreated).count(),
        2
    );

    // The attacker has the first key and a backup of the first recovery.age.
    let current = std::fs::read(root.join("recovery.age")).unwrap();
    std::fs::write(root.join("recovery.age"), &old_copy).unwrap();
    let err = recovery_unlock(&root, &first).map(|_| ()).unwrap_err();
    assert!(matches!(err, VaultError::VaultKeyDamaged { .. }), "{err}");
    std::fs::write(root.join("recovery.age"), &current).unwrap();
    assert!(recovery_unlock(&root, &first).is_err());

    // The new key opens the vault, everything in it.
    let vault = recovery_unlock(&root, &second).unwrap();
    assert_eq!(texts(&vault.newest_messages(id, 5).unwrap()), ["before", "after"]);
}

/// `vault.toml` with its recovery line set to `recipient`.
fn edit_manifest_recovery(root: &Path, recipient: &str) {
    let path = root.join("vault.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("recovery = "))
        .map(str::to_owned)
        .collect();
    let at = lines.iter().position(|l| l.starts_with("recipient = ")).unwrap() + 1;
    lines.insert(at, format!("recovery = \"{recipient}\""));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_recovery_recipient_written_into_the_manifest_gets_no_copy_of_the_identity() {
    let attacker = age::x25519::Identity::generate();
    let attacker_key = SecretString::from(attacker.to_string().expose_secret().to_owned());
    let attacker_recipient = attacker.to_public().to_string();

    // A vault without a recovery key: the attacker adds one of theirs.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    edit_manifest_recovery(&root, &attacker_recipient);
    {
        let mut vault = reopen(&root);
        assert!(!vault.has_recovery_key());
        vault.rekey().unwrap();
    }
    assert!(!root.join("recovery.age").exists());
    let manifest = std::fs::read_to_string(root.join("vault.toml")).unwrap();
    assert!(!manifest.contains(&attacker_recipient), "{manifest}");

    // A vault with one: the attacker swaps in theirs.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let mine = new_vault(&root).create_recovery_key().unwrap();
    edit_manifest_recovery(&root, &attacker_recipient);
    reopen(&root).rekey().unwrap();
    assert!(opens(&root.join("recovery.age"), &mine));
    assert!(!opens(&root.join("recovery.age"), &attacker_key));
    assert!(recovery_unlock(&root, &mine).is_ok());
}

/// What the attacker reads of `message #seq` of conversation `id` in the
/// vault at `now`, given an old identity and the wrapped key of `id` as an
/// old copy of the data directory (`then`) holds it.
pub(super) fn read_with_old_identity(
    then: &Path,
    now: &Path,
    identity: &age::x25519::Identity,
    id: ConversationId,
    seq: u64,
) -> Option<Vec<u8>> {
    let old_db = support::open_sled_directly(then);
    let wrapped = old_db.open_tree("keys").unwrap().get(id.as_bytes()).unwrap()?;
    drop(old_db);
    let data_key = support::forgery::unwrap_key(&wrapped, identity)?;
    let db = support::open_sled_directly(now);
    let key = support::message_key(id, seq);
    let sealed = db.open_tree("messages").unwrap().get(&key).unwrap()?;
    support::forgery::open(&data_key, "messages", &key, &sealed)
}

#[test]
fn a_replaced_recovery_key_cannot_read_what_is_written_afterwards_even_with_old_wrapped_keys() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let backup = dir.path().join("backup");
    let (first, id) = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("c").unwrap();
        vault.append_message(id, NewMessage::user("before")).unwrap();
        (vault.create_recovery_key().unwrap(), id)
    };
    support::copy_dir(&root, &backup);
    {
        let mut vault = reopen(&root);
        vault.create_recovery_key().unwrap();
        vault.append_message(id, NewMessage::user("written after")).unwrap();
    }
    // The old identity, from the backup's recovery.age and the first key.
    let first_identity: age::x25519::Identity = first.expose_secret().parse().unwrap();
    let sealed = std::fs::read(backup.join("recovery.age")).unwrap();
    let text = age::Decryptor::new_buffered(&sealed[..])
        .unwrap()
        .decrypt(std::iter::once(&first_identity as &dyn age::Identity))
        .map(|mut r| {
            let mut t = String::new();
            std::io::Read::read_to_string(&mut r, &mut t).unwrap();
            t
        })
        .unwrap();
    let old_identity = support::forgery::identity_in(&text);
    // The attack works on what the backup itself holds (it is that old)…
    assert!(read_with_old_identity(&backup, &backup, &old_identity, id, 0).is_some());
    // …but not on anything written since: the conversation's key changed.
    assert!(read_with_old_identity(&backup, &root, &old_identity, id, 1).is_none());
    assert!(read_with_old_identity(&backup, &root, &old_identity, id, 0).is_none());
}

/// The vault identity inside `root`'s `identity.age`, opened with the test passphrase.
pub(super) fn identity_with_passphrase(root: &Path) -> age::x25519::Identity {
    let sealed = std::fs::read(root.join("identity.age")).unwrap();
    let mut scrypt = age::scrypt::Identity::new(passphrase());
    scrypt.set_max_work_factor(22);
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut age::Decryptor::new_buffered(&sealed[..])
            .unwrap()
            .decrypt(std::iter::once(&scrypt as &dyn age::Identity))
            .unwrap(),
        &mut text,
    )
    .unwrap();
    support::forgery::identity_in(&text)
}

#[test]
fn after_a_rekey_the_old_identity_reads_nothing_written_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let backup = dir.path().join("backup");
    let id = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("c").unwrap();
        vault.append_message(id, NewMessage::user("before")).unwrap();
        id
    };
    support::copy_dir(&root, &backup);
    {
        let mut vault = reopen(&root);
        vault.rekey().unwrap();
        vault.append_message(id, NewMessage::user("written after")).unwrap();
    }
    let old_identity = identity_with_passphrase(&backup);
    assert!(read_with_old_identity(&backup, &backup, &old_identity, id, 0).is_some());
    assert!(read_with_old_identity(&backup, &root, &old_identity, id, 1).is_none());
}

#[test]
fn after_a_passphrase_change_the_old_passphrase_and_identity_read_nothing_written_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let backup = dir.path().join("backup");
    let id = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("c").unwrap();
        vault.append_message(id, NewMessage::user("before")).unwrap();
        id
    };
    support::copy_dir(&root, &backup);
    {
        let mut vault = reopen(&root);
        let new = SecretString::from("orbit lantern quarry velvet thimble".to_owned());
        vault.change_passphrase(&new, support::cheap_kdf()).unwrap();
        vault.append_message(id, NewMessage::user("written after")).unwrap();
    }
    let old_identity = identity_with_passphrase(&backup);
    assert!(read_with_old_identity(&backup, &backup, &old_identity, id, 0).is_some());
    assert!(read_with_old_identity(&backup, &root, &old_identity, id, 1).is_none());
}

#[test]
fn a_removed_recovery_record_is_reported_and_the_next_rotation_destroys_the_old_recovery_copy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let key = new_vault(&root).create_recovery_key().unwrap();
    for how in ["removed", "damaged"] {
        {
            let db = support::open_sled_directly(&root);
            let meta = db.open_tree("meta").unwrap();
            if how == "removed" {
                meta.remove("recovery-recipient").unwrap();
            } else {
                let mut value = meta.get("recovery-recipient").unwrap().unwrap().to_vec();
                let last = value.len() - 1;
                value[last] ^= 1;
                meta.insert("recovery-recipient", value).unwrap();
            }
            db.flush().unwrap();
        }
        // The unlock still works, and says what happened.
        let mut vault = reopen(&root);
        assert!(
            vault
                .unlock_report()
                .tampering
                .contains(&sotto::store::Tampering::RecoveryRecipientLost),
            "{how}: {:?}",
            vault.unlock_report().tampering
        );
        assert!(!vault.has_recovery_key());
        // The old recovery.age holds the identity the rotation destroys: it goes too.
        vault.rekey().unwrap();
        drop(vault);
        assert!(!root.join("recovery.age").exists(), "{how}");
        assert!(recovery_unlock(&root, &key).is_err());
        // Back to a vault with a recovery key for the next round.
        if how == "removed" {
            reopen(&root).create_recovery_key().unwrap();
        }
    }
}

#[test]
fn a_planted_rotation_marker_with_a_garbage_pending_identity_destroys_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let id = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("c").unwrap();
        vault.append_message(id, NewMessage::user("kept")).unwrap();
        id
    };
    let identity_before = std::fs::read(root.join("identity.age")).unwrap();
    let recipient = support::forgery::public_recipient(&root).to_string();
    std::fs::write(
        root.join("rotation.pending"),
        format!("from = \"{recipient}\"\nto = \"{recipient}\"\n"),
    )
    .unwrap();
    std::fs::write(root.join("identity.next.age"), b"not an identity").unwrap();
    let vault = reopen(&root);
    assert_eq!(texts(&vault.newest_messages(id, 5).unwrap()), ["kept"]);
    drop(vault);
    assert_eq!(std::fs::read(root.join("identity.age")).unwrap(), identity_before);
    assert!(!root.join("rotation.pending").exists());
    assert!(!root.join("identity.next.age").exists());
}

#[test]
fn a_removed_recovery_copy_is_written_again_and_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let key = new_vault(&root).create_recovery_key().unwrap();
    std::fs::remove_file(root.join("recovery.age")).unwrap();
    let vault = reopen(&root);
    assert_eq!(
        vault.unlock_report().tampering,
        [sotto::store::Tampering::RecoveryCopyRemoved]
    );
    drop(vault);
    assert!(reopen(&root).unlock_report().tampering.is_empty());
    assert!(recovery_unlock(&root, &key).is_ok());
}
