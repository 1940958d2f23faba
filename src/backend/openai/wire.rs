//! The OpenAI Chat Completions wire format, as far as sotto reads and writes
//! it. Every field a server may leave out is optional and unknown fields are
//! ignored, because Ollama, llama.cpp, vLLM, LM Studio and OpenAI each send a
//! slightly different subset.

use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub struct ChatCompletionRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    pub messages: Vec<WireMessage<'a>>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

#[derive(Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

#[derive(Serialize)]
pub struct WireMessage<'a> {
    pub role: &'static str,
    pub content: &'a str,
}

/// One `data:` chunk of a streamed reply (or a whole non-streamed reply).
#[derive(Deserialize, Default)]
pub struct Chunk {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
    #[serde(default)]
    pub error: Option<ErrorField>,
}

#[derive(Deserialize, Default)]
pub struct Choice {
    /// Streamed replies carry `delta`…
    #[serde(default)]
    pub delta: Option<Content>,
    /// …a non-streamed one carries `message`.
    #[serde(default)]
    pub message: Option<Content>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Content {
    /// `null` in the first chunk of many servers, which carries only the role.
    #[serde(default)]
    pub content: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
pub struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub total_tokens: u64,
}

/// `"error": {"message": …}` (OpenAI, vLLM) or `"error": "…"` (Ollama).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum ErrorField {
    Object {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        code: Option<serde_json::Value>,
    },
    Text(String),
}

impl ErrorField {
    pub fn message(&self) -> String {
        match self {
            ErrorField::Object { message: Some(m), .. } => m.clone(),
            ErrorField::Object { code: Some(code), .. } => format!("error code {code}"),
            ErrorField::Object { .. } => "an unspecified error".into(),
            ErrorField::Text(text) => text.clone(),
        }
    }
}

/// An error response body: `{"error": …}`, or vLLM's `{"object": "error", "message": …}`,
/// or FastAPI's `{"detail": …}`.
#[derive(Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: Option<ErrorField>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

impl ErrorBody {
    pub fn message(&self) -> Option<String> {
        if let Some(error) = &self.error {
            return Some(error.message());
        }
        if let Some(message) = &self.message {
            return Some(message.clone());
        }
        self.detail.as_ref().map(|d| match d {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
}

#[derive(Deserialize)]
pub struct ModelList {
    #[serde(default)]
    pub data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
pub struct ModelEntry {
    pub id: String,
}
