//! The slash commands as the user sees them: names, arguments and help, the
//! parser of a typed line, and completion. The input box and the help popup
//! draw from this table; `commands` binds each name to its handler.

pub struct CommandSpec {
    pub name: &'static str,
    /// The arguments as shown in help (`TITLE`, `[NAME]`).
    pub args: &'static str,
    pub help: &'static str,
}

/// Every command, in the order `/help` lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "new",
        args: "",
        help: "Start a new conversation",
    },
    CommandSpec {
        name: "rename",
        args: "TITLE",
        help: "Rename this conversation",
    },
    CommandSpec {
        name: "incognito",
        args: "",
        help: "Start a conversation kept in memory only: never written to the vault",
    },
    CommandSpec {
        name: "delete",
        args: "",
        help: "Wipe this conversation for good (asks you to type its title)",
    },
    CommandSpec {
        name: "wipe",
        args: "[before DATE | all]",
        help: "Wipe this conversation, every message before DATE ('30d', '2026-01-31'), or the whole vault",
    },
    CommandSpec {
        name: "retention",
        args: "[RULE | vault RULE]",
        help: "How long messages are kept: '7d', 'forever' or 'default' here; 'vault 30d' or 'off' for all",
    },
    CommandSpec {
        name: "export",
        args: "[WORDS] [FILE]",
        help: "Export this conversation as JSON, encrypted to the vault; words: 'all', 'md' (Markdown), 'plaintext'",
    },
    CommandSpec {
        name: "search",
        args: "[TEXT]",
        help: "Search every conversation (decrypted in memory only)",
    },
    CommandSpec {
        name: "retry",
        args: "",
        help: "Ask for the last reply again",
    },
    CommandSpec {
        name: "edit",
        args: "",
        help: "Edit your last message and send it again",
    },
    CommandSpec {
        name: "copy",
        args: "[N]",
        help: "Copy the last reply, or code block N, to the clipboard (OSC 52, works over SSH)",
    },
    CommandSpec {
        name: "backend",
        args: "[NAME]",
        help: "Switch the backend that answers and remember it (lists them without NAME)",
    },
    CommandSpec {
        name: "theme",
        args: "[NAME]",
        help: "Switch the colour theme and remember it (lists them without NAME)",
    },
    CommandSpec {
        name: "redact",
        args: "[off|warn|mask|block|TEXT]",
        help: "What happens to personal data you type: masked (default), shown first, blocked, or sent; with TEXT, what the bot would receive",
    },
    CommandSpec {
        name: "view",
        args: "",
        help: "What sotto keeps: the vault, its protection, counts, backends with consent and what was sent",
    },
    CommandSpec {
        name: "audit",
        args: "",
        help: "The vault's privacy events: created, failed unlocks, consent, exports, wipes (never content)",
    },
    CommandSpec {
        name: "timestamps",
        args: "",
        help: "Show or hide the time of each message",
    },
    CommandSpec {
        name: "lock",
        args: "",
        help: "Lock now: the history and keys leave memory until you unlock again",
    },
    CommandSpec {
        name: "help",
        args: "",
        help: "Keys and commands",
    },
    CommandSpec {
        name: "quit",
        args: "",
        help: "Leave sotto (a streaming reply is stopped and kept)",
    },
];

/// A line typed in the input box, split into command name and arguments, if
/// it is a command. `//text` is a message that starts with `/`.
pub fn parse(input: &str) -> Option<(&str, &str)> {
    let rest = input.trim_start().strip_prefix('/')?;
    if rest.starts_with('/') {
        return None;
    }
    let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((name, args.trim()))
}

pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Commands whose name starts with what is typed after `/` (while no
/// argument has been typed yet).
pub fn completions(input: &str) -> Vec<&'static CommandSpec> {
    match parse(input) {
        Some((name, "")) if !input.trim_end().contains(' ') => {
            COMMANDS.iter().filter(|c| c.name.starts_with(name)).collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_their_arguments() {
        assert_eq!(parse("/rename  My notes "), Some(("rename", "My notes")));
        assert_eq!(parse("/new"), Some(("new", "")));
        assert_eq!(parse("hello /new"), None);
        assert_eq!(parse("//etc/hosts is a file"), None, "a doubled slash is a message");
    }

    #[test]
    fn completion_offers_matching_names_until_an_argument_is_typed() {
        let names: Vec<&str> = completions("/re").iter().map(|c| c.name).collect();
        assert_eq!(names, ["rename", "retention", "retry", "redact"]);
        let names: Vec<&str> = completions("/in").iter().map(|c| c.name).collect();
        assert_eq!(names, ["incognito"]);
        assert_eq!(completions("/").len(), COMMANDS.len());
        assert!(completions("/rename x").is_empty());
        assert!(completions("hello").is_empty());
    }

    #[test]
    fn every_command_has_help_and_a_unique_name() {
        for (i, command) in COMMANDS.iter().enumerate() {
            assert!(!command.help.is_empty(), "/{} has no help", command.name);
            assert!(
                COMMANDS[i + 1..].iter().all(|c| c.name != command.name),
                "/{} twice",
                command.name
            );
        }
    }
}
