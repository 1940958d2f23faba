//! Records as sealed values: a record type serialized to JSON in a buffer
//! that is zeroized when dropped, sealed for the slot (tree and key) it is
//! written to, and opened and decoded again, with errors that name a
//! position, never the content. Also the changes a commit is made of, which
//! carry only sealed values.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::records::TreeId;
use crate::crypto::seal::{self, RecordSlot, SealError};
use crate::crypto::{DataKey, Sealed};

/// One write in an atomic commit (`Records::commit`).
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

/// Serializes `value` and seals it for `(tree, key)`; the plaintext is
/// sized exactly and zeroized (`seal::json_plaintext`).
pub(crate) fn seal_value<T: Serialize>(data_key: &DataKey, tree: TreeId, key: &[u8], value: &T) -> Sealed {
    let plaintext = seal::json_plaintext(value);
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
