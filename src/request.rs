//! The plain chat request: who said what, and the options a backend may
//! honour. It sits below both `redact` (which turns it into the only request
//! a backend accepts, `redact::egress::EgressRequest`) and `backend`, so that
//! neither needs the other's types to describe a conversation.

use std::fmt;

use zeroize::Zeroize;

/// Who wrote a message, as backends see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

/// One message of the conversation sent as context.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl Drop for ChatMessage {
    fn drop(&mut self) {
        // Conversation content (masked, but still what the user wrote).
        self.content.zeroize();
    }
}

impl fmt::Debug for ChatMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Conversation content never goes into Debug output.
        write!(
            f,
            "ChatMessage({:?}, [{} chars])",
            self.role,
            self.content.chars().count()
        )
    }
}

/// What to ask for: the messages, and options a backend may honour.
#[derive(Clone, Debug, Default)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    /// Overrides the backend's configured model for this request.
    pub model: Option<String>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
}
