//! `sotto view`: where the vault is, how it is protected and what it holds.
//! `--json` prints the versioned schema documented in docs/view-json.md; the
//! report itself is `report::view`, shared with the chat screen's `/view`.

use clap::Args;

use super::unlock::open_vault;
use super::{CliError, Context, exit, find_conversation};
use crate::report::conversations::{self, ConversationView};
use crate::report::view::ViewReport;

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Print JSON (schema 'sotto.view/1', see docs/view-json.md)
    #[arg(long)]
    pub json: bool,
    /// List every conversation: id, messages, last message, title
    #[arg(long, conflicts_with = "conversation")]
    pub conversations: bool,
    /// Show one conversation: its messages by role, unfinished replies, what was sent to each backend
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
}

pub(crate) fn run(context: &Context, args: &ViewArgs) -> Result<u8, CliError> {
    let vault = open_vault(context)?;
    if args.conversations {
        let list = vault.list_conversations()?;
        print(
            args.json,
            || conversations::list_json(&list),
            || conversations::list_text(&list),
        );
        return Ok(exit::OK);
    }
    if let Some(wanted) = &args.conversation {
        let view = ConversationView::gather(&vault, find_conversation(&vault, wanted)?)?;
        print(args.json, || view.to_json(), || view.to_text());
        return Ok(exit::OK);
    }
    let config_file = context.config.as_ref().map(|p| (p.clone(), p.is_file()));
    // A broken config file must not hide what the vault holds: say so, go on.
    let config = context.load_config().map_err(|e| {
        eprintln!("sotto: warning: {e}");
        e.to_string()
    });
    let report = ViewReport::gather(&vault, config_file, config.as_ref().map_err(Clone::clone))?;
    print(args.json, || report.to_json(), || report.to_text());
    Ok(exit::OK)
}

fn print(json: bool, as_json: impl FnOnce() -> serde_json::Value, as_text: impl FnOnce() -> String) {
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&as_json()).expect("invariant: JSON values serialize")
        );
    } else {
        say!("{}", as_text().trim_end_matches('\n'));
    }
}
