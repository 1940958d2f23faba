//! Reading a secret — a passphrase, an API key — from a file or from the
//! output of a command (how password managers hand secrets to scripts:
//! `pass show sotto`). The first line is the secret; the bytes are held in
//! zeroizing buffers; and a command is never quoted back in an error, because
//! it may contain the secret itself (`echo …`).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use secrecy::SecretString;
use zeroize::Zeroizing;

const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// What went wrong; `what` names the source ("the passphrase file '…'").
#[derive(Debug, thiserror::Error)]
pub enum SecretSourceError {
    #[error("cannot read {what}: {reason}")]
    Unreadable { what: String, reason: String },
    #[error("{what} failed ({status})")]
    Failed { what: String, status: String },
    #[error("{what} is longer than 64 KiB")]
    TooLarge { what: String },
    #[error("{what} is not UTF-8 text")]
    NotUtf8 { what: String },
    #[error("{what} is empty")]
    Empty { what: String },
}

/// The first line of the file at `path`.
pub fn from_file(path: &Path, what: &str) -> Result<SecretString, SecretSourceError> {
    let unreadable = |e: std::io::Error| SecretSourceError::Unreadable {
        what: what.to_owned(),
        reason: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    first_line(std::mem::take(&mut *bytes), what)
}

/// The first line printed by `sh -c command` (stdin and stderr are the user's,
/// so a password manager can ask for its own passphrase).
pub fn from_command(command: &str, what: &str) -> Result<SecretString, SecretSourceError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| SecretSourceError::Unreadable {
            what: what.to_owned(),
            reason: e.to_string(),
        })?;
    let mut stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(SecretSourceError::Failed {
            what: what.to_owned(),
            status: output.status.to_string(),
        });
    }
    first_line(std::mem::take(&mut *stdout), what)
}

/// Takes ownership of `bytes` (no copy is left behind) and returns the first
/// line without its line ending.
fn first_line(bytes: Vec<u8>, what: &str) -> Result<SecretString, SecretSourceError> {
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        drop(Zeroizing::new(bytes));
        return Err(SecretSourceError::TooLarge { what: what.to_owned() });
    }
    let text = String::from_utf8(bytes).map(Zeroizing::new).map_err(|e| {
        drop(Zeroizing::new(e.into_bytes()));
        SecretSourceError::NotUtf8 { what: what.to_owned() }
    })?;
    let line = text.split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err(SecretSourceError::Empty { what: what.to_owned() });
    }
    Ok(SecretString::from(line.to_owned()))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn only_the_first_line_without_its_ending_is_the_secret() {
        for (text, expected) in [
            ("pass phrase\r\nrest", "pass phrase"),
            ("pass\n", "pass"),
            ("  spaced  ", "  spaced  "),
        ] {
            assert_eq!(
                first_line(text.as_bytes().to_vec(), "x").unwrap().expose_secret(),
                expected
            );
        }
        assert!(matches!(
            first_line(b"\n".to_vec(), "x"),
            Err(SecretSourceError::Empty { .. })
        ));
    }

    #[test]
    fn command_output_is_the_secret_and_a_failing_command_is_an_error_that_does_not_quote_it() {
        assert_eq!(
            from_command("printf 'from a command\\n'", "the command")
                .unwrap()
                .expose_secret(),
            "from a command"
        );
        let err = from_command("echo sk-live-123; exit 3", "the key command")
            .unwrap_err()
            .to_string();
        assert!(err.contains("the key command failed"), "{err}");
        assert!(!err.contains("sk-live-123"), "{err}");
    }
}
