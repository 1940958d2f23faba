//! Reading the configuration file: the shape serde accepts (unknown keys
//! refused), then the checks that turn it into a [`Config`]. The transport
//! rules live here, and so does the care never to quote back a key pasted
//! in the wrong place.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::{BackendSpec, Config, ConfigError, DEFAULT_REPLY_TIMEOUT_SECS, KeySource, NamedBackend, OpenAiSpec};
use crate::backend::Channel;

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
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            message: super::syntax_error::describe(text, &e),
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
}
