//! `sotto retention`: how long messages are kept ("disappearing messages").
//! Without arguments it shows the default and each conversation's own rule;
//! `sotto retention 30d` (or `off`) sets the default; with `--conversation ID`,
//! `7d`, `forever` or `default` sets one conversation's rule. What the new
//! rules expire is wiped at once (and at every unlock).

use clap::Args;

use super::unlock::open_vault;
use super::{CliError, Context, exit, find_conversation};
use crate::sanitize;
use crate::store::Retention;
use crate::time::Span;

#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// The rule: a span ('12h', '7d', '2w'), 'off' for the default, 'forever' or 'default' for a conversation
    rule: Option<String>,
    /// Set this conversation's own rule (its id, or the first 8 or more characters of it)
    #[arg(long, value_name = "ID")]
    conversation: Option<String>,
}

pub(crate) fn run(context: &Context, args: &RetentionArgs) -> Result<u8, CliError> {
    // Check the rule before asking for the passphrase.
    let rule = match (&args.rule, &args.conversation) {
        (None, _) => None,
        (Some(text), None) if text == "off" => Some(Change::Default(None)),
        (Some(text), None) => {
            Some(Change::Default(Some(Span::parse(text).map_err(|e| {
                CliError::Input(format!("{e}, or 'off' to keep messages until deleted"))
            })?)))
        }
        (Some(text), Some(_)) if text == "default" => Some(Change::Conversation(None)),
        (Some(text), Some(_)) => Some(Change::Conversation(Some(
            Retention::parse(text).map_err(|e| CliError::Input(format!("{e}, or 'default'")))?,
        ))),
    };
    let mut vault = open_vault(context)?;
    match rule {
        None => {
            if args.conversation.is_some() {
                return Err(CliError::Input(
                    "give the rule for that conversation: '7d', 'forever' or 'default'".into(),
                ));
            }
        }
        Some(Change::Default(span)) => {
            vault.set_default_retention(span)?;
        }
        Some(Change::Conversation(rule)) => {
            let id = find_conversation(&vault, args.conversation.as_deref().unwrap_or_default())?;
            vault.set_conversation_retention(id, rule)?;
        }
    }
    if rule.is_some()
        && let Some(report) = vault.sweep_retention(crate::time::Timestamp::now())?
    {
        say!(
            "Wiped {} expired message(s) and {} conversation(s) left empty; the vault identity was rotated.",
            report.messages_removed,
            report.conversations_removed
        );
    }
    let default = vault.default_retention()?;
    say!(
        "Default: messages are {}.",
        Retention::effective(None, default).describe()
    );
    for c in vault
        .list_conversations()?
        .conversations
        .iter()
        .filter(|c| c.retention.is_some())
    {
        say!(
            "  {}  {}  '{}'",
            c.id.short(),
            Retention::effective(c.retention, default).describe(),
            sanitize::one_line(&c.title, 50)
        );
    }
    Ok(exit::OK)
}

#[derive(Clone, Copy)]
enum Change {
    Default(Option<Span>),
    Conversation(Option<Retention>),
}
