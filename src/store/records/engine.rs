//! sled's handles for one database: opening them (waiting out sled's own
//! lock, which it lets go of asynchronously), closing them (without ever
//! waiting for ever on a database that failed), and sled's errors said in
//! sotto's words. Part of the record layer, the only code that names sled.

use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::super::db_files::refuse_planted_entries;
use super::super::error::VaultError;
use super::TreeId;

/// sled's handles, which share one page cache.
pub(super) struct Engine {
    pub db: sled::Db,
    pub trees: [sled::Tree; 6],
}

/// Databases this process had to leave open (see [`Engine::close`]): sled's
/// file lock stays taken until the process ends, so they cannot be reopened.
static ABANDONED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// sled's page cache. Its default, 1 GiB, let an import of 100,000 messages
/// grow the process past 60 MB; the chat reads a page of a conversation at a
/// time, which a few megabytes hold (the OS caches the file beneath).
const SLED_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// How long to wait for sled to release its own lock after a close.
const SLED_LOCK_PATIENCE: Duration = Duration::from_secs(5);

/// How long a close after a failure may take before it is given up on.
const CLOSE_PATIENCE: Duration = Duration::from_secs(2);

impl Engine {
    /// Opens (creating if needed) the database at `path` and its trees.
    ///
    /// Callers hold the vault lock, so no other process uses this database. If
    /// sled still finds its own file lock taken, the holder is a database this
    /// process just closed whose background threads have not let go yet; sled
    /// 0.34 releases it asynchronously, so the open is retried for a while.
    pub fn open(path: &Path) -> Result<Engine, VaultError> {
        let abandoned = ABANDONED.lock().unwrap_or_else(PoisonError::into_inner);
        if abandoned.iter().any(|p| p == path) {
            return Err(VaultError::WritesStopped { path: path.to_owned() });
        }
        drop(abandoned);
        refuse_planted_entries(path)?;
        let deadline = Instant::now() + SLED_LOCK_PATIENCE;
        let db = loop {
            match sled::Config::new()
                .path(path)
                .flush_every_ms(None)
                .cache_capacity(SLED_CACHE_BYTES)
                .open()
            {
                Ok(db) => break db,
                Err(e) if is_sled_lock_conflict(&e) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(storage_error(path, e)),
            }
        };
        let mut trees = Vec::with_capacity(TreeId::ALL.len());
        for id in TreeId::ALL {
            trees.push(db.open_tree(id.name()).map_err(|e| storage_error(path, e))?);
        }
        let trees: [sled::Tree; 6] = trees
            .try_into()
            .unwrap_or_else(|_| unreachable!("one tree was opened per TreeId"));
        Ok(Engine { db, trees })
    }

    /// Closes the database at `path`. sled flushes as it closes; after a
    /// failed write (`after_failure`) that flush may never return (see
    /// `Records::poisoned`), so the close runs on a thread of its own, and
    /// if it has not returned in a while the database is left open, its
    /// threads idle, until the process ends.
    pub fn close(self, path: &Path, after_failure: bool) {
        if !after_failure {
            return drop(self);
        }
        // A closure that never runs drops only a `ManuallyDrop`: nothing waits.
        let engine = ManuallyDrop::new(self);
        let (closed, close) = std::sync::mpsc::channel();
        let closing = std::thread::Builder::new()
            .name("sotto-db-close".into())
            .spawn(move || {
                drop(ManuallyDrop::into_inner(engine));
                let _ = closed.send(());
            });
        if closing.is_err() || close.recv_timeout(CLOSE_PATIENCE).is_err() {
            ABANDONED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(path.to_owned());
        }
    }
}

fn is_sled_lock_conflict(e: &sled::Error) -> bool {
    // sled 0.34 reports its lock file as a plain I/O error with this text.
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// A failure of the storage engine: disk trouble is an I/O error (the
/// message says which), anything else means the database is damaged.
pub(super) fn storage_error(path: &Path, e: sled::Error) -> VaultError {
    match e {
        sled::Error::Io(source) => VaultError::from_io("use the vault database", path.to_owned(), source),
        // sled's own text ("Read corrupted data at file offset None
        // backtrace ()") tells the user nothing they can act on.
        sled::Error::Corruption { .. } => VaultError::DatabaseCorrupted { path: path.to_owned() },
        sled::Error::Unsupported(what) => VaultError::Database {
            path: path.to_owned(),
            message: format!("the storage engine refused an operation ({what})"),
        },
        sled::Error::ReportableBug(_) => VaultError::Database {
            path: path.to_owned(),
            message: "the storage engine met a state it cannot handle".into(),
        },
        sled::Error::CollectionNotFound(_) => VaultError::Database {
            path: path.to_owned(),
            message: "one of its trees is missing".into(),
        },
    }
}
