//! Failed unlock attempts, recorded without the key.
//!
//! A wrong passphrase must not open the database (sled rewrites files even on a
//! read-only open), yet the owner should learn of the attempt. Each attempt is
//! appended to `failed-unlocks.age` as one armored age file encrypted to the
//! vault recipient from the manifest: writing needs no secret, reading needs the
//! identity. The next successful unlock reads the entries, reports them, moves
//! them into the audit log and removes the file.

use std::io::{Read, Write};
use std::path::Path;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::fsutil;
use crate::crypto::VaultIdentity;
use crate::crypto::identity::decrypt_age;
use crate::time::Timestamp;

/// A side file larger than this is not read whole; an attacker who can append
/// to it can already do worse, but must not make an unlock run out of memory.
const MAX_SIDE_FILE_BYTES: u64 = 4 << 20;
const END_MARKER: &str = "-----END AGE ENCRYPTED FILE-----";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailedUnlockReason {
    WrongPassphrase,
    WrongIdentity,
}

/// One failed attempt as stored in the side file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedUnlock {
    /// Random id, so an attempt moved into the audit log twice (after a crash
    /// between the two steps) is recognised and kept once.
    pub id: String,
    pub at: Timestamp,
    pub reason: FailedUnlockReason,
}

/// Appends one failed attempt, encrypted to `recipient`.
pub(crate) fn record(
    path: &Path,
    recipient: &age::x25519::Recipient,
    reason: FailedUnlockReason,
) -> std::io::Result<()> {
    let mut id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let entry = FailedUnlock {
        id: fsutil::hex(&id),
        at: Timestamp::now(),
        reason,
    };
    let plaintext = serde_json::to_vec(&entry).expect("invariant: plain data serializes");
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .expect("invariant: a single X25519 recipient is always a valid recipient set");
    let mut armored = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut armored, age::armor::Format::AsciiArmor)?;
    let mut writer = encryptor.wrap_output(armor)?;
    writer.write_all(&plaintext)?;
    writer.finish()?.finish()?;
    fsutil::append_private_file(path, &armored)
}

/// What the side file held.
#[derive(Debug, Default)]
pub(crate) struct FailedUnlockLog {
    pub attempts: Vec<FailedUnlock>,
    /// Entries that did not decrypt with the vault identity (damaged, or written
    /// by someone to another key).
    pub unreadable: usize,
}

/// Reads every entry; a missing file is an empty log.
pub(crate) fn read(path: &Path, identity: &VaultIdentity) -> std::io::Result<FailedUnlockLog> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FailedUnlockLog::default()),
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    let mut bytes = Vec::new();
    file.take(MAX_SIDE_FILE_BYTES).read_to_end(&mut bytes)?;
    text.push_str(&String::from_utf8_lossy(&bytes));
    let mut log = FailedUnlockLog::default();
    for block in text.split_inclusive(END_MARKER).filter(|b| !b.trim().is_empty()) {
        let block = block.trim_start();
        let armored = age::armor::ArmoredReader::new(block.as_bytes());
        let mut binary = Vec::new();
        let entry = armored
            .take(MAX_SIDE_FILE_BYTES)
            .read_to_end(&mut binary)
            .ok()
            .and_then(|_| decrypt_age(&binary, identity.age()).ok())
            .and_then(|plain| serde_json::from_slice::<FailedUnlock>(&plain).ok());
        match entry {
            Some(entry) => log.attempts.push(entry),
            None => log.unreadable += 1,
        }
    }
    log.attempts.sort_by_key(|a| a.at);
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_readable_only_with_the_identity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed-unlocks.age");
        let identity = VaultIdentity::generate();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongIdentity).unwrap();
        let log = read(&path, &identity).unwrap();
        assert_eq!(log.attempts.len(), 2);
        assert_eq!(log.unreadable, 0);
        let other = read(&path, &VaultIdentity::generate()).unwrap();
        assert_eq!((other.attempts.len(), other.unreadable), (0, 2));
    }

    #[test]
    fn a_damaged_entry_does_not_hide_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed-unlocks.age");
        let identity = VaultIdentity::generate();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        fsutil::append_private_file(&path, b"garbage\n-----END AGE ENCRYPTED FILE-----\n").unwrap();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        let log = read(&path, &identity).unwrap();
        assert_eq!((log.attempts.len(), log.unreadable), (2, 1));
    }

    #[test]
    fn missing_file_means_no_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let log = read(&dir.path().join("nope"), &VaultIdentity::generate()).unwrap();
        assert!(log.attempts.is_empty());
    }
}
