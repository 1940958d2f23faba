use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::backend::Channel;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("config.toml"), text)
}

#[test]
fn no_config_means_the_built_in_bot() {
    let config = Config::default();
    assert_eq!(config.default_backend, "local");
    assert_eq!(config.backend("local").unwrap().channel(), Channel::InProcess);
}

#[test]
fn the_documented_example_parses() {
    let config = parse(
        r#"
            default_backend = "llama"
            [backends.llama]
            kind = "openai"
            base_url = "http://127.0.0.1:8080/v1"
            model = "smollm2-135m"
            api_key_env = "LLAMA_API_KEY"
            "#,
    )
    .unwrap();
    let llama = config.backend("llama").unwrap();
    assert_eq!(llama.channel(), Channel::Loopback);
    assert_eq!(llama.host(), "127.0.0.1:8080");
    match &llama.spec {
        BackendSpec::OpenAi(spec) => assert_eq!(spec.key, KeySource::Env("LLAMA_API_KEY".into())),
        other => panic!("{other:?}"),
    }
    assert!(config.backend("local").is_ok(), "the built-in bot is always there");
}

#[test]
fn a_literal_api_key_is_refused_with_advice() {
    let err =
        parse("[backends.openai]\nkind = \"openai\"\nbase_url = \"https://api.openai.com/v1\"\napi_key = \"sk-123\"\n")
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("api_key_env") && err.contains("sotto key set openai"),
        "{err}"
    );
    assert!(!err.contains("sk-123"), "the key is quoted back: {err}");
}

#[test]
fn plain_http_off_the_loopback_needs_an_explicit_opt_in() {
    let base = "[backends.lan]\nkind = \"openai\"\nbase_url = \"http://192.168.1.20:11434/v1\"\n";
    let err = parse(base).unwrap_err().to_string();
    assert!(err.contains("allow_insecure_http"), "{err}");
    let config = parse(&format!("{base}allow_insecure_http = true\n")).unwrap();
    assert_eq!(config.backend("lan").unwrap().channel(), Channel::Insecure);
    let tls = parse("[backends.o]\nkind = \"openai\"\nbase_url = \"https://api.openai.com/v1\"\n").unwrap();
    assert_eq!(tls.backend("o").unwrap().channel(), Channel::Tls);
    for loopback in [
        "http://localhost:11434/v1",
        "http://[::1]:8080/v1",
        "http://127.1.2.3/v1",
    ] {
        let text = format!("[backends.l]\nkind = \"openai\"\nbase_url = \"{loopback}\"\n");
        assert_eq!(
            parse(&text).unwrap().backend("l").unwrap().channel(),
            Channel::Loopback,
            "{loopback}"
        );
    }
}

#[test]
fn names_that_only_look_local_are_not_loopback() {
    for remote in [
        "http://localhost.evil.com/v1",
        "http://127.0.0.1.nip.io/v1",
        "http://[::ffff:127.0.0.1]/v1",
        "http://0.0.0.0/v1",
    ] {
        let text = format!("[backends.r]\nkind = \"openai\"\nbase_url = \"{remote}\"\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("allow_insecure_http"),
            "{remote} counted as loopback: {err}"
        );
    }
}

#[test]
fn a_key_pasted_in_the_wrong_place_is_never_quoted_back() {
    let key = "sk-proj-CANARY0123456789";
    for text in [
        format!("api_key = {key}\n"),
        format!("[backends.o]\nkind = \"openai\"\nbase_url = \"https://a.example/v1\"\napikey = \"{key}\"\n"),
        format!("[backends.o]\nkind = \"local\"\napi_key = \"{key}\"\n"),
        format!("[backends.o]\nkind = \"openai\"\nbase_url = \"https://a.example/v1\"\napi_key_env = \"{key}\"\n"),
        format!("[backends.o]\nkind = \"openai\"\nbase_url = \"https://u:{key}@a.example/v1\"\n"),
        format!("[backends.o]\nkind = \"openai\"\nbase_url = \"https://a.example/v1?key={key}\"\n"),
        format!("[backends.o]\nkind = \"openai\"\nbase_url = \"ftp://u:{key}@a.example/v1\"\n"),
    ] {
        let err = parse(&text).expect_err(&text).to_string();
        assert!(!err.contains("CANARY"), "the key is quoted back: {err}");
        assert!(err.contains("config.toml"), "{err}");
    }
}

#[test]
fn an_oversized_reply_cap_is_an_error_not_an_overflow() {
    let text = format!(
        "[backends.o]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1/v1\"\nmax_reply_kib = {}\n",
        u64::MAX / 2
    );
    assert!(parse(&text).unwrap_err().to_string().contains("max_reply_kib"));
}

#[test]
fn the_reply_deadline_defaults_to_half_an_hour_can_be_set_and_is_never_zero() {
    let base = "[backends.o]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1/v1\"\n";
    let timeout_of = |config: Config| match &config.backends["o"].spec {
        BackendSpec::OpenAi(spec) => spec.reply_timeout,
        BackendSpec::Local { .. } => panic!("an openai backend"),
    };
    assert_eq!(timeout_of(parse(base).unwrap()), Duration::from_secs(1800));
    let set = parse(&format!("{base}reply_timeout_secs = 90\n")).unwrap();
    assert_eq!(timeout_of(set), Duration::from_secs(90));
    let err = parse(&format!("{base}reply_timeout_secs = 0\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("reply_timeout_secs must be at least 1"), "{err}");
}

#[test]
fn the_example_in_the_config_documentation_parses() {
    let doc = include_str!("../../docs/config.md");
    let start = doc.find("```toml\n").expect("docs/config.md has a TOML example") + 8;
    let end = start + doc[start..].find("```").expect("the example ends");
    let config = parse(&doc[start..end]).expect("the documented example is a valid config");
    assert_eq!(config.default_backend, "llama");
    assert_eq!(config.auto_lock_minutes, 15);
    assert_eq!(config.context.max_messages, 20);
}

#[test]
fn auto_lock_and_context_limits_have_defaults_and_can_be_set() {
    let defaults = parse("").unwrap();
    assert_eq!(defaults.auto_lock_minutes, DEFAULT_AUTO_LOCK_MINUTES);
    assert_eq!(defaults.context, crate::redact::egress::ContextLimits::default());
    let set = parse("auto_lock_minutes = 0\n[context]\nmax_messages = 4\n").unwrap();
    assert_eq!(set.auto_lock_minutes, 0);
    assert_eq!(set.context.max_messages, 4);
    assert!(
        parse("[context]\nmax_chars = 0\n")
            .unwrap_err()
            .to_string()
            .contains("max_chars")
    );
}

#[test]
fn consent_is_for_scheme_host_and_port() {
    let target = |url: &str| {
        let text = format!("[backends.o]\nkind = \"openai\"\nbase_url = \"{url}\"\nallow_insecure_http = true\n");
        parse(&text).unwrap().backend("o").unwrap().consent_target()
    };
    assert_eq!(target("https://api.example.com/v1"), "https://api.example.com");
    assert_ne!(
        target("https://api.example.com/v1"),
        target("http://api.example.com/v1")
    );
    assert_ne!(
        target("https://api.example.com/v1"),
        target("https://api.example.com:8443/v1")
    );
}

#[test]
fn unknown_keys_and_backends_are_named_in_the_error() {
    let err = parse("[backends.x]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1/v1\"\nmodle = \"m\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("modle"), "{err}");
    let err = parse("default_backend = \"nope\"\n").unwrap_err().to_string();
    assert!(err.contains("'nope'") && err.contains("'local'"), "{err}");
}

#[test]
fn credentials_in_the_url_are_refused() {
    let err = parse("[backends.x]\nkind = \"openai\"\nbase_url = \"https://user:secret@example.com/v1\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("credentials") && !err.contains("secret"), "{err}");
}

#[test]
fn a_local_backend_takes_knowledge_directories() {
    let config = parse("[backends.runbooks]\nkind = \"local\"\nknowledge = [\"/srv/runbooks\"]\n").unwrap();
    assert_eq!(
        config.backend("runbooks").unwrap().spec,
        BackendSpec::Local {
            knowledge: vec![PathBuf::from("/srv/runbooks")]
        }
    );
}

#[test]
fn a_misspelt_key_is_reported_at_its_own_line_and_column_with_only_the_keys_accepted() {
    let err = parse(
        "default_backend = \"local\"\n\n[backends.x]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n  modle = \"x\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("line 6, column 3: unknown key 'modle'"), "{err}");
    assert!(err.contains("'model'") && err.contains("'api_key_env'"), "{err}");
    assert!(!err.contains("'api_key'"), "a refused key is never offered: {err}");

    let err = parse("auto_lock_minutes = 5\nbogus = 1\n").unwrap_err().to_string();
    assert!(err.contains("line 2, column 1: unknown key 'bogus'"), "{err}");
    assert!(err.contains("'auto_lock_minutes'"), "{err}");

    // Other mistakes keep the parser's reason, at its position.
    let err = parse("auto_lock_minutes = \"soon\"\n").unwrap_err().to_string();
    assert!(err.contains("line 1, column"), "{err}");
}
