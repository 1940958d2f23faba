//! Bare `sotto`: the chat screen. Needs a terminal; everything else it needs
//! (config, backend, vault location) is resolved here like for any command.

use std::io::IsTerminal;

use super::{CliError, Context, exit};
use crate::app::{self, TuiOptions};

pub(crate) fn run(context: &Context) -> Result<u8, CliError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(CliError::WithCode {
            message: "the chat screen needs a terminal; for scripts use 'sotto ask' (see 'sotto --help')".into(),
            code: exit::USAGE,
        });
    }
    let config = context.load_config()?;
    let backend = context.chosen_backend(&config)?;
    let theme_dir = context
        .config
        .as_ref()
        .and_then(|file| file.parent())
        .map(|dir| dir.join("themes"));
    let outcome = app::run(TuiOptions {
        data_dir: context.data_dir.clone(),
        backend: backend.name.clone(),
        backend_pinned: context.backend.is_some(),
        config,
        knowledge: context.knowledge.clone(),
        incognito: context.incognito,
        theme_dir,
        demo: None,
    })?;
    if let Some(message) = outcome.message {
        eprintln!("sotto: {message}");
    }
    Ok(exit::of(outcome.status))
}
