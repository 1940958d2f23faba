//! The disk boundary: the only code that talks to sled. Every value written
//! here is either sealed with a data key (`put_sealed`) or is already an age
//! file (wrapped keys), so no readable byte reaches the database. Keeping sled
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

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::error::VaultError;
use super::fsutil;
use crate::crypto::DataKey;
use crate::crypto::seal::{self, RecordSlot, SealError};

/// The trees of the vault database. Their names are bound into every sealed
/// record's AAD, so this enum is the one place they are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TreeId {
    Keys,
    Index,
    Messages,
    Audit,
    Settings,
}

impl TreeId {
    pub const ALL: [TreeId; 5] = [
        TreeId::Keys,
        TreeId::Index,
        TreeId::Messages,
        TreeId::Audit,
        TreeId::Settings,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TreeId::Keys => "keys",
            TreeId::Index => "index",
            TreeId::Messages => "messages",
            TreeId::Audit => "audit",
            TreeId::Settings => "settings",
        }
    }
}

pub(crate) const VAULT_KEY_ID: &[u8] = b"vault";
pub(crate) const SETTINGS_KEY: &[u8] = b"settings";

/// One write in an atomic [`Records::commit`].
pub(crate) enum Change {
    Put { tree: TreeId, key: Vec<u8>, value: Vec<u8> },
    Remove { tree: TreeId, key: Vec<u8> },
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
    trees: [sled::Tree; 5],
}

impl Records {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, VaultError> {
        fsutil::restrict_umask();
        let db = sled::Config::new()
            .path(path)
            .open()
            .map_err(|e| database_error(path, e))?;
        let mut trees = Vec::with_capacity(TreeId::ALL.len());
        for id in TreeId::ALL {
            trees.push(db.open_tree(id.name()).map_err(|e| database_error(path, e))?);
        }
        let trees: [sled::Tree; 5] = trees
            .try_into()
            .unwrap_or_else(|_| unreachable!("one tree was opened per TreeId"));
        Ok(Records {
            path: path.to_owned(),
            db,
            trees,
        })
    }

    pub fn tree(&self, id: TreeId) -> &sled::Tree {
        &self.trees[id as usize]
    }

    /// Makes every write so far durable (fsync). Nothing is acknowledged to the
    /// user before this returns.
    pub fn flush(&self) -> Result<(), VaultError> {
        self.db.flush().map(|_| ()).map_err(|e| self.error(e))
    }

    pub fn error(&self, e: impl std::fmt::Display) -> VaultError {
        database_error(&self.path, e)
    }

    pub fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<sled::IVec>, VaultError> {
        self.tree(tree).get(key).map_err(|e| self.error(e))
    }

    pub fn put(&self, tree: TreeId, key: &[u8], value: Vec<u8>) -> Result<(), VaultError> {
        self.tree(tree)
            .insert(key, value)
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Applies `changes` atomically: after a crash either all are there or none.
    /// Not durable until [`Records::flush`].
    pub fn commit(&self, changes: &[Change]) -> Result<(), VaultError> {
        use sled::Transactional;
        let trees: Vec<&sled::Tree> = self.trees.iter().collect();
        trees
            .as_slice()
            .transaction(|views| {
                for change in changes {
                    match change {
                        Change::Put { tree, key, value } => {
                            views[*tree as usize].insert(key.as_slice(), value.as_slice())?;
                        }
                        Change::Remove { tree, key } => {
                            views[*tree as usize].remove(key.as_slice())?;
                        }
                    }
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e: sled::transaction::TransactionError<()>| self.error(format!("{e:?}")))
    }
}

pub(crate) fn database_error(path: &Path, e: impl std::fmt::Display) -> VaultError {
    VaultError::Database {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Serializes `value` and seals it for `(tree, key)`.
pub(crate) fn seal_value<T: Serialize>(data_key: &DataKey, tree: TreeId, key: &[u8], value: &T) -> Vec<u8> {
    let plaintext = Zeroizing::new(serde_json::to_vec(value).expect("invariant: record types serialize to JSON"));
    seal::seal(data_key, RecordSlot { tree: tree.name(), key }, &plaintext)
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
