//! The note a repair leaves: what it did, sealed in the rebuilt database
//! until the next unlock records it (findings register, audit log), and
//! said by `sotto repair` and the chat screen.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::super::records::{Change, TreeId};
use super::super::vault::Vault;
use crate::time::Timestamp;

/// In `meta`: the sealed note of a rebuild, until the next unlock records it.
pub(crate) const REBUILT_KEY: &[u8] = b"rebuilt";
/// What a repair did, as the next unlock records it and `sotto repair` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildNote {
    pub at: Timestamp,
    /// Where the damaged database was moved (absent when there was none).
    pub damaged_kept_at: Option<PathBuf>,
    /// Records read back from the damaged database.
    pub from_damaged: u64,
    /// Why nothing could be read from it, if so.
    pub damaged_unreadable: Option<String>,
    /// Records taken from snapshots (only those the database no longer had).
    pub from_snapshots: u64,
    /// When the newest snapshot used was taken.
    pub snapshot_taken_at: Option<Timestamp>,
    /// Snapshots that could not be read, and why.
    pub snapshots_unreadable: Vec<String>,
    /// Records that did not authenticate and were left out.
    pub rejected: u64,
    pub conversations: u64,
    pub messages: u64,
}

impl std::fmt::Display for RebuildNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the vault was rebuilt by 'sotto repair' on {}: {} conversation(s) and {} message(s); {} record(s) read back \
             from the damaged database",
            self.at.to_local_display(),
            self.conversations,
            self.messages,
            self.from_damaged
        )?;
        if let Some(path) = &self.damaged_kept_at {
            write!(f, " (kept at '{}')", path.display())?;
        }
        if let Some(why) = &self.damaged_unreadable {
            write!(f, " (it could not be read: {why})")?;
        }
        match self.snapshot_taken_at {
            Some(at) => write!(
                f,
                ", {} from the snapshot of {}",
                self.from_snapshots,
                at.to_local_display()
            )?,
            None => write!(f, ", none from a snapshot (there was none to read)")?,
        }
        if self.rejected > 0 {
            write!(
                f,
                "; {} record(s) did not authenticate and were left out",
                self.rejected
            )?;
        }
        Ok(())
    }
}

impl RebuildNote {
    /// What the first unlock of a rebuilt vault commits with its findings:
    /// the audit event, and the note's removal.
    pub(crate) fn on_record(&self) -> (super::super::audit::AuditEvent, Change) {
        (
            super::super::audit::AuditEvent::VaultRebuilt {
                conversations: self.conversations,
                messages: self.messages,
            },
            Change::Remove {
                tree: TreeId::Meta,
                key: REBUILT_KEY.to_vec(),
            },
        )
    }
}

impl Vault {
    /// The note of a rebuild by `sotto repair`, if this database is one.
    pub(crate) fn rebuild_note(&self) -> Option<RebuildNote> {
        let sealed = self.records.get(TreeId::Meta, REBUILT_KEY).ok()??;
        super::super::records::open_value(&self.vault_key, TreeId::Meta, REBUILT_KEY, &sealed).ok()
    }
}
