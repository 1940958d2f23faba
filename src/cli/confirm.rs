//! Confirming a step that cannot be taken back: at a terminal the user
//! types a word; a script must say `--yes`.

use std::io::{BufRead, IsTerminal};

use super::CliError;

/// Asks for `word` at a terminal after `warning`; elsewhere insists on
/// `--yes`. `consequence` and `nothing_done` complete the refusals.
pub(crate) fn with_word(
    yes: bool,
    word: &str,
    consequence: &str,
    warning: &str,
    nothing_done: &str,
) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Input(format!(
            "{consequence}; add --yes to confirm. {}",
            capitalized(nothing_done)
        )));
    }
    eprintln!("{warning}");
    eprint!("Type '{word}' to confirm: ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Input(format!("cannot read the confirmation ({e}); {nothing_done}")))?;
    if line.trim() == word {
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "the confirmation was '{}', not '{word}'; {nothing_done}",
            line.trim()
        )))
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
