//! What a configured backend is: its kind and settings as validated, what
//! the chat and the CLI show of it (host, consent target, model), and how
//! it is built into a running backend.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::backend::local::{LocalBot, LocalSettings};
use crate::backend::openai::{OpenAiBackend, OpenAiSettings, host_of};
use crate::backend::sse::SseLimits;
use crate::backend::{Backend, BackendError, Channel};

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
