//! The configuration file (`~/.config/sotto/config.toml`, or `--config FILE`):
//! which backends exist and which one is the default. Parsing is strict —
//! unknown keys are errors that name the key — and validation enforces the
//! transport rules: https off the loopback unless a backend explicitly allows
//! plain http, and never an API key written into the file.

mod backends;
mod keys;
mod load;
mod syntax_error;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use backends::{BackendSpec, KeySource, NamedBackend, OpenAiSpec};
pub use keys::{consent_setting, resolve_key, vault_key_name};
pub use load::is_loopback;

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

impl Config {
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

#[cfg(test)]
mod tests;
