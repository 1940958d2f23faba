//! The `openai` backend: any OpenAI-compatible Chat Completions server
//! (OpenAI, Ollama, llama.cpp's server, vLLM, LM Studio), streamed with
//! server-sent events.
//!
//! Each call runs on a small tokio runtime owned by the backend, so that
//! cancellation and timeouts are `select!`s rather than hopes: a cancelled or
//! stalled reply returns at once with what arrived, whatever the server does.
//! The runtime is built at the first request, and it is a current-thread one:
//! the calling thread (a reply's own) drives the connection, so no network
//! thread runs before a request or after a reply. It also keeps a stream's
//! events on one thread: hyper hands each HTTP chunk from the connection to
//! the body reader, and on a multi-thread runtime that was a wake-up of
//! another thread per event, which with the screen busy on the other core
//! made 5,000 events take 300 ms about half the time instead of 40 ms.
//! Everything a server sends is bounded: the time between bytes, the length of
//! a line and of an event, the size of the reply, the size of an error body.

mod classify;
mod http;
mod stream;
pub(crate) mod wire;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::sse::SseLimits;
use super::{Backend, BackendError, BackendInfo, CancelToken, Channel, Completion, HttpFailure};
use crate::redact::egress::EgressRequest;

/// The most of an error body sotto reads, and of a server message it quotes.
const MAX_ERROR_BODY: usize = 64 * 1024;
const MAX_QUOTED_MESSAGE: usize = 300;

/// How an `openai` backend is set up (from the config file and the key source).
pub struct OpenAiSettings {
    pub name: String,
    /// Up to and including the version segment, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: Url,
    pub model: Option<String>,
    pub api_key: Option<SecretString>,
    pub channel: Channel,
    pub connect_timeout: Duration,
    /// The longest silence accepted: before the reply starts and between pieces.
    pub read_timeout: Duration,
    /// The longest a whole reply may take, however steadily bytes arrive: a
    /// server dripping keep-alives or one byte a second cannot hold the
    /// conversation forever.
    pub reply_timeout: Duration,
    /// Replies longer than this stop, keep what arrived, and read as truncated.
    pub max_reply_bytes: usize,
    pub sse: SseLimits,
    /// Ask for token usage in the stream (`stream_options.include_usage`).
    pub include_usage: bool,
    /// Extra trusted certificate authorities (PEM), for servers with a private CA.
    pub extra_ca_pem: Option<Vec<u8>>,
}

pub struct OpenAiBackend {
    info: BackendInfo,
    settings: OpenAiSettings,
    client: reqwest::Client,
    /// Started by the first request.
    runtime: std::sync::OnceLock<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The API key is never shown, not even its length.
        f.debug_struct("OpenAiBackend")
            .field("info", &self.info)
            .field("base_url", &self.settings.base_url.as_str())
            .field("api_key", &self.settings.api_key.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// `host[:port]` of a URL, for messages and the status bar.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => url.as_str().to_owned(),
    }
}

impl OpenAiBackend {
    pub fn new(settings: OpenAiSettings) -> Result<Self, BackendError> {
        let host = host_of(&settings.base_url);
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &settings.extra_ca_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                BackendError::Unavailable(format!(
                    "the tls_ca_file of backend '{}' is not PEM certificates: {e}",
                    settings.name
                ))
            })?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if settings.channel == Channel::Loopback {
            // reqwest honours HTTP(S)_PROXY and ALL_PROXY, without exempting
            // loopback: a proxy would carry a "loopback" conversation, and its
            // key, off this machine without consent.
            builder = builder.no_proxy();
        }
        let client = builder
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("sotto/", env!("CARGO_PKG_VERSION")))
            // Redirects could carry the conversation and the key somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .https_only(settings.channel == Channel::Tls)
            // Loading the system's certificates costs milliseconds at every
            // start; a plain-http backend never uses them.
            .tls_built_in_root_certs(settings.base_url.scheme() == "https")
            .build()
            .map_err(|e| BackendError::Unavailable(format!("cannot set up HTTP for '{host}': {e}")))?;
        let info = BackendInfo {
            name: settings.name.clone(),
            kind: "openai",
            host,
            channel: settings.channel,
            model: settings.model.clone(),
        };
        Ok(OpenAiBackend {
            info,
            settings,
            client,
            runtime: std::sync::OnceLock::new(),
        })
    }

    /// `text` with the API key blanked out, for quoting what a server said:
    /// some servers echo the credentials they refused.
    fn without_key(&self, text: &str) -> String {
        match &self.settings.api_key {
            Some(key) if key.expose_secret().len() >= 4 => text.replace(key.expose_secret(), "[api key]"),
            _ => text.to_owned(),
        }
    }

    /// The network runtime, started on first use. Two first requests at
    /// once may both build one; the loser's is dropped unused.
    fn rt(&self) -> Result<&tokio::runtime::Runtime, BackendError> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BackendError::Unavailable(format!("cannot start the network runtime: {e}")))?;
        Ok(self.runtime.get_or_init(|| runtime))
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.settings.base_url.as_str().trim_end_matches('/'))
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.settings.api_key {
            Some(key) => request.bearer_auth(key.expose_secret()),
            None => request,
        }
    }

    fn host(&self) -> String {
        self.info.host.clone()
    }

    fn stalled(&self) -> BackendError {
        BackendError::Stalled {
            host: self.host(),
            seconds: self.settings.read_timeout.as_secs(),
        }
    }

    fn too_slow(&self) -> BackendError {
        BackendError::TooSlow {
            host: self.host(),
            seconds: self.settings.reply_timeout.as_secs(),
        }
    }

    fn protocol(&self, detail: &str) -> BackendError {
        BackendError::Protocol {
            host: self.host(),
            detail: detail.to_owned(),
        }
    }
}

impl Backend for OpenAiBackend {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    fn stream(
        &self,
        request: &EgressRequest,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        self.rt()?.block_on(self.stream_async(request, cancel, on_delta))
    }

    fn health(&self) -> Result<(), BackendError> {
        match self.rt()?.block_on(self.models_async()) {
            Ok(_) => Ok(()),
            // Reachable and the key accepted; it just has no model list.
            Err(BackendError::Http {
                kind: HttpFailure::NotFound,
                ..
            }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn list_models(&self) -> Result<Option<Vec<String>>, BackendError> {
        self.rt()?.block_on(self.models_async()).map(Some)
    }
}

impl Drop for OpenAiBackend {
    fn drop(&mut self) {
        // A DNS lookup runs on a blocking thread that cannot be interrupted;
        // after a cancel, do not wait for it to give up.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
