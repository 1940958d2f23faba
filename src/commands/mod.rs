//! Slash commands: each name of the table in `model::commands` bound to its
//! handler. `update` runs a command only for text the user typed in the input
//! box; text from a backend is never parsed here.
//!
//! A handler changes the state and returns what is left to do (effects for
//! the runtime, or a step that belongs to `update`: a send, a lock, the end of
//! the session), or an error message for the status line. Handlers never call
//! back up into `update`. They live one group per file.

mod conversation;
mod data;
mod session;
mod settings;

pub use conversation::confirm_delete;

use crate::model::commands::{find, parse};
use crate::model::msg::Effect;
use crate::model::state::State;

/// What a handler leaves for `update` to do.
#[derive(Debug)]
pub enum Done {
    /// Effects for the runtime to carry out.
    Effects(Vec<Effect>),
    /// Ask for the last reply again (`/retry`): a send.
    Regenerate,
    /// Lock the vault now; the reason is shown on the unlock screen.
    Lock(&'static str),
    /// End the session (`/quit`).
    Quit,
}

/// What a handler returns: what is left to do, or a message saying what was
/// wrong.
pub type Outcome = Result<Done, String>;

type Handler = fn(&mut State, &str) -> Outcome;

/// The handler of the command called `name`.
fn handler(name: &str) -> Option<Handler> {
    Some(match name {
        "new" => conversation::new,
        "rename" => conversation::rename,
        "incognito" => conversation::incognito,
        "delete" => conversation::delete,
        "wipe" => data::wipe,
        "retention" => data::retention,
        "export" => data::export,
        "search" => conversation::search,
        "retry" => session::retry,
        "edit" => session::edit,
        "copy" => session::copy,
        "backend" => settings::backend,
        "theme" => settings::theme,
        "redact" => settings::redact,
        "view" => settings::view,
        "audit" => settings::audit,
        "timestamps" => settings::timestamps,
        "lock" => session::lock,
        "help" => session::help,
        "quit" => session::quit,
        _ => return None,
    })
}

/// Runs the command typed in `input`.
pub fn run(state: &mut State, input: &str) -> Outcome {
    let Some((name, args)) = parse(input) else {
        return Err("not a command".into());
    };
    match find(name).and_then(|command| handler(command.name)) {
        Some(run) => run(state, args),
        None => Err(format!(
            "unknown command '/{}'; nothing was sent. /help lists the commands",
            crate::sanitize::one_line(name, 40)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::commands::COMMANDS;

    #[test]
    fn every_command_in_the_table_has_a_handler() {
        for command in COMMANDS {
            assert!(handler(command.name).is_some(), "/{} has no handler", command.name);
        }
    }
}
