//! Opening the vault for a subcommand: lock, ask for the passphrase only if
//! one is needed, unlock, open, and tell the user about failed attempts.

use super::passphrase::PassphraseSource;
use super::{CliError, Context};
use crate::store::{LockedVault, Protection, UnlockedIdentity, Vault};

pub(crate) fn open_vault(context: &Context) -> Result<Vault, CliError> {
    let (locked, identity) = unlock_identity(context)?;
    let mut vault = locked.open_unlocked(identity)?;
    report_unlock(&mut vault);
    Ok(vault)
}

/// The vault locked and its identity unlocked, the database not opened yet.
pub(crate) fn unlock_identity(context: &Context) -> Result<(LockedVault, UnlockedIdentity), CliError> {
    let locked = LockedVault::open(&context.data_dir)?;
    let passphrase = if locked.needs_passphrase()? {
        let prompt = match &locked.manifest().protection {
            Protection::Passphrase => format!("Passphrase for the vault at '{}': ", locked.root().display()),
            Protection::IdentityFile { path } => format!("Passphrase for the identity file '{}': ", path.display()),
        };
        Some(PassphraseSource::from_env()?.read(&prompt)?)
    } else {
        None
    };
    let identity = locked.unlock(passphrase.as_ref())?;
    Ok((locked, identity))
}

/// Tells what the unlock of `vault` found (failed attempts, losses,
/// tampering, findings waiting to be acknowledged) on stderr, and enforces
/// retention. Every path that opens a vault for a command goes through it.
pub(crate) fn report_unlock(vault: &mut Vault) {
    if let Some(summary) = vault.unlock_report().summary() {
        eprintln!(
            "sotto: warning: {summary}. If that was not you, someone with access to this machine or a copy \
             of its files tried to open your vault; SECURITY.md says what to do."
        );
    }
    for loss in &vault.unlock_report().storage_losses {
        if loss.is_known_loss() {
            eprintln!(
                "sotto: warning: records saved earlier are missing: {loss}. The storage engine discarded them \
                 after finding damage in its files. Restore the data directory from a backup to recover them."
            );
        } else {
            eprintln!("sotto: warning: {loss}. Run 'sotto verify' and keep a backup of the data directory.");
        }
    }
    for tampering in &vault.unlock_report().tampering {
        eprintln!(
            "sotto: warning: the vault was tampered with: {tampering}. This is on record until acknowledged; run \
             'sotto verify' for details, and see SECURITY.md ('If you suspect a compromise')."
        );
    }
    if vault.unlock_report().recovery_key_dropped {
        eprintln!("sotto: warning: {}", crate::store::RECOVERY_KEY_DROPPED);
    }
    if let Some(note) = vault.unlock_report().cut_imports_note() {
        eprintln!("sotto: warning: {note}.");
    }
    let told = vault.unlock_report().tampering.len() + vault.unlock_report().storage_losses.len();
    let waiting = vault.unacknowledged_findings().len().saturating_sub(told);
    if waiting > 0 {
        eprintln!(
            "sotto: warning: {waiting} earlier finding(s) of damage or tampering are not acknowledged; 'sotto \
             verify' lists them, 'sotto verify --acknowledge' clears them once seen."
        );
    }
    // Retention is enforced at every unlock. A failure does not stop the
    // command: it is reported, and the next unlock tries again.
    match vault.sweep_retention(crate::time::Timestamp::now()) {
        Ok(Some(report)) => eprintln!(
            "sotto: retention: {} expired message(s) and {} conversation(s) were wiped for good.",
            report.messages_removed, report.conversations_removed
        ),
        Ok(None) => {}
        Err(e) => eprintln!("sotto: warning: expired messages could not be wiped now: {e}"),
    }
}
