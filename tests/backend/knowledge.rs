//! The built-in knowledge base says what is true now: every `sotto …`
//! command and flag it names is in the command-line definition, every slash
//! command in the chat's command table, every configuration key accepted by
//! the configuration parser, every `SOTTO_*` variable in `--help`; and no
//! answer speaks of a shipped feature in the future tense.

use clap::CommandFactory;
use sotto::backend::local::knowledge::{self, Section};

/// Every `code span` of the built-in base's answer text (headings and
/// bodies; the "asked as" phrasings are questions, not claims).
fn code_spans() -> Vec<(String, String)> {
    let mut spans = Vec::new();
    for section in knowledge::built_in() {
        let text = format!("{}\n{}", section.headings.join("\n"), section.body);
        for (i, piece) in text.split('`').enumerate() {
            if i % 2 == 1 {
                spans.push((section.id.clone(), piece.to_owned()));
            }
        }
    }
    spans
}

/// Why the `sotto …` line `span` does not hold, if it does not.
fn check_command_line(span: &str) -> Option<String> {
    let root = sotto::cli::Cli::command();
    let mut command = &root;
    // The root's flags are global: every command takes them.
    let mut args: Vec<&clap::Arg> = root.get_arguments().collect();
    let mut tokens = span.split_whitespace().skip(1);
    while let Some(token) = tokens.next() {
        if let Some(flag) = token.strip_prefix("--") {
            let (flag, inline_value) = match flag.split_once('=') {
                Some((flag, _)) => (flag, true),
                None => (flag, false),
            };
            if matches!(flag, "help" | "version") {
                continue;
            }
            let Some(arg) = args.iter().find(|a| a.get_long() == Some(flag)) else {
                return Some(format!("'{}' has no flag '--{flag}'", command.get_name()));
            };
            if arg.get_action().takes_values() && !inline_value {
                tokens.next();
            }
        } else if let Some(sub) = command.find_subcommand(token) {
            command = sub;
            args.extend(command.get_arguments());
        } else if command.has_subcommands() && token.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            return Some(format!("'{}' has no command '{token}'", command.get_name()));
        } else {
            // A value (a NAME, a FILE, a question): nothing more to check.
            break;
        }
    }
    None
}

/// Every long flag of every command.
fn all_flags() -> Vec<String> {
    fn walk(command: &clap::Command, out: &mut Vec<String>) {
        out.extend(command.get_arguments().filter_map(|a| a.get_long().map(str::to_owned)));
        for sub in command.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut flags = vec!["help".to_owned(), "version".to_owned()];
    walk(&sotto::cli::Cli::command(), &mut flags);
    flags
}

/// Whether the configuration parser accepts `key` (with `value`, or a value
/// of some plausible type) at the top level, in `[context]` or in a backend.
fn config_accepts(key: &str, value: Option<&str>) -> bool {
    let values: Vec<&str> = match value {
        Some(v) => vec![v],
        None => vec!["\"x\"", "1", "true", "[\"x\"]"],
    };
    let places = [
        "",
        "[context]\n",
        "[backends.t]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n",
        "[backends.t]\nkind = \"local\"\n",
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    places.iter().any(|place| {
        values.iter().any(|value| {
            let text = format!("{place}{key} = {value}\n");
            match sotto::config::Config::parse(&path, &text) {
                Ok(_) => true,
                // The key was taken and only its value was refused (a file
                // that does not exist here, say): the key exists.
                Err(e) => !e.to_string().contains(&format!("'{key}'")) && !e.to_string().contains("unknown"),
            }
        })
    })
}

#[test]
fn every_command_flag_slash_command_config_key_and_variable_the_base_names_exists() {
    let flags = all_flags();
    let help = sotto::cli::Cli::command().render_long_help().to_string();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (id, span) in code_spans() {
        let problem = if span.starts_with("sotto ") || span == "sotto" {
            checked += 1;
            check_command_line(&span)
        } else if let Some(flag) = span.strip_prefix("--") {
            checked += 1;
            let flag = flag.split([' ', '=']).next().unwrap_or(flag);
            (!flags.iter().any(|f| f == flag)).then(|| format!("no command has a flag '--{flag}'"))
        } else if let Some(name) = span.strip_prefix('/').filter(|n| {
            n.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && !n.contains(['/', '.'])
                && !n.chars().any(|c| c.is_ascii_digit())
        }) {
            checked += 1;
            let name = name.split_whitespace().next().unwrap_or(name);
            sotto::model::commands::find(name)
                .is_none()
                .then(|| format!("there is no slash command '/{name}'"))
        } else if let Some((key, value)) = span
            .split_once(" = ")
            .filter(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        {
            checked += 1;
            (!config_accepts(key, Some(value))).then(|| format!("the configuration has no key '{key}' taking {value}"))
        } else if span.contains('_') && span.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            checked += 1;
            (!config_accepts(&span, None)).then(|| format!("the configuration has no key '{span}'"))
        } else if span.starts_with("SOTTO_") {
            checked += 1;
            (!help.contains(&span)).then(|| format!("'sotto --help' does not document '{span}'"))
        } else {
            None
        };
        if let Some(problem) = problem {
            wrong.push(format!("{id}: `{span}`: {problem}"));
        }
    }
    assert!(
        checked >= 60,
        "only {checked} claims were checked: is the extraction broken?"
    );
    assert!(
        wrong.is_empty(),
        "the knowledge base names things that do not exist:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_truth_check_catches_what_does_not_exist() {
    assert!(check_command_line("sotto export --recipient age1x").is_none());
    assert!(check_command_line("sotto backend trust NAME").is_none());
    assert!(check_command_line("sotto --incognito ask").is_none());
    assert!(check_command_line("sotto backup --now").is_some());
    assert!(check_command_line("sotto export --encrypt").is_some());
    assert!(config_accepts("auto_lock_minutes", None));
    assert!(config_accepts("api_key_env", None));
    assert!(!config_accepts("api_token_env", None));
    assert!(sotto::model::commands::find("undo").is_none());
}

/// Words that promise instead of describe.
const FUTURE: &[&str] = &[
    " will ",
    " won't ",
    "being built",
    "not yet",
    "coming soon",
    "planned",
    "in a future",
    "someday",
    "will be",
];

fn future_tense(section: &Section) -> Option<&'static str> {
    let text = format!(" {} {} ", section.headings.join(" "), section.body.replace('\n', " ")).to_lowercase();
    FUTURE.iter().copied().find(|f| text.contains(f))
}

#[test]
fn no_answer_speaks_of_a_shipped_feature_in_the_future_tense() {
    let promising: Vec<String> = knowledge::built_in()
        .iter()
        .filter_map(|s| future_tense(s).map(|f| format!("{}: '{}'", s.id, f.trim())))
        .collect();
    assert!(promising.is_empty(), "{promising:#?}");
    let old = knowledge::parse(
        "x.md",
        "x.md",
        "## Export\nExport is being built; it will arrive soon.\n",
    );
    assert!(future_tense(&old[0]).is_some());
}
