//! `sotto init`: create the vault, protected by a strong passphrase (scrypt at
//! the fixed default cost) or by the user's own age identity.

use std::path::PathBuf;

use clap::Args;

use super::passphrase::{PassphraseSource, check_new_passphrase};
use super::{CliError, Context, exit};
use crate::crypto::KdfCost;
use crate::crypto::user_identity::{self, UserIdentity};
use crate::store::{NewProtection, Vault};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Protect the vault with this age identity file instead of a passphrase
    /// (AGE-SECRET-KEY file, passphrase-protected age file, or plugin identity)
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,

    /// Accept a passphrase the strength estimator calls weak. Unsafe: anyone
    /// with a copy of the vault can then guess it
    #[arg(long)]
    pub unsafe_allow_weak_passphrase: bool,
}

pub(crate) fn run(context: &Context, args: &InitArgs) -> Result<u8, CliError> {
    // Refuse early, before asking for a passphrase that could not be used.
    Vault::check_creatable(&context.data_dir)?;
    let source = PassphraseSource::from_env()?;
    let vault = match &args.identity {
        Some(path) => {
            // At init a bad identity file is bad input (exit 1), not a failed unlock.
            let input = |e: user_identity::UserIdentityError| CliError::Input(e.to_string());
            let passphrase = if user_identity::needs_passphrase(path).map_err(input)? {
                Some(source.read(&format!("Passphrase for the identity file '{}': ", path.display()))?)
            } else {
                None
            };
            let user = UserIdentity::load(path, passphrase.as_ref()).map_err(input)?;
            let vault = Vault::create(&context.data_dir, NewProtection::UserIdentity(&user))?;
            say!(
                "Created a vault at '{}', protected by the {} '{}'.",
                vault.root().display(),
                user.kind().describe(),
                path.display()
            );
            say!("Keep that file safe and backed up: without it the history cannot be decrypted.");
            vault
        }
        None => {
            let passphrase = source.read_new()?;
            check_new_passphrase(&passphrase, args.unsafe_allow_weak_passphrase, "Nothing was created")?;
            let cost = KdfCost::DEFAULT;
            let vault = Vault::create(
                &context.data_dir,
                NewProtection::Passphrase {
                    passphrase: &passphrase,
                    cost,
                },
            )?;
            say!(
                "Created a vault at '{}', protected by your passphrase (scrypt, N = 2^{}).",
                vault.root().display(),
                cost.log_n()
            );
            say!("Remember the passphrase: without it the history cannot be recovered.");
            vault
        }
    };
    say!("Vault recipient: {}", vault.recipient());
    Ok(exit::OK)
}
