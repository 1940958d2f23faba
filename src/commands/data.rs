//! The user's data rights in the chat screen: /wipe, /export and /retention,
//! the same operations as `sotto wipe`, `sotto export` and `sotto retention`. Destroying anything needs a
//! typed answer (the conversation's title, or the word 'wipe'); a plaintext
//! export needs a yes to a warning that the data leaves the vault.

use super::{Done, Outcome};
use crate::export::ExportScope;
use crate::model::msg::{Effect, RetentionChange, StoreJob};
use crate::model::state::{ConfirmAction, ExportRequest, Popup, State, TypedAnswer};
use crate::store::{ExportFormat, Retention};
use crate::time::{Span, Timestamp};

const NOT_STORED: &str = "incognito: nothing of it is stored, so there is nothing to wipe or export";

pub fn wipe(state: &mut State, args: &str) -> Outcome {
    if state.incognito {
        return Err(NOT_STORED.into());
    }
    let args = args.trim();
    let (word, rest) = args.split_once(' ').unwrap_or((args, ""));
    match word {
        "" => super::conversation::delete(state, ""),
        "all" if rest.trim().is_empty() => Ok(Done::Effects(confirm_typed(
            state,
            ConfirmAction::WipeAll,
            "Wipe the whole vault?",
            "Every conversation, every setting and the vault's identity are destroyed, the data directory \
                 removed, and sotto quits. Nothing can bring them back. Copies you exported stay where you put them."
                .into(),
        ))),
        "before" => {
            let before = Timestamp::parse_cutoff(rest, state.clock)?;
            Ok(Done::Effects(confirm_typed(
                state,
                ConfirmAction::WipeOlderThan(before),
                "Wipe older messages?",
                format!(
                    "Every message written before {} is wiped for good, and conversations left empty with it. \
                     The vault identity is rotated, so leftover bytes can never be decrypted again.",
                    before.to_local_display()
                ),
            )))
        }
        other => Err(format!(
            "'{other}' is not something /wipe knows: '/wipe' (this conversation), '/wipe before 30d' or '/wipe all'"
        )),
    }
}

/// `/export [all] [markdown] [plaintext] [FILE]`.
pub fn export(state: &mut State, args: &str) -> Outcome {
    if state.incognito || state.current_in_memory {
        return Err(NOT_STORED.into());
    }
    let (mut all, mut format, mut plaintext, mut path) = (false, ExportFormat::Json, false, None);
    for word in args.split_whitespace() {
        match word {
            "all" => all = true,
            "markdown" | "md" => format = ExportFormat::Markdown,
            "json" => format = ExportFormat::Json,
            "plaintext" => plaintext = true,
            file if path.is_none() => path = Some(std::path::PathBuf::from(file)),
            extra => {
                return Err(format!(
                    "'{extra}' is one word too many: /export [all] [markdown] [plaintext] [FILE]"
                ));
            }
        }
    }
    let scope = if all {
        ExportScope::Vault
    } else {
        match state.current {
            Some(id) => ExportScope::Conversation(id),
            None => return Err("this conversation is not stored yet; '/export all' exports every conversation".into()),
        }
    };
    let path = match path {
        Some(path) => path,
        None => state
            .export_dir
            .as_ref()
            .ok_or("no home directory is known for the export; name the file: /export FILE")?
            .join(crate::export::default_file_name(format, plaintext, state.clock)),
    };
    let request = ExportRequest {
        scope,
        format,
        plaintext,
        path,
    };
    if !plaintext {
        state.notify("exporting…");
        return Ok(Done::Effects(vec![Effect::Store(StoreJob::Export(request))]));
    }
    state.popup = Some(Popup::Confirm {
        body: format!(
            "'{}' will be readable by anyone who can read the file: your history leaves the vault's protection. \
             Without 'plaintext' the export is encrypted to this vault.",
            crate::sanitize::one_line(&request.path.display().to_string(), 60)
        ),
        action: ConfirmAction::Export(request),
        title: "Export as plaintext?".into(),
        answer: None,
    });
    Ok(Done::Effects(Vec::new()))
}

/// Raises a confirmation that needs the word 'wipe', and has the next vault
/// identity prepared while the user types it.
fn confirm_typed(state: &mut State, action: ConfirmAction, title: &str, body: String) -> Vec<Effect> {
    state.popup = Some(Popup::Confirm {
        action,
        title: title.into(),
        body,
        answer: Some(TypedAnswer {
            accepted: vec!["wipe".into()],
            typed: String::new(),
        }),
    });
    vec![Effect::Store(StoreJob::PrepareRotation)]
}

/// `/retention`: show the rules; `/retention 7d|forever|default` for this
/// conversation; `/retention vault 30d|off` for the vault's default.
pub fn retention(state: &mut State, args: &str) -> Outcome {
    if state.incognito {
        return Err("incognito: nothing is kept at all".into());
    }
    let words: Vec<&str> = args.split_whitespace().collect();
    let default_text = Retention::effective(None, state.retention_default).describe();
    match words.as_slice() {
        [] => {
            state.notify(format!(
                "this conversation: {} · vault default: {default_text}. '/retention 7d', 'forever' or 'default' \
                 sets this conversation; '/retention vault 30d' or 'off' the default",
                state.current_retention().describe()
            ));
            Ok(Done::Effects(Vec::new()))
        }
        ["vault", "off"] => Ok(Done::Effects(vec![Effect::Store(StoreJob::SetRetention {
            conversation: None,
            rule: RetentionChange::Default(None),
        })])),
        ["vault", span] => Ok(Done::Effects(vec![Effect::Store(StoreJob::SetRetention {
            conversation: None,
            rule: RetentionChange::Default(Some(Span::parse(span)?)),
        })])),
        [rule] => {
            let Some(id) = state.current.filter(|_| !state.current_in_memory) else {
                return Err("this conversation is not stored; '/retention vault 30d' sets the default".into());
            };
            let rule = match *rule {
                "default" => None,
                other => Some(Retention::parse(other)?),
            };
            Ok(Done::Effects(vec![Effect::Store(StoreJob::SetRetention {
                conversation: Some(id),
                rule: RetentionChange::Conversation(rule),
            })]))
        }
        _ => Err("use '/retention', '/retention 7d|forever|default' or '/retention vault 30d|off'".into()),
    }
}
