//! `sotto wipe`: destroy one conversation, everything older than a date, or
//! the whole vault, for good. Asks for the word 'wipe' at a terminal; scripts
//! pass `--yes`.

use clap::{ArgGroup, Args};

use super::unlock::open_vault;
use super::{CliError, Context, exit, find_conversation};
use crate::store::RotationReport;
use crate::time::Timestamp;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["conversation", "older_than", "all"])))]
pub struct WipeArgs {
    /// Wipe one conversation, by its id or a unique start of it (at least 8 characters)
    #[arg(long, value_name = "ID")]
    conversation: Option<String>,
    /// Wipe every message written before DATE ('2026-01-31', an RFC 3339 time, or '30d' back from now)
    #[arg(long, value_name = "DATE")]
    older_than: Option<String>,
    /// Wipe the whole vault: destroy its identity and remove its data directory
    #[arg(long)]
    all: bool,
    /// Do not ask for confirmation (for scripts)
    #[arg(long)]
    yes: bool,
}

const ROTATED: &str = "The vault identity was rotated, so leftover copies on disk can no longer be decrypted, \
                       even with your passphrase.";

pub(crate) fn run(context: &Context, args: &WipeArgs) -> Result<u8, CliError> {
    // Parse what can be wrong before asking for the passphrase.
    let cutoff = args
        .older_than
        .as_deref()
        .map(|text| Timestamp::parse_cutoff(text, Timestamp::now()).map_err(CliError::Input))
        .transpose()?;
    let mut vault = open_vault(context)?;
    if args.all {
        let root = vault.root().to_owned();
        confirm(args.yes, &format!("the whole vault at '{}'", root.display()))?;
        vault.wipe_everything()?;
        say!(
            "Wiped the whole vault at '{}': its identity was destroyed and its data directory removed.",
            root.display()
        );
        return Ok(exit::OK);
    }
    if let Some(before) = cutoff {
        confirm(
            args.yes,
            &format!("every message written before {}", before.to_local_display()),
        )?;
        let report = vault.wipe_older_than(before)?;
        say!(
            "Wiped {} message(s) written before {}, and {} conversation(s) left empty. {ROTATED}",
            report.messages_removed,
            before.to_local_display(),
            report.conversations_removed
        );
        warn_damaged(&report);
        return Ok(exit::OK);
    }
    let wanted = args.conversation.as_deref().unwrap_or_default();
    let id = find_conversation(&vault, wanted)?;
    confirm(args.yes, &format!("conversation '{id}'"))?;
    let report = vault.wipe_conversation(id)?;
    say!(
        "Wiped conversation '{}': {} message(s). {ROTATED}",
        id.short(),
        report.messages_removed
    );
    warn_damaged(&report);
    Ok(exit::OK)
}

fn warn_damaged(report: &RotationReport) {
    if report.left_damaged > 0 {
        eprintln!(
            "sotto: warning: {} record(s) were already damaged and could not be re-keyed; they stay unreadable. \
             'sotto verify' lists them.",
            report.left_damaged
        );
    }
}

/// At a terminal, asks for the word 'wipe'; elsewhere insists on `--yes`.
fn confirm(yes: bool, what: &str) -> Result<(), CliError> {
    super::confirm::with_word(
        yes,
        "wipe",
        &format!("wiping {what} cannot be undone"),
        &format!("This destroys {what} for good; it cannot be undone or recovered, not even from a backup of the key."),
        "nothing was wiped",
    )
}
