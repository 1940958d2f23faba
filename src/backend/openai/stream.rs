//! One streamed reply: the request built from what may leave, the events
//! read as they come under the cancel token, the read timeout and the
//! reply's deadline, and each chunk taken into a reply capped in size.

use std::time::Duration;

use tokio::time::timeout;

use super::{MAX_QUOTED_MESSAGE, OpenAiBackend, classify, wire};
use crate::backend::sse::SseParser;
use crate::backend::{BackendError, CancelToken, Completion, Finish, Usage};
use crate::redact::egress::EgressRequest;
use crate::request::ChatRole;
use crate::sanitize;

impl OpenAiBackend {
    pub(super) async fn stream_async(
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
