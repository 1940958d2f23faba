//! Where a passphrase comes from: `SOTTO_PASSPHRASE_FILE`, the output of
//! `SOTTO_PASSPHRASE_COMMAND` (as restic does), or a no-echo prompt on the
//! terminal. A new passphrase typed at the prompt is asked twice.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::CliError;
use crate::secret_source;

pub const FILE_VAR: &str = "SOTTO_PASSPHRASE_FILE";
pub const COMMAND_VAR: &str = "SOTTO_PASSPHRASE_COMMAND";
/// Where scripts put the new passphrase for `sotto passphrase`.
pub const NEW_FILE_VAR: &str = "SOTTO_NEW_PASSPHRASE_FILE";

const PROMPT_ATTEMPTS: usize = 3;

pub enum PassphraseSource {
    File(PathBuf),
    Command(String),
    Prompt,
}

impl PassphraseSource {
    pub fn from_env() -> Result<Self, CliError> {
        let file = std::env::var_os(FILE_VAR).filter(|v| !v.is_empty());
        let command = std::env::var(COMMAND_VAR).ok().filter(|v| !v.is_empty());
        match (file, command) {
            (Some(_), Some(_)) => Err(CliError::Input(format!(
                "both {FILE_VAR} and {COMMAND_VAR} are set; unset one of them"
            ))),
            (Some(file), None) => Ok(PassphraseSource::File(file.into())),
            (None, Some(command)) => Ok(PassphraseSource::Command(command)),
            (None, None) => Ok(PassphraseSource::Prompt),
        }
    }

    /// The passphrase of an existing vault or identity file.
    pub fn read(&self, prompt: &str) -> Result<SecretString, CliError> {
        match self {
            PassphraseSource::File(path) => read_file(path),
            PassphraseSource::Command(command) => run_command(command),
            PassphraseSource::Prompt => prompt_once(prompt),
        }
    }

    /// A new passphrase. At the prompt it is typed twice until both match.
    pub fn read_new(&self) -> Result<SecretString, CliError> {
        match self {
            PassphraseSource::Prompt => {
                for _ in 0..PROMPT_ATTEMPTS {
                    let first = prompt_once("New passphrase: ")?;
                    let second = prompt_once("Repeat the passphrase: ")?;
                    if first.expose_secret() == second.expose_secret() {
                        return Ok(first);
                    }
                    eprintln!("The two passphrases differ; try again.");
                }
                Err(CliError::Input(format!(
                    "the passphrases differed {PROMPT_ATTEMPTS} times; nothing was created"
                )))
            }
            other => other.read(""),
        }
    }
}

/// Refuses a weak new passphrase unless the user insisted; `nothing` says
/// what did not happen ("nothing was created").
pub fn check_new_passphrase(passphrase: &SecretString, allow_weak: bool, nothing: &str) -> Result<(), CliError> {
    let strength = crate::crypto::passphrase::assess(passphrase, &["sotto", &whoami()]);
    if strength.is_acceptable() {
        return Ok(());
    }
    if !allow_weak {
        return Err(CliError::WithCode {
            message: format!(
                "this passphrase is too weak to protect the vault (it needs strength {}/4). {} \
                 Four or more random words make a strong, memorable passphrase. {nothing}.",
                crate::crypto::passphrase::REQUIRED_SCORE,
                strength.advice()
            ),
            code: super::exit::ERROR,
        });
    }
    eprintln!(
        "sotto: warning: using a weak passphrase because of --unsafe-allow-weak-passphrase. {}",
        strength.advice()
    );
    Ok(())
}

fn whoami() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_default()
}

fn prompt_once(prompt: &str) -> Result<SecretString, CliError> {
    let typed = rpassword::prompt_password(prompt).map_err(|e| CliError::WithCode {
        message: format!(
            "cannot ask for the passphrase ({e}): no terminal. Set {FILE_VAR} or {COMMAND_VAR} for scripts"
        ),
        code: super::exit::UNLOCK_FAILED,
    })?;
    non_empty(Zeroizing::new(typed), "the typed passphrase")
}

fn read_file(path: &Path) -> Result<SecretString, CliError> {
    let what = format!("the passphrase file '{}' named by {FILE_VAR}", path.display());
    secret_source::from_file(path, &what).map_err(|e| CliError::Input(e.to_string()))
}

fn run_command(command: &str) -> Result<SecretString, CliError> {
    let what = format!("the passphrase command from {COMMAND_VAR}");
    secret_source::from_command(command, &what).map_err(|e| CliError::Input(format!("{e}; nothing was changed")))
}

fn non_empty(text: Zeroizing<String>, what: &str) -> Result<SecretString, CliError> {
    if text.is_empty() {
        return Err(CliError::Input(format!("{what} is empty; a passphrase is needed")));
    }
    Ok(SecretString::from(text.as_str().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_passphrase_command_says_nothing_was_changed() {
        let err = run_command("exit 3").unwrap_err().to_string();
        assert!(
            err.contains("SOTTO_PASSPHRASE_COMMAND") && err.contains("nothing was changed"),
            "{err}"
        );
    }
}
