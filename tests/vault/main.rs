//! The vault through its library API, with real sled files in temp dirs and
//! real age: envelope encryption, the store API, failure behaviour, nothing
//! readable at rest, and durability under SIGKILL.

#[path = "../support/mod.rs"]
mod support;

mod api;
mod at_rest;
mod creation;
mod durability;
mod exchange;
mod faults;
mod forgery;
mod import_kill;
mod read_only;
mod recovery;
mod repair;
mod repair_kill;
mod rollback;
mod startup_record;
mod symlinks;
mod tampering;
mod unlock;
mod wipe;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use sotto::crypto::user_identity::UserIdentity;
use sotto::store::{
    AuditEvent, ConversationId, FailedUnlockReason, LockedVault, MessageMeta, NewMessage, NewProtection,
    RecordLocation, ReplyState, Role, Scope, Vault, VaultError,
};
use support::{
    assert_canary_absent, assert_unchanged_or_appended, copy_dir, flip_log_byte, long_log_vault, new_vault, passphrase,
    reopen, snapshot, unlock_error,
};

/// Runs the test `test` of this binary again as a child process with `env`
/// set to `value` (the child's side of a crash test), its stdout piped.
fn spawn_child_test(test: &str, env: &str, value: String) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, value)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs the test `test` as a child with `env` set to `value`, SIGKILLs it
/// after `delay`, and returns all it printed (read while it runs, or a full
/// pipe would stall it).
fn output_until_killed(test: &str, env: &str, value: String, delay: Duration) -> String {
    use std::io::Read;
    let mut child = spawn_child_test(test, env, value);
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap()
}

/// The complete lines a killed child printed (a line the kill cut short was
/// not acknowledged), without the "test NAME ... " libtest prints before the
/// first of them.
fn acknowledged_lines(out: &str) -> impl Iterator<Item = &str> {
    let complete = &out[..out.rfind('\n').map_or(0, |i| i + 1)];
    complete.lines().map(|line| {
        line.strip_prefix("test ")
            .and_then(|rest| rest.split_once(" ... "))
            .map_or(line, |(_, after)| after)
    })
}

/// Waits until the child prints a line ending in `word` (libtest prints
/// "test <name> ... " first, on the same line); false if it never does.
fn child_says(child: &mut std::process::Child, word: &str) -> bool {
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::lines(stdout).any(|line| line.unwrap().ends_with(word))
}

fn texts(messages: &[sotto::store::LoadedMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            m.as_ref()
                .map(|m| m.text.clone())
                .unwrap_or_else(|d| format!("<damaged #{}>", d.seq))
        })
        .collect()
}
