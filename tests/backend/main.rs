//! The backends through their public API: the `openai` client against a real
//! HTTP server on 127.0.0.1 that replays what real servers send and
//! misbehaves on demand, and the built-in `local` bot.

#[path = "../support/mod.rs"]
mod support;

mod knowledge;
mod local;
mod openai;
mod tls;

use std::time::Duration;

use sotto::backend::openai::{OpenAiBackend, OpenAiSettings};
use sotto::backend::sse::SseLimits;
use sotto::backend::{Backend, BackendError, CancelToken, Channel, Completion};
use sotto::redact::egress::{EgressRequest, Mode, outgoing_request};
use sotto::redact::mask::RedactionMap;
use sotto::request::{ChatMessage, ChatRequest, ChatRole};

/// Settings for a backend at `base_url`, with short timeouts for tests.
fn settings(base_url: &str) -> OpenAiSettings {
    OpenAiSettings {
        name: "test".into(),
        base_url: base_url.parse().unwrap(),
        model: Some("test-model".into()),
        api_key: None,
        channel: Channel::Loopback,
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        reply_timeout: Duration::from_secs(60),
        max_reply_bytes: 1 << 20,
        sse: SseLimits::default(),
        include_usage: true,
        extra_ca_pem: None,
    }
}

/// A one-message request through the egress step (redaction off: these
/// tests are about the transport, and some send values a detector would
/// mask).
fn ask(content: &str) -> EgressRequest {
    let request = ChatRequest {
        messages: vec![ChatMessage {
            role: ChatRole::User,
            content: content.into(),
        }],
        ..Default::default()
    };
    outgoing_request(request, Mode::Off, &mut RedactionMap::default(), true)
}

/// Streams `request` and returns what arrived with how it ended.
fn run(backend: &OpenAiBackend, request: &EgressRequest) -> (String, Result<Completion, BackendError>) {
    let mut text = String::new();
    let result = backend.stream(request, &CancelToken::new(), &mut |d| text.push_str(d));
    (text, result)
}
