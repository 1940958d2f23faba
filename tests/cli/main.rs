//! The real `sotto` binary. Most vaults here are made through the library
//! with a cheap KDF; the init tests pay the real unlock cost. `vault` covers
//! init, view, verify, exit codes and the stock `age` CLI; `ask` covers asking,
//! keys, backends and consent against a loopback server.

#[path = "../support/mod.rs"]
mod support;

mod ask;
mod export;
mod first_steps;
mod hostile;
mod idle;
mod redact;
mod skips;
mod tui;
mod vault;
mod wipe;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sotto::store::NewMessage;
use support::{PASSPHRASE, assert_unchanged_or_appended, copy_dir, flip_log_byte, long_log_vault, new_vault, snapshot};

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn vault(&self) -> PathBuf {
        self.path("data")
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A config file whose default backend, 'llama', is the OpenAI-compatible
    /// server at `base_url` (a test's loopback server).
    fn llama_config(&self, base_url: &str) -> PathBuf {
        self.file(
            "config.toml",
            &format!("default_backend = \"llama\"\n[backends.llama]\nkind = \"openai\"\nbase_url = \"{base_url}\"\n"),
        )
    }

    /// `sotto --data-dir <sandbox>/data ARGS` with a clean environment: no
    /// inherited SOTTO_* variables, HOME inside the sandbox, no terminal.
    fn sotto(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sotto"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("XDG_DATA_HOME", self.path("home/.local/share"))
            .arg("--data-dir")
            .arg(self.vault())
            .args(args)
            .stdin(Stdio::null());
        command
    }

    fn with_passphrase(&self, command: &mut Command, passphrase: &str) {
        let file = self.file("passphrase.txt", &format!("{passphrase}\n"));
        command.env("SOTTO_PASSPHRASE_FILE", file);
    }

    fn run(&self, args: &[&str], passphrase: Option<&str>) -> Output {
        let mut command = self.sotto(args);
        if let Some(p) = passphrase {
            self.with_passphrase(&mut command, p);
        }
        command.output().unwrap()
    }
}

/// The plaintext of the age file at `file` if the x25519 key `key_text`
/// (an `AGE-SECRET-KEY-1…` line) opens it: the age crate, as any age client.
fn age_open(key_text: &str, file: &Path) -> Option<Vec<u8>> {
    let identity: age::x25519::Identity = key_text.trim().parse().ok()?;
    age_open_with(&identity, file)
}

/// The plaintext of a passphrase-encrypted age file: the age crate, as any age client.
fn age_open_with_passphrase(passphrase: &str, file: &Path) -> Option<Vec<u8>> {
    age_open_with(&age::scrypt::Identity::new(passphrase.to_owned().into()), file)
}

fn age_open_with(identity: &dyn age::Identity, file: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let decryptor = age::Decryptor::new(std::fs::File::open(file).ok()?).ok()?;
    let mut reader = decryptor.decrypt(std::iter::once(identity)).ok()?;
    let mut plain = Vec::new();
    reader.read_to_end(&mut plain).ok()?;
    Some(plain)
}

/// Whether the calling test can run the stock `age` CLI (see support/external.rs).
fn stock_age() -> bool {
    support::external::available(&support::external::AGE)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}
