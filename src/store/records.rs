//! The disk boundary: the only code that talks to sled. Every value written
//! here is a [`Sealed`]: a record sealed with a data key ([`seal_value`]) or
//! a data key wrapped with age. Only crypto makes one, so no readable byte
//! reaches the database, and the compiler checks it. Keeping sled
//! behind this narrow type is what would let the engine be swapped.
//!
//! Trees and their keys (all keys are random ids or sequence numbers):
//!
//! | tree       | key                       | value                                  |
//! |------------|---------------------------|----------------------------------------|
//! | `keys`     | `vault` or conversation id | data key wrapped with age              |
//! | `index`    | conversation id           | sealed conversation entry (vault key)  |
//! | `messages` | conversation id ‖ seq     | sealed message (conversation key)      |
//! | `audit`    | seq                       | sealed audit event (vault key)         |
//! | `settings` | `settings`                | sealed settings map (vault key)        |
//! | `meta`     | `failed-unlock-import`    | sealed import marker (vault key)       |
//! | `meta`     | `integrity-key`, `state`  | sealed digest key and state (see `integrity`) |
//! | `meta`     | `recovery-recipient`      | sealed recovery key's recipient        |
//!
//! Once armed with the vault's integrity state, every commit also rewrites
//! the sealed state record in the same transaction (see `integrity`).

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::error::VaultError;
use super::fsutil;
use super::integrity::{self, StateRecord, Tracker};
use crate::crypto::seal::{self, RecordSlot, SealError};
use crate::crypto::{DataKey, Sealed};

/// The trees of the vault database. Their names are bound into every sealed
/// record's AAD, so this enum is the one place they are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TreeId {
    Keys,
    Index,
    Messages,
    Audit,
    Settings,
    Meta,
}

impl TreeId {
    pub const ALL: [TreeId; 6] = [
        TreeId::Keys,
        TreeId::Index,
        TreeId::Messages,
        TreeId::Audit,
        TreeId::Settings,
        TreeId::Meta,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TreeId::Keys => "keys",
            TreeId::Index => "index",
            TreeId::Messages => "messages",
            TreeId::Audit => "audit",
            TreeId::Settings => "settings",
            TreeId::Meta => "meta",
        }
    }
}

pub(crate) const VAULT_KEY_ID: &[u8] = b"vault";
pub(crate) const SETTINGS_KEY: &[u8] = b"settings";
/// In `meta`: which bytes of the failed-unlock side file were already imported.
pub(crate) const FAILED_UNLOCK_IMPORT_KEY: &[u8] = b"failed-unlock-import";

/// A record as read back: its key and its sealed bytes.
pub(crate) type StoredRecord = (sled::IVec, sled::IVec);

/// One write in an atomic [`Records::commit`].
pub(crate) enum Change {
    /// Insert or replace.
    Put {
        tree: TreeId,
        key: Vec<u8>,
        value: Sealed,
    },
    /// Insert a record that must not exist yet: appends never overwrite. If it
    /// exists the whole commit is refused as an inconsistency.
    Create {
        tree: TreeId,
        key: Vec<u8>,
        value: Sealed,
    },
    Remove {
        tree: TreeId,
        key: Vec<u8>,
    },
}

/// Why a stored record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("the record opened but its contents do not decode ({0})")]
    Decode(String),
}

pub(crate) struct Records {
    path: PathBuf,
    db: sled::Db,
    trees: [sled::Tree; 6],
    /// sled's log file. sled's own flush on Linux is `sync_file_range`, which
    /// neither empties the disk's write cache nor records the file's new size,
    /// so every flush is followed by an `fdatasync` of this file.
    log: File,
    /// Blob files (`db/blobs/`, where sled puts large values) known to be
    /// synced. sled writes them with a plain `write_all` and never syncs them,
    /// so each flush syncs the new ones and the directory.
    synced_blobs: RefCell<HashSet<OsString>>,
    /// Set by the first failed flush. Linux reports a failed write-back only
    /// once, so after that nothing can be trusted to be on disk, and nothing
    /// may claim it is (the watermark is not raised).
    poisoned: Cell<bool>,
    /// The integrity state every commit brings forward, once armed.
    tracker: RefCell<Option<Tracker>>,
}

impl Records {
    /// Opens (creating if needed) the database at `path`.
    ///
    /// Callers hold the vault lock, so no other process uses this database. If
    /// sled still finds its own file lock taken, the holder is a database this
    /// process just closed whose background threads have not let go yet; sled
    /// 0.34 releases it asynchronously, so the open is retried for a while.
    pub fn open(path: &Path) -> Result<Self, VaultError> {
        fsutil::restrict_umask();
        refuse_planted_entries(path)?;
        let deadline = std::time::Instant::now() + SLED_LOCK_PATIENCE;
        let db = loop {
            match sled::Config::new().path(path).open() {
                Ok(db) => break db,
                Err(e) if is_sled_lock_conflict(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
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
        let log_path = path.join("db");
        let log = File::open(&log_path).map_err(VaultError::io("open the vault database log", log_path))?;
        // Blobs present at open were synced by the session that wrote them.
        let synced_blobs = blob_names(&path.join("blobs")).map_err(VaultError::io("list", path.join("blobs")))?;
        Ok(Records {
            path: path.to_owned(),
            db,
            trees,
            log,
            synced_blobs: RefCell::new(synced_blobs),
            poisoned: Cell::new(false),
            tracker: RefCell::new(None),
        })
    }

    fn tree(&self, id: TreeId) -> &sled::Tree {
        &self.trees[id as usize]
    }

    /// Makes every write so far durable: sled's flush, then `fdatasync` of its
    /// log. Nothing is acknowledged to the user before this returns.
    pub fn flush(&self) -> Result<(), VaultError> {
        let result = self
            .db
            .flush()
            .map_err(|e| self.storage(e))
            .and_then(|_| {
                self.log
                    .sync_data()
                    .map_err(VaultError::io("sync the vault database", self.path.clone()))
            })
            .and_then(|()| self.sync_new_blobs());
        if result.is_err() {
            self.poisoned.set(true);
        }
        result
    }

    /// Whether a flush has failed in this session (see `poisoned`).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.get()
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
        let trees: Vec<&sled::Tree> = self.trees.iter().collect();
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
            TransactionError::Abort((tree, key)) => self.inconsistent(format!(
                "record '{}' in tree '{}' already exists; refusing to overwrite it (run 'sotto verify')",
                fsutil::hex(&key),
                tree.name()
            )),
            TransactionError::Storage(e) => self.storage(e),
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

/// sled opens and writes its files (`db`, `conf`, snapshots, blobs) by path,
/// following symlinks: one planted in `db/` would make sotto overwrite
/// whatever it points to. Before sled opens anything, every entry must be a
/// regular file (or the `blobs` directory of regular files), never a symlink.
fn refuse_planted_entries(path: &Path) -> Result<(), VaultError> {
    let refuse = |entry: &Path| {
        VaultError::io("open the vault database", entry)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it is a symlink, a hard link or not a regular file, so sotto did not make it and will not open it (someone may \
             have tampered with the data directory; restore it from a backup)",
        ))
    };
    let list = |dir: &Path| -> Result<Vec<PathBuf>, VaultError> {
        match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .map_err(VaultError::io("list", dir)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(VaultError::io("list", dir)(e)),
        }
    };
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.is_dir()
    {
        return Err(refuse(path));
    }
    for entry in list(path)? {
        let meta = std::fs::symlink_metadata(&entry).map_err(VaultError::io("inspect", &entry))?;
        let is_blobs = entry.file_name().is_some_and(|n| n == "blobs");
        if is_blobs && meta.is_dir() {
            for blob in list(&entry)? {
                let meta = std::fs::symlink_metadata(&blob).map_err(VaultError::io("inspect", &blob))?;
                if !meta.is_file() {
                    return Err(refuse(&blob));
                }
            }
        } else if !meta.is_file() || std::os::unix::fs::MetadataExt::nlink(&meta) != 1 {
            return Err(refuse(&entry));
        }
    }
    Ok(())
}

fn blob_names(dir: &Path) -> std::io::Result<HashSet<OsString>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.map(|e| e.file_name())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashSet::new()),
        Err(e) => Err(e),
    }
}

/// How long to wait for sled to release its own lock after a close.
const SLED_LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

fn is_sled_lock_conflict(e: &sled::Error) -> bool {
    // sled 0.34 reports its lock file as a plain I/O error with this text.
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

fn storage_error(path: &Path, e: sled::Error) -> VaultError {
    match e {
        sled::Error::Io(source) => VaultError::from_io("use the vault database", path.to_owned(), source),
        other => VaultError::Database {
            path: path.to_owned(),
            message: other.to_string(),
        },
    }
}

/// Serializes `value` and seals it for `(tree, key)`. The plaintext buffer is
/// sized exactly before it is filled, so no reallocation leaves a copy behind,
/// and it is zeroized when dropped.
pub(crate) fn seal_value<T: Serialize>(data_key: &DataKey, tree: TreeId, key: &[u8], value: &T) -> Sealed {
    let mut counter = ByteCounter(0);
    serde_json::to_writer(&mut counter, value).expect("invariant: record types serialize to JSON");
    let mut plaintext = Zeroizing::new(Vec::with_capacity(counter.0));
    serde_json::to_writer(&mut *plaintext, value).expect("invariant: record types serialize to JSON");
    debug_assert_eq!(plaintext.len(), plaintext.capacity());
    seal::seal(data_key, RecordSlot { tree: tree.name(), key }, &plaintext)
}

/// Counts bytes written to it, to size a buffer before serializing into it.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Opens a value sealed by [`seal_value`] for the same `(tree, key)`.
pub(crate) fn open_value<T: DeserializeOwned>(
    data_key: &DataKey,
    tree: TreeId,
    key: &[u8],
    sealed: &[u8],
) -> Result<T, RecordError> {
    let plaintext = seal::open(data_key, RecordSlot { tree: tree.name(), key }, sealed)?;
    // The decode error names a position and an expected type, never the content.
    serde_json::from_slice(&plaintext)
        .map_err(|e| RecordError::Decode(format!("line {} column {}", e.line(), e.column())))
}
