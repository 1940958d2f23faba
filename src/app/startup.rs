//! Before the loop starts: the backends to offer, and the first screen
//! (welcome, unlock or chat) with the vault to unlock, decided before the
//! terminal is touched so that a vault in use or damaged is a plain error.

use super::{AppError, TuiOptions};
use crate::config::Config;
use crate::model::state::{BackendChoice, Screen, State, UnlockForm, WelcomeForm};
use crate::store::{LockedVault, Protection, VaultError};
use crate::theme::Theme;

/// The state the chat starts from: the options and config applied.
pub(super) fn initial_state(
    options: &TuiOptions,
    screen: Screen,
    theme: Theme,
    theme_names: Vec<String>,
) -> Result<State, AppError> {
    let backends = choices(&options.config);
    let active = backends
        .iter()
        .find(|b| b.name == options.backend)
        .cloned()
        .ok_or_else(|| AppError::NoBackend(options.backend.clone()))?;
    let mut state = State::new(
        screen,
        options.data_dir.display().to_string(),
        backends,
        active,
        theme,
        theme_names,
    );
    state.incognito = options.incognito;
    state.backend_pinned = options.backend_pinned;
    state.export_dir = match &options.demo {
        // The tour's export stays in its throwaway directory.
        Some(demo) => Some(demo.scratch.clone()),
        None => crate::paths::default_export_dir(),
    };
    state.context = options.config.context;
    state.auto_lock_ms = i64::try_from(options.config.auto_lock_minutes.saturating_mul(60_000)).unwrap_or(i64::MAX);
    Ok(state)
}

fn choices(config: &Config) -> Vec<BackendChoice> {
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
