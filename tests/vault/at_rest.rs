//! Nothing readable at rest: no content on disk or in the audit log,
//! private file modes.

use super::*;

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
        vault.wipe_conversation(gone).unwrap();
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
