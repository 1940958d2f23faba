//! `sotto rekey`, `sotto passphrase [--reset]` and `sotto recovery-key`: the
//! vault identity's life cycle. Every change of identity or passphrase is a
//! rotation (see the store's `rotate`), recorded in the audit log.

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use super::passphrase::{PassphraseSource, check_new_passphrase};
use super::unlock::open_vault;
use super::{CliError, Context, exit};
use crate::crypto::KdfCost;
use crate::secret_source;
use crate::store::LockedVault;

/// Where scripts put the recovery key for `passphrase --reset`.
pub const RECOVERY_KEY_FILE_VAR: &str = "SOTTO_RECOVERY_KEY_FILE";

#[derive(Debug, Args)]
pub struct PassphraseArgs {
    /// Forgot the passphrase: open the vault with the recovery key instead, then set a new passphrase
    #[arg(long)]
    reset: bool,
    /// Accept a passphrase that the strength check calls weak
    #[arg(long)]
    unsafe_allow_weak_passphrase: bool,
}

pub(crate) fn rekey(context: &Context) -> Result<u8, CliError> {
    let mut vault = open_vault(context)?;
    let old = vault.recipient();
    let report = vault.rekey()?;
    say!(
        "Rotated the vault identity: {} conversation key(s) replaced with new ones and wrapped to '{}' (was '{old}'). \
         The old identity was destroyed, and what it could unwrap no longer opens anything written from now on.",
        report.keys_rewrapped,
        vault.recipient()
    );
    if vault.has_recovery_key() {
        say!("Your recovery key still works: its copy of the identity was rewritten too.");
    }
    Ok(exit::OK)
}

pub(crate) fn passphrase(context: &Context, args: &PassphraseArgs) -> Result<u8, CliError> {
    let mut vault = if args.reset {
        let locked = LockedVault::open(&context.data_dir)?;
        let key = read_recovery_key()?;
        let unlocked = locked.unlock_with_recovery_key(&key)?;
        let mut vault = locked.open_unlocked(unlocked)?;
        super::unlock::report_unlock(&mut vault);
        vault
    } else {
        open_vault(context)?
    };
    let new = read_new_passphrase(args.unsafe_allow_weak_passphrase)?;
    vault.change_passphrase(&new, KdfCost::DEFAULT)?;
    if args.reset {
        vault.record_audit(crate::store::AuditEvent::PassphraseReset)?;
    }
    say!(
        "Set the new passphrase and rotated the vault identity: the old passphrase no longer opens anything stored now."
    );
    Ok(exit::OK)
}

pub(crate) fn recovery_key(context: &Context) -> Result<u8, CliError> {
    let mut vault = open_vault(context)?;
    let replacing = vault.has_recovery_key();
    let key = vault.create_recovery_key()?;
    say!("Your recovery key (shown once; sotto does not keep it):");
    say!();
    say!("    {}", key.expose_secret());
    say!();
    say!(
        "Write it on paper or keep it in a password manager, away from this machine. With it, \
         'sotto passphrase --reset' sets a new passphrase if you forget yours. Anyone holding it and a copy \
         of the vault can read your history."
    );
    if replacing {
        say!(
            "The previous recovery key no longer works: the vault identity was rotated, so it opens nothing \
             stored now, even with an old copy of 'recovery.age' from a backup."
        );
    } else {
        say!("The vault identity was rotated with it, as a passphrase change does.");
    }
    Ok(exit::OK)
}

fn read_new_passphrase(allow_weak: bool) -> Result<SecretString, CliError> {
    let source = match std::env::var_os(super::passphrase::NEW_FILE_VAR).filter(|v| !v.is_empty()) {
        Some(path) => PassphraseSource::File(path.into()),
        None => PassphraseSource::Prompt,
    };
    let new = source.read_new()?;
    check_new_passphrase(&new, allow_weak, "the passphrase was not changed")?;
    Ok(new)
}

fn read_recovery_key() -> Result<SecretString, CliError> {
    if let Some(path) = std::env::var_os(RECOVERY_KEY_FILE_VAR).filter(|v| !v.is_empty()) {
        let path = std::path::PathBuf::from(path);
        let what = format!(
            "the recovery key file '{}' named by {RECOVERY_KEY_FILE_VAR}",
            path.display()
        );
        return secret_source::from_file(&path, &what).map_err(|e| CliError::Input(e.to_string()));
    }
    let typed = rpassword::prompt_password("Recovery key (AGE-SECRET-KEY-1…): ").map_err(|e| {
        CliError::Input(format!(
            "cannot ask for the recovery key ({e}): no terminal. Set {RECOVERY_KEY_FILE_VAR} for scripts"
        ))
    })?;
    Ok(SecretString::from(typed))
}
