//! The disk boundary: the only code that talks to sled. Every value written
//! here is a [`Sealed`]: a record sealed with a data key ([`seal_value`]) or
//! a data key wrapped with age. Only crypto makes one, so no readable byte
//! reaches the database, and the compiler checks it. Keeping sled
//! behind this narrow type is what would let the engine be swapped.
//!
//! The trees and what they hold are listed in `trees`.
//!
//! Once armed with the vault's integrity state, every commit also rewrites
//! the sealed state record in the same transaction (see `integrity`).
//!
//! sled's handles themselves, their opening and closing, and its errors in
//! sotto's words are in `engine`.

mod engine;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};

use super::db_files::blob_names;
use super::error::VaultError;
use super::fsutil;
use super::integrity::{self, StateRecord, Tracker};
pub use super::sealing::RecordError;
pub(crate) use super::sealing::{Change, open_value, seal_value};
pub(crate) use super::trees::{FAILED_UNLOCK_IMPORT_KEY, SETTINGS_KEY, TreeId, VAULT_KEY_ID};
use crate::crypto::{DataKey, Sealed};
use engine::{Engine, storage_error};

/// A record as read back: its key and its sealed bytes.
pub(crate) type StoredRecord = (sled::IVec, sled::IVec);

pub(crate) struct Records {
    path: PathBuf,
    /// Dropped by hand (see `Drop`): after a failure sled's own drop may wait
    /// for ever (see `poisoned`).
    engine: ManuallyDrop<Engine>,
    /// sled's log file. sled's own flush on Linux is `sync_file_range`, which
    /// neither empties the disk's write cache nor records the file's new size,
    /// so every flush is followed by an `fdatasync` of this file.
    log: File,
    /// Blob files (`db/blobs/`, where sled puts large values) known to be
    /// synced. sled writes them with a plain `write_all` and never syncs them,
    /// so each flush syncs the new ones and the directory.
    synced_blobs: RefCell<HashSet<OsString>>,
    /// Set by the first failed flush or commit. Linux reports a failed
    /// write-back only once, so after that nothing can be trusted to be on
    /// disk, and nothing may claim it is (the watermark is not raised). sled
    /// is not asked again either: in 0.34 a commit that failed writing a
    /// blob leaves a log reservation that is never completed, and every later
    /// flush, its own drop's too, waits for it for ever (seen with `sotto
    /// ask` on a full disk).
    poisoned: Cell<bool>,
    /// Commits not yet flushed. sled's own flusher thread (which woke every
    /// 500 ms, for ever) is off: whoever commits flushes, at the latest when
    /// its job ends (`flush_pending`) or when the database is closed.
    unflushed: Cell<bool>,
    /// The integrity state every commit brings forward, once armed.
    tracker: RefCell<Option<Tracker>>,
    /// Commits applied in this session (see `commits`).
    commits: Cell<u64>,
}

impl Records {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, VaultError> {
        fsutil::restrict_umask();
        let engine = Engine::open(path)?;
        let log_path = path.join("db");
        let log = File::open(&log_path).map_err(VaultError::io("open the vault database log", log_path))?;
        // Blobs present at open were synced by the session that wrote them.
        let synced_blobs = blob_names(&path.join("blobs")).map_err(VaultError::io("list", path.join("blobs")))?;
        Ok(Records {
            path: path.to_owned(),
            engine: ManuallyDrop::new(engine),
            log,
            synced_blobs: RefCell::new(synced_blobs),
            poisoned: Cell::new(false),
            unflushed: Cell::new(false),
            tracker: RefCell::new(None),
            commits: Cell::new(0),
        })
    }

    fn tree(&self, id: TreeId) -> &sled::Tree {
        &self.engine.trees[id as usize]
    }

    /// Makes every write so far durable: sled's flush, then `fdatasync` of its
    /// log. Nothing is acknowledged to the user before this returns.
    pub fn flush(&self) -> Result<(), VaultError> {
        self.refuse_if_poisoned()?;
        let result = self
            .engine
            .db
            .flush()
            .map_err(|e| self.storage(e))
            .and_then(|_| {
                self.log
                    .sync_data()
                    .map_err(VaultError::io("sync the vault database", self.path.clone()))
            })
            .and_then(|()| self.sync_new_blobs());
        match &result {
            Ok(()) => self.unflushed.set(false),
            Err(_) => self.poisoned.set(true),
        }
        result
    }

    /// How many commits were applied (or tried) in this session: what was
    /// read at one count is still what is stored while the count holds.
    pub fn commits(&self) -> u64 {
        self.commits.get()
    }

    /// Flushes if anything was committed since the last flush.
    pub fn flush_pending(&self) -> Result<(), VaultError> {
        if self.unflushed.get() { self.flush() } else { Ok(()) }
    }

    /// Whether a flush or commit has failed in this session (see `poisoned`).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.get()
    }

    fn refuse_if_poisoned(&self) -> Result<(), VaultError> {
        if self.poisoned.get() {
            return Err(VaultError::WritesStopped {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    fn sync_new_blobs(&self) -> Result<(), VaultError> {
        let dir = self.path.join("blobs");
        let io = |e| VaultError::from_io("sync the vault database blobs in", dir.clone(), e);
        let names = blob_names(&dir).map_err(io)?;
        let mut synced = self.synced_blobs.borrow_mut();
        let mut any_new = false;
        for name in names.iter().filter(|n| !synced.contains(*n)) {
            File::open(dir.join(name)).and_then(|f| f.sync_all()).map_err(io)?;
            any_new = true;
        }
        if any_new {
            fsutil::sync_dir(&dir).map_err(io)?;
        }
        *synced = names;
        Ok(())
    }

    /// A failure of the storage engine: disk trouble is an I/O error (the
    /// message says which), anything else means the database is damaged.
    pub fn storage(&self, e: sled::Error) -> VaultError {
        storage_error(&self.path, e)
    }

    /// A write refused because a record is already under `key`: a record
    /// that should not exist, so damage (a new record never replaces one).
    pub fn already_there(&self, tree: TreeId, key: &[u8]) -> VaultError {
        self.inconsistent(format!(
            "record '{}' in tree '{}' already exists; refusing to overwrite it (run 'sotto verify')",
            fsutil::hex(key),
            tree.name()
        ))
    }

    /// Records that contradict each other: damage, whatever the cause.
    pub fn inconsistent(&self, what: impl std::fmt::Display) -> VaultError {
        VaultError::Database {
            path: self.path.clone(),
            message: what.to_string(),
        }
    }

    pub fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<sled::IVec>, VaultError> {
        self.tree(tree).get(key).map_err(|e| self.storage(e))
    }

    pub fn put(&self, tree: TreeId, key: &[u8], value: Sealed) -> Result<(), VaultError> {
        self.commit(&[Change::Put {
            tree,
            key: key.to_vec(),
            value,
        }])
    }

    /// Starts bringing `tracker`'s state forward with every commit.
    pub fn arm(&self, tracker: Tracker) {
        *self.tracker.borrow_mut() = Some(tracker);
    }

    /// Stops bringing a state forward (one armed for a commit that failed).
    pub fn disarm(&self) {
        *self.tracker.borrow_mut() = None;
    }

    /// The integrity state as of the last commit, once armed.
    pub fn state(&self) -> Option<StateRecord> {
        self.tracker.borrow().as_ref().map(|t| t.state.clone())
    }

    /// Runs `f` on the armed tracker (to read its key, or to mark a state
    /// change that the next commit writes).
    pub fn with_tracker<R>(&self, f: impl FnOnce(&mut Tracker) -> R) -> Option<R> {
        self.tracker.borrow_mut().as_mut().map(f)
    }

    /// Applies `changes` atomically: after a crash either all are there or none.
    /// Not durable until [`Records::flush`].
    pub fn commit(&self, changes: &[Change]) -> Result<(), VaultError> {
        self.commit_sealing_state(changes, None, |_| {})
    }

    /// [`commit`](Self::commit) for a rotation: the state record is sealed
    /// under the new vault key, which seals it from then on.
    pub fn commit_rekeyed(&self, changes: &[Change], new_vault_key: &DataKey) -> Result<(), VaultError> {
        self.commit_sealing_state(changes, Some(new_vault_key), |_| {})
    }

    /// [`commit`](Self::commit) with `edit` applied to the state it writes,
    /// in the same transaction (the settings kept in the state; a digest
    /// taken again on acknowledgement). Without a tracker it is a commit.
    pub fn commit_with_state(&self, changes: &[Change], edit: impl FnOnce(&mut StateRecord)) -> Result<(), VaultError> {
        self.commit_sealing_state(changes, None, edit)
    }

    fn commit_sealing_state(
        &self,
        changes: &[Change],
        new_vault_key: Option<&DataKey>,
        edit: impl FnOnce(&mut StateRecord),
    ) -> Result<(), VaultError> {
        let mut tracker = self.tracker.borrow_mut();
        let next = match tracker.as_ref() {
            Some(t) => {
                let before = self.values_before(changes)?;
                let mut state = t.advance(changes, &before);
                edit(&mut state);
                let seal_key = new_vault_key.unwrap_or(&t.seal_key);
                let record = Change::Put {
                    tree: TreeId::Meta,
                    key: integrity::STATE_KEY.to_vec(),
                    value: seal_value(seal_key, TreeId::Meta, integrity::STATE_KEY, &state),
                };
                Some((state, record))
            }
            None => None,
        };
        self.apply(changes.iter().chain(next.as_ref().map(|(_, record)| record)))?;
        if let (Some(t), Some((state, _))) = (tracker.as_mut(), next) {
            t.state = state;
            if let Some(key) = new_vault_key {
                t.seal_key = key.clone();
            }
        }
        Ok(())
    }

    /// What each digested record that `changes` touch held before them, in
    /// their order (`None` for records not digested, new or absent).
    fn values_before(&self, changes: &[Change]) -> Result<Vec<Option<Vec<u8>>>, VaultError> {
        let mut seen: std::collections::HashMap<(TreeId, &[u8]), Option<&[u8]>> = std::collections::HashMap::new();
        let mut before = Vec::with_capacity(changes.len());
        for change in changes {
            let (tree, key, new) = match change {
                Change::Put { tree, key, value } => (*tree, key.as_slice(), Some(value.as_bytes())),
                // An append never replaces: if the record exists the commit is refused.
                Change::Create { tree, key, value } => {
                    before.push(None);
                    seen.insert((*tree, key.as_slice()), Some(value.as_bytes()));
                    continue;
                }
                Change::Remove { tree, key } => (*tree, key.as_slice(), None),
            };
            if !integrity::is_digested(tree, key) {
                before.push(None);
                continue;
            }
            let old = match seen.get(&(tree, key)) {
                Some(value) => value.map(<[u8]>::to_vec),
                None => self.get(tree, key)?.map(|v| v.to_vec()),
            };
            before.push(old);
            seen.insert((tree, key), new);
        }
        Ok(before)
    }

    fn apply<'a>(&self, changes: impl Iterator<Item = &'a Change> + Clone) -> Result<(), VaultError> {
        use sled::Transactional;
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        self.refuse_if_poisoned()?;
        let trees: Vec<&sled::Tree> = self.engine.trees.iter().collect();
        self.unflushed.set(true);
        self.commits.set(self.commits.get() + 1);
        let result = trees.as_slice().transaction(|views| {
            for change in changes.clone() {
                match change {
                    Change::Put { tree, key, value } => {
                        views[*tree as usize].insert(key.as_slice(), value.as_bytes())?;
                    }
                    Change::Create { tree, key, value } => {
                        let view = &views[*tree as usize];
                        if view.get(key.as_slice())?.is_some() {
                            return Err(ConflictableTransactionError::Abort((*tree, key.clone())));
                        }
                        view.insert(key.as_slice(), value.as_bytes())?;
                    }
                    Change::Remove { tree, key } => {
                        views[*tree as usize].remove(key.as_slice())?;
                    }
                }
            }
            Ok(())
        });
        result.map_err(|e: TransactionError<(TreeId, Vec<u8>)>| match e {
            TransactionError::Abort((tree, key)) => self.already_there(tree, &key),
            TransactionError::Storage(e) => {
                self.poisoned.set(true);
                self.storage(e)
            }
        })
    }

    /// Every record of `tree`, in key order.
    pub fn scan(&self, tree: TreeId) -> impl DoubleEndedIterator<Item = Result<StoredRecord, VaultError>> + '_ {
        self.tree(tree).iter().map(|item| item.map_err(|e| self.storage(e)))
    }

    /// The records of `tree` whose keys start with `prefix`, in key order.
    pub fn scan_prefix(
        &self,
        tree: TreeId,
        prefix: &[u8],
    ) -> impl DoubleEndedIterator<Item = Result<StoredRecord, VaultError>> + '_ {
        self.tree(tree)
            .scan_prefix(prefix)
            .map(|item| item.map_err(|e| self.storage(e)))
    }
}

impl Records {
    /// The records of `tree` with keys in `range`, in key order.
    pub fn scan_range(
        &self,
        tree: TreeId,
        range: std::ops::Range<&[u8]>,
    ) -> impl DoubleEndedIterator<Item = Result<StoredRecord, VaultError>> + '_ {
        self.tree(tree)
            .range(range)
            .map(|item| item.map_err(|e| self.storage(e)))
    }
}

impl Drop for Records {
    /// Nothing committed is left to the operating system's whim at close
    /// (after a failure nothing more is tried: see `poisoned`).
    fn drop(&mut self) {
        if !self.poisoned.get() {
            let _ = self.flush_pending();
        }
        // SAFETY: `engine` is taken only here, and `self` is never used again.
        let engine = unsafe { ManuallyDrop::take(&mut self.engine) };
        engine.close(&self.path, self.poisoned.get());
    }
}
