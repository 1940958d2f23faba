//! Retention ("disappearing messages"): a vault-wide default and a rule per
//! conversation for how long messages are kept. A sweep wipes what expired
//! the way a wipe does (one rotation, see `rotate`), so expired messages are
//! shredded, not just removed. Sweeps run at unlock and periodically while a
//! vault is open; a sweep with nothing expired writes nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::audit::AuditEvent;
use super::error::VaultError;
use super::ids::ConversationId;
use super::rotate::RotationReport;
use super::vault::Vault;
use crate::time::{Span, Timestamp};

/// The vault setting that holds the default (`7d`), absent when messages are
/// kept until deleted.
pub const DEFAULT_SETTING: &str = "retention.default";

/// How long one conversation's messages are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Retention {
    /// Until the user deletes them, whatever the default says.
    Forever,
    /// This long after each was written.
    For(Span),
}

impl Retention {
    /// Parses `7d`, `12h`, `2w` or `forever`.
    pub fn parse(text: &str) -> Result<Retention, String> {
        match text.trim() {
            "forever" => Ok(Retention::Forever),
            other => Span::parse(other)
                .map(Retention::For)
                .map_err(|e| format!("{e}, or 'forever'")),
        }
    }

    /// For the status bar and reports: "kept until deleted", "kept 7d".
    pub fn describe(self) -> String {
        match self {
            Retention::Forever => "kept until deleted".into(),
            Retention::For(span) => format!("kept {}", span.to_short()),
        }
    }

    /// The rule that applies: the conversation's own, else the default.
    pub fn effective(own: Option<Retention>, default: Option<Span>) -> Retention {
        own.unwrap_or(default.map_or(Retention::Forever, Retention::For))
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retention::Forever => f.write_str("forever"),
            Retention::For(span) => f.write_str(&span.to_short()),
        }
    }
}

impl FromStr for Retention {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Retention::parse(text)
    }
}

impl TryFrom<String> for Retention {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Retention::parse(&text)
    }
}

impl From<Retention> for String {
    fn from(r: Retention) -> String {
        r.to_string()
    }
}

impl Vault {
    /// The vault-wide default: `None` keeps messages until deleted.
    pub fn default_retention(&self) -> Result<Option<Span>, VaultError> {
        Ok(self.setting(DEFAULT_SETTING)?.and_then(|text| Span::parse(&text).ok()))
    }

    pub fn set_default_retention(&mut self, span: Option<Span>) -> Result<(), VaultError> {
        match span {
            Some(span) => self.set_setting(DEFAULT_SETTING, &span.to_short()),
            None => self.remove_setting(DEFAULT_SETTING).map(|_| ()),
        }
    }

    /// Sets a conversation's own rule; `None` makes it follow the default.
    pub fn set_conversation_retention(
        &mut self,
        id: ConversationId,
        rule: Option<Retention>,
    ) -> Result<(), VaultError> {
        let mut index = self.index_record(id)?;
        index.retention = rule;
        self.records.commit(&[self.index_change(id, &index)])?;
        self.records.flush()
    }

    /// The first moment a sweep would wipe something, if any rule expires
    /// messages: a conversation's oldest message (or its creation, when
    /// older or it has none) as old as its rule allows. Before that moment a
    /// sweep finds nothing, so a copy of the screen made now may be shown.
    pub fn retention_deadline(&self) -> Result<Option<Timestamp>, VaultError> {
        let default = self.default_retention()?;
        let deadline = self
            .list_conversations()?
            .conversations
            .iter()
            .filter_map(|c| match Retention::effective(c.retention, default) {
                Retention::For(span) => {
                    let oldest = c.first_message_at.map_or(c.created, |first| first.min(c.created));
                    Some(oldest.plus(span))
                }
                Retention::Forever => None,
            })
            .min();
        Ok(deadline)
    }

    /// Wipes every message older than its conversation's rule allows at
    /// `now`, in one rotation. `None` when nothing had expired (then nothing
    /// was written).
    pub fn sweep_retention(&mut self, now: Timestamp) -> Result<Option<RotationReport>, VaultError> {
        let conversations = self.list_conversations()?.conversations;
        let default = self.default_retention()?;
        let rules: std::collections::HashMap<ConversationId, Retention> = conversations
            .iter()
            .map(|c| (c.id, Retention::effective(c.retention, default)))
            .collect();
        if !rules.values().any(|rule| matches!(rule, Retention::For(_))) {
            return Ok(None);
        }
        let shred = self.plan_expiry(&conversations, |id| match rules.get(&id) {
            Some(Retention::For(span)) => Some(now.minus(*span)),
            _ => None,
        })?;
        if shred.conversations.is_empty() && shred.messages.is_empty() {
            return Ok(None);
        }
        self.rotate(&shred, |report| AuditEvent::RetentionSweep {
            conversations: report.conversations_removed,
            messages: report.messages_removed,
        })
        .map(Some)
    }
}
