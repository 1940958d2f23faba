//! `sotto export` and `sotto import` on the real binary: the round trip
//! through a wipe of everything, the stock `age` CLI opening every kind of
//! encrypted export, and the file-safety rules.

use std::os::unix::fs::PermissionsExt;

use secrecy::ExposeSecret;
use sotto::store::{MessageMeta, ReplyState, Role};

use super::*;

/// A vault whose messages carry the metadata an export must keep.
fn rich_vault(sandbox: &Sandbox) {
    let mut vault = new_vault(&sandbox.vault());
    let first = vault.create_conversation("printer trouble").unwrap();
    let mut map = sotto::redact::mask::RedactionMap::default();
    let masked = map.mask("my mail is ana@example.com");
    assert_eq!(masked.text, "my mail is [EMAIL_1]");
    let sent = MessageMeta {
        backend: Some("llama".into()),
        sent: Some(masked.text.clone()),
        withheld: 1,
        redaction_map: Some(map),
        ..MessageMeta::default()
    };
    vault
        .append_message(
            first,
            NewMessage {
                role: Role::User,
                text: "my mail is ana@example.com",
                meta: sent,
                at: None,
            },
        )
        .unwrap();
    vault
        .append_message(
            first,
            NewMessage {
                role: Role::Assistant,
                text: "I wrote to [EMAIL_1]",
                meta: MessageMeta {
                    backend: Some("llama".into()),
                    model: Some("llama3".into()),
                    state: ReplyState::Cancelled,
                    ..MessageMeta::default()
                },
                at: None,
            },
        )
        .unwrap();
    let second = vault.create_conversation("vpn").unwrap();
    vault.append_message(second, NewMessage::user("the vpn drops")).unwrap();
}

fn age_key(sandbox: &Sandbox) -> (PathBuf, String) {
    let key = age::x25519::Identity::generate();
    let path = sandbox.file("key.txt", &format!("{}\n", key.to_string().expose_secret()));
    (path, key.to_public().to_string())
}

fn age_decrypt(key: &Path, file: &Path) -> String {
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(key)
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "age -d: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `age -d` typing `passphrase` at its prompt (for passphrase-encrypted files).
fn age_decrypt_typing(sandbox: &Sandbox, args: &[&Path], passphrase: &str) -> String {
    let opened = sandbox.path("opened.out");
    let _ = std::fs::remove_file(&opened);
    let mut age = Command::new("age");
    age.arg("-d").arg("-o").arg(&opened).args(args);
    let mut terminal = support::pty::spawn(&mut age);
    terminal.expect("assphrase", Duration::from_secs(20));
    terminal.send(&format!("{passphrase}\n"));
    let status = terminal.wait(Duration::from_secs(60));
    assert!(status.success(), "age -d failed: {}", terminal.seen);
    std::fs::read_to_string(&opened).unwrap()
}

fn without_export_time(json: &str) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
    value.as_object_mut().unwrap().remove("exported_at");
    value
}

#[test]
fn export_wipe_import_gives_back_the_same_inventory_and_content() {
    let sandbox = Sandbox::new();
    rich_vault(&sandbox);
    let (key, recipient) = age_key(&sandbox);
    let export = sandbox.path("backup.json.age");
    let out = sandbox.run(
        &["export", "--recipient", &recipient, "-o", export.to_str().unwrap()],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before_list = stdout(&sandbox.run(&["view", "--conversations", "--json"], Some(PASSPHRASE)));
    let before = sandbox.path("before.json");
    let out = sandbox.run(
        &["export", "--plaintext", "-o", before.to_str().unwrap()],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    assert_eq!(code(&sandbox.run(&["wipe", "--all", "--yes"], Some(PASSPHRASE))), 0);
    drop(new_vault(&sandbox.vault()));
    let out = sandbox.run(
        &["import", export.to_str().unwrap(), "--identity", key.to_str().unwrap()],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Imported 2 conversation(s), 3 message(s)"),
        "{}",
        stdout(&out)
    );

    let after_list = stdout(&sandbox.run(&["view", "--conversations", "--json"], Some(PASSPHRASE)));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&after_list).unwrap(),
        serde_json::from_str::<serde_json::Value>(&before_list).unwrap()
    );
    let after = sandbox.path("after.json");
    let out = sandbox.run(
        &["export", "--plaintext", "-o", after.to_str().unwrap()],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (before, after) = (
        std::fs::read_to_string(&before).unwrap(),
        std::fs::read_to_string(&after).unwrap(),
    );
    assert_eq!(without_export_time(&after), without_export_time(&before));
    // What was sent and what was shown both survive.
    assert!(before.contains("\"sent\":\"my mail is [EMAIL_1]\""), "{before}");
    assert!(before.contains("\"state\":\"cancelled\""), "{before}");

    let out = sandbox.run(
        &["import", export.to_str().unwrap(), "--identity", key.to_str().unwrap()],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 conversation(s) were already in the vault"),
        "{}",
        stdout(&out)
    );
    let audit = stdout(&sandbox.run(&["audit"], Some(PASSPHRASE)));
    assert!(audit.contains("import of 2 conversation(s), 3 message(s)"), "{audit}");
}

#[test]
fn the_stock_age_cli_opens_every_kind_of_encrypted_export() {
    if !stock_age() {
        return;
    }
    let sandbox = Sandbox::new();
    rich_vault(&sandbox);
    let (key, recipient) = age_key(&sandbox);
    let export = |name: &str, extra: &[&str]| {
        let path = sandbox.path(name);
        let mut args = vec!["export", "-o", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let mut command = sandbox.sotto(&args);
        sandbox.with_passphrase(&mut command, PASSPHRASE);
        let export_pass = sandbox.file("export-pass.txt", "fjord mitten anvil pepper saddle\n");
        let out = command
            .env("SOTTO_EXPORT_PASSPHRASE_FILE", export_pass)
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        path
    };

    let to_key = export("to-key.json.age", &["--recipient", &recipient]);
    let json: serde_json::Value = serde_json::from_str(&age_decrypt(&key, &to_key)).unwrap();
    assert_eq!(json["schema"], "sotto.export/1");
    assert_eq!(json["conversations"].as_array().unwrap().len(), 2);

    let armored = export(
        "armored.md.age",
        &["--recipient", &recipient, "--armor", "--format", "markdown"],
    );
    assert!(
        std::fs::read_to_string(&armored)
            .unwrap()
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    let markdown = age_decrypt(&key, &armored);
    assert!(markdown.starts_with("# sotto export"), "{markdown}");
    assert!(markdown.contains("**Bot (automated) · llama / llama3**"), "{markdown}");
    assert!(
        markdown.contains("I wrote to ana@example.com"),
        "the reply is shown with the address mapped back"
    );
    assert!(
        markdown.contains("> Sent (1 item(s) withheld) as:\n> my mail is [EMAIL_1]"),
        "{markdown}"
    );

    let with_passphrase = export("pass.json.age", &["--passphrase"]);
    let text = age_decrypt_typing(&sandbox, &[&with_passphrase], "fjord mitten anvil pepper saddle");
    assert!(text.contains("\"schema\":\"sotto.export/1\""));

    // To an SSH key, which `age -d -i ~/.ssh/id_ed25519` opens.
    // The key pair is written in OpenSSH's own format, as `ssh-keygen -t ed25519` writes it.
    let ssh_key = sandbox.path("id_ed25519");
    let mut pair = ssh_key::PrivateKey::random(&mut rand::rngs::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
    pair.set_comment("test");
    pair.write_openssh_file(&ssh_key, ssh_key::LineEnding::LF).unwrap();
    let public = pair.public_key().to_openssh().unwrap();
    let to_ssh = export("ssh.json.age", &["--recipient", &public]);
    assert!(age_decrypt(&ssh_key, &to_ssh).contains("\"schema\":\"sotto.export/1\""));

    // The default: with the vault passphrase, which `age -d FILE` asks for.
    let default = export("default.json.age", &[]);
    let text = age_decrypt_typing(&sandbox, &[&default], PASSPHRASE);
    assert!(text.contains("printer trouble"));
}

/// The id of the conversation titled `title` in the test vault.
fn conversation_id(sandbox: &Sandbox, title: &str) -> String {
    let vault = support::reopen(&sandbox.vault());
    let list = vault.list_conversations().unwrap().conversations;
    list.iter()
        .find(|c| c.title == title)
        .expect("the conversation")
        .id
        .to_string()
}

#[test]
fn a_default_export_keeps_opening_after_a_wipe_a_rekey_and_a_passphrase_change() {
    let sandbox = Sandbox::new();
    rich_vault(&sandbox);
    let file = sandbox.path("backup.json.age");
    let out = sandbox.run(&["export", "-o", file.to_str().unwrap()], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let told = stdout(&out);
    let how = told
        .lines()
        .find(|l| l.contains("'age -d FILE'"))
        .expect("how to open it");
    assert!(
        how.starts_with("It is encrypted with your vault passphrase") && how.ends_with('.'),
        "{told}"
    );
    assert!(told.contains(&format!("'{}'", file.display())), "the full path: {told}");

    let vpn = conversation_id(&sandbox, "vpn");
    let out = sandbox.run(&["wipe", "--conversation", &vpn, "--yes"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = sandbox.run(&["rekey"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Imported into the vault it came from, the vault's passphrase opens it:
    // nothing more is asked (stdin is not a terminal here).
    let out = sandbox.run(&["import", file.to_str().unwrap()], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("Imported 1 conversation(s)"), "{}", stdout(&out));
    let vpn = conversation_id(&sandbox, "vpn");
    let out = sandbox.run(&["wipe", "--conversation", &vpn, "--yes"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let new_passphrase = "quartz lantern meadow violin harbor";
    let mut change = sandbox.sotto(&["passphrase"]);
    sandbox.with_passphrase(&mut change, PASSPHRASE);
    let new_file = sandbox.file("new-passphrase.txt", &format!("{new_passphrase}\n"));
    let out = change.env("SOTTO_NEW_PASSPHRASE_FILE", new_file).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // It opens with the passphrase it was made under, whatever happened since.
    let plain = age_open_with_passphrase(PASSPHRASE, &file).expect("the export still opens");
    let text = String::from_utf8(plain).unwrap();
    assert!(text.contains("printer trouble") && text.contains("the vpn drops"));
    if stock_age() {
        let text = age_decrypt_typing(&sandbox, &[&file], PASSPHRASE);
        assert!(text.contains("the vpn drops"));
    }
    // And it brings the wiped conversation back.
    let mut import = sandbox.sotto(&["import", file.to_str().unwrap()]);
    sandbox.with_passphrase(&mut import, new_passphrase);
    let old = sandbox.file("old-passphrase.txt", &format!("{PASSPHRASE}\n"));
    let out = import.env("SOTTO_EXPORT_PASSPHRASE_FILE", old).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("Imported 1 conversation(s)"), "{}", stdout(&out));
}

#[test]
fn an_identity_vaults_default_export_opens_with_that_identity_after_a_wipe_and_a_rekey() {
    use secrecy::ExposeSecret;
    let sandbox = Sandbox::new();
    let identity = age::x25519::Identity::generate();
    let key_text = identity.to_string().expose_secret().to_owned();
    let key = sandbox.file("me.key", &format!("{key_text}\n"));
    let out = sandbox.sotto(&["init", "--identity"]).arg(&key).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = sandbox.run(&["ask", "how do I wipe a conversation?"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let file = sandbox.path("backup.json.age");
    let out = sandbox.run(&["export", "-o", file.to_str().unwrap()], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("'age -d -i {} FILE'", key.display())),
        "{}",
        stdout(&out)
    );
    let out = sandbox.run(&["rekey"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = sandbox.run(&["wipe", "--all", "--yes"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plain = age_open(&key_text, &file).expect("the export opens with the user's own key");
    assert!(String::from_utf8(plain).unwrap().contains("wipe a conversation"));
}

#[test]
fn an_export_never_replaces_a_file_unasked_and_is_private() {
    let sandbox = Sandbox::new();
    rich_vault(&sandbox);
    let path = sandbox.path("out.json.age");
    let args = ["export", "-o", path.to_str().unwrap()];
    assert_eq!(code(&sandbox.run(&args, Some(PASSPHRASE))), 0);
    let first = std::fs::read(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

    let out = sandbox.run(&args, Some(PASSPHRASE));
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!("'{}' already exists", path.display())),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&path).unwrap(), first);

    let out = sandbox.run(&["export", "-o", path.to_str().unwrap(), "--force"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_ne!(std::fs::read(&path).unwrap(), first);
    let strays: Vec<_> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");

    let nowhere = sandbox.path("no-such-dir").join("x.age");
    let out = sandbox.run(&["export", "-o", nowhere.to_str().unwrap()], Some(PASSPHRASE));
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!("'{}'", sandbox.path("no-such-dir").display()))
            && stderr(&out).contains("Nothing was written"),
        "{}",
        stderr(&out)
    );

    let out = sandbox.run(&["export", "-o", "x.age", "--recipient", "age1nope"], Some(PASSPHRASE));
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("'age1nope' is not an age recipient"),
        "{}",
        stderr(&out)
    );
}

/// `sotto import FILE` fails, says `expected` and that nothing was imported.
fn assert_import_refused(sandbox: &Sandbox, file: &Path, expected: &str) {
    let out = sandbox.run(&["import", file.to_str().unwrap()], Some(PASSPHRASE));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains(expected), "{expected}: {}", stderr(&out));
    assert!(stderr(&out).contains("Nothing was imported"), "{}", stderr(&out));
}

#[test]
fn import_refuses_what_is_not_a_json_export_and_changes_nothing() {
    let sandbox = Sandbox::new();
    rich_vault(&sandbox);
    let markdown = sandbox.path("read.md");
    let out = sandbox.run(
        &[
            "export",
            "--plaintext",
            "--format",
            "markdown",
            "-o",
            markdown.to_str().unwrap(),
        ],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let cases = [
        (markdown.clone(), "Markdown export"),
        (sandbox.file("junk.json", "{\"hello\": 1}"), "no 'schema' field"),
        (
            sandbox.file("future.json", "{\"schema\": \"sotto.export/9\"}"),
            "'sotto.export/9'",
        ),
        (
            sandbox.file("cut.json", "{\"schema\": \"sotto.export/1\", \"conver"),
            "not JSON",
        ),
    ];
    for (file, expected) in cases {
        assert_import_refused(&sandbox, &file, expected);
    }
    let view: serde_json::Value =
        serde_json::from_slice(&sandbox.run(&["view", "--json"], Some(PASSPHRASE)).stdout).unwrap();
    assert_eq!(view["contents"]["conversations"], 2);
}

#[test]
fn an_export_killed_at_any_moment_leaves_no_partial_file_and_a_vault_that_opens() {
    use rand::Rng;
    let sandbox = Sandbox::new();
    {
        let mut vault = new_vault(&sandbox.vault());
        for c in 0..20 {
            let id = vault.create_conversation(&format!("c{c}")).unwrap();
            let text = "a line of a long conversation about printers and networks. ".repeat(40);
            vault
                .append_messages(id, (0..50).map(|_| NewMessage::user(&text)))
                .unwrap();
        }
    }
    let target = sandbox.path("out.json");
    let mut outcomes = [0usize; 2];
    for round in 0..20 {
        let _ = std::fs::remove_file(&target);
        let mut command = sandbox.sotto(&["export", "--plaintext", "-o", target.to_str().unwrap()]);
        sandbox.with_passphrase(&mut command, PASSPHRASE);
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(rand::thread_rng().gen_range(0..150_000)));
        let _ = child.kill();
        child.wait().unwrap();
        match std::fs::read(&target) {
            Ok(bytes) => {
                let json: serde_json::Value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("round {round}: a partial export under the final name: {e}"));
                assert_eq!(json["conversations"].as_array().unwrap().len(), 20, "round {round}");
                outcomes[1] += 1;
            }
            Err(_) => outcomes[0] += 1,
        }
        let out = sandbox.run(&["verify"], Some(PASSPHRASE));
        assert_eq!(code(&out), 0, "round {round}: {}", stderr(&out));
    }
    println!("export kill test: not written {}, written {}", outcomes[0], outcomes[1]);
    assert!(outcomes[1] > 0, "no export ever finished: {outcomes:?}");
    // The next export clears what killed ones left half-written.
    let out = sandbox.run(
        &["export", "--plaintext", "--force", "-o", target.to_str().unwrap()],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let strays: Vec<_> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

#[test]
fn a_recovery_recipient_written_into_vault_toml_gets_no_copy_of_an_export() {
    let sandbox = Sandbox::new();
    rich_vault(&sandbox);
    let (attacker_key, attacker) = age_key(&sandbox);
    let manifest = sandbox.vault().join("vault.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let edited: String = text
        .lines()
        .flat_map(|l| {
            let mut out = vec![l.to_owned()];
            if l.starts_with("recipient = ") {
                out.push(format!("recovery = \"{attacker}\""));
            }
            out
        })
        .map(|l| l + "\n")
        .collect();
    std::fs::write(&manifest, edited).unwrap();

    let file = sandbox.path("all.json.age");
    let out = sandbox.run(&["export", "-o", file.to_str().unwrap()], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let attacker_key = std::fs::read_to_string(&attacker_key).unwrap();
    assert!(
        age_open(&attacker_key, &file).is_none(),
        "the attacker's key opened the export"
    );
    assert!(!std::fs::read_to_string(&manifest).unwrap().contains(&attacker));
}

#[test]
fn an_export_damaged_after_its_first_conversations_imports_none_of_them() {
    let sandbox = Sandbox::new();
    rich_vault(&sandbox);
    let plain = sandbox.path("plain.json");
    let out = sandbox.run(
        &[
            "export",
            "--plaintext",
            "--format",
            "json",
            "-o",
            plain.to_str().unwrap(),
        ],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut document: serde_json::Value = serde_json::from_slice(&std::fs::read(&plain).unwrap()).unwrap();
    let conversations = document["conversations"].as_array_mut().unwrap();
    // New ids, so that each would be imported, not skipped; the last one is
    // damaged, and it comes after the others in the file.
    for (i, conversation) in conversations.iter_mut().enumerate() {
        conversation["id"] = serde_json::json!(format!("{:032x}", 0xabc0 + i));
    }
    let mut last = conversations[0].clone();
    last["id"] = serde_json::json!(format!("{:032x}", 0xdef0));
    conversations.push(last);
    // A time that is not one, and a message number with no next one.
    let damages = [
        (
            "at",
            serde_json::json!("yesterday"),
            "'yesterday' is not an RFC 3339 time",
        ),
        ("seq", serde_json::json!(u64::MAX), "the largest number there is"),
    ];
    for (field, value, expected) in damages {
        let mut document = document.clone();
        let conversations = document["conversations"].as_array_mut().unwrap();
        conversations.last_mut().unwrap()["messages"][0][field] = value;
        let file = sandbox.file("late-damage.json", &document.to_string());

        assert_import_refused(&sandbox, &file, expected);
        let view: serde_json::Value =
            serde_json::from_slice(&sandbox.run(&["view", "--json"], Some(PASSPHRASE)).stdout).unwrap();
        assert_eq!(
            view["contents"]["conversations"], 2,
            "the conversations before the damage were not imported"
        );
    }
}
