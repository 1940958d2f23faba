//! The JSON export format, `sotto.export/1` (docs/export-json.md), written
//! one conversation at a time so memory stays bounded by the largest
//! conversation, and read back by `read`.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::redact::egress;
use crate::store::{ConversationId, ConversationSummary, Message, MessageMeta, ReplyState, Retention, Role};
use crate::time::Timestamp;

pub const EXPORT_SCHEMA: &str = "sotto.export/1";

/// What an export covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportScope {
    Vault,
    Conversation(ConversationId),
}

/// The top of the document, before the conversations.
#[derive(Serialize, Deserialize)]
pub(crate) struct Header {
    pub schema: String,
    pub exported_at: String,
    pub scope: ScopeJson,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum ScopeJson {
    Vault,
    Conversation { id: ConversationId },
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ConversationJson {
    pub id: ConversationId,
    pub title: String,
    pub created: String,
    pub updated: String,
    /// Its own retention rule (`7d`, `forever`); absent when it follows the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    pub messages: Vec<MessageJson>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct MessageJson {
    pub seq: u64,
    pub role: Role,
    pub at: String,
    /// As stored: what the user wrote, or the reply as the backend sent it.
    pub text: String,
    /// A reply with redaction placeholders mapped back, as it was shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
    /// A user message as it went to the backend, when redaction changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default)]
    pub state: ReplyState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Every other fact kept with the message, verbatim (`sent`, `withheld`,
    /// `replaces`, `redaction_map`), so an import restores it exactly.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

impl MessageJson {
    pub fn from_message(message: &Message, shown: Option<String>) -> Self {
        MessageJson {
            seq: message.seq,
            role: message.role,
            at: message.at.to_rfc3339(),
            text: message.text.clone(),
            shown: shown.filter(|s| *s != message.text),
            sent: message.meta.sent.clone().filter(|s| *s != message.text),
            backend: message.meta.backend.clone(),
            model: message.meta.model.clone(),
            state: message.meta.state,
            finish_reason: message.meta.finish_reason.clone(),
            extra: message.meta.flat_extra(),
        }
    }

    pub fn meta(&self) -> MessageMeta {
        MessageMeta {
            backend: self.backend.clone(),
            model: self.model.clone(),
            state: self.state,
            finish_reason: self.finish_reason.clone(),
            ..Default::default()
        }
        .with_flat_extra(self.extra.clone())
    }
}

/// One conversation's messages as exported: replies are also given as shown,
/// with the conversation's placeholders mapped back.
pub(crate) fn conversation_json(summary: &ConversationSummary, messages: &[Message]) -> ConversationJson {
    let map = egress::map_from_history(messages.iter().filter_map(|m| m.meta.redaction_map.as_ref()));
    let messages = messages
        .iter()
        .map(|m| {
            let shown = (m.role == Role::Assistant && !map.is_empty()).then(|| map.unmask(&m.text));
            MessageJson::from_message(m, shown)
        })
        .collect();
    ConversationJson {
        id: summary.id,
        title: summary.title.clone(),
        created: summary.created.to_rfc3339(),
        updated: summary.updated.to_rfc3339(),
        retention: summary.retention,
        messages,
    }
}

/// Writes the document: the header's fields, then each conversation as it
/// comes, then the end. Valid JSON only once `finish` has run.
pub(crate) struct JsonWriter<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonWriter<W> {
    pub fn start(mut out: W, scope: ExportScope, now: Timestamp) -> std::io::Result<Self> {
        let header = Header {
            schema: EXPORT_SCHEMA.into(),
            exported_at: now.to_rfc3339(),
            scope: match scope {
                ExportScope::Vault => ScopeJson::Vault,
                ExportScope::Conversation(id) => ScopeJson::Conversation { id },
            },
        };
        let header = serde_json::to_string(&header).map_err(std::io::Error::other)?;
        // The header object without its closing brace, then the array.
        out.write_all(&header.as_bytes()[..header.len() - 1])?;
        out.write_all(b",\"conversations\":[\n")?;
        Ok(JsonWriter { out, first: true })
    }

    pub fn conversation(&mut self, conversation: &ConversationJson) -> std::io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, conversation).map_err(std::io::Error::other)
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(b"\n]}\n")?;
        Ok(self.out)
    }
}

/// Parses an RFC 3339 time as exports write them.
pub(crate) fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| Timestamp::from_unix_ms(t.as_millisecond()))
}
