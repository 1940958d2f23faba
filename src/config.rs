//! The configuration file (`~/.config/sotto/config.toml`, or `--config FILE`):
//! which backends exist and which one is the default. Parsing is strict —
//! unknown keys are errors that name the key — and validation enforces the
//! transport rules: https off the loopback unless a backend explicitly allows
//! plain http, and never an API key written into the file.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::backend::local::{LocalBot, LocalSettings};
use crate::backend::openai::{OpenAiBackend, OpenAiSettings, host_of};
use crate::backend::sse::SseLimits;
use crate::backend::{Backend, BackendError, Channel};

/// The name of the built-in bot, always available.
pub const BUILT_IN_BACKEND: &str = "local";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file '{}': {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the config file '{}' is not valid: {message}", .path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("backend '{backend}' in '{}': {message}", .path.display())]
    Backend {
        path: PathBuf,
        backend: String,
        message: String,
    },
    #[error("there is no backend named '{name}'. Known backends: {known}")]
    UnknownBackend { name: String, known: String },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    default_backend: Option<String>,
    #[serde(default)]
    backends: BTreeMap<String, RawBackend>,
    #[serde(default)]
    context: Option<RawContext>,
    #[serde(default)]
    auto_lock_minutes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    max_messages: Option<usize>,
    max_chars: Option<usize>,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
enum RawBackend {
    Local {
        #[serde(default)]
        knowledge: Vec<String>,
    },
    Openai {
        base_url: String,
        #[serde(default)]
        model: Option<String>,
        #[serde(default)]
        api_key_env: Option<String>,
        #[serde(default)]
        api_key_command: Option<String>,
        /// Accepted by the parser only to refuse it with advice.
        #[serde(default)]
        api_key: Option<toml::Value>,
        #[serde(default)]
        allow_insecure_http: bool,
        #[serde(default)]
        connect_timeout_secs: Option<u64>,
        #[serde(default)]
        read_timeout_secs: Option<u64>,
        #[serde(default)]
        reply_timeout_secs: Option<u64>,
        #[serde(default)]
        max_reply_kib: Option<usize>,
        #[serde(default)]
        include_usage: Option<bool>,
        #[serde(default)]
        tls_ca_file: Option<String>,
    },
}

/// Where an `openai` backend's key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// None configured: the vault (`sotto key set`), or no key at all.
    VaultOrNone,
    Env(String),
    Command(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenAiSpec {
    pub base_url: Url,
    pub model: Option<String>,
    pub key: KeySource,
    pub channel: Channel,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub reply_timeout: Duration,
    pub max_reply_bytes: usize,
    pub include_usage: bool,
    /// A PEM file of extra certificate authorities to trust.
    pub tls_ca_file: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendSpec {
    Local { knowledge: Vec<PathBuf> },
    OpenAi(Box<OpenAiSpec>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedBackend {
    pub name: String,
    pub spec: BackendSpec,
}

impl NamedBackend {
    pub fn channel(&self) -> Channel {
        match &self.spec {
            BackendSpec::Local { .. } => Channel::InProcess,
            BackendSpec::OpenAi(spec) => spec.channel,
        }
    }

    /// Where text goes: a host, or "built in".
    pub fn host(&self) -> String {
        match &self.spec {
            BackendSpec::Local { .. } => "built in".into(),
            BackendSpec::OpenAi(spec) => host_of(&spec.base_url),
        }
    }

    /// What consent is given for: the scheme, host and port. Moving a backend
    /// to another host, port, or from https to plain http asks again.
    pub fn consent_target(&self) -> String {
        match &self.spec {
            BackendSpec::Local { .. } => "built in".into(),
            BackendSpec::OpenAi(spec) => spec.base_url.origin().ascii_serialization(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match &self.spec {
            BackendSpec::Local { .. } => "local",
            BackendSpec::OpenAi(_) => "openai",
        }
    }

    pub fn model(&self) -> Option<&str> {
        match &self.spec {
            BackendSpec::Local { .. } => Some("help-desk"),
            BackendSpec::OpenAi(spec) => spec.model.as_deref(),
        }
    }

    /// Builds the backend. `key` is the resolved API key (see [`KeySource`]);
    /// `extra_knowledge` adds `--knowledge` directories to a local bot.
    pub fn build(
        &self,
        key: Option<SecretString>,
        extra_knowledge: &[PathBuf],
    ) -> Result<Box<dyn Backend>, BackendError> {
        match &self.spec {
            BackendSpec::Local { knowledge } => {
                let mut dirs = knowledge.clone();
                dirs.extend(extra_knowledge.iter().cloned());
                Ok(Box::new(LocalBot::new(LocalSettings {
                    name: self.name.clone(),
                    knowledge_dirs: dirs,
                })?))
            }
            BackendSpec::OpenAi(spec) => {
                let extra_ca_pem = match &spec.tls_ca_file {
                    Some(path) => Some(std::fs::read(path).map_err(|e| {
                        BackendError::Unavailable(format!(
                            "cannot read the tls_ca_file '{}' of backend '{}': {e}",
                            path.display(),
                            self.name
                        ))
                    })?),
                    None => None,
                };
                Ok(Box::new(OpenAiBackend::new(OpenAiSettings {
                    name: self.name.clone(),
                    base_url: spec.base_url.clone(),
                    model: spec.model.clone(),
                    api_key: key,
                    channel: spec.channel,
                    connect_timeout: spec.connect_timeout,
                    read_timeout: spec.read_timeout,
                    reply_timeout: spec.reply_timeout,
                    max_reply_bytes: spec.max_reply_bytes,
                    sse: SseLimits::default(),
                    include_usage: spec.include_usage,
                    extra_ca_pem,
                })?))
            }
        }
    }
}

/// Minutes without a key press before the chat screen locks itself.
pub const DEFAULT_AUTO_LOCK_MINUTES: u64 = 15;

/// Half an hour: a small model on a slow CPU can take many minutes over a
/// long answer, and stopping a working reply is worse than waiting.
pub const DEFAULT_REPLY_TIMEOUT_SECS: u64 = 1800;

/// The parsed, validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where it was read from, if a file existed.
    pub path: Option<PathBuf>,
    pub default_backend: String,
    /// Every backend, the built-in `local` included, by name.
    pub backends: BTreeMap<String, NamedBackend>,
    /// How much earlier conversation goes to a backend with each message.
    pub context: crate::redact::egress::ContextLimits,
    /// The chat screen locks after this many minutes without a key press;
    /// 0 never locks by itself.
    pub auto_lock_minutes: u64,
}

impl Default for Config {
    fn default() -> Self {
        let mut backends = BTreeMap::new();
        backends.insert(BUILT_IN_BACKEND.to_owned(), built_in());
        Config {
            path: None,
            default_backend: BUILT_IN_BACKEND.into(),
            backends,
            context: Default::default(),
            auto_lock_minutes: DEFAULT_AUTO_LOCK_MINUTES,
        }
    }
}

fn built_in() -> NamedBackend {
    NamedBackend {
        name: BUILT_IN_BACKEND.into(),
        spec: BackendSpec::Local { knowledge: Vec::new() },
    }
}

/// Whether `url`'s host is this machine: `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => PathBuf::from(path),
    }
}

impl Config {
    /// Reads `path`; a file that does not exist means the defaults (`explicit`
    /// says whether the user named the file, in which case it must exist).
    pub fn load(path: &Path, explicit: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Unreadable {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let mut config = Config::parse(path, &text)?;
        config.path = Some(path.to_owned());
        Ok(config)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        // toml's Display quotes the offending source line, which may hold a
        // key pasted in the wrong place: report the line number and the
        // parser's reason only.
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            message: match e.span() {
                Some(span) => format!(
                    "line {}: {}",
                    text[..span.start.min(text.len())].matches('\n').count() + 1,
                    e.message().trim().replace('\n', " ")
                ),
                None => e.message().trim().replace('\n', " "),
            },
        })?;
        let mut config = Config::default();
        for (name, backend) in raw.backends {
            let invalid = |message: String| ConfigError::Backend {
                path: path.to_owned(),
                backend: name.clone(),
                message,
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(invalid(
                    "a backend name may only use letters, digits, '-' and '_'".into(),
                ));
            }
            let spec = match backend {
                RawBackend::Local { knowledge } => BackendSpec::Local {
                    knowledge: knowledge.iter().map(|k| expand_home(k)).collect(),
                },
                RawBackend::Openai {
                    base_url,
                    model,
                    api_key_env,
                    api_key_command,
                    api_key,
                    allow_insecure_http,
                    connect_timeout_secs,
                    read_timeout_secs,
                    reply_timeout_secs,
                    max_reply_kib,
                    include_usage,
                    tls_ca_file,
                } => {
                    if api_key.is_some() {
                        return Err(invalid(format!(
                            "an API key written in the config file is refused: anyone who can read the file \
                             could use it. Remove 'api_key' and instead set api_key_env = \"NAME_OF_A_VARIABLE\", \
                             or api_key_command = \"pass show {name}\", or store it encrypted with \
                             'sotto key set {name}'"
                        )));
                    }
                    let key = match (api_key_env, api_key_command) {
                        (Some(_), Some(_)) => {
                            return Err(invalid("set only one of api_key_env and api_key_command".into()));
                        }
                        (Some(var), None) => {
                            if !is_variable_name(&var) {
                                // Never quoted: it may be the key itself, pasted here.
                                return Err(invalid(
                                    "api_key_env must name an environment variable (letters, digits and '_', \
                                     e.g. \"LLAMA_API_KEY\"), not hold the key itself"
                                        .into(),
                                ));
                            }
                            KeySource::Env(var)
                        }
                        (None, Some(command)) => KeySource::Command(command),
                        (None, None) => KeySource::VaultOrNone,
                    };
                    // Nothing of base_url is quoted until it is known to hold
                    // no credentials: a key may have been pasted into it.
                    let url: Url = base_url
                        .parse()
                        .map_err(|e| invalid(format!("base_url is not a URL ({e})")))?;
                    if !url.username().is_empty() || url.password().is_some() {
                        return Err(invalid(
                            "base_url contains credentials (user:password@); use api_key_env or \
                             api_key_command instead"
                                .into(),
                        ));
                    }
                    if url.query().is_some() || url.fragment().is_some() {
                        return Err(invalid(
                            "base_url must not have a query (?…) or fragment (#…): it is the address the \
                             API paths are appended to, e.g. 'http://127.0.0.1:8080/v1'; keys belong in \
                             api_key_env or api_key_command"
                                .into(),
                        ));
                    }
                    if url.host().is_none() || !matches!(url.scheme(), "http" | "https") {
                        return Err(invalid(format!(
                            "base_url '{base_url}' must be an http or https URL with a host, e.g. \
                             'http://127.0.0.1:8080/v1'"
                        )));
                    }
                    let channel = if is_loopback(&url) {
                        Channel::Loopback
                    } else if url.scheme() == "https" {
                        Channel::Tls
                    } else if allow_insecure_http {
                        Channel::Insecure
                    } else {
                        return Err(invalid(format!(
                            "base_url '{base_url}' is plain http to another host, which would send your \
                             conversations unencrypted. Use https, or set allow_insecure_http = true for this \
                             backend if you accept that"
                        )));
                    };
                    let positive = |value: Option<u64>, default: u64, what: &str| match value {
                        Some(0) => Err(invalid(format!("{what} must be at least 1"))),
                        Some(v) => Ok(v),
                        None => Ok(default),
                    };
                    BackendSpec::OpenAi(Box::new(OpenAiSpec {
                        base_url: url,
                        model,
                        key,
                        channel,
                        connect_timeout: Duration::from_secs(positive(
                            connect_timeout_secs,
                            10,
                            "connect_timeout_secs",
                        )?),
                        read_timeout: Duration::from_secs(positive(read_timeout_secs, 120, "read_timeout_secs")?),
                        reply_timeout: Duration::from_secs(positive(
                            reply_timeout_secs,
                            DEFAULT_REPLY_TIMEOUT_SECS,
                            "reply_timeout_secs",
                        )?),
                        max_reply_bytes: usize::try_from(positive(
                            max_reply_kib.map(|k| k as u64),
                            1024,
                            "max_reply_kib",
                        )?)
                        .ok()
                        .and_then(|kib| kib.checked_mul(1024))
                        .ok_or_else(|| invalid("max_reply_kib is too large".into()))?,
                        include_usage: include_usage.unwrap_or(true),
                        tls_ca_file: tls_ca_file.map(|f| expand_home(&f)),
                    }))
                }
            };
            config.backends.insert(name.clone(), NamedBackend { name, spec });
        }
        if let Some(minutes) = raw.auto_lock_minutes {
            config.auto_lock_minutes = minutes;
        }
        if let Some(context) = raw.context {
            let invalid = |what: &str| ConfigError::Invalid {
                path: path.to_owned(),
                message: format!("[context] {what} must be at least 1"),
            };
            if context.max_messages == Some(0) {
                return Err(invalid("max_messages"));
            }
            if context.max_chars == Some(0) {
                return Err(invalid("max_chars"));
            }
            let defaults = crate::redact::egress::ContextLimits::default();
            config.context = crate::redact::egress::ContextLimits {
                max_messages: context.max_messages.unwrap_or(defaults.max_messages),
                max_chars: context.max_chars.unwrap_or(defaults.max_chars),
            };
        }
        if let Some(default) = raw.default_backend {
            config.backend(&default)?;
            config.default_backend = default;
        }
        Ok(config)
    }

    /// The backend called `name`.
    pub fn backend(&self, name: &str) -> Result<&NamedBackend, ConfigError> {
        self.backends.get(name).ok_or_else(|| ConfigError::UnknownBackend {
            name: name.to_owned(),
            known: self
                .backends
                .keys()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// The vault setting that holds a backend's API key (`sotto key set NAME`).
pub fn vault_key_name(backend: &str) -> String {
    format!("backend.{backend}.api_key")
}

/// The vault setting that records consent to send conversations to a backend:
/// its value is the host consented to, so a changed address asks again.
pub fn consent_setting(backend: &str) -> String {
    format!("consent.{backend}")
}

/// The API key for `backend`, from its configured source. `vault` is `None`
/// in incognito mode, which never opens the vault.
pub fn resolve_key(
    backend: &NamedBackend,
    vault: Option<&crate::store::Vault>,
) -> Result<Option<SecretString>, BackendError> {
    let BackendSpec::OpenAi(spec) = &backend.spec else {
        return Ok(None);
    };
    let missing = |hint: String| BackendError::MissingKey {
        backend: backend.name.clone(),
        hint,
    };
    match &spec.key {
        KeySource::Env(var) => match std::env::var(var) {
            Ok(value) if !value.is_empty() => Ok(Some(SecretString::from(value))),
            _ => Err(missing(format!(
                "the environment variable '{var}' (its api_key_env) is not set"
            ))),
        },
        KeySource::Command(command) => {
            let what = format!("the api_key_command of backend '{}'", backend.name);
            crate::secret_source::from_command(command, &what)
                .map(Some)
                .map_err(|e| missing(e.to_string()))
        }
        KeySource::VaultOrNone => match vault {
            Some(vault) => vault
                .secret(&vault_key_name(&backend.name))
                .map_err(|e| BackendError::Unavailable(e.to_string())),
            None => Ok(None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let err = parse(
            "[backends.openai]\nkind = \"openai\"\nbase_url = \"https://api.openai.com/v1\"\napi_key = \"sk-123\"\n",
        )
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
        let doc = include_str!("../docs/config.md");
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
}
