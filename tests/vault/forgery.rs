//! Forged keys: an attacker who can write the data directory wraps keys of
//! their own to the vault's public recipient and seals records under them.
//! Every wrapped key is authenticated with a MAC only the identity's holder
//! can make, so each forgery is refused as tampering. And vaults of format 1
//! (bare wrapped keys) are migrated at their next unlock.

use super::*;
use support::forgery;

/// Rewrites records through sled itself, as an attacker with the files could.
fn tamper(root: &Path, edit: impl FnOnce(&sled::Db)) {
    let db = support::open_sled_directly(root);
    edit(&db);
    db.flush().unwrap();
}

use support::message_key;

/// Replaces conversation `id`'s key with one of the attacker's choosing and
/// forges its two messages (the hidden "sent" metadata included) under it.
fn replace_conversation_key(root: &Path, id: ConversationId, tag: bool) {
    let recipient = forgery::public_recipient(root);
    let attacker_key = [0x42u8; 32];
    let mut wrapped = forgery::wrap_key(&attacker_key, Some(id.as_bytes()), &recipient);
    if tag {
        wrapped = forgery::with_made_up_tag(&wrapped);
    }
    tamper(root, |db| {
        db.open_tree("keys").unwrap().insert(id.as_bytes(), wrapped).unwrap();
        let messages = db.open_tree("messages").unwrap();
        for (seq, role, text) in [(0u64, "user", "forged question"), (1, "assistant", "forged answer")] {
            let key = message_key(id, seq);
            let json = forgery::message_json(role, text, "forged context for the backend");
            messages
                .insert(&key, forgery::seal(&attacker_key, "messages", &key, &json))
                .unwrap();
        }
    });
}

fn vault_with_one_exchange(root: &Path) -> ConversationId {
    let mut vault = new_vault(root);
    let id = vault.create_conversation("mine").unwrap();
    vault.append_message(id, NewMessage::user("my question")).unwrap();
    vault.append_message(id, NewMessage::assistant("the answer")).unwrap();
    id
}

#[test]
fn a_conversation_key_wrapped_by_someone_with_only_the_public_recipient_is_refused_as_tampering() {
    for tag in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("v");
        let id = vault_with_one_exchange(&root);
        replace_conversation_key(&root, id, tag);

        let mut vault = reopen(&root);
        // Nothing of the forged conversation is read, and nothing new is
        // written under the attacker's key.
        let err = vault.newest_messages(id, 10).unwrap_err().to_string();
        assert!(err.contains("tampering"), "tag {tag}: {err}");
        assert!(
            vault
                .append_message(id, NewMessage::user("card 4111 1111 1111 1111"))
                .is_err()
        );
        let report = vault.verify().unwrap();
        assert!(!report.is_intact());
        let key_damage = report
            .damaged
            .iter()
            .find(|d| d.location == RecordLocation::ConversationKey(id))
            .unwrap_or_else(|| panic!("tag {tag}: {:?}", report.damaged));
        assert!(key_damage.problem.contains("tampering"), "{}", key_damage.problem);
        // The keys tree is not what sotto last wrote: reported at unlock.
        assert!(
            vault
                .unlock_report()
                .tampering
                .contains(&sotto::store::Tampering::Records { tree: "keys" }),
            "{:?}",
            vault.unlock_report().tampering
        );
        // A rekey does not adopt the forged key either.
        let rotated = vault.rekey().unwrap();
        assert_eq!(rotated.left_damaged, 1);
        drop(vault);
        assert!(reopen(&root).newest_messages(id, 10).is_err());
    }
}

#[test]
fn a_vault_key_replaced_with_the_public_recipient_is_refused_even_with_the_evidence_removed() {
    for tag in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("v");
        drop(new_vault(&root));
        let recipient = forgery::public_recipient(&root);
        let mut wrapped = forgery::wrap_key(&[0x13; 32], None, &recipient);
        if tag {
            wrapped = forgery::with_made_up_tag(&wrapped);
        }
        tamper(&root, |db| {
            db.open_tree("keys").unwrap().insert("vault", wrapped).unwrap();
            db.open_tree("audit").unwrap().remove(0u64.to_be_bytes()).unwrap();
        });
        std::fs::remove_file(root.join("watermark.sealed")).unwrap();
        let err = unlock_and_open_error(&root);
        assert!(
            matches!(err, VaultError::VaultKeyDamaged { .. }) && err.to_string().contains("tampering"),
            "tag {tag}: {err}"
        );
    }
}

fn unlock_and_open_error(root: &Path) -> VaultError {
    match LockedVault::open(root).and_then(|l| l.unlock_and_open(Some(&passphrase()))) {
        Err(e) => e,
        Ok(_) => panic!("the vault at '{}' opened", root.display()),
    }
}

/// A copy of the format-1 vault in tests/data/vaults (closed cleanly by the
/// version before wrapped keys were authenticated).
fn format_1_vault(root: &Path) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vaults/format-1");
    support::copy_dir(&fixture, root);
    // git keeps no modes: make it private, as sotto made it.
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700)).unwrap();
}

const FIXTURE_PRINTER: &str = "54dae646c05103331a705480e2e71aa3";
const FIXTURE_VPN: &str = "a464a352a60efe5fd980cd501df1a557";

/// The plaintext of `identity.age`, opened with the passphrase as the stock
/// age CLI would.
fn identity_text(root: &Path) -> String {
    let sealed = std::fs::read(root.join("identity.age")).unwrap();
    let decryptor = age::Decryptor::new_buffered(&sealed[..]).unwrap();
    let mut identity = age::scrypt::Identity::new(passphrase());
    identity.set_max_work_factor(22);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
    text
}

fn wrapped_keys(root: &Path) -> Vec<Vec<u8>> {
    let db = support::open_sled_directly(root);
    let keys = db.open_tree("keys").unwrap();
    keys.iter().map(|item| item.unwrap().1.to_vec()).collect()
}

#[test]
fn a_format_1_vault_is_migrated_at_its_next_unlock_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    format_1_vault(&root);
    let recipient_before = forgery::public_recipient(&root);
    assert!(
        wrapped_keys(&root)
            .iter()
            .all(|k| k.starts_with(b"age-encryption.org/v1"))
    );
    assert!(!identity_text(&root).contains("sotto vault format: 2"));

    let vault = reopen(&root);
    let printer: ConversationId = FIXTURE_PRINTER.parse().unwrap();
    let vpn: ConversationId = FIXTURE_VPN.parse().unwrap();
    assert_eq!(
        texts(&vault.newest_messages(printer, 10).unwrap()),
        ["my printer on floor 3 jams", "Open tray 2 and remove the paper."]
    );
    let vpn_messages = vault.newest_messages(vpn, 10).unwrap();
    assert_eq!(texts(&vpn_messages), ["mail jane@example.org about the vpn"]);
    assert_eq!(
        vpn_messages[0].as_ref().unwrap().meta.sent.as_deref(),
        Some("mail [EMAIL_1] about the vpn"),
        "the fixture's flat metadata (written before the typed fields) reads into them"
    );
    assert_eq!(
        vault.secret("key:openai").unwrap().unwrap().expose_secret(),
        "sk-test-fixture-key"
    );
    assert_eq!(vault.setting("redaction.mode").unwrap().as_deref(), Some("mask"));
    assert!(vault.unlock_report().tampering.is_empty());
    let events: Vec<AuditEvent> = vault
        .audit_log()
        .unwrap()
        .into_iter()
        .map(|e| e.unwrap().event)
        .collect();
    assert!(
        events.contains(&AuditEvent::VaultMigrated { from: 1, to: 2 }),
        "{events:?}"
    );
    assert!(vault.verify().unwrap().is_intact());
    drop(vault);

    // A new identity (the migration is a rotation), marked, and every
    // wrapped key tagged.
    assert_ne!(
        forgery::public_recipient(&root).to_string(),
        recipient_before.to_string()
    );
    assert!(identity_text(&root).contains("sotto vault format: 2"));
    assert!(wrapped_keys(&root).iter().all(|k| k[0] == 0x02));
    let manifest = std::fs::read_to_string(root.join("vault.toml")).unwrap();
    assert!(manifest.contains("format = 2"), "{manifest}");

    // Once migrated, a bare key slipped in (the format-1 shape) is refused.
    let recipient = forgery::public_recipient(&root);
    tamper(&root, |db| {
        let forged = forgery::wrap_key(&[9; 32], Some(vpn.as_bytes()), &recipient);
        db.open_tree("keys").unwrap().insert(vpn.as_bytes(), forged).unwrap();
    });
    let vault = reopen(&root);
    assert!(
        vault
            .newest_messages(vpn, 10)
            .unwrap_err()
            .to_string()
            .contains("tampering")
    );
    assert_eq!(vault.newest_messages(printer, 10).unwrap().len(), 2);
    drop(vault);
    // And so is a forged vault key: no downgrade to the old format.
    tamper(&root, |db| {
        let forged = forgery::wrap_key(&[9; 32], None, &recipient);
        db.open_tree("keys").unwrap().insert("vault", forged).unwrap();
    });
    assert!(matches!(
        unlock_and_open_error(&root),
        VaultError::VaultKeyDamaged { .. }
    ));
}

#[test]
fn an_old_copy_of_a_format_1_identity_put_back_after_the_migration_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    format_1_vault(&root);
    let old_identity = std::fs::read(root.join("identity.age")).unwrap();
    let old_manifest = std::fs::read_to_string(root.join("vault.toml")).unwrap();
    drop(reopen(&root)); // migrated
    // The attacker puts back the old identity file (it still opens with the
    // passphrase) and the old manifest naming its recipient, plus a recovery
    // recipient of their own: everything format 1 trusted.
    std::fs::write(root.join("identity.age"), &old_identity).unwrap();
    let attacker = age::x25519::Identity::generate().to_public();
    let manifest = old_manifest.replacen("[protection]", &format!("recovery = \"{attacker}\"\n[protection]"), 1);
    std::fs::write(root.join("vault.toml"), manifest).unwrap();
    let err = unlock_and_open_error(&root);
    assert!(matches!(err, VaultError::VaultKeyDamaged { .. }), "{err}");
    assert!(
        !root.join("recovery.age").exists(),
        "nothing was encrypted to the attacker"
    );
}

#[test]
fn a_format_1_recovery_key_is_dropped_by_the_migration_and_the_user_told() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    format_1_vault(&root);
    // Format 1 named the recovery recipient in vault.toml: whoever can write
    // that file could have named theirs, so the migration trusts none.
    let someone = age::x25519::Identity::generate().to_public();
    let manifest = std::fs::read_to_string(root.join("vault.toml")).unwrap();
    let manifest = manifest.replacen("[protection]", &format!("recovery = \"{someone}\"\n[protection]"), 1);
    std::fs::write(root.join("vault.toml"), manifest).unwrap();
    std::fs::write(root.join("recovery.age"), b"a format-1 recovery copy").unwrap();
    let vault = reopen(&root);
    assert!(vault.unlock_report().recovery_key_dropped);
    assert!(!vault.has_recovery_key());
    drop(vault);
    assert!(!root.join("recovery.age").exists());
    assert!(
        !std::fs::read_to_string(root.join("vault.toml"))
            .unwrap()
            .contains(&someone.to_string())
    );
}

#[test]
fn an_old_identity_put_back_with_its_old_vault_key_is_refused_or_trusts_no_recovery_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    format_1_vault(&root);
    let old_identity = std::fs::read(root.join("identity.age")).unwrap();
    let old_manifest = std::fs::read_to_string(root.join("vault.toml")).unwrap();
    let old_vault_key = {
        let db = support::open_sled_directly(&root);
        db.open_tree("keys").unwrap().get("vault").unwrap().unwrap().to_vec()
    };
    drop(reopen(&root)); // migrated
    let attacker = age::x25519::Identity::generate();
    let put_back = |remove_evidence: bool| {
        std::fs::write(root.join("identity.age"), &old_identity).unwrap();
        let manifest = old_manifest.replacen(
            "[protection]",
            &format!("recovery = \"{}\"\n[protection]", attacker.to_public()),
            1,
        );
        std::fs::write(root.join("vault.toml"), manifest).unwrap();
        let _ = std::fs::remove_file(root.join("watermark.sealed"));
        tamper(&root, |db| {
            db.open_tree("keys")
                .unwrap()
                .insert("vault", old_vault_key.clone())
                .unwrap();
            if remove_evidence {
                let meta = db.open_tree("meta").unwrap();
                for key in ["state", "integrity-key", "findings", "recovery-recipient"] {
                    meta.remove(key).unwrap();
                }
            }
        });
    };
    // With the integrity records still there: refused as tampering.
    put_back(false);
    let err = unlock_and_open_error(&root);
    assert!(matches!(err, VaultError::IdentityFromBeforeMigration { .. }), "{err}");
    // With every trace of format 2 removed too, it migrates again, but
    // encrypts nothing to the recovery recipient the attacker wrote.
    put_back(true);
    drop(reopen(&root));
    assert!(
        !root.join("recovery.age").exists(),
        "nothing was encrypted to the attacker"
    );
}

#[test]
fn after_the_migration_the_format_1_identity_and_its_bare_keys_read_nothing_written_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    format_1_vault(&root);
    let backup = dir.path().join("backup");
    support::copy_dir(&root, &backup);
    let vpn: ConversationId = FIXTURE_VPN.parse().unwrap();
    reopen(&root)
        .append_message(vpn, NewMessage::user("written after the migration"))
        .unwrap();
    let old_identity = super::recovery::identity_with_passphrase(&backup);
    assert!(super::recovery::read_with_old_identity(&backup, &backup, &old_identity, vpn, 0).is_some());
    assert!(super::recovery::read_with_old_identity(&backup, &root, &old_identity, vpn, 1).is_none());
}
