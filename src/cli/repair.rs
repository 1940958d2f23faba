//! `sotto repair`: rebuild a vault whose database is damaged from its newest
//! snapshot and every record that still reads (`store::repair`), keeping the
//! damaged database, and say exactly what came back and what is lost. Asks
//! for the word 'repair' at a terminal; scripts pass `--yes`.

use super::unlock::unlock_identity;
use super::{CliError, Context, exit};

#[derive(Debug, clap::Args)]
pub struct RepairArgs {
    /// Do not ask for confirmation (for scripts)
    #[arg(long)]
    yes: bool,
}

pub(crate) fn run(context: &Context, args: &RepairArgs) -> Result<u8, CliError> {
    let root = context.data_dir.display().to_string();
    super::confirm::with_word(
        args.yes,
        "repair",
        &format!("repairing the vault at '{root}' replaces its database"),
        &format!(
            "This moves the database of the vault at '{root}' aside (it is kept, not deleted) and rebuilds the vault \
             from its newest snapshot and every record that still reads and authenticates. What neither holds is \
             reported as lost."
        ),
        "nothing was changed",
    )?;
    let (locked, identity) = unlock_identity(context)?;
    let (vault, note) = locked.repair(identity)?;
    say!(
        "Rebuilt the vault at '{root}': {} conversation(s), {} message(s).",
        note.conversations,
        note.messages
    );
    match (&note.damaged_kept_at, &note.damaged_unreadable) {
        (Some(kept), None) => say!(
            "  {} record(s) read back from the damaged database, which is kept at '{}'.",
            note.from_damaged,
            kept.display()
        ),
        (Some(kept), Some(why)) => say!(
            "  nothing could be read from the damaged database ({why}); it is kept at '{}'.",
            kept.display()
        ),
        (None, _) => say!("  there was no database to read back from."),
    }
    match note.snapshot_taken_at {
        Some(at) => say!(
            "  {} record(s) it no longer held came from the snapshots (the newest of {}).",
            note.from_snapshots,
            at.to_local_display()
        ),
        None => say!("  no snapshot could be used."),
    }
    for unreadable in &note.snapshots_unreadable {
        say!("  a snapshot could not be read to its end: {unreadable}");
    }
    if note.rejected > 0 {
        say!("  {} record(s) did not authenticate and were left out.", note.rejected);
    }
    let losses = &vault.unlock_report().storage_losses;
    for loss in losses {
        say!("  lost: {}", loss.described());
    }
    if losses.is_empty() {
        say!("Nothing the vault held at its last clean close is missing.");
    }
    say!(
        "The repair and anything lost stay listed by 'sotto verify' and 'sotto view' until 'sotto verify \
         --acknowledge'. Delete the kept database once you no longer need it."
    );
    Ok(if losses.is_empty() && note.rejected == 0 {
        exit::OK
    } else {
        exit::DAMAGED
    })
}
