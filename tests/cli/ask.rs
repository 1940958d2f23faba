//! `sotto ask`, `sotto key`, `sotto backend` and consent, against the
//! built-in bot and a scripted OpenAI-compatible server on 127.0.0.1.

use sotto::store::{AuditEvent, ConversationId, ReplyState, Role};

use super::support::http::{Script, TestServer, delta, delta_then_silence, done, finish, json, sse};
use super::support::reopen;
use super::*;

impl Sandbox {
    /// Writes a config file with `body` and returns its path.
    fn config(&self, body: &str) -> PathBuf {
        self.file("config.toml", body)
    }

    /// A config naming the test server as the default backend `llama`.
    fn config_for(&self, server: &TestServer, extra: &str) -> PathBuf {
        self.config(&format!(
            "default_backend = \"llama\"\n[backends.llama]\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"smollm2\"\n{extra}",
            server.base_url()
        ))
    }
}

/// A stored message as the tests compare it.
pub(super) type Stored = (Role, String, ReplyState);

/// The conversations in the vault, each with its messages.
pub(super) fn stored(root: &Path) -> Vec<(ConversationId, Vec<Stored>)> {
    let vault = reopen(root);
    vault
        .list_conversations()
        .unwrap()
        .conversations
        .iter()
        .map(|c| {
            let messages = vault
                .newest_messages(c.id, usize::MAX)
                .unwrap()
                .iter()
                .map(|m| {
                    let m = m.as_ref().unwrap();
                    (m.role, m.text.clone(), m.meta.state)
                })
                .collect();
            (c.id, messages)
        })
        .collect()
}

fn streaming_reply(words: &[&str]) -> Script {
    let mut events: Vec<String> = words.iter().map(|w| delta(w)).collect();
    events.push(finish("stop"));
    events.push(done());
    sse(&events)
}

#[test]
fn with_no_config_ask_uses_the_built_in_bot_and_stores_both_messages() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let out = sandbox.run(
        &["ask", "How do I permanently delete one conversation?"],
        Some(PASSPHRASE),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reply = stdout(&out);
    assert!(
        reply.contains("crypto-shredding") && reply.contains("Source: sotto:"),
        "{reply}"
    );
    let conversations = stored(&sandbox.vault());
    assert_eq!(conversations.len(), 1);
    let (id, messages) = &conversations[0];
    assert!(stderr(&out).contains(&id.to_string()), "the conversation id is shown");
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0],
        (
            Role::User,
            "How do I permanently delete one conversation?".into(),
            ReplyState::Complete
        )
    );
    assert_eq!(messages[1].0, Role::Assistant);
    assert_eq!(
        format!("{}\n", messages[1].1),
        reply,
        "what was shown is what was stored"
    );
    assert_eq!(messages[1].2, ReplyState::Complete);
}

#[test]
fn the_message_can_come_from_stdin() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let mut command = sandbox.sotto(&["ask"]);
    sandbox.with_passphrase(&mut command, PASSPHRASE);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("help-desk bot"), "{}", stdout(&out));
    assert_eq!(stored(&sandbox.vault())[0].1[0].1, "hello");
}

#[test]
fn a_reply_streamed_from_an_openai_server_is_shown_and_stored() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let server = TestServer::always(|| streaming_reply(&["Turn it ", "off and ", "on again."]));
    let config = sandbox.config_for(&server, "api_key_env = \"LLAMA_KEY\"\n");
    let mut command = sandbox.sotto(&["ask", "My printer is offline"]);
    command.arg("--config").arg(&config).env("LLAMA_KEY", "sk-from-env");
    sandbox.with_passphrase(&mut command, PASSPHRASE);
    let out = command.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "Turn it off and on again.\n");
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer sk-from-env"));
    assert_eq!(request.json()["messages"][0]["content"], "My printer is offline");
    let messages = &stored(&sandbox.vault())[0].1;
    assert_eq!(
        messages[1],
        (
            Role::Assistant,
            "Turn it off and on again.".into(),
            ReplyState::Complete
        )
    );
}

#[test]
fn continuing_a_conversation_sends_its_history_as_context() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let server = TestServer::always(|| streaming_reply(&["Answer."]));
    let config = sandbox.config_for(&server, "");
    let first = sandbox
        .sotto(&["ask", "first question"])
        .arg("--config")
        .arg(&config)
        .env("SOTTO_PASSPHRASE_FILE", sandbox.file("p", PASSPHRASE))
        .output()
        .unwrap();
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let id = stored(&sandbox.vault())[0].0.to_string();
    let second = sandbox
        .sotto(&["ask", "second question", "--conversation", &id])
        .arg("--config")
        .arg(&config)
        .env("SOTTO_PASSPHRASE_FILE", sandbox.path("p"))
        .output()
        .unwrap();
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    let sent = server.requests()[1].json();
    let contents: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["first question", "Answer.", "second question"]);
    let roles: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    assert_eq!(stored(&sandbox.vault())[0].1.len(), 4);
}

#[test]
fn incognito_stores_nothing_and_never_opens_the_vault() {
    let sandbox = Sandbox::new();
    // No vault at all: incognito still answers.
    let out = sandbox.run(&["--incognito", "ask", "hello"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("help-desk bot"));
    assert!(!sandbox.vault().exists());
    // With a vault: not a byte changes, and no passphrase is asked for.
    drop(new_vault(&sandbox.vault()));
    let before = snapshot(&sandbox.vault());
    let out = sandbox.run(&["ask", "--incognito", "what makes a good passphrase?"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(before, snapshot(&sandbox.vault()));
}

#[test]
fn a_remote_backend_needs_consent_which_is_stored_shown_and_audited() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let config = sandbox
        .config("[backends.cloud]\nkind = \"openai\"\nbase_url = \"https://sotto-test.invalid/v1\"\nmodel = \"m\"\n");
    let ask = |extra: &[&str]| {
        let mut args = vec!["ask", "hello", "--backend", "cloud"];
        args.extend_from_slice(extra);
        let mut command = sandbox.sotto(&args);
        command.arg("--config").arg(&config);
        sandbox.with_passphrase(&mut command, PASSPHRASE);
        command.output().unwrap()
    };
    let out = ask(&[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("'sotto-test.invalid'") && stderr(&out).contains("sotto backend trust cloud"),
        "{}",
        stderr(&out)
    );
    assert!(
        stored(&sandbox.vault()).is_empty(),
        "nothing is stored or sent without consent"
    );

    let mut trust = sandbox.sotto(&["backend", "trust", "cloud"]);
    trust.arg("--config").arg(&config);
    sandbox.with_passphrase(&mut trust, PASSPHRASE);
    let out = trust.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let mut view = sandbox.sotto(&["view", "--json"]);
    view.arg("--config").arg(&config);
    sandbox.with_passphrase(&mut view, PASSPHRASE);
    let view: serde_json::Value = serde_json::from_slice(&view.output().unwrap().stdout).unwrap();
    let cloud = view["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "cloud")
        .unwrap()
        .clone();
    assert_eq!(cloud["channel"], "tls");
    assert_eq!(cloud["consent"]["given_for"], "https://sotto-test.invalid");
    assert_eq!(cloud["consent"]["current"], true);

    // With consent the message is stored and sent; this host does not exist.
    let out = ask(&[]);
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert!(stderr(&out).contains("DNS"), "{}", stderr(&out));
    let messages = &stored(&sandbox.vault())[0].1;
    assert_eq!(messages[0].1, "hello");
    assert_eq!(messages[1].2, ReplyState::Failed);
    let audit = reopen(&sandbox.vault()).audit_log().unwrap();
    assert!(audit.iter().any(|e| matches!(&e.as_ref().unwrap().event, AuditEvent::ConsentGiven { backend, host } if backend == "cloud" && host == "https://sotto-test.invalid")));
}

#[test]
fn a_literal_api_key_in_the_config_is_refused() {
    let sandbox = Sandbox::new();
    let config = sandbox.config(
        "[backends.x]\nkind = \"openai\"\nbase_url = \"https://api.example.com/v1\"\napi_key = \"sk-literal-9\"\n",
    );
    let out = sandbox
        .sotto(&["--incognito", "ask", "hi", "--backend", "x"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("sotto key set x") && !stderr(&out).contains("sk-literal-9"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_key_stored_with_key_set_is_used_and_never_readable_on_disk() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let server = TestServer::always(|| streaming_reply(&["ok"]));
    let config = sandbox.config_for(&server, "");
    let mut set = sandbox.sotto(&["key", "set", "llama"]);
    set.arg("--config")
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    sandbox.with_passphrase(&mut set, PASSPHRASE);
    let mut child = set.spawn().unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"sk-vault-canary-5521\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stdout(&out).contains("sk-vault-canary-5521"));

    let mut ask = sandbox.sotto(&["ask", "hi"]);
    ask.arg("--config").arg(&config);
    sandbox.with_passphrase(&mut ask, PASSPHRASE);
    let out = ask.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer sk-vault-canary-5521")
    );
    support::assert_canary_absent(&[&sandbox.vault()], "sk-vault-canary-5521");

    let mut list = sandbox.sotto(&["key", "list"]);
    list.arg("--config").arg(&config);
    sandbox.with_passphrase(&mut list, PASSPHRASE);
    let out = list.output().unwrap();
    assert_eq!(stdout(&out), "llama\n");
}

/// `sotto ask MESSAGE` with `config`, returned once its stdout shows "The
/// first part", with that stdout (kept open, or the rest would not fit).
fn ask_until_the_first_part(
    sandbox: &Sandbox,
    config: &Path,
    message: &str,
) -> (std::process::Child, std::process::ChildStdout) {
    let mut command = sandbox.sotto(&["ask", message]);
    command
        .arg("--config")
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    sandbox.with_passphrase(&mut command, PASSPHRASE);
    let mut child = command.spawn().unwrap();
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    use std::io::Read as _;
    while !String::from_utf8_lossy(&seen).contains("The first part") {
        let n = stdout_pipe.read(&mut buf).unwrap();
        assert!(n > 0, "sotto ended before the first part arrived");
        seen.extend_from_slice(&buf[..n]);
    }
    (child, stdout_pipe)
}

#[test]
fn ctrl_c_stops_the_reply_and_keeps_what_arrived() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let server = TestServer::always(|| delta_then_silence("The first part", Duration::from_secs(60)));
    let config = sandbox.config_for(&server, "");
    let (mut child, _stdout) = ask_until_the_first_part(&sandbox, &config, "tell me everything");
    let started = Instant::now();
    // SAFETY: kill sends a signal to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(status.code(), Some(130));
    let messages = &stored(&sandbox.vault())[0].1;
    assert_eq!(
        messages[1],
        (Role::Assistant, "The first part".into(), ReplyState::Cancelled)
    );
}

#[test]
fn a_failing_server_exits_7_and_the_partial_reply_is_kept_as_failed() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let server = TestServer::always(|| {
        let error = serde_json::json!({"error": {"message": "out of memory"}});
        sse(&[delta("Half an an"), format!("data: {error}\n\n")])
    });
    let config = sandbox.config_for(&server, "");
    let mut command = sandbox.sotto(&["ask", "hi"]);
    command.arg("--config").arg(&config);
    sandbox.with_passphrase(&mut command, PASSPHRASE);
    let out = command.output().unwrap();
    assert_eq!(code(&out), 7);
    assert!(stderr(&out).contains("out of memory"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Half an an\n");
    let messages = &stored(&sandbox.vault())[0].1;
    assert_eq!(messages[1], (Role::Assistant, "Half an an".into(), ReplyState::Failed));
}

#[test]
fn escape_sequences_from_a_backend_never_reach_the_terminal() {
    let sandbox = Sandbox::new();
    let server = TestServer::always(|| streaming_reply(&["clear\u{1b}[2J", "\u{1b}]52;c;aGk=\u{7}", "done"]));
    let config = sandbox.config_for(&server, "");
    let out = sandbox
        .sotto(&["--incognito", "ask", "hi"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
        "{:?}",
        stdout(&out)
    );
    assert_eq!(stdout(&out), "clear␛[2J␛]52;c;aGk=␇done\n");
}

#[test]
fn backends_can_be_listed_and_checked() {
    let sandbox = Sandbox::new();
    let server = TestServer::start(|request| match request.path.as_str() {
        "/v1/models" => json(200, serde_json::json!({"data": [{"id": "smollm2"}]})),
        _ => streaming_reply(&["x"]),
    });
    let config = sandbox.config_for(&server, "");
    let out = sandbox
        .sotto(&["backend", "list"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let list = stdout(&out);
    assert!(
        list.contains("llama (default)") && list.contains("loopback") && list.contains("local"),
        "{list}"
    );
    let out = sandbox
        .sotto(&["--incognito", "backend", "check", "llama"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("answers") && stdout(&out).contains("smollm2"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn plain_http_to_another_host_is_warned_about_on_every_run() {
    let sandbox = Sandbox::new();
    let config = sandbox.config(
        "[backends.lan]\nkind = \"openai\"\nbase_url = \"http://sotto-test.invalid:11434/v1\"\nallow_insecure_http = true\n",
    );
    let out = sandbox
        .sotto(&["--incognito", "--backend", "lan", "ask", "hi", "--trust-backend"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("over plain HTTP, unencrypted"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&out), 7, "the host does not exist: {}", stderr(&out));
    let out = sandbox
        .sotto(&["backend", "list"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(stdout(&out).contains("INSECURE plain HTTP"), "{}", stdout(&out));
}

#[test]
fn a_proxy_in_the_environment_never_carries_a_loopback_conversation() {
    let server = TestServer::always(|| streaming_reply(&["straight ", "here"]));
    // A "proxy" that would see the conversation: it records and refuses.
    let proxy = TestServer::always(|| json(502, serde_json::json!({"error": {"message": "via proxy"}})));
    let sandbox = Sandbox::new();
    let config = sandbox.config_for(&server, "");
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port());
    let mut command = sandbox.sotto(&["--incognito", "--config", config.to_str().unwrap(), "ask", "hi"]);
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        command.env(var, &proxy_url);
    }
    command.env_remove("NO_PROXY").env_remove("no_proxy");
    let out = command.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "straight here\n");
    assert!(proxy.requests().is_empty(), "the proxy saw the conversation");
}

#[test]
fn incognito_to_a_remote_backend_needs_consent_for_the_run() {
    let sandbox = Sandbox::new();
    let config = sandbox.config(
        "default_backend = \"cloud\"\n[backends.cloud]\nkind = \"openai\"\nbase_url = \"https://sotto-test.invalid/v1\"\n",
    );
    let out = sandbox.run(
        &["--incognito", "--config", config.to_str().unwrap(), "ask", "hi"],
        None,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--trust-backend"), "{}", stderr(&out));
}

#[test]
fn backend_check_tells_which_knowledge_files_were_not_loaded() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path("runbooks");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("vpn.md"), "# VPN\nRun vpnctl restart.\n").unwrap();
    std::fs::write(dir.join("huge.md"), "x".repeat(3 << 20)).unwrap();
    let out = sandbox
        .sotto(&["--incognito", "--knowledge"])
        .arg(&dir)
        .args(["backend", "check", "local"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Note: 1 knowledge file(s) not loaded: 'huge.md' is larger than 2 MiB."),
        "{}",
        stdout(&out)
    );
}

#[test]
fn ask_writes_back_an_identity_file_removed_during_the_reply_and_says_so() {
    use super::support::http::Step;
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let identity = sandbox.vault().join("identity.age");
    let original = std::fs::read(&identity).unwrap();
    let server = TestServer::always(|| {
        Script::new(
            200,
            "text/event-stream",
            vec![
                Step::Bytes(delta("The first part").into_bytes()),
                Step::Pause(Duration::from_millis(800)),
                Step::Bytes(finish("stop").into_bytes()),
                Step::Bytes(done().into_bytes()),
            ],
        )
    });
    let config = sandbox.config_for(&server, "");
    let (child, _stdout) = ask_until_the_first_part(&sandbox, &config, "is my vault safe?");
    std::fs::remove_file(&identity).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("has been written back"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&identity).unwrap(), original);
    let messages = &stored(&sandbox.vault())[0].1;
    assert_eq!(messages[1].2, ReplyState::Complete);
}

#[test]
fn an_older_settings_record_put_back_never_sends_the_key_it_replaced() {
    let sandbox = Sandbox::new();
    let server = TestServer::always(|| streaming_reply(&["ok"]));
    let config = sandbox.config_for(&server, "");
    let name = sotto::config::vault_key_name("llama");
    let settings = |edit: Option<&[u8]>| {
        let db = support::open_sled_directly(&sandbox.vault());
        let tree = db.open_tree("settings").unwrap();
        let old = tree.get("settings").unwrap().unwrap().to_vec();
        if let Some(value) = edit {
            tree.insert("settings", value).unwrap();
            db.flush().unwrap();
        }
        old
    };
    new_vault(&sandbox.vault())
        .set_secret(&name, &secrecy::SecretString::from("sk-revoked-7788".to_owned()))
        .unwrap();
    let old = settings(None);
    reopen(&sandbox.vault())
        .set_secret(&name, &secrecy::SecretString::from("sk-current-4411".to_owned()))
        .unwrap();
    // An attacker with the files puts the older record back.
    settings(Some(&old));

    let mut ask = sandbox.sotto(&["ask", "hi"]);
    ask.arg("--config").arg(&config);
    sandbox.with_passphrase(&mut ask, PASSPHRASE);
    let out = ask.output().unwrap();
    for request in server.requests() {
        assert_ne!(request.header("authorization"), Some("Bearer sk-revoked-7788"));
    }
    let err = stderr(&out);
    assert!(
        err.contains("tampered") && err.contains(&format!("'{name}'")) && !err.contains("sk-"),
        "{err}"
    );
    // Told by the unlock that found it, then kept until acknowledged: every
    // unlock reminds, verify lists it and exits 6.
    let out = sandbox.run(&["view"], Some(PASSPHRASE));
    assert!(stderr(&out).contains("1 earlier finding(s)"), "{}", stderr(&out));
    let out = sandbox.run(&["verify"], Some(PASSPHRASE));
    assert_eq!(code(&out), 6, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("not acknowledged: the settings record could not be trusted"),
        "{}",
        stdout(&out)
    );
    let out = sandbox.run(&["verify", "--acknowledge"], Some(PASSPHRASE));
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(code(&sandbox.run(&["verify"], Some(PASSPHRASE))), 0);
}

#[test]
fn a_conversation_whose_key_was_replaced_sends_nothing_and_says_it_was_tampered_with() {
    use support::forgery;
    let sandbox = Sandbox::new();
    let server = TestServer::always(|| streaming_reply(&["ok"]));
    let config = sandbox.config_for(&server, "");
    let id = {
        let mut vault = new_vault(&sandbox.vault());
        let id = vault.create_conversation("mine").unwrap();
        vault.append_message(id, NewMessage::user("my question")).unwrap();
        id
    };
    // The attacker wraps a key of their own to the public recipient and
    // forges the message under it, its "sent" form included.
    let recipient = forgery::public_recipient(&sandbox.vault());
    let attacker_key = [0x42u8; 32];
    let db = support::open_sled_directly(&sandbox.vault());
    db.open_tree("keys")
        .unwrap()
        .insert(
            id.as_bytes(),
            forgery::wrap_key(&attacker_key, Some(id.as_bytes()), &recipient),
        )
        .unwrap();
    let key = support::message_key(id, 0);
    let forged = forgery::message_json("user", "forged", "forged context for the backend");
    db.open_tree("messages")
        .unwrap()
        .insert(&key, forgery::seal(&attacker_key, "messages", &key, &forged))
        .unwrap();
    db.flush().unwrap();
    drop(db);

    let mut ask = sandbox.sotto(&["ask", "card 4111 1111 1111 1111", "--conversation", &id.to_string()]);
    ask.arg("--config").arg(&config);
    sandbox.with_passphrase(&mut ask, PASSPHRASE);
    let out = ask.output().unwrap();
    assert_ne!(code(&out), 0);
    assert!(server.requests().is_empty(), "nothing reaches the backend");
    assert!(stderr(&out).contains("tampering"), "{}", stderr(&out));
}

#[test]
fn a_misspelt_config_key_is_named_at_its_line_and_column_before_anything_runs() {
    let sandbox = Sandbox::new();
    let config = sandbox.file(
        "config.toml",
        "default_backend = \"llama\"\n\n[backends.llama]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodle = \"x\"\n",
    );
    let out = sandbox
        .sotto(&["--incognito", "ask", "hello"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("line 6, column 1: unknown key 'modle'; the keys accepted here are 'base_url', 'model'"),
        "{message}"
    );
    assert!(!message.contains("'api_key',"), "{message}");
}
