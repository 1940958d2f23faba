//! Rolling sealed snapshots (`snapshots/` in the data directory): every
//! record of the vault copied, still sealed, into one file that `sotto
//! repair` can rebuild the vault from when the database is damaged (see
//! `file` for the format).
//!
//! When one is taken (by whoever has the vault open: the chat screen's store
//! thread after each job, and any command as it closes the vault):
//! - none exists yet, or the vault changed since the newest and either the
//!   newest is small ([`CHEAP_BYTES`], so a new one costs milliseconds) or
//!   [`EVERY_COMMITS`] commits or [`EVERY`] have passed since it;
//! - when the chat screen closes or locks, whenever the vault changed.
//!
//! At most [`KEEP`] are kept, each the size of the live records (no sled log
//! or free space). None is taken when the file system would be left with
//! less than [`FREE_MARGIN`] free, so a snapshot never takes the room a
//! message needs; the user is told.
//!
//! A snapshot holds the vault key wrapped to the identity, so an identity
//! rotation (every wipe, rekey and passphrase change is one) makes every
//! older snapshot unreadable for good, the same way it does the leftover
//! bytes in sled. They are removed, and a new one taken, right after the
//! rotation; a snapshot whose wrapped key is not the vault's own is removed
//! whenever snapshots are next written.

pub(crate) mod file;

use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use self::file::{SnapshotSummary, SnapshotWriter};
use super::error::VaultError;
use super::fsutil;
use super::integrity::{INTEGRITY_KEY, STATE_KEY};
use super::records::{TreeId, VAULT_KEY_ID};
use super::vault::Vault;
use crate::time::Timestamp;

/// Snapshots kept; the oldest goes when a new one is written.
pub const KEEP: usize = 3;
/// Commits after which the next job's end takes a snapshot (a message and
/// its reply are two or three).
pub const EVERY_COMMITS: u64 = 200;
/// Time after which any change is worth a snapshot.
pub const EVERY: Duration = Duration::from_secs(10 * 60);
/// A vault whose snapshot is no bigger than this gets a new one after every
/// change: writing it costs a few milliseconds.
pub const CHEAP_BYTES: u64 = 4 << 20;
/// Free space a snapshot must leave on the file system.
pub const FREE_MARGIN: u64 = 64 << 20;

const PREFIX: &str = "snapshot-";
const SUFFIX: &str = ".sealed";
const PARTIAL_PREFIX: &str = ".partial-";

/// When [`Vault::snapshot_if_due`] is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotMoment {
    /// After a job, or as a command closes the vault.
    Routine,
    /// The chat screen closes or locks.
    Closing,
}

/// A snapshot on disk, from its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotFile {
    pub path: PathBuf,
    pub generation: u64,
    pub taken_at: Timestamp,
}

/// A snapshot just written.
#[derive(Clone, Debug)]
pub struct SnapshotTaken {
    pub path: PathBuf,
    pub records: u64,
    pub bytes: u64,
    pub took: Duration,
}

/// The snapshots in `dir`, newest first. Anything else there is ignored.
pub fn list(dir: &Path) -> Vec<SnapshotFile> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<SnapshotFile> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let (generation, taken) = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?.split_once('-')?;
            Some(SnapshotFile {
                path: entry.path(),
                generation: generation.parse().ok()?,
                taken_at: Timestamp::from_unix_ms(taken.parse().ok()?),
            })
        })
        .collect();
    found.sort_by_key(|s| std::cmp::Reverse((s.generation, s.taken_at)));
    found
}

impl Vault {
    /// Takes a snapshot if one is due at `moment` (see the module).
    pub fn snapshot_if_due(&mut self, moment: SnapshotMoment) -> Result<Option<SnapshotTaken>, VaultError> {
        let Some(generation) = self.records.state().map(|s| s.generation) else {
            return Ok(None);
        };
        let due = match list(&self.paths.snapshots()).first() {
            None => true,
            Some(newest) if newest.generation >= generation => false,
            Some(_) if moment == SnapshotMoment::Closing => true,
            Some(newest) => {
                let age = Timestamp::now().as_unix_ms() - newest.taken_at.as_unix_ms();
                let cheap = fs::metadata(&newest.path).is_ok_and(|m| m.len() <= CHEAP_BYTES);
                cheap || generation - newest.generation >= EVERY_COMMITS || age >= EVERY.as_millis() as i64
            }
        };
        if due { self.take_snapshot().map(Some) } else { Ok(None) }
    }

    /// Writes a snapshot of the vault as it is now, atomically, and removes
    /// the oldest beyond [`KEEP`] and any the vault key no longer opens.
    pub fn take_snapshot(&mut self) -> Result<SnapshotTaken, VaultError> {
        let started = Instant::now();
        self.records.flush_pending()?;
        let dir = self.paths.snapshots();
        let io = |action| VaultError::io(action, dir.clone());
        match fsutil::create_private_dir(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(io("create the snapshot directory")(e));
            }
            _ => {}
        }
        self.check_room_for_snapshot(&dir)?;
        let wrapped = self
            .records
            .get(TreeId::Keys, VAULT_KEY_ID)?
            .ok_or_else(|| VaultError::VaultKeyDamaged {
                reason: "it is missing".into(),
            })?;
        let generation = self.records.state().map_or(0, |s| s.generation);
        let taken_at = Timestamp::now();
        let partial = dir.join(format!("{PARTIAL_PREFIX}{}", fsutil::hex(&rand::random::<[u8; 8]>())));
        let written = self.write_snapshot(&partial, &wrapped, generation, taken_at);
        let (records, bytes) = match written {
            Ok(done) => done,
            Err(e) => {
                let _ = fs::remove_file(&partial);
                return Err(e);
            }
        };
        let path = dir.join(format!("{PREFIX}{generation:020}-{}{SUFFIX}", taken_at.as_unix_ms()));
        fs::rename(&partial, &path).map_err(io("name the new snapshot in"))?;
        fsutil::sync_dir(&dir).map_err(io("sync"))?;
        self.prune_snapshots(&dir, &path, &wrapped);
        Ok(SnapshotTaken {
            path,
            records,
            bytes,
            took: started.elapsed(),
        })
    }

    /// After a rotation: the old snapshots open with nothing that still
    /// exists; they go, and one under the new identity is taken.
    pub(crate) fn renew_snapshots(&mut self) -> Result<SnapshotTaken, VaultError> {
        for old in list(&self.paths.snapshots()) {
            let _ = fs::remove_file(&old.path);
        }
        self.take_snapshot()
    }

    fn write_snapshot(
        &self,
        path: &Path,
        wrapped: &[u8],
        generation: u64,
        taken_at: Timestamp,
    ) -> Result<(u64, u64), VaultError> {
        let io = |action| VaultError::io(action, path.to_owned());
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(io("create the snapshot"))?;
        let mut writer = SnapshotWriter::new(BufWriter::with_capacity(1 << 18, file), wrapped, &self.vault_key)
            .map_err(io("write the snapshot"))?;
        let (mut conversations, mut messages) = (0, 0);
        for tree in TreeId::ALL {
            for item in self.records.scan(tree) {
                let (key, value) = item?;
                // The integrity state belongs to one exact set of records; a
                // vault rebuilt from this one makes its own.
                if tree == TreeId::Meta && [STATE_KEY, INTEGRITY_KEY].contains(&&*key) {
                    continue;
                }
                match tree {
                    TreeId::Index => conversations += 1,
                    TreeId::Messages => messages += 1,
                    _ => {}
                }
                writer.record(tree, &key, &value).map_err(io("write the snapshot"))?;
            }
        }
        let summary = SnapshotSummary {
            taken_at,
            generation,
            records: writer.records(),
            conversations,
            messages,
        };
        let records = summary.records;
        let file: File = writer
            .finish(&summary)
            .and_then(|buffered| buffered.into_inner().map_err(|e| e.into_error()))
            .map_err(io("write the snapshot"))?;
        file.sync_all().map_err(io("sync the snapshot"))?;
        let bytes = file.metadata().map_err(io("read the size of the snapshot"))?.len();
        Ok((records, bytes))
    }

    /// Refuses a snapshot that would leave less than [`FREE_MARGIN`] free.
    fn check_room_for_snapshot(&self, dir: &Path) -> Result<(), VaultError> {
        let needed = match list(dir).first() {
            Some(newest) => fs::metadata(&newest.path).map_or(0, |m| m.len()),
            None => fsutil::tree_size(&self.paths.database()).unwrap_or(0),
        } + FREE_MARGIN;
        let free = fsutil::free_space(dir).map_err(VaultError::io("read the free space of", dir.to_owned()))?;
        if free < needed {
            return Err(VaultError::NoRoomForSnapshot {
                path: dir.to_owned(),
                free,
                needed,
            });
        }
        Ok(())
    }

    /// Keeps the newest [`KEEP`] (counting `newest`), removes the rest, any
    /// the vault key is no longer wrapped in, and partial files left by a
    /// crash. Best effort: a snapshot left behind is still sealed.
    fn prune_snapshots(&self, dir: &Path, newest: &Path, wrapped: &[u8]) {
        let current = |path: &Path| {
            File::open(path)
                .ok()
                .and_then(|f| file::SnapshotReader::new(std::io::BufReader::new(f)).ok())
                .is_some_and(|r| r.wrapped_vault_key == wrapped)
        };
        let mut kept = 0;
        for snapshot in list(dir) {
            if snapshot.path == newest || (kept < KEEP && current(&snapshot.path)) {
                kept += 1;
                continue;
            }
            let _ = fs::remove_file(&snapshot.path);
        }
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.filter_map(Result::ok) {
                if entry.file_name().to_string_lossy().starts_with(PARTIAL_PREFIX) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }
}
