//! Shared helpers for the integration tests: vaults with a cheap KDF, file
//! snapshots, byte scans for canaries, and a pseudo-terminal for programs that
//! insist on a terminal.

#![allow(dead_code)]

pub mod external;
pub mod forensics;
pub mod forgery;
pub mod http;
pub mod pty;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use sotto::crypto::KdfCost;
use sotto::store::{LockedVault, NewProtection, Vault};

pub const PASSPHRASE: &str = "plinth walrus cobalt ember quaver";

/// A cheap scrypt cost so tests do not pay the real unlock time.
pub fn cheap_kdf() -> KdfCost {
    KdfCost::from_log_n(4).expect("4 is a valid work factor")
}

pub fn passphrase() -> SecretString {
    SecretString::from(PASSPHRASE.to_owned())
}

/// Tries to create a passphrase-protected vault at `root` with the cheap KDF.
pub fn try_new_vault(root: &Path) -> Result<Vault, sotto::store::VaultError> {
    Vault::create(
        root,
        NewProtection::Passphrase {
            passphrase: &passphrase(),
            cost: cheap_kdf(),
        },
    )
}

/// A new passphrase-protected vault at `root` with the cheap KDF.
pub fn new_vault(root: &Path) -> Vault {
    try_new_vault(root).expect("creating a test vault")
}

/// The sled key of message `seq` of conversation `id`: id ‖ seq (u64 BE).
pub fn message_key(id: sotto::store::ConversationId, seq: u64) -> Vec<u8> {
    let mut key = id.as_bytes().to_vec();
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// Opens the vault at `root` with the test passphrase.
pub fn reopen(root: &Path) -> Vault {
    LockedVault::open(root)
        .and_then(|locked| locked.unlock_and_open(Some(&passphrase())))
        .expect("reopening the test vault")
}

/// The error `unlock` gives for the vault at `root` with the test passphrase.
pub fn unlock_error(root: &Path) -> sotto::store::VaultError {
    match LockedVault::open(root).and_then(|locked| locked.unlock(Some(&passphrase()))) {
        Err(e) => e,
        Ok(_) => panic!("the vault at '{}' unlocked", root.display()),
    }
}

/// A vault at `root` with one conversation of 50 messages of 300-odd bytes,
/// closed: enough log for sled to discard a tail when a byte in it flips.
pub fn long_log_vault(root: &Path) -> sotto::store::ConversationId {
    let mut vault = new_vault(root);
    let id = vault.create_conversation("bit rot").unwrap();
    for i in 0..50 {
        vault
            .append_message(
                id,
                sotto::store::NewMessage::user(&format!("message {i} {}", "y".repeat(300))),
            )
            .unwrap();
    }
    id
}

/// Flips one bit at `percent` of the used part of sled's log under `root`.
pub fn flip_log_byte(root: &Path, percent: usize) {
    let log = root.join("db/db");
    let mut bytes = std::fs::read(&log).unwrap();
    let used = bytes.iter().rposition(|b| *b != 0).unwrap();
    bytes[used * percent / 100] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
}

/// Copies the directory tree `from` to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Opens the vault's sled database directly, as an attacker with the files
/// would. sled releases its file lock a moment after a vault closes, so a
/// refused lock is retried for a while.
pub fn open_sled_directly(root: &Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match sled::open(root.join("db")) {
            Ok(db) => return db,
            Err(e) if e.to_string().contains("could not acquire lock") && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("opening sled at '{}': {e}", root.display()),
        }
    }
}

/// Every regular file under `root`, with its bytes.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("listing a test directory") {
            let entry = entry.expect("reading a directory entry");
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                files.insert(entry.path(), std::fs::read(entry.path()).expect("reading a test file"));
            }
        }
    }
    files
}

/// Asserts every file in `before` is still there and byte-identical, or only
/// had bytes appended. New files are allowed.
pub fn assert_unchanged_or_appended(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) {
    for (path, old) in before {
        let new = after
            .get(path)
            .unwrap_or_else(|| panic!("'{}' disappeared", path.display()));
        assert!(
            new.starts_with(old),
            "'{}' was altered (was {} bytes, now {} bytes, not an append)",
            path.display(),
            old.len(),
            new.len()
        );
    }
}

/// Every encoding of `canary` a careless program might write.
pub fn canary_forms(canary: &str) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    let mut forms = vec![("utf-8".to_owned(), canary.as_bytes().to_vec())];
    forms.push((
        "utf-16le".into(),
        canary.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    ));
    forms.push((
        "utf-16be".into(),
        canary.encode_utf16().flat_map(u16::to_be_bytes).collect(),
    ));
    forms.push(("lowercase".into(), canary.to_lowercase().into_bytes()));
    // base64 of the canary at each of the three alignments; the middle of the
    // encoding is what survives whatever surrounds it.
    for offset in 0..3 {
        let padded = format!("{}{}", "x".repeat(offset), canary);
        for engine in [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::URL_SAFE,
        ] {
            let encoded = engine.encode(padded.as_bytes());
            // Only whole 3-byte groups made of canary bytes encode the same
            // whatever surrounds the canary.
            let start = 4 * offset.div_ceil(3);
            let end = 4 * (padded.len() / 3);
            let stable = &encoded[start..end];
            forms.push((format!("base64 offset {offset}"), stable.as_bytes().to_vec()));
        }
    }
    forms
}

/// Asserts no form of `canary` appears in any file under any of `roots`.
pub fn assert_canary_absent(roots: &[&Path], canary: &str) {
    let forms = canary_forms(canary);
    for root in roots {
        for (path, bytes) in snapshot(root) {
            for (name, form) in &forms {
                assert!(
                    !bytes.windows(form.len()).any(|w| w == form.as_slice()),
                    "the canary ({name}) is readable in '{}'",
                    path.display()
                );
            }
        }
    }
}
