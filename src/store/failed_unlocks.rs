//! Failed unlock attempts, recorded without the key.
//!
//! A wrong passphrase must not open the database (sled rewrites files even on a
//! read-only open), yet the owner should learn of the attempt. Each attempt is
//! appended to `failed-unlocks.age` as one armored age file encrypted to the
//! vault recipient from the manifest: writing needs no secret, reading needs the
//! identity. The next successful unlock reads the whole file as a stream, moves
//! the entries into the audit log together with a marker (length and SHA-256 of
//! what was imported) in one commit, then removes the file. If the process dies
//! between the commit and the removal, the marker says those bytes are done.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::audit::{self, AuditEvent};
use super::error::VaultError;
use super::fsutil;
use super::records::{Change, FAILED_UNLOCK_IMPORT_KEY, TreeId, open_value, seal_value};
use super::vault::Vault;
use crate::crypto::VaultIdentity;
use crate::time::Timestamp;

/// At most this many attempts are itemized in the audit log per unlock; more
/// (someone hammering the prompt, or appending junk) are counted, not listed.
pub(crate) const MAX_ITEMIZED: usize = 10_000;
/// An armored line is 64 characters; anything much longer is junk.
const MAX_LINE: u64 = 1024;
/// A real entry is about 400 bytes of armor.
const MAX_BLOCK: usize = 64 * 1024;
const BEGIN_MARKER: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
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
    /// Random id, kept with the audit event.
    pub id: String,
    pub at: Timestamp,
    pub reason: FailedUnlockReason,
}

/// Appends one failed attempt, encrypted to `recipient`.
pub(crate) fn record(path: &Path, recipient: &age::x25519::Recipient, reason: FailedUnlockReason) -> io::Result<()> {
    let mut id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let entry = FailedUnlock {
        id: fsutil::hex(&id),
        at: Timestamp::now(),
        reason,
    };
    let plaintext = serde_json::to_vec(&entry).expect("invariant: plain data serializes");
    let encryptor = crate::crypto::age_file::to_recipient(recipient);
    let mut armored = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut armored, age::armor::Format::AsciiArmor)?;
    let mut writer = encryptor.wrap_output(armor)?;
    writer.write_all(&plaintext)?;
    writer.finish()?.finish()?;
    fsutil::append_private_file(path, &armored)
}

/// How much of a side file was already imported: its first `len` bytes, which
/// hash to `sha256`. Stored sealed in the vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ImportMarker {
    pub len: u64,
    pub sha256: String,
}

/// What the side file held beyond the already-imported prefix.
#[derive(Debug, Default)]
pub(crate) struct FailedUnlockLog {
    /// The attempts, oldest first, at most [`MAX_ITEMIZED`].
    pub attempts: Vec<FailedUnlock>,
    /// Readable attempts beyond the itemized ones, and the latest time among them.
    pub not_itemized: u64,
    pub latest_not_itemized: Option<Timestamp>,
    /// Entries that did not decrypt with the vault identity (damaged, or junk).
    pub unreadable: u64,
    /// The marker covering the whole file as read.
    pub marker: Option<ImportMarker>,
}

#[cfg(test)]
impl FailedUnlockLog {
    pub fn is_empty(&self) -> bool {
        self.attempts.is_empty() && self.not_itemized == 0 && self.unreadable == 0
    }
}

/// Feeds everything read through it into a SHA-256.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    len: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

fn open_hashing(path: &Path) -> io::Result<Option<Hashing<File>>> {
    match super::fsutil::open_regular(path) {
        Ok(inner) => Ok(Some(Hashing {
            inner,
            hasher: Sha256::new(),
            len: 0,
        })),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the side file, skipping the prefix `done` covers if the file still
/// starts with it. A missing file is an empty log.
pub(crate) fn read(path: &Path, identity: &VaultIdentity, done: Option<&ImportMarker>) -> io::Result<FailedUnlockLog> {
    let Some(mut source) = open_hashing(path)? else {
        return Ok(FailedUnlockLog::default());
    };
    if let Some(done) = done {
        io::copy(&mut (&mut source).take(done.len), &mut io::sink())?;
        let prefix = fsutil::hex(&source.hasher.clone().finalize());
        if source.len != done.len || prefix != done.sha256 {
            // Not the file that was imported: read all of it.
            source = match open_hashing(path)? {
                Some(source) => source,
                None => return Ok(FailedUnlockLog::default()),
            };
        }
    }
    let mut reader = BufReader::new(source);
    let mut log = FailedUnlockLog::default();
    let mut block = String::new();
    let mut block_ok = true;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if !line.ends_with(b"\n") && n as u64 == MAX_LINE {
            // An overlong line: skip the rest of it and spoil the block.
            block_ok = false;
            skip_line(&mut reader)?;
        }
        let text = String::from_utf8_lossy(&line);
        let mut text = text.as_ref();
        if let Some(at) = text.find(BEGIN_MARKER) {
            // A new entry starts here, even glued to the end of a torn one.
            if !block.trim().is_empty() || !text[..at].trim().is_empty() {
                log.unreadable += 1; // a block that never ended
            }
            block.clear();
            block_ok = true;
            text = &text[at..];
        }
        let trimmed = text.trim();
        if block.len() + text.len() > MAX_BLOCK {
            block_ok = false;
        } else {
            block.push_str(text);
        }
        if trimmed == END_MARKER {
            let entry = if block_ok { open_entry(&block, identity) } else { None };
            match entry {
                Some(entry) if log.attempts.len() < MAX_ITEMIZED => log.attempts.push(entry),
                Some(entry) => {
                    log.not_itemized += 1;
                    log.latest_not_itemized = log.latest_not_itemized.max(Some(entry.at));
                }
                None => log.unreadable += 1,
            }
            block.clear();
            block_ok = true;
        }
    }
    if !block.trim().is_empty() {
        log.unreadable += 1; // a torn final append
    }
    let source = reader.into_inner();
    log.marker = Some(ImportMarker {
        len: source.len,
        sha256: fsutil::hex(&source.hasher.finalize()),
    });
    log.attempts.sort_by_key(|a| a.at);
    Ok(log)
}

/// Consumes the rest of the current line in bounded steps, whatever its length.
fn skip_line(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(end) => {
                reader.consume(end + 1);
                return Ok(());
            }
            None => {
                let len = buf.len();
                reader.consume(len);
            }
        }
    }
}

fn open_entry(armored: &str, identity: &VaultIdentity) -> Option<FailedUnlock> {
    let mut binary = Vec::new();
    age::armor::ArmoredReader::new(armored.trim_start().as_bytes())
        .take(MAX_BLOCK as u64)
        .read_to_end(&mut binary)
        .ok()?;
    let plaintext = crate::crypto::age_file::decrypt(&binary, identity.age()).ok()?;
    serde_json::from_slice(&plaintext).ok()
}

impl Vault {
    /// Moves the side file's entries into the audit log, with the import
    /// marker in the same commit, then removes the file.
    pub(crate) fn import_failed_unlocks(&mut self) -> Result<(), VaultError> {
        let path = self.paths.failed_unlocks();
        let done: Option<ImportMarker> = self
            .records
            .get(TreeId::Meta, FAILED_UNLOCK_IMPORT_KEY)?
            // A damaged marker only risks listing old attempts twice; verify reports it.
            .and_then(|sealed| open_value(&self.vault_key, TreeId::Meta, FAILED_UNLOCK_IMPORT_KEY, &sealed).ok());
        let log = read(&path, &self.identity, done.as_ref())
            .map_err(VaultError::io("read the failed-attempt records in", path.clone()))?;
        let Some(marker) = log.marker.clone() else {
            return Ok(()); // no side file
        };
        let mut events: Vec<(Timestamp, AuditEvent)> = log
            .attempts
            .iter()
            .map(|a| {
                let event = AuditEvent::UnlockFailed {
                    attempt: a.id.clone(),
                    reason: a.reason,
                };
                (a.at, event)
            })
            .collect();
        if log.not_itemized > 0 {
            let event = AuditEvent::UnlockFailuresSummarized {
                count: log.not_itemized,
                latest: log.latest_not_itemized,
            };
            events.push((log.latest_not_itemized.unwrap_or_else(Timestamp::now), event));
        }
        let mut changes = audit::append_changes(&self.records, &self.vault_key, events)?;
        changes.push(Change::Put {
            tree: TreeId::Meta,
            key: FAILED_UNLOCK_IMPORT_KEY.to_vec(),
            value: seal_value(&self.vault_key, TreeId::Meta, FAILED_UNLOCK_IMPORT_KEY, &marker),
        });
        self.records.commit(&changes)?;
        self.records.flush()?;
        // Reported from here on, whatever happens to the file: the events are
        // durable, and the marker keeps them from being imported twice.
        self.unlock_report.failed_attempts = log.attempts;
        self.unlock_report.more_attempts = log.not_itemized;
        self.unlock_report.latest_more = log.latest_not_itemized;
        self.unlock_report.unreadable_entries = log.unreadable;
        // If this fails the next unlock removes the file, skipping what the
        // marker covers.
        if fs::remove_file(&path).is_ok() {
            let _ = fsutil::sync_dir(self.paths.root());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, std::path::PathBuf, VaultIdentity) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed-unlocks.age");
        (dir, path, VaultIdentity::generate())
    }

    #[test]
    fn attempts_are_readable_only_with_the_identity() {
        let (_dir, path, identity) = setup();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongIdentity).unwrap();
        let log = read(&path, &identity, None).unwrap();
        assert_eq!((log.attempts.len(), log.unreadable), (2, 0));
        let other = read(&path, &VaultIdentity::generate(), None).unwrap();
        assert_eq!((other.attempts.len(), other.unreadable), (0, 2));
    }

    #[test]
    fn damaged_junk_and_overlong_entries_do_not_hide_the_others() {
        let (_dir, path, identity) = setup();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        fsutil::append_private_file(&path, b"garbage\n-----END AGE ENCRYPTED FILE-----\n").unwrap();
        let huge = format!("{BEGIN_MARKER}\n{}\n{END_MARKER}\n", "A".repeat(5000));
        fsutil::append_private_file(&path, huge.as_bytes()).unwrap();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        fsutil::append_private_file(&path, format!("{BEGIN_MARKER}\nYWdl").as_bytes()).unwrap(); // torn
        // The next real entry lands glued to the torn line and still counts.
        record(&path, &identity.recipient(), FailedUnlockReason::WrongIdentity).unwrap();
        let log = read(&path, &identity, None).unwrap();
        assert_eq!((log.attempts.len(), log.unreadable), (3, 3));
    }

    #[test]
    fn an_imported_prefix_is_skipped_and_a_different_file_is_read_whole() {
        let (_dir, path, identity) = setup();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        let first = read(&path, &identity, None).unwrap();
        let marker = first.marker.clone().unwrap();
        assert_eq!(marker.len, std::fs::metadata(&path).unwrap().len());
        record(&path, &identity.recipient(), FailedUnlockReason::WrongIdentity).unwrap();
        let next = read(&path, &identity, Some(&marker)).unwrap();
        assert_eq!(next.attempts.len(), 1);
        assert_eq!(next.attempts[0].reason, FailedUnlockReason::WrongIdentity);
        // A new file with different content is not mistaken for the imported one.
        std::fs::remove_file(&path).unwrap();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        assert_eq!(read(&path, &identity, Some(&marker)).unwrap().attempts.len(), 2);
    }

    #[test]
    fn beyond_the_itemized_limit_attempts_are_counted_not_listed() {
        let (_dir, path, identity) = setup();
        record(&path, &identity.recipient(), FailedUnlockReason::WrongPassphrase).unwrap();
        let one = std::fs::read(&path).unwrap();
        fsutil::append_private_file(&path, &one.repeat(MAX_ITEMIZED + 1)).unwrap();
        let log = read(&path, &identity, None).unwrap();
        assert_eq!(log.attempts.len(), MAX_ITEMIZED);
        assert_eq!(log.not_itemized, 2);
        assert!(log.latest_not_itemized.is_some());
    }

    #[test]
    fn missing_file_means_no_attempts() {
        let (_dir, path, identity) = setup();
        assert!(read(&path, &identity, None).unwrap().is_empty());
    }
}
