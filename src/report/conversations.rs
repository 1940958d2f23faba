//! The per-conversation view: `sotto view --conversations` lists every
//! conversation (id, title, counts, times), and `sotto view --conversation ID`
//! shows one: its messages by role and by how replies ended, and what was sent
//! to each backend. Titles are shown because this is the user's own view;
//! message text never is.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::sanitize;
use crate::store::{
    ConversationId, ConversationList, ConversationSummary, LedgerEntry, ReplyState, Role, Vault, VaultError,
};
use crate::time::Timestamp;

/// One conversation in detail.
pub struct ConversationView {
    summary: ConversationSummary,
    by_role: BTreeMap<&'static str, u64>,
    /// Replies that did not complete, by how they ended.
    unfinished: BTreeMap<&'static str, u64>,
    damaged: u64,
    ledger: BTreeMap<String, LedgerEntry>,
}

impl ConversationView {
    pub fn gather(vault: &Vault, id: ConversationId) -> Result<Self, VaultError> {
        let summary = vault.conversation(id)?;
        let (mut by_role, mut unfinished, mut damaged) = (BTreeMap::new(), BTreeMap::new(), 0);
        for message in vault.newest_messages(id, usize::MAX)? {
            let Ok(message) = message else {
                damaged += 1;
                continue;
            };
            *by_role.entry(role_name(message.role)).or_default() += 1;
            if let Some(state) = unfinished_name(message.meta.state) {
                *unfinished.entry(state).or_default() += 1;
            }
        }
        Ok(ConversationView {
            ledger: vault.ledger_of(&[id])?,
            summary,
            by_role,
            unfinished,
            damaged,
        })
    }

    pub fn to_json(&self) -> Value {
        let mut value = summary_json(&self.summary);
        value["messages_by_role"] = json!(self.by_role);
        value["unfinished_replies"] = json!(self.unfinished);
        value["damaged_messages"] = json!(self.damaged);
        value["sent"] = self
            .ledger
            .iter()
            .map(|(backend, e)| {
                (
                    backend.clone(),
                    json!({"messages": e.messages, "characters": e.characters, "items_withheld": e.items_withheld}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
        json!({ "schema": super::view::VIEW_SCHEMA, "conversation": value })
    }

    pub fn to_text(&self) -> String {
        let s = &self.summary;
        let mut text = String::new();
        let mut line = |label: &str, value: String| text.push_str(&format!("{label:<16}{value}\n"));
        line("Conversation", s.id.to_string());
        line("Title", format!("'{}'", sanitize::one_line(&s.title, 70)));
        line("Created", s.created.to_local_display());
        line("Messages", s.message_count.to_string());
        line(
            "Retention",
            match s.retention {
                Some(rule) => format!("{} (its own rule)", rule.describe()),
                None => "the vault's default ('sotto retention' shows it)".into(),
            },
        );
        let counts = |map: &BTreeMap<&str, u64>| {
            map.iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.by_role.is_empty() {
            line("  by role", counts(&self.by_role));
        }
        if !self.unfinished.is_empty() {
            line(
                "  unfinished",
                format!("{} (replies kept as far as they got)", counts(&self.unfinished)),
            );
        }
        if self.damaged > 0 {
            line("  damaged", format!("{} (run 'sotto verify')", self.damaged));
        }
        line("First message", when(s.first_message_at));
        line("Last message", when(s.last_message_at));
        if self.ledger.is_empty() {
            line("Sent", "nothing (no message went to a backend)".into());
        }
        for (backend, e) in &self.ledger {
            line(
                "Sent",
                format!(
                    "to '{backend}': {} message(s), {} characters as sent; {} item(s) withheld by redaction",
                    e.messages, e.characters, e.items_withheld
                ),
            );
        }
        text
    }
}

/// `sotto view --conversations --json`.
pub fn list_json(list: &ConversationList) -> Value {
    json!({
        "schema": super::view::VIEW_SCHEMA,
        "conversations": list.conversations.iter().map(summary_json).collect::<Vec<_>>(),
        "damaged_conversations": list.damaged.iter().map(|d| json!({"id": d.id, "error": d.error.to_string()})).collect::<Vec<_>>(),
    })
}

/// `sotto view --conversations`: one line each, most recent first.
pub fn list_text(list: &ConversationList) -> String {
    if list.conversations.is_empty() && list.damaged.is_empty() {
        return "No conversations.\n".into();
    }
    let mut text = format!("{:<10}{:>9}  {:<18}{}\n", "ID", "MESSAGES", "LAST MESSAGE", "TITLE");
    for c in &list.conversations {
        text.push_str(&format!(
            "{:<10}{:>9}  {:<18}{}\n",
            c.id.short(),
            c.message_count,
            c.last_message_at.map_or_else(|| "none".into(), short_time),
            sanitize::one_line(&c.title, 50)
        ));
    }
    for d in &list.damaged {
        let id = d.id.map_or_else(|| "?".into(), |id| id.short());
        text.push_str(&format!("{id:<10}{:>9}  {:<18}damaged: {}\n", "?", "?", d.error));
    }
    text.push_str("\n'sotto view --conversation ID' shows one; 'sotto wipe --conversation ID' wipes one.\n");
    text
}

fn summary_json(s: &ConversationSummary) -> Value {
    json!({
        "id": s.id,
        "title": s.title,
        "created": s.created.to_rfc3339(),
        "updated": s.updated.to_rfc3339(),
        "messages": s.message_count,
        "first_message": s.first_message_at.map(Timestamp::to_rfc3339),
        "last_message": s.last_message_at.map(Timestamp::to_rfc3339),
        "retention": s.retention.map(|r| r.to_string()),
    })
}

fn when(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "none".to_owned(), Timestamp::to_local_display)
}

fn short_time(t: Timestamp) -> String {
    t.to_local_display().chars().take(16).collect()
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::System => "system",
    }
}

fn unfinished_name(state: ReplyState) -> Option<&'static str> {
    match state {
        ReplyState::Complete => None,
        ReplyState::Streaming => Some("streaming"),
        ReplyState::Interrupted => Some("interrupted"),
        ReplyState::Cancelled => Some("cancelled"),
        ReplyState::Truncated => Some("truncated"),
        ReplyState::Failed => Some("failed"),
    }
}
