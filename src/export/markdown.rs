//! The Markdown export: the same conversations as the JSON export, laid out
//! to be read. Replies appear as they were shown (placeholders mapped back,
//! except inside URLs); a message that went out redacted says what was sent.
//! Control characters and bidi overrides are made visible, so `cat`-ing the
//! file is safe, and images and links are made plain text (`defuse`), so
//! opening it in a viewer fetches nothing and hides no link target.

use std::io::{self, Write};

use super::defuse::{defuse, defuse_inline};
use super::document::{ConversationJson, MessageJson, parse_time};
use crate::sanitize;
use crate::store::{ReplyState, Role};
use crate::time::Timestamp;

pub(crate) fn write_header(out: &mut (impl Write + ?Sized), now: Timestamp) -> io::Result<()> {
    writeln!(out, "# sotto export\n")?;
    writeln!(
        out,
        "Exported {} from an encrypted sotto vault. This file is a copy of your history: keep it as \
         safe as the vault.\n",
        now.to_local_display()
    )
}

pub(crate) fn write_conversation(out: &mut (impl Write + ?Sized), c: &ConversationJson) -> io::Result<()> {
    writeln!(out, "## {}\n", defuse_inline(&safe(&c.title)))?;
    writeln!(
        out,
        "Conversation `{}` · started {} · {} message(s)\n",
        c.id,
        local(&c.created),
        c.messages.len()
    )?;
    for message in &c.messages {
        write_message(out, message)?;
    }
    writeln!(out, "---\n")
}

fn write_message(out: &mut (impl Write + ?Sized), m: &MessageJson) -> io::Result<()> {
    let who = match m.role {
        Role::User => "You".to_owned(),
        Role::System => "System".to_owned(),
        Role::Assistant => {
            let source = match (&m.backend, &m.model) {
                (Some(b), Some(model)) => format!(" · {} / {}", safe(b), safe(model)),
                (Some(b), None) => format!(" · {}", safe(b)),
                _ => String::new(),
            };
            format!("Bot (automated){source}")
        }
    };
    writeln!(out, "**{}** · {}\n", defuse_inline(&who), local(&m.at))?;
    let text = m.shown.as_deref().unwrap_or(&m.text);
    writeln!(out, "{}\n", defuse(&safe(text)))?;
    if let Some(sent) = &m.sent {
        let withheld = match m.meta().withheld {
            0 => String::new(),
            n => format!(" ({n} item(s) withheld)"),
        };
        writeln!(out, "> Sent{withheld} as:")?;
        for line in defuse(&safe(sent)).lines() {
            writeln!(out, "> {line}")?;
        }
        writeln!(out)?;
    }
    let ending = match m.state {
        ReplyState::Complete | ReplyState::Streaming => None,
        ReplyState::Interrupted => Some("interrupted (sotto stopped while it streamed)"),
        ReplyState::Cancelled => Some("stopped by you"),
        ReplyState::Truncated => Some("cut at the size limit"),
        ReplyState::Failed => Some("the backend failed"),
    };
    if let Some(ending) = ending {
        writeln!(out, "*Reply {ending}; kept as far as it got.*\n")?;
    }
    Ok(())
}

fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    sanitize::for_terminal(text)
}

fn local(rfc3339: &str) -> String {
    parse_time(rfc3339).map_or_else(|| rfc3339.to_owned(), Timestamp::to_local_display)
}
