//! `sotto demo`: the guided tour of data minimisation (see `app::demo`) in a
//! throwaway vault. The vault lives in a new private temporary directory
//! (under $XDG_RUNTIME_DIR, a tmpfs, when there is one), is protected by a
//! random passphrase nobody is asked for, uses the built-in bot and the
//! default settings whatever the config says, and is destroyed when the demo
//! ends: identity overwritten, directory removed, also on errors and panics.
//! The user's own vault and config are never opened.

use std::io::IsTerminal;
use std::path::PathBuf;

use rand::RngCore;
use secrecy::SecretString;

use super::{CliError, exit};
use crate::app::{self, DemoOptions, TuiOptions};
use crate::config::Config;
use crate::crypto::KdfCost;
use crate::store::{NewProtection, Vault};

pub(crate) fn run() -> Result<u8, CliError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(CliError::WithCode {
            message: "the demo runs in the chat screen and needs a terminal".into(),
            code: exit::USAGE,
        });
    }
    let scratch = Scratch::new()?;
    let vault_dir = scratch.vault();
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let passphrase = SecretString::from(crate::store::fsutil::hex(&secret));
    zeroize::Zeroize::zeroize(&mut secret);
    drop(Vault::create(
        &vault_dir,
        NewProtection::Passphrase {
            passphrase: &passphrase,
            cost: KdfCost::DEFAULT,
        },
    )?);
    let config = Config::default();
    let outcome = app::run(TuiOptions {
        data_dir: vault_dir,
        backend: config.default_backend.clone(),
        backend_pinned: true,
        config,
        knowledge: Vec::new(),
        incognito: false,
        theme_dir: None,
        demo: Some(DemoOptions {
            passphrase,
            scratch: scratch.path(),
        }),
    })?;
    drop(scratch);
    eprintln!("sotto: the demo's throwaway vault was destroyed; your own vault was never opened.");
    if let Some(message) = outcome.message {
        eprintln!("sotto: {message}");
    }
    Ok(exit::of(outcome.status))
}

/// The demo's temporary directory; destroyed when dropped.
struct Scratch(Option<tempfile::TempDir>);

impl Scratch {
    fn new() -> Result<Self, CliError> {
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|dir| dir.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let dir = tempfile::Builder::new()
            .prefix("sotto-demo-")
            .tempdir_in(&base)
            .map_err(|e| {
                CliError::Input(format!(
                    "cannot make a temporary directory for the demo in '{}': {e}",
                    base.display()
                ))
            })?;
        Ok(Scratch(Some(dir)))
    }

    fn path(&self) -> PathBuf {
        self.0.as_ref().map(|d| d.path().to_owned()).unwrap_or_default()
    }

    fn vault(&self) -> PathBuf {
        self.path().join("vault")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The identity first: from then on nothing left behind can be read.
        let _ = crate::store::destroy_identity_files(&self.vault());
        if let Some(dir) = self.0.take() {
            let _ = dir.close();
        }
    }
}
