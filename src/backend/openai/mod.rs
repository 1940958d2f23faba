//! The `openai` backend: any OpenAI-compatible Chat Completions server
//! (OpenAI, Ollama, llama.cpp's server, vLLM, LM Studio), streamed with
//! server-sent events.
//!
//! Each call runs on a small tokio runtime owned by the backend, so that
//! cancellation and timeouts are `select!`s rather than hopes: a cancelled or
//! stalled reply returns at once with what arrived, whatever the server does.
//! Everything a server sends is bounded: the time between bytes, the length of
//! a line and of an event, the size of the reply, the size of an error body.

mod classify;
pub(crate) mod wire;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::timeout;
use url::Url;

use super::sse::{SseLimits, SseParser};
use super::{Backend, BackendError, BackendInfo, CancelToken, Channel, Completion, Finish, HttpFailure, Usage};
use crate::redact::egress::EgressRequest;
use crate::request::ChatRole;
use crate::sanitize;

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
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sotto-http")
            .enable_all()
            .build()
            .map_err(|e| BackendError::Unavailable(format!("cannot start the network runtime: {e}")))?;
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
            runtime: Some(runtime),
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

    fn rt(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime is only taken in drop (invariant)")
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

    /// Sends `request`, waiting at most the read timeout for the headers.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, BackendError> {
        let response = timeout(self.settings.read_timeout, request.send())
            .await
            .map_err(|_| self.stalled())?
            .map_err(|e| classify::request_error(&self.host(), &e, self.settings.connect_timeout))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self.http_error(response).await)
        }
    }

    async fn http_error(&self, mut response: reqwest::Response) -> BackendError {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(|v| sanitize::one_line(v, 40));
        let mut body = Vec::new();
        while body.len() < MAX_ERROR_BODY {
            match timeout(self.settings.read_timeout, response.chunk()).await {
                Ok(Ok(Some(bytes))) => body.extend_from_slice(&bytes),
                _ => break,
            }
        }
        body.truncate(MAX_ERROR_BODY);
        let message = serde_json::from_slice::<wire::ErrorBody>(&body)
            .ok()
            .and_then(|b| b.message())
            .or_else(|| {
                let text = String::from_utf8_lossy(&body);
                (!text.trim().is_empty()).then(|| text.into_owned())
            })
            .map(|m| sanitize::one_line(&self.without_key(&m), MAX_QUOTED_MESSAGE));
        BackendError::Http {
            host: self.host(),
            status,
            kind: HttpFailure::from_status(status, retry_after),
            message,
        }
    }

    async fn stream_async(
        &self,
        request: &EgressRequest,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        let body = wire::ChatCompletionRequest {
            model: request.model().or(self.settings.model.as_deref()),
            messages: request
                .messages()
                .iter()
                .map(|m| wire::WireMessage {
                    role: match m.role {
                        ChatRole::System => "system",
                        ChatRole::User => "user",
                        ChatRole::Assistant => "assistant",
                    },
                    content: &m.content,
                })
                .collect(),
            stream: true,
            stream_options: self
                .settings
                .include_usage
                .then_some(wire::StreamOptions { include_usage: true }),
            temperature: request.temperature(),
            max_tokens: request.max_tokens(),
        };
        let http = self
            .authorized(self.client.post(self.endpoint("chat/completions")))
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&body).expect("invariant: the request is plain data that serializes"));
        let mut reply = Reply::new(self.settings.max_reply_bytes);
        // A deadline too far to represent (reply_timeout_secs set absurdly
        // high) means none.
        let now = tokio::time::Instant::now();
        let deadline = now
            .checked_add(self.settings.reply_timeout)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
        let mut response = tokio::select! {
            biased;
            () = cancel.cancelled() => return Ok(reply.cancelled()),
            () = tokio::time::sleep_until(deadline) => return Err(self.too_slow()),
            response = self.send(http) => response?,
        };
        let is_sse = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
        let mut parser = SseParser::new(self.settings.sse);
        let mut whole_body = Vec::new();
        let mut events = Vec::new();
        loop {
            let chunk = tokio::select! {
                biased;
                () = cancel.cancelled() => return Ok(reply.cancelled()),
                () = tokio::time::sleep_until(deadline) => return Err(self.too_slow()),
                chunk = timeout(self.settings.read_timeout, response.chunk()) => chunk,
            };
            let bytes = match chunk {
                Err(_) => return Err(self.stalled()),
                Ok(Err(e)) => return Err(classify::body_error(&self.host(), &e)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(bytes))) => bytes,
            };
            if !is_sse {
                // A server that ignored `stream: true` answers with one JSON body.
                if whole_body.len() + bytes.len() > self.settings.sse.max_event {
                    return Err(self.protocol("a non-streamed reply larger than the event limit"));
                }
                whole_body.extend_from_slice(&bytes);
                continue;
            }
            parser
                .feed(&bytes, &mut events)
                .map_err(|e| self.protocol(&e.to_string()))?;
            for event in events.drain(..) {
                if event.data.trim() == "[DONE]" {
                    return Ok(reply.done());
                }
                let chunk: wire::Chunk = serde_json::from_str(&event.data)
                    .map_err(|e| self.protocol(&format!("an event that is not a JSON chunk ({e})")))?;
                if let Some(done) = self.take_chunk(chunk, &mut reply, on_delta)? {
                    return Ok(done);
                }
            }
        }
        if !is_sse {
            let chunk: wire::Chunk = serde_json::from_slice(&whole_body)
                .map_err(|e| self.protocol(&format!("a reply that is neither an event stream nor JSON ({e})")))?;
            if let Some(done) = self.take_chunk(chunk, &mut reply, on_delta)? {
                return Ok(done);
            }
            return Ok(reply.done());
        }
        // The stream ended without `[DONE]`: fine if the model had finished.
        if reply.finish.is_some() {
            Ok(reply.done())
        } else {
            Err(BackendError::Interrupted { host: self.host() })
        }
    }

    /// Takes one chunk into `reply`; returns the completion if the reply must stop here.
    fn take_chunk(
        &self,
        chunk: wire::Chunk,
        reply: &mut Reply,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Option<Completion>, BackendError> {
        if let Some(error) = chunk.error {
            return Err(BackendError::InStream {
                host: self.host(),
                message: sanitize::one_line(&self.without_key(&error.message()), MAX_QUOTED_MESSAGE),
            });
        }
        if chunk.model.is_some() {
            reply.model = chunk.model.map(|m| sanitize::one_line(&m, 100));
        }
        if let Some(usage) = chunk.usage {
            reply.usage = Some(Usage {
                prompt_tokens: usage.prompt_tokens,
                completion_tokens: usage.completion_tokens,
                total_tokens: usage.total_tokens,
            });
        }
        for choice in chunk.choices.into_iter().take(1) {
            let content = choice.delta.or(choice.message).and_then(|c| c.content);
            if let Some(truncated) = content
                .filter(|t| !t.is_empty())
                .and_then(|text| reply.push(&text, on_delta))
            {
                return Ok(Some(truncated));
            }
            if let Some(reason) = choice.finish_reason {
                reply.finish = Some(match reason.as_str() {
                    "stop" => Finish::Stop,
                    "length" => Finish::Length,
                    "content_filter" => Finish::ContentFilter,
                    other => Finish::Other(sanitize::one_line(other, 40)),
                });
            }
        }
        Ok(None)
    }

    fn protocol(&self, detail: &str) -> BackendError {
        BackendError::Protocol {
            host: self.host(),
            detail: detail.to_owned(),
        }
    }

    async fn models_async(&self) -> Result<Vec<String>, BackendError> {
        let mut response = self
            .send(self.authorized(self.client.get(self.endpoint("models"))))
            .await?;
        let mut body = Vec::new();
        loop {
            match timeout(self.settings.read_timeout, response.chunk()).await {
                Err(_) => return Err(self.stalled()),
                Ok(Err(e)) => return Err(classify::body_error(&self.host(), &e)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(bytes))) => {
                    if body.len() + bytes.len() > self.settings.sse.max_event {
                        return Err(self.protocol("a model list larger than the event limit"));
                    }
                    body.extend_from_slice(&bytes);
                }
            }
        }
        let list: wire::ModelList = serde_json::from_slice(&body)
            .map_err(|e| self.protocol(&format!("a model list that is not JSON ({e})")))?;
        Ok(list.data.into_iter().map(|m| sanitize::one_line(&m.id, 200)).collect())
    }
}

/// A reply being received: what arrived, how much, and how it is ending.
struct Reply {
    bytes: usize,
    cap: usize,
    finish: Option<Finish>,
    usage: Option<Usage>,
    model: Option<String>,
}

impl Reply {
    fn new(cap: usize) -> Self {
        Reply {
            bytes: 0,
            cap,
            finish: None,
            usage: None,
            model: None,
        }
    }

    /// Delivers `text`, or as much of it as fits under the cap; returns the
    /// truncated completion once the cap is reached.
    fn push(&mut self, text: &str, on_delta: &mut dyn FnMut(&str)) -> Option<Completion> {
        let room = self.cap - self.bytes;
        if text.len() <= room {
            self.bytes += text.len();
            on_delta(text);
            return None;
        }
        let mut end = room;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        if end > 0 {
            on_delta(&text[..end]);
        }
        self.bytes += end;
        self.finish = Some(Finish::Truncated);
        Some(self.done())
    }

    fn cancelled(&mut self) -> Completion {
        self.finish = Some(Finish::Cancelled);
        self.done()
    }

    fn done(&mut self) -> Completion {
        Completion {
            finish: self.finish.take().unwrap_or(Finish::Stop),
            usage: self.usage,
            model: self.model.take(),
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
        self.rt().block_on(self.stream_async(request, cancel, on_delta))
    }

    fn health(&self) -> Result<(), BackendError> {
        match self.rt().block_on(self.models_async()) {
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
        self.rt().block_on(self.models_async()).map(Some)
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
