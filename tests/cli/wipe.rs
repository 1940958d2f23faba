//! `sotto wipe`, `rekey`, `passphrase` and `recovery-key` on the real binary.
//! Vaults are made with the library's cheap KDF, so only the passphrase change
//! pays the real scrypt cost.

use super::*;

/// A vault with two conversations; returns their ids as text.
fn two_conversations(sandbox: &Sandbox) -> (String, String) {
    let mut vault = new_vault(&sandbox.vault());
    let doomed = vault.create_conversation("doomed").unwrap();
    let kept = vault.create_conversation("kept").unwrap();
    for id in [doomed, kept] {
        vault.append_message(id, NewMessage::user("hello")).unwrap();
    }
    (doomed.to_string(), kept.to_string())
}

#[test]
fn wipe_of_a_conversation_needs_yes_outside_a_terminal_and_then_is_audited() {
    let sandbox = Sandbox::new();
    let (doomed, kept) = two_conversations(&sandbox);
    let out = sandbox.run(&["wipe", "--conversation", &doomed[..10]], Some(PASSPHRASE));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes") && stderr(&out).contains("Nothing was wiped"));
    let out = sandbox.run(&["view", "--json"], Some(PASSPHRASE));
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view["contents"]["conversations"], 2, "a refused wipe changed the vault");

    let out = sandbox.run(&["wipe", "--conversation", &doomed[..10], "--yes"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("Wiped conversation") && stdout(&out).contains("rotated"));

    let out = sandbox.run(&["view", "--json"], Some(PASSPHRASE));
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view["contents"]["conversations"], 1);
    assert_eq!(view["recent_privacy_events"][0]["event"], "wipe", "{view}");
    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert!(stdout(&out).contains("wipe of conversation"), "{}", stdout(&out));
    let out = sandbox.run(&["audit", "--json"], Some(PASSPHRASE));
    assert!(stdout(&out).contains("\"wipe\""), "{}", stdout(&out));

    let out = sandbox.run(&["wipe", "--conversation", &doomed, "--yes"], Some(PASSPHRASE));
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains(&format!("'{doomed}'")), "{}", stderr(&out));
    let out = sandbox.run(&["wipe", "--conversation", &kept[..4], "--yes"], Some(PASSPHRASE));
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("at least its first 8"), "{}", stderr(&out));
}

#[test]
fn a_bad_date_is_refused_before_the_passphrase_is_asked() {
    let sandbox = Sandbox::new();
    two_conversations(&sandbox);
    let out = sandbox.run(&["wipe", "--older-than", "last tuesday", "--yes"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("'last tuesday'") && stderr(&out).contains("'30d'"));
}

#[test]
fn wipe_all_leaves_no_vault_and_view_says_so() {
    let sandbox = Sandbox::new();
    two_conversations(&sandbox);
    let out = sandbox.run(&["wipe", "--all", "--yes"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!sandbox.vault().exists());
    let leftovers: Vec<_> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".sotto"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert_eq!(code(&out), 5);
    assert!(stderr(&out).contains("no vault"), "{}", stderr(&out));
}

/// Runs `sotto recovery-key`: the key it shows, and a file holding it.
fn make_recovery_key(sandbox: &Sandbox) -> (String, PathBuf) {
    let out = sandbox.run(&["recovery-key"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let key = stdout(&out)
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .expect("the key is shown")
        .to_owned();
    let key_file = sandbox.file("recovery.txt", &format!("{key}\n"));
    (key, key_file)
}

#[test]
fn the_stock_age_cli_opens_the_recovery_copy_with_the_recovery_key() {
    if !stock_age() {
        return;
    }
    let sandbox = Sandbox::new();
    two_conversations(&sandbox);
    let (_, key_file) = make_recovery_key(&sandbox);
    let age = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key_file)
        .arg(sandbox.vault().join("recovery.age"))
        .output()
        .unwrap();
    assert!(age.status.success(), "age -d: {}", String::from_utf8_lossy(&age.stderr));
    assert!(String::from_utf8_lossy(&age.stdout).contains("AGE-SECRET-KEY-1"));
}

#[test]
fn a_recovery_key_survives_rekeys_and_resets_a_forgotten_passphrase() {
    let sandbox = Sandbox::new();
    let (doomed, _) = two_conversations(&sandbox);
    let (key, key_file) = make_recovery_key(&sandbox);

    // The recovery copy is a standard age file that the key opens.
    let copy = age_open(&key, &sandbox.vault().join("recovery.age")).expect("the key opens the recovery copy");
    assert!(String::from_utf8_lossy(&copy).contains("AGE-SECRET-KEY-1"));

    // A rotation and a wipe later, the recovery key still opens the vault.
    assert_eq!(code(&sandbox.run(&["rekey"], Some(PASSPHRASE))), 0);
    let out = sandbox.run(&["wipe", "--conversation", &doomed, "--yes"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let wrong = sandbox.file(
        "wrong.txt",
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n",
    );
    let out = sandbox
        .sotto(&["passphrase", "--reset"])
        .env("SOTTO_RECOVERY_KEY_FILE", &wrong)
        .output()
        .unwrap();
    assert_eq!(code(&out), 3, "{}", stderr(&out));

    let new_passphrase = "orbit lantern quarry velvet thimble";
    let new_file = sandbox.file("new.txt", &format!("{new_passphrase}\n"));
    let out = sandbox
        .sotto(&["passphrase", "--reset"])
        .env("SOTTO_RECOVERY_KEY_FILE", &key_file)
        .env("SOTTO_NEW_PASSPHRASE_FILE", &new_file)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&sandbox.run(&["view"], Some(PASSPHRASE))), 3);
    let out = sandbox.run(&["audit"], Some(new_passphrase));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for event in [
        "recovery key created",
        "vault identity rotated",
        "wipe of",
        "passphrase reset",
    ] {
        assert!(
            stdout(&out).contains(event),
            "'{event}' missing from:\n{}",
            stdout(&out)
        );
    }
}

#[test]
fn view_lists_conversations_and_shows_one_in_detail() {
    let sandbox = Sandbox::new();
    let (doomed, kept) = two_conversations(&sandbox);
    let out = sandbox.run(&["view", "--conversations"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = stdout(&out);
    for (id, title) in [(&doomed, "doomed"), (&kept, "kept")] {
        let row = table
            .lines()
            .find(|l| l.starts_with(&id[..8]))
            .unwrap_or_else(|| panic!("no row for {id}:\n{table}"));
        assert!(row.ends_with(title), "{row}");
    }
    let out = sandbox.run(&["view", "--conversations", "--json"], Some(PASSPHRASE));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["conversations"].as_array().unwrap().len(), 2);

    let out = sandbox.run(&["view", "--conversation", &kept[..8], "--json"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let one: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(one["conversation"]["id"], kept.as_str());
    assert_eq!(one["conversation"]["messages_by_role"]["user"], 1);
    assert_eq!(one["conversation"]["title"], "kept");
    let out = sandbox.run(&["view", "--conversation", "0123456789"], Some(PASSPHRASE));
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("'0123456789'"), "{}", stderr(&out));
}

#[test]
fn retention_is_set_shown_and_enforced_at_once_and_at_every_unlock() {
    let sandbox = Sandbox::new();
    let old = sotto::time::Timestamp::from_unix_ms(sotto::time::Timestamp::now().as_unix_ms() - 10 * 86_400_000);
    let keep = {
        let mut vault = new_vault(&sandbox.vault());
        let keep = vault.create_conversation("keep").unwrap();
        let drop = vault.create_conversation("drop").unwrap();
        for id in [keep, drop] {
            vault
                .append_message(
                    id,
                    NewMessage {
                        at: Some(old),
                        ..NewMessage::user("old news")
                    },
                )
                .unwrap();
        }
        keep.to_string()
    };
    let out = sandbox.run(&["retention", "someday"], None);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("'someday'") && stderr(&out).contains("'off'"),
        "{}",
        stderr(&out)
    );

    let out = sandbox.run(
        &["retention", "forever", "--conversation", &keep[..8]],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("kept until deleted  'keep'"), "{}", stdout(&out));

    let out = sandbox.run(&["retention", "7d"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("Wiped 1 expired message(s)"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("Default: messages are kept 1w."),
        "{}",
        stdout(&out)
    );

    let view: serde_json::Value =
        serde_json::from_slice(&sandbox.run(&["view", "--json"], Some(PASSPHRASE)).stdout).unwrap();
    assert_eq!(view["retention"]["default"], "1w");
    assert_eq!(view["retention"]["conversations_with_own_rule"], 1);
    assert_eq!(view["contents"]["messages"], 1);

    // A message that expires between runs goes at the next unlock.
    {
        let mut vault = support::reopen(&sandbox.vault());
        let id = vault.create_conversation("late").unwrap();
        vault
            .append_message(
                id,
                NewMessage {
                    at: Some(old),
                    ..NewMessage::user("stale")
                },
            )
            .unwrap();
    }
    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert!(
        stderr(&out).contains("retention: 1 expired message(s)"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("kept 1w by default; 1 conversation(s) have their own rule"),
        "{}",
        stdout(&out)
    );
}
