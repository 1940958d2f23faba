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
