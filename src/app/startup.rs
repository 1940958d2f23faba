//! Before the loop starts: the backends to offer, and the first screen
//! (welcome, unlock or chat) with the vault to unlock, decided before the
//! terminal is touched so that a vault in use or damaged is a plain error.

use super::TuiOptions;
use crate::config::Config;
use crate::model::state::{BackendChoice, Screen, UnlockForm, WelcomeForm};
use crate::store::{LockedVault, Protection, VaultError};

pub(super) fn choices(config: &Config) -> Vec<BackendChoice> {
    config
        .backends
        .values()
        .map(|b| BackendChoice {
            name: b.name.clone(),
            host: b.host(),
            channel: b.channel(),
            model: b.model().map(str::to_owned),
            consent_target: b.consent_target(),
        })
        .collect()
}

/// The first screen, and the vault to unlock if there is one. Errors that
/// make the TUI pointless (vault in use, damaged) are returned before the
/// terminal is touched.
pub(super) fn first_screen(options: &TuiOptions) -> Result<(Screen, Option<LockedVault>, bool), VaultError> {
    if options.incognito {
        return Ok((Screen::Chat, None, false));
    }
    match LockedVault::open(&options.data_dir) {
        Ok(locked) if options.demo.is_some() => Ok((
            Screen::Working {
                text: "Opening the throwaway demo vault…".into(),
                can_cancel: false,
            },
            Some(locked),
            false,
        )),
        Ok(locked) => {
            if locked.needs_passphrase()? {
                let prompt = match &locked.manifest().protection {
                    Protection::Passphrase => String::new(),
                    Protection::IdentityFile { path } => {
                        format!("The passphrase of your identity file '{}'", path.display())
                    }
                };
                Ok((
                    Screen::Unlock(UnlockForm {
                        prompt,
                        ..Default::default()
                    }),
                    Some(locked),
                    false,
                ))
            } else {
                Ok((
                    Screen::Working {
                        text: "Unlocking…".into(),
                        can_cancel: true,
                    },
                    Some(locked),
                    true,
                ))
            }
        }
        Err(VaultError::NoVault { .. }) => {
            Vault::check_creatable(&options.data_dir)?;
            Ok((Screen::Welcome(WelcomeForm::default()), None, false))
        }
        Err(e) => Err(e),
    }
}

use crate::store::Vault;
