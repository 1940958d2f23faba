//! init, view, verify, exit codes and messages, and interoperability with the
//! stock `age` CLI.

use super::*;

#[test]
fn init_makes_an_identity_the_stock_age_cli_decrypts_with_the_passphrase() {
    if !stock_age() {
        return;
    }
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["init"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("scrypt, N = 2^18"), "{}", stdout(&out));
    let recipient = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("Vault recipient: "))
        .expect("init prints the recipient")
        .to_owned();

    // Encrypt with the stock age CLI to the vault's recipient…
    let plain = sandbox.file("note.txt", "for the vault's eyes only\n");
    let sealed = sandbox.path("note.txt.age");
    let status = Command::new("age")
        .args(["-r", &recipient, "-o"])
        .arg(&sealed)
        .arg(&plain)
        .status()
        .expect("the 'age' CLI is installed (apt-get install age)");
    assert!(status.success());

    // …and decrypt with `age -d -i identity.age`, typing the passphrase at its prompt.
    let opened = sandbox.path("opened.txt");
    let mut age = Command::new("age");
    age.arg("-d")
        .arg("-i")
        .arg(sandbox.vault().join("identity.age"))
        .arg("-o")
        .arg(&opened)
        .arg(&sealed);
    let mut terminal = support::pty::spawn(&mut age);
    terminal.expect("passphrase", Duration::from_secs(20));
    terminal.send(&format!("{PASSPHRASE}\n"));
    let status = terminal.wait(Duration::from_secs(60));
    assert!(status.success(), "age -d failed: {}", terminal.seen);
    assert_eq!(std::fs::read_to_string(&opened).unwrap(), "for the vault's eyes only\n");

    // The same vault opens for sotto with the passphrase from a command.
    let command_file = sandbox.file("pass-for-command.txt", PASSPHRASE);
    let out = sandbox
        .sotto(&["view", "--json"])
        .env("SOTTO_PASSPHRASE_COMMAND", format!("cat '{}'", command_file.display()))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let view: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(view["schema"], "sotto.view/1");
    assert_eq!(view["vault"]["recipients"][0], recipient.as_str());
    assert_eq!(view["vault"]["protection"]["log_n"], 18);
}

#[test]
fn a_weak_passphrase_is_refused_with_the_estimators_advice() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["init"], Some("password1"));
    assert_eq!(code(&out), 1);
    let message = stderr(&out);
    assert!(
        message.contains("too weak") && message.contains("common password"),
        "{message}"
    );
    assert!(message.contains("Nothing was created"), "{message}");
    assert!(!sandbox.vault().exists());

    let out = sandbox.run(&["init", "--unsafe-allow-weak-passphrase"], Some("password1"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: using a weak passphrase"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn init_refuses_an_existing_vault_before_asking_for_a_passphrase() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let before = snapshot(&sandbox.vault());
    let out = sandbox.run(&["init"], None);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("a vault already exists"), "{}", stderr(&out));
    assert_eq!(before, snapshot(&sandbox.vault()));
}

#[test]
fn init_with_a_key_file_needs_no_passphrase_afterwards() {
    let sandbox = Sandbox::new();
    // A key file as `age-keygen -o me.key` writes it: two comment lines, then the key.
    let key = {
        use secrecy::ExposeSecret;
        let identity = age::x25519::Identity::generate();
        sandbox.file(
            "me.key",
            &format!(
                "# created: 2026-12-05T10:00:00Z\n# public key: {}\n{}\n",
                identity.to_public(),
                identity.to_string().expose_secret()
            ),
        )
    };
    let out = sandbox.sotto(&["init", "--identity"]).arg(&key).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("plain age key file"), "{}", stdout(&out));
    let out = sandbox.run(&["view"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("plain age key file"), "{}", stdout(&out));
}

#[test]
fn view_reports_counts_protection_and_size() {
    let sandbox = Sandbox::new();
    let recipient = {
        let mut vault = new_vault(&sandbox.vault());
        for c in 0..3 {
            let id = vault.create_conversation(&format!("c{c}")).unwrap();
            for m in 0..4 {
                vault.append_message(id, NewMessage::user(&format!("m{m}"))).unwrap();
            }
        }
        vault.recipient()
    };
    let out = sandbox.run(&["view", "--json"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let view: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(view["vault"]["path"], sandbox.vault().to_str().unwrap());
    assert_eq!(view["vault"]["recipients"][0], recipient.as_str());
    assert_eq!(view["vault"]["protection"]["kind"], "passphrase");
    assert_eq!(view["vault"]["protection"]["log_n"], 4);
    assert_eq!(view["contents"]["conversations"], 3);
    assert_eq!(view["contents"]["messages"], 12);
    assert!(view["disk"]["bytes"].as_u64().unwrap() > 0);
    assert!(view["contents"]["newest_message"].is_string());

    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    let text = stdout(&out);
    for expected in [
        "Vault",
        "Recipient",
        "passphrase (scrypt, N = 2^4)",
        "Conversations   3",
        "Messages        12",
        "On disk",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn wrong_passphrase_exits_3_names_the_vault_and_changes_nothing() {
    let sandbox = Sandbox::new();
    {
        let mut vault = new_vault(&sandbox.vault());
        let id = vault.create_conversation("x").unwrap();
        vault.append_message(id, NewMessage::user("x")).unwrap();
    }
    let before = snapshot(&sandbox.vault());
    let out = sandbox.run(&["view"], Some("entirely wrong"));
    assert_eq!(code(&out), 3);
    let message = stderr(&out);
    assert!(message.contains("wrong passphrase"), "{message}");
    assert!(
        message.contains(&format!("'{}'", sandbox.vault().display())),
        "{message}"
    );
    assert_unchanged_or_appended(&before, &snapshot(&sandbox.vault()));

    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 failed attempt to unlock this vault"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn second_process_gets_a_clear_in_use_error_within_a_second() {
    let sandbox = Sandbox::new();
    let held = new_vault(&sandbox.vault());
    let started = Instant::now();
    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(code(&out), 4);
    let message = stderr(&out);
    assert!(message.contains("in use by another sotto process"), "{message}");
    assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
    drop(held);
    assert_eq!(code(&sandbox.run(&["view"], Some(PASSPHRASE))), 0);
}

#[test]
fn verify_lists_each_damaged_record_and_exits_6() {
    let sandbox = Sandbox::new();
    let id = {
        let mut vault = new_vault(&sandbox.vault());
        let id = vault.create_conversation("x").unwrap();
        for i in 0..4 {
            vault
                .append_message(id, NewMessage::user(&format!("message {i}")))
                .unwrap();
        }
        id
    };
    let out = sandbox.run(&["verify"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("4 messages") && stdout(&out).contains("0 damaged"),
        "{}",
        stdout(&out)
    );

    {
        let db = support::open_sled_directly(&sandbox.vault());
        let tree = db.open_tree("messages").unwrap();
        for seq in [1u64, 3] {
            let mut key = id.as_bytes().to_vec();
            key.extend_from_slice(&seq.to_be_bytes());
            let mut value = tree.get(&key).unwrap().unwrap().to_vec();
            value[30] ^= 0x80;
            tree.insert(key, value).unwrap();
        }
        db.flush().unwrap();
    }
    let out = sandbox.run(&["verify"], Some(PASSPHRASE));
    assert_eq!(code(&out), 6);
    let report = stdout(&out);
    assert!(
        report.contains(&format!("damaged: message #1 of conversation {id}")),
        "{report}"
    );
    assert!(
        report.contains(&format!("damaged: message #3 of conversation {id}")),
        "{report}"
    );
    assert!(
        report.contains("2 messages") && report.contains("2 damaged"),
        "{report}"
    );
}

#[test]
fn view_without_a_vault_says_so_and_exits_5() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert_eq!(code(&out), 5);
    let message = stderr(&out);
    assert!(
        message.contains("no vault at") && message.contains("sotto init"),
        "{message}"
    );
}

#[test]
fn a_missing_identity_exits_6_with_advice() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    std::fs::remove_file(sandbox.vault().join("identity.age")).unwrap();
    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert_eq!(code(&out), 6);
    assert!(
        stderr(&out).contains("restore the file from a backup"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn init_in_an_unwritable_place_fails_clearly_and_leaves_nothing() {
    let sandbox = Sandbox::new();
    let blocker = sandbox.file("blocker", "a regular file");
    let out = sandbox
        .sotto(&["init"])
        .arg("--data-dir")
        .arg(blocker.join("vault"))
        .env("SOTTO_PASSPHRASE_FILE", sandbox.file("p", PASSPHRASE))
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!("'{}'", blocker.display())),
        "{}",
        stderr(&out)
    );
    let mut left: Vec<String> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["blocker", "p"]);
}

#[test]
fn no_passphrase_source_without_a_terminal_is_a_clear_error() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let out = sandbox.run(&["view"], None);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("SOTTO_PASSPHRASE_FILE"), "{}", stderr(&out));

    let mut both = sandbox.sotto(&["view"]);
    both.env("SOTTO_PASSPHRASE_FILE", sandbox.file("p", PASSPHRASE))
        .env("SOTTO_PASSPHRASE_COMMAND", "echo x");
    let out = both.output().unwrap();
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("both SOTTO_PASSPHRASE_FILE and SOTTO_PASSPHRASE_COMMAND"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_documents_commands_exit_codes_and_environment() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["--help"], None);
    assert_eq!(code(&out), 0);
    let help = stdout(&out);
    for expected in [
        "init",
        "view",
        "verify",
        "--data-dir",
        "--config",
        "Exit codes:",
        "open the chat screen",
        "SOTTO_PASSPHRASE_FILE",
        "SOTTO_PASSPHRASE_COMMAND",
    ] {
        assert!(help.contains(expected), "--help lacks {expected:?}");
    }
    for code in [0, 1, 2, 3, 4, 5, 6, 7, 130, 143] {
        assert!(
            help.contains(&format!("\n  {code}  ")),
            "--help does not explain exit code {code}"
        );
    }
    let out = sandbox.run(&["frobnicate"], None);
    assert_eq!(code(&out), 2);
    // Bare `sotto` opens the chat screen, which needs a terminal: without
    // one it says what to use instead (the chat itself is tested in tui.rs).
    let out = sandbox.run(&[], None);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs a terminal") && stderr(&out).contains("sotto ask"),
        "{}",
        stderr(&out)
    );
    assert!(!sandbox.vault().exists(), "nothing was created");
}

#[test]
fn a_vault_created_elsewhere_is_found_through_sotto_data_dir() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_sotto"));
    command
        .env_clear()
        .env("HOME", sandbox.path("home"))
        .env("SOTTO_DATA_DIR", sandbox.vault())
        .env("SOTTO_PASSPHRASE_FILE", sandbox.file("p", PASSPHRASE))
        .args(["view", "--json"])
        .stdin(Stdio::null());
    let out = command.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let view: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(Path::new(view["vault"]["path"].as_str().unwrap()), sandbox.vault());
}

#[test]
fn init_and_unlock_at_the_terminal_prompt_without_echo() {
    let sandbox = Sandbox::new();
    let mut init = sandbox.sotto(&["init"]);
    let mut terminal = support::pty::spawn(&mut init);
    terminal.expect("New passphrase: ", Duration::from_secs(20));
    terminal.expect_echo_off(Duration::from_secs(20));
    terminal.send(&format!("{PASSPHRASE}\n"));
    terminal.expect("Repeat the passphrase: ", Duration::from_secs(20));
    terminal.expect_echo_off(Duration::from_secs(20));
    terminal.send("a different one\n");
    terminal.expect("The two passphrases differ; try again.", Duration::from_secs(20));
    terminal.expect("New passphrase: ", Duration::from_secs(20));
    terminal.expect_echo_off(Duration::from_secs(20));
    terminal.send(&format!("{PASSPHRASE}\n"));
    terminal.expect("Repeat the passphrase: ", Duration::from_secs(20));
    terminal.expect_echo_off(Duration::from_secs(20));
    terminal.send(&format!("{PASSPHRASE}\n"));
    let status = terminal.wait(Duration::from_secs(60));
    assert!(status.success(), "{}", terminal.seen);
    assert!(terminal.seen.contains("Created a vault"), "{}", terminal.seen);
    assert!(
        !terminal.seen.contains(PASSPHRASE),
        "the passphrase was echoed: {}",
        terminal.seen
    );

    // While it waits at the unlock prompt, the process is already hardened.
    let mut view = sandbox.sotto(&["view"]);
    let mut terminal = support::pty::spawn(&mut view);
    terminal.expect("Passphrase for the vault at", Duration::from_secs(20));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", terminal.child.id())).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert_eq!(
        core.split_whitespace().filter(|w| *w == "0").count(),
        2,
        "core dumps still allowed: {core}"
    );
    terminal.expect_echo_off(Duration::from_secs(20));
    terminal.send(&format!("{PASSPHRASE}\n"));
    let status = terminal.wait(Duration::from_secs(60));
    assert!(status.success(), "{}", terminal.seen);
    assert!(terminal.seen.contains("Conversations   0"), "{}", terminal.seen);
    assert!(
        !terminal.seen.contains(PASSPHRASE),
        "the passphrase was echoed: {}",
        terminal.seen
    );
}

const PANIC_CHILD_ENV: &str = "SOTTO_TEST_PANIC_CHILD";

#[test]
fn a_panic_never_prints_its_message() {
    if std::env::var_os(PANIC_CHILD_ENV).is_some() {
        sotto::hardening::prepare_process(|| {});
        let text = String::from("secret conversation text é");
        // A std panic that quotes the string it was given.
        let cut = text.len() - 1;
        let _ = &text[..cut];
        unreachable!();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "vault::a_panic_never_prints_its_message",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PANIC_CHILD_ENV, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains("sotto: internal error at tests/cli/vault.rs:"), "{err}");
    assert!(!err.contains("secret conversation"), "the panic message leaked: {err}");
}

/// The binary, copied where any user may run it (the build directory may not be).
fn world_runnable_binary(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("sotto");
    std::fs::copy(env!("CARGO_BIN_EXE_sotto"), &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    copy
}

#[test]
fn the_running_binary_allows_no_core_dumps_and_is_not_dumpable() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    // The kernel hands a non-dumpable process's /proc files to root. To see
    // that, the binary must run as someone else: as root we run it as nobody.
    const NOBODY: u32 = 65534;
    // SAFETY: geteuid has no preconditions.
    let (runner, as_root) = match unsafe { libc::geteuid() } {
        0 => (NOBODY, true),
        uid => (uid, false),
    };
    let bin_dir = tempfile::tempdir().unwrap();
    let binary = world_runnable_binary(bin_dir.path());
    let data = tempfile::tempdir().unwrap();
    if as_root {
        std::os::unix::fs::chown(data.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let mut init = Command::new(&binary);
    init.env_clear()
        .env("HOME", data.path())
        .arg("--data-dir")
        .arg(data.path().join("vault"))
        .arg("init");
    if as_root {
        init.uid(NOBODY).gid(NOBODY);
    }
    let mut terminal = support::pty::spawn(&mut init);
    terminal.expect("New passphrase: ", Duration::from_secs(20));
    let pid = terminal.child.id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(
        status.contains(&format!("Uid:\t{runner}\t")),
        "it runs as {runner}: {status}"
    );
    let environ_owner = std::fs::metadata(format!("/proc/{pid}/environ")).unwrap().uid();
    assert_eq!(
        environ_owner, 0,
        "the process is dumpable: its /proc files belong to {environ_owner}"
    );
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert_eq!(
        core.split_whitespace().filter(|w| *w == "0").count(),
        2,
        "core dumps still allowed: {core}"
    );
    terminal.child.kill().unwrap();
    terminal.child.wait().unwrap();
}

#[test]
fn verify_reports_records_the_storage_engine_discarded_and_exits_6() {
    let sandbox = Sandbox::new();
    let pristine = sandbox.path("pristine");
    long_log_vault(&pristine);
    let mut reported = false;
    for percent in [50, 30, 70, 10, 90] {
        let _ = std::fs::remove_dir_all(sandbox.vault());
        copy_dir(&pristine, &sandbox.vault());
        flip_log_byte(&sandbox.vault(), percent);
        let out = sandbox.run(&["verify"], Some(PASSPHRASE));
        let report = stdout(&out);
        if report.contains("lost: 'bit rot': messages #") {
            // Named by its title, which the watermark kept.
            assert_eq!(code(&out), 6, "{report}");
            assert!(
                stderr(&out).contains("records saved earlier are missing"),
                "{}",
                stderr(&out)
            );
            assert!(report.contains("1 lost, 0 tampering"), "{report}");
            reported = true;
            break;
        }
        // Otherwise sled refused to open the damaged database: also exit 6, with a clear message.
        if code(&out) != 0 {
            assert_eq!(code(&out), 6, "{}", stderr(&out));
            assert!(stderr(&out).contains("vault database"), "{}", stderr(&out));
        }
    }
    assert!(reported, "no flip made sled discard records; the test proves nothing");
}

#[test]
fn audit_lists_privacy_events_with_times_as_text_and_json() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    // A wrong passphrase, then a right one: the failure is in the log.
    let out = sandbox.run(&["audit"], Some("not it at all"));
    assert_eq!(code(&out), 3);
    let out = sandbox.run(&["audit"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("vault created (passphrase)") && text.contains("unlock failed (wrong passphrase)"),
        "{text}"
    );
    let out = sandbox.run(&["audit", "--json"], Some(PASSPHRASE));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["schema"], "sotto.audit/1");
    assert_eq!(json["events"][0]["event"]["event"], "vault_created");
    assert!(json["events"][0]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(json["damaged_entries"], 0);
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let mut command = sandbox.sotto(&["audit", "--json"]);
    sandbox.with_passphrase(&mut command, PASSPHRASE);
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // The reader goes away at once, as with `| head -0`.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("internal error"), "{}", stderr(&out));
}

#[test]
fn a_database_that_will_not_open_says_to_repair_and_repair_brings_every_message_back() {
    let sandbox = Sandbox::new();
    let pristine = sandbox.path("pristine");
    long_log_vault(&pristine);
    // One bit changed in sled's checksummed config: it refuses the database.
    copy_dir(&pristine, &sandbox.vault());
    let conf = sandbox.vault().join("db/conf");
    let mut bytes = std::fs::read(&conf).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&conf, bytes).unwrap();
    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("Run 'sotto repair'") && message.contains("Nothing more was changed"),
        "{message}"
    );
    assert!(
        !message.contains("backtrace") && !message.contains("offset"),
        "sled's own text: {message}"
    );

    // A script must say --yes; without it nothing changes.
    let before = snapshot(&sandbox.vault().join("db"));
    let out = sandbox.run(&["repair"], Some(PASSPHRASE));
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("add --yes"), "{}", stderr(&out));
    assert_eq!(snapshot(&sandbox.vault().join("db")), before);

    let out = sandbox.run(&["repair", "--yes"], Some(PASSPHRASE));
    let said = stdout(&out);
    assert_eq!(code(&out), 0, "{said}{}", stderr(&out));
    assert!(
        said.contains("Rebuilt the vault") && said.contains("1 conversation(s), 50 message(s)"),
        "{said}"
    );
    assert!(
        said.contains("Nothing the vault held at its last clean close is missing"),
        "{said}"
    );
    let kept: Vec<_> = std::fs::read_dir(sandbox.vault())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("db.damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged database is kept");

    // The repair stays listed until acknowledged; then the vault is clean.
    let out = sandbox.run(&["verify"], Some(PASSPHRASE));
    assert_eq!(code(&out), 6);
    assert!(
        stdout(&out).contains("not acknowledged: the vault was rebuilt by 'sotto repair'"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("1 conversations, 50 messages"),
        "{}",
        stdout(&out)
    );
    let out = sandbox.run(&["verify", "--acknowledge"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(code(&sandbox.run(&["verify"], Some(PASSPHRASE))), 0);
}
