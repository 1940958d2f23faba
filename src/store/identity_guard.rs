//! Keeping the identity file in place while a vault is open. Deleting
//! `identity.age` by hand (a cleanup script, a slip in a file manager) would
//! make the whole history unreadable at the next unlock, while this process
//! still holds the file's bytes. So before each write the file is looked
//! for; if it is gone, the bytes read at unlock (or written by this
//! session's last rotation) are written back, the audit log records it, and
//! the caller is told through [`Vault::take_repairs`]. An existing file is
//! never overwritten, whatever it holds: a replaced identity is tampering,
//! which the next unlock reports. Removing the file is therefore not a way to
//! destroy a vault; `sotto wipe --all` is.

use std::fmt;
use std::path::PathBuf;

use super::fsutil;
use super::{AuditEvent, Vault, VaultError};
use crate::time::Timestamp;

/// Something the vault put right on its own, or could not do on its own,
/// which the user should hear of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repair {
    IdentityRestored {
        path: PathBuf,
    },
    /// A rolling snapshot (see `snapshot`) could not be written.
    SnapshotNotTaken {
        reason: String,
    },
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::IdentityRestored { path } => write!(
                f,
                "the vault identity '{}' was removed while sotto was running; it has been written back, \
                 as without it the history could never be opened again. Removing it does not destroy a \
                 vault: 'sotto wipe --all' does",
                path.display()
            ),
            Repair::SnapshotNotTaken { reason } => write!(
                f,
                "the vault is saved, but its rolling snapshot was not updated: {reason}"
            ),
        }
    }
}

impl Vault {
    /// Writes the identity file back if it has disappeared (see the module
    /// documentation). The audit entry is made durable by the caller's flush.
    pub(crate) fn keep_identity_file(&mut self) -> Result<(), VaultError> {
        let path = self.paths.identity();
        match std::fs::symlink_metadata(&path) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(VaultError::io("look for the vault identity", path)(e)),
        }
        // An interrupted rotation is finished or undone at the next unlock,
        // from its own files; it is not this guard's to touch.
        if self.paths.rotation_marker().exists() {
            return Ok(());
        }
        let Some(bytes) = &self.identity_file else {
            return Ok(());
        };
        fsutil::write_private_file_atomic(&path, bytes).map_err(VaultError::io("restore the vault identity", &path))?;
        self.append_audit(Timestamp::now(), AuditEvent::IdentityRestored)?;
        self.repairs.push(Repair::IdentityRestored { path });
        Ok(())
    }

    /// What the vault repaired since the last call, for the user to be told.
    pub fn take_repairs(&mut self) -> Vec<Repair> {
        std::mem::take(&mut self.repairs)
    }
}
