//! Rollbacks: an older copy of a record put back in its own slot opens (it
//! was sealed by sotto, for that slot, under the same key), so only the
//! vault's integrity state can tell it is not the current one. Each test puts
//! back bytes the attacker saw earlier, with sled alone.

use sotto::store::Tampering;

use super::*;

fn read_record(root: &Path, tree: &str, key: &[u8]) -> Vec<u8> {
    let db = support::open_sled_directly(root);
    db.open_tree(tree).unwrap().get(key).unwrap().unwrap().to_vec()
}

fn write_record(root: &Path, tree: &str, key: &[u8], value: Option<&[u8]>) {
    let db = support::open_sled_directly(root);
    let tree = db.open_tree(tree).unwrap();
    match value {
        Some(value) => drop(tree.insert(key, value).unwrap()),
        None => drop(tree.remove(key).unwrap()),
    }
    db.flush().unwrap();
}

fn audit_events(vault: &Vault) -> Vec<AuditEvent> {
    vault
        .audit_log()
        .unwrap()
        .into_iter()
        .map(|e| e.unwrap().event)
        .collect()
}

#[test]
fn settings_put_back_after_a_key_change_and_a_revoked_consent_are_discarded_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    {
        let mut vault = new_vault(&root);
        vault
            .set_secret("key:remote", &SecretString::from("sk-old-leaked-key".to_owned()))
            .unwrap();
        vault.set_setting("consent:remote", "https://api.example.com").unwrap();
    }
    let old_settings = read_record(&root, "settings", b"settings");
    {
        let mut vault = reopen(&root);
        vault
            .set_secret("key:remote", &SecretString::from("sk-new-key".to_owned()))
            .unwrap();
        vault.remove_setting("consent:remote").unwrap();
    }
    write_record(&root, "settings", b"settings", Some(&old_settings));

    let vault = reopen(&root);
    assert!(vault.secret("key:remote").unwrap().is_none(), "the old key is not used");
    assert!(
        vault.setting("consent:remote").unwrap().is_none(),
        "nor the old consent"
    );
    let found = &vault.unlock_report().tampering;
    assert_eq!(
        found,
        &[Tampering::SettingsDiscarded {
            names: vec!["consent:remote".into(), "key:remote".into()]
        }]
    );
    let message = found[0].to_string();
    assert!(
        message.contains("'key:remote'") && !message.contains("sk-"),
        "{message}"
    );
    assert!(audit_events(&vault).contains(&AuditEvent::TamperingDetected {
        what: vec!["settings".into()]
    }));
    assert!(!vault.verify().unwrap().is_intact());
    drop(vault);
    // Told once by the unlock that found it, then kept in the register
    // until acknowledged: verify is not clean until then.
    let mut vault = reopen(&root);
    assert!(vault.unlock_report().tampering.is_empty());
    let report = vault.verify().unwrap();
    assert!(!report.is_intact());
    assert!(
        report.unacknowledged[0]
            .what
            .contains("settings record could not be trusted")
    );
    assert_eq!(vault.acknowledge_findings().unwrap(), 1);
    assert!(vault.verify().unwrap().is_intact());
    assert!(audit_events(&vault).contains(&AuditEvent::FindingsAcknowledged { count: 1 }));
}

#[test]
fn a_removed_state_record_and_watermark_never_let_an_older_settings_record_be_used() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    {
        let mut vault = new_vault(&root);
        vault
            .set_secret("key:remote", &SecretString::from("sk-old-leaked-key".to_owned()))
            .unwrap();
        vault.set_setting("retention.default", "7d").unwrap();
    }
    let old_settings = read_record(&root, "settings", b"settings");
    {
        let mut vault = reopen(&root);
        vault.remove_setting("key:remote").unwrap();
        vault.set_setting("retention.default", "1d").unwrap();
    }
    for removed in ["state", "watermark"] {
        write_record(&root, "settings", b"settings", Some(&old_settings));
        if removed == "state" {
            write_record(&root, "meta", b"state", None);
        } else {
            std::fs::remove_file(root.join("watermark.sealed")).unwrap();
        }
        let vault = reopen(&root);
        assert!(
            vault.secret("key:remote").unwrap().is_none(),
            "{removed}: the old key is not used"
        );
        // The protective settings stay as last set, never loosened.
        assert_eq!(
            vault.setting("retention.default").unwrap().as_deref(),
            Some("1d"),
            "{removed}"
        );
        let found = &vault.unlock_report().tampering;
        assert!(
            found.iter().any(|t| matches!(t, Tampering::SettingsDiscarded { .. })),
            "{removed}: {found:?}"
        );
    }
}

#[test]
fn an_index_entry_put_back_after_a_retention_rule_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let id = {
        let mut vault = new_vault(&root);
        vault.create_conversation("short-lived").unwrap()
    };
    let old_entry = read_record(&root, "index", id.as_bytes());
    {
        let mut vault = reopen(&root);
        vault
            .set_conversation_retention(id, Some("7d".parse().unwrap()))
            .unwrap();
    }
    write_record(&root, "index", id.as_bytes(), Some(&old_entry));
    let vault = reopen(&root);
    assert_eq!(vault.unlock_report().tampering, [Tampering::Records { tree: "index" }]);
    assert!(vault.unlock_report().tampering[0].to_string().contains("older copy"));
}

#[test]
fn removing_the_last_messages_with_their_newer_index_entry_and_the_watermark_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let id = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("c").unwrap();
        vault.append_message(id, NewMessage::user("kept")).unwrap();
        id
    };
    let old_entry = read_record(&root, "index", id.as_bytes());
    {
        let mut vault = reopen(&root);
        vault.append_message(id, NewMessage::user("to be hidden")).unwrap();
    }
    let hidden = support::message_key(id, 1);
    write_record(&root, "messages", &hidden, None);
    write_record(&root, "index", id.as_bytes(), Some(&old_entry));
    std::fs::remove_file(root.join("watermark.sealed")).unwrap();

    let vault = reopen(&root);
    let found = &vault.unlock_report().tampering;
    assert!(found.contains(&Tampering::WatermarkRemoved), "{found:?}");
    assert!(found.contains(&Tampering::Records { tree: "index" }), "{found:?}");
    let report = vault.verify().unwrap();
    assert!(!report.is_intact());
    assert!(report.tampering.contains(&Tampering::Records { tree: "messages" }));
}

#[test]
fn the_whole_database_put_back_under_a_newer_watermark_is_reported_as_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let id = {
        let mut vault = new_vault(&root);
        vault.create_conversation("c").unwrap()
    };
    let old_db = dir.path().join("old-db");
    support::copy_dir(&root.join("db"), &old_db);
    {
        let mut vault = reopen(&root);
        vault.rename_conversation(id, "renamed").unwrap();
    }
    std::fs::remove_dir_all(root.join("db")).unwrap();
    support::copy_dir(&old_db, &root.join("db"));
    let vault = reopen(&root);
    let found = &vault.unlock_report().tampering;
    assert!(
        matches!(found.as_slice(), [Tampering::RolledBack { closed_at, now }] if now < closed_at),
        "{found:?}"
    );
}

#[test]
fn a_finished_reply_put_back_to_an_earlier_checkpoint_is_found_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let snapshot = dir.path().join("copied-while-open");
    let (id, seq) = {
        let mut vault = new_vault(&root);
        let id = vault.create_conversation("c").unwrap();
        let seq = vault.begin_reply(id, MessageMeta::default()).unwrap();
        vault.checkpoint_reply(id, seq, "Do").unwrap();
        // The attacker copies the files while the vault is open: sled's lock
        // keeps no one from reading them.
        support::copy_dir(&root, &snapshot);
        vault
            .finish_reply(id, seq, "Do not open the attachment.", ReplyState::Complete, None)
            .unwrap();
        (id, seq)
    };
    let key = support::message_key(id, seq);
    let checkpoint = read_record(&snapshot, "messages", &key);
    write_record(&root, "messages", &key, Some(&checkpoint));

    let vault = reopen(&root);
    // The record opens (it is sotto's own, for this slot)…
    let reply = vault.newest_messages(id, 1).unwrap();
    assert_eq!(texts(&reply), ["Do"]);
    // …but verify knows it is not the one sotto last wrote.
    let report = vault.verify().unwrap();
    assert_eq!(report.tampering, [Tampering::Records { tree: "messages" }]);
    assert!(!report.is_intact());
}

#[test]
fn a_removed_settings_record_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    new_vault(&root)
        .set_secret("key:remote", &SecretString::from("sk-some-key".to_owned()))
        .unwrap();
    write_record(&root, "settings", b"settings", None);
    let vault = reopen(&root);
    assert_eq!(
        vault.unlock_report().tampering,
        [Tampering::Records { tree: "settings" }]
    );
}

#[test]
fn with_the_state_and_the_watermark_both_gone_an_older_retention_default_is_not_restored() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    {
        let mut vault = new_vault(&root);
        vault.set_setting("retention.default", "1d").unwrap();
        vault.set_setting("redaction.mode", "off").unwrap();
    }
    let old_settings = read_record(&root, "settings", b"settings");
    reopen(&root).remove_setting("retention.default").unwrap();
    write_record(&root, "settings", b"settings", Some(&old_settings));
    write_record(&root, "meta", b"state", None);
    std::fs::remove_file(root.join("watermark.sealed")).unwrap();
    let vault = reopen(&root);
    // Nothing can tell which record is current: nothing that would shred
    // history or send more is taken from the one found.
    assert_eq!(vault.setting("retention.default").unwrap(), None);
    assert_eq!(vault.setting("redaction.mode").unwrap(), None);
    assert!(
        vault
            .unlock_report()
            .tampering
            .iter()
            .any(|t| matches!(t, Tampering::SettingsDiscarded { .. }))
    );
}

#[test]
fn an_older_database_put_back_across_a_revocation_never_brings_back_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let id = {
        let mut vault = new_vault(&root);
        vault
            .set_secret("key:remote", &SecretString::from("sk-old-leaked-key".to_owned()))
            .unwrap();
        vault.create_conversation("c").unwrap()
    };
    let old_db = dir.path().join("old-db");
    support::copy_dir(&root.join("db"), &old_db);
    {
        // The revocation goes with messages and audit events, as it does in use.
        let mut vault = reopen(&root);
        vault.remove_setting("key:remote").unwrap();
        vault.record_audit(AuditEvent::Rekey).unwrap();
        vault.append_message(id, NewMessage::user("after")).unwrap();
    }
    std::fs::remove_dir_all(root.join("db")).unwrap();
    support::copy_dir(&old_db, &root.join("db"));
    let vault = reopen(&root);
    assert!(
        !vault.unlock_report().storage_losses.is_empty(),
        "the older database is told"
    );
    assert!(
        vault.secret("key:remote").unwrap().is_none(),
        "the revoked key is not used"
    );
    assert!(
        vault
            .unlock_report()
            .tampering
            .iter()
            .any(|t| matches!(t, Tampering::SettingsDiscarded { .. }))
    );
}
