//! Where a passphrase comes from: `SOTTO_PASSPHRASE_FILE`, the output of
//! `SOTTO_PASSPHRASE_COMMAND` (as restic does), or a no-echo prompt on the
//! terminal. A new passphrase typed at the prompt is asked twice.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::CliError;

pub const FILE_VAR: &str = "SOTTO_PASSPHRASE_FILE";
pub const COMMAND_VAR: &str = "SOTTO_PASSPHRASE_COMMAND";
const MAX_PASSPHRASE_BYTES: u64 = 64 * 1024;
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

fn prompt_once(prompt: &str) -> Result<SecretString, CliError> {
    let typed = rpassword::prompt_password(prompt).map_err(|e| CliError::WithCode {
        message: format!(
            "cannot ask for the passphrase ({e}): no terminal. Set {FILE_VAR} or {COMMAND_VAR} for scripts"
        ),
        code: super::exit::UNLOCK_FAILED,
    })?;
    non_empty(Zeroizing::new(typed), "the typed passphrase")
}

fn read_file(path: &PathBuf) -> Result<SecretString, CliError> {
    let file = std::fs::File::open(path).map_err(|e| {
        CliError::Input(format!(
            "cannot read the passphrase file '{}' named by {FILE_VAR}: {e}",
            path.display()
        ))
    })?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_PASSPHRASE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Input(format!("cannot read the passphrase file '{}': {e}", path.display())))?;
    let text = utf8(
        std::mem::take(&mut *bytes),
        &format!("the passphrase file '{}'", path.display()),
    )?;
    non_empty(first_line(text), &format!("the passphrase file '{}'", path.display()))
}

fn run_command(command: &str) -> Result<SecretString, CliError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| CliError::Input(format!("cannot run the passphrase command from {COMMAND_VAR}: {e}")))?;
    let mut stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(CliError::Input(format!(
            "the passphrase command from {COMMAND_VAR} failed ({}); nothing was changed",
            output.status
        )));
    }
    if stdout.len() as u64 > MAX_PASSPHRASE_BYTES {
        return Err(CliError::Input(format!(
            "the passphrase command from {COMMAND_VAR} printed more than 64 KiB"
        )));
    }
    // The command itself is never quoted back: it may hold the secret (`echo …`).
    let text = utf8(std::mem::take(&mut *stdout), &format!("the output of {COMMAND_VAR}"))?;
    non_empty(
        first_line(text),
        &format!("the output of the passphrase command from {COMMAND_VAR}"),
    )
}

/// Takes ownership of the bytes without copying them; on error they are zeroized.
fn utf8(bytes: Vec<u8>, what: &str) -> Result<Zeroizing<String>, CliError> {
    String::from_utf8(bytes).map(Zeroizing::new).map_err(|e| {
        let mut bad = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bad);
        CliError::Input(format!("{what} is not UTF-8 text"))
    })
}

/// The first line, without its line ending: files and commands end with one.
fn first_line(text: Zeroizing<String>) -> Zeroizing<String> {
    let line = text.split(['\n']).next().unwrap_or("");
    Zeroizing::new(line.strip_suffix('\r').unwrap_or(line).to_owned())
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
    fn only_the_first_line_without_its_ending_is_the_passphrase() {
        assert_eq!(
            first_line(Zeroizing::new("pass phrase\r\nrest".into())).as_str(),
            "pass phrase"
        );
        assert_eq!(first_line(Zeroizing::new("pass\n".into())).as_str(), "pass");
        assert_eq!(first_line(Zeroizing::new("  spaced  ".into())).as_str(), "  spaced  ");
    }

    #[test]
    fn command_output_is_the_passphrase_and_a_failing_command_is_an_error() {
        assert_eq!(
            run_command("printf 'from a command\\n'").unwrap().expose_secret(),
            "from a command"
        );
        let err = run_command("exit 3").unwrap_err().to_string();
        assert!(
            err.contains("SOTTO_PASSPHRASE_COMMAND") && err.contains("failed"),
            "{err}"
        );
        assert!(!err.contains("exit 3"), "the command is quoted back: {err}");
        assert!(run_command("true").unwrap_err().to_string().contains("empty"));
    }
}
