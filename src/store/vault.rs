//! Unlocking and opening a vault.
//!
//! Opening is two steps on purpose. [`LockedVault::open`] takes the lock and
//! reads the manifest, nothing more. [`LockedVault::unlock`] turns a passphrase
//! or identity into the vault identity, or records the failure in the side file
//! and leaves everything else untouched. Only [`LockedVault::open_unlocked`]
//! opens the database, because sled rewrites files even when it only reads.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use secrecy::SecretString;

use super::error::VaultError;
use super::failed_unlocks::FailedUnlock;
use super::fsutil;
use super::ids::ConversationId;
use super::integrity::Tampering;
use super::layout::VaultPaths;
use super::lock::VaultLock;
use super::manifest::VaultManifest;
use super::records::{Records, TreeId, VAULT_KEY_ID};
use super::rotate::{self, Resealer, RotationMarker};
pub(crate) use super::unlock::Candidate;
pub use super::unlock::UnlockedIdentity;
use super::watermark::StorageLoss;
use crate::crypto::{DataKey, KeyPurpose, VaultIdentity, keys};
use crate::time::Timestamp;

/// A vault whose lock is held and whose manifest is read; nothing decrypted.
#[derive(Debug)]
pub struct LockedVault {
    pub(super) paths: VaultPaths,
    pub(super) manifest: VaultManifest,
    lock: VaultLock,
}

/// Failed unlock attempts found at this unlock (and moved into the audit log).
#[derive(Clone, Debug, Default)]
pub struct UnlockReport {
    /// The attempts, oldest first (at most 10,000 are itemized).
    pub failed_attempts: Vec<FailedUnlock>,
    /// Further attempts, counted but not itemized.
    pub more_attempts: u64,
    /// When the last of those happened.
    pub latest_more: Option<Timestamp>,
    /// Side-file entries that did not decrypt with this vault's identity.
    pub unreadable_entries: u64,
    /// Records the database held at the last clean close but no longer does.
    pub storage_losses: Vec<StorageLoss>,
    /// What the integrity check found altered, replaced or rolled back.
    pub tampering: Vec<Tampering>,
    /// This unlock moved a format-1 vault to format 2 and dropped its
    /// recovery key (the migration trusts no recovery recipient `vault.toml`
    /// names): the user must make a new one.
    pub recovery_key_dropped: bool,
    /// Conversations of an import cut short (killed, or a failed write)
    /// whose partial records this unlock removed: they were never in the
    /// vault, and importing the same file again brings them in.
    pub cut_imports_removed: usize,
    /// Why what an import cut short left could not be removed now (the
    /// next unlock tries again).
    pub cut_imports_not_removed: Option<String>,
}

impl UnlockReport {
    /// What the unlock removed of imports cut short, or could not remove,
    /// if anything.
    pub fn cut_imports_note(&self) -> Option<String> {
        if let Some(error) = &self.cut_imports_not_removed {
            return Some(format!(
                "an import was cut short, and what it had written could not be removed now ({error}); it is \
                 not in the vault and nothing reads it. The next unlock tries again; then run the same \
                 'sotto import' again"
            ));
        }
        (self.cut_imports_removed > 0).then(|| {
            format!(
                "an import was cut short before {} conversation(s) were complete; what it had written of them \
                 was removed (they were never in the vault). Run the same 'sotto import' again to bring them in",
                self.cut_imports_removed
            )
        })
    }

    /// "2 failed attempts to unlock this vault since … (the last at …)", if any.
    pub fn summary(&self) -> Option<String> {
        let count = self.failed_attempts.len() as u64 + self.more_attempts;
        let first = self.failed_attempts.first().map(|a| a.at);
        let last = self.failed_attempts.last().map(|a| a.at).max(self.latest_more);
        let mut text = match (first, last) {
            (Some(first), _) if count == 1 => {
                format!("1 failed attempt to unlock this vault, at {}", first.to_local_display())
            }
            (Some(first), Some(last)) => format!(
                "{count} failed attempts to unlock this vault since {} (the last at {})",
                first.to_local_display(),
                last.to_local_display()
            ),
            _ => String::new(),
        };
        if self.unreadable_entries > 0 {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(&format!(
                "{} unreadable failed-attempt record(s) were found and discarded",
                self.unreadable_entries
            ));
        }
        (!text.is_empty()).then_some(text)
    }
}

/// An unlocked, open vault. Dropping it closes the database, then releases the lock.
pub struct Vault {
    pub(crate) paths: VaultPaths,
    pub(crate) manifest: VaultManifest,
    pub(crate) identity: VaultIdentity,
    pub(crate) resealer: Option<Resealer>,
    /// The next identity, sealed ahead of time (see `prepare_rotation`).
    pub(crate) next_identity: Option<std::thread::JoinHandle<rotate::PreparedIdentity>>,
    pub(crate) records: Records,
    pub(crate) vault_key: DataKey,
    pub(crate) conversation_keys: RefCell<HashMap<ConversationId, DataKey>>,
    /// The index as last read, while no commit has changed it.
    pub(crate) index_entries: RefCell<Option<std::sync::Arc<super::conversations::IndexEntries>>>,
    /// Replies being streamed by this process; any other reply still marked as
    /// streaming was cut off by a crash and reads as interrupted.
    pub(crate) streaming: HashSet<(ConversationId, u64)>,
    pub(crate) unlock_report: UnlockReport,
    /// Whether closing may raise the watermark: only once this unlock has
    /// compared the database with it, so a failed open never overwrites the
    /// evidence of a loss.
    pub(crate) watermark_armed: bool,
    /// The identity file as this session knows it (read at unlock, or
    /// written by its last rotation), to put back if it disappears.
    pub(crate) identity_file: Option<Vec<u8>>,
    /// Repairs not yet reported (see `take_repairs`).
    pub(crate) repairs: Vec<super::Repair>,
    // Declared last so it is dropped last: the database closes before the lock goes.
    _lock: VaultLock,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.paths.root())
            .finish_non_exhaustive()
    }
}

impl LockedVault {
    /// Takes the vault lock and reads the manifest. Changes nothing on disk.
    pub fn open(root: &Path) -> Result<Self, VaultError> {
        super::wipe::finish_interrupted_wipes(root);
        let paths = VaultPaths::new(root);
        if !paths.manifest().is_file() {
            return Err(if paths.identity().exists() || paths.database().exists() {
                VaultError::ManifestMissing { path: root.to_owned() }
            } else {
                VaultError::NoVault { path: root.to_owned() }
            });
        }
        let lock = VaultLock::acquire(&paths.lock(), root)?;
        // A whole-vault wipe killed before it moved the vault aside: the
        // vault is live, and its marker must not mark it for destruction.
        let stale_marker = root.join(super::wipe::WIPE_MARKER_NAME);
        if std::fs::symlink_metadata(&stale_marker).is_ok() {
            std::fs::remove_file(&stale_marker).map_err(VaultError::io("remove", &stale_marker))?;
        }
        let manifest = VaultManifest::load(&paths.manifest())?;
        Ok(LockedVault { paths, manifest, lock })
    }

    pub fn manifest(&self) -> &VaultManifest {
        &self.manifest
    }

    pub fn root(&self) -> &Path {
        self.paths.root()
    }

    pub(crate) fn paths(&self) -> &VaultPaths {
        &self.paths
    }

    /// Opens the database with an unlocked identity, then moves any recorded
    /// failed attempts into the audit log.
    pub fn open_unlocked(self, identity: UnlockedIdentity) -> Result<Vault, VaultError> {
        let UnlockedIdentity { candidates, resealer } = identity;
        // Whatever this opening goes on to change, no copy of the screen from
        // before it may outlive it (see `startup_record`).
        super::startup_record::discard(&self.paths)?;
        let db_path = self.paths.database();
        if !db_path.is_dir() {
            return Err(VaultError::Database {
                path: db_path,
                message: "its directory is missing".into(),
            });
        }
        let records = Records::open(&db_path)?;
        let wrapped = records
            .get(TreeId::Keys, VAULT_KEY_ID)?
            .ok_or_else(|| VaultError::VaultKeyDamaged {
                reason: "it is missing".into(),
            })?;
        let mut first_error = None;
        let mut opened = None;
        for Candidate { identity, pending } in candidates {
            match keys::unwrap(&wrapped, KeyPurpose::Vault, &identity) {
                Ok(key) => {
                    opened = Some((identity, key, pending));
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let Some((identity, vault_key, from_pending)) = opened else {
            let reason = first_error.map_or_else(|| "no identity could be opened".into(), |e| e.to_string());
            return Err(VaultError::VaultKeyDamaged { reason });
        };
        let mut manifest = self.manifest;
        let recipient = identity.recipient().to_string();
        match RotationMarker::load(&self.paths)? {
            // An interrupted rotation whose commit landed: the vault key is
            // wrapped to the identity in the pending file, so finish it (the
            // old identity is destroyed). Only then: a marker and a pending
            // file someone planted never make sotto destroy an identity.
            Some(marker)
                if from_pending
                    && marker.to == recipient
                    && [&marker.from, &marker.to].contains(&&manifest.recipient) =>
            {
                manifest.recipient = recipient;
                if !identity.is_legacy() {
                    manifest.format = super::manifest::VAULT_FORMAT;
                }
                rotate::finish_pending(&self.paths, &manifest, &marker)?;
            }
            // The old identity still opens the vault key: the rotation never
            // committed; its new files go.
            Some(marker) if !from_pending && manifest.recipient == recipient && marker.from == recipient => {
                rotate::discard_pending(&self.paths)?;
            }
            // The new identity opened it from a file that is not pending: all
            // but the marker is done if no pending identity file is left.
            // If one is left (opened here with the recovery key, after its
            // copy was renamed), it is the only copy the passphrase opens:
            // it stays for an unlock with the passphrase to finish.
            Some(marker) if !from_pending && manifest.recipient == recipient && marker.to == recipient => {
                if !self.paths.identity_next().exists() {
                    rotate::discard_pending(&self.paths)?;
                }
            }
            Some(_) | None if manifest.recipient != recipient => {
                return Err(VaultError::RecipientMismatch {
                    path: self.paths.root().to_owned(),
                    manifest: manifest.recipient.clone(),
                    actual: recipient,
                });
            }
            Some(_) | None => {}
        }
        let identity_file = read_if_present(&self.paths.identity())?;
        let mut vault = Vault {
            identity_file,
            repairs: Vec::new(),
            paths: self.paths,
            manifest,
            identity,
            resealer,
            next_identity: None,
            records,
            vault_key,
            conversation_keys: RefCell::new(HashMap::new()),
            index_entries: RefCell::new(None),
            streaming: HashSet::new(),
            unlock_report: UnlockReport::default(),
            watermark_armed: false,
            _lock: self.lock,
        };
        // The integrity state first (it arms the tracker every later commit
        // brings forward), then the watermark; both only look. What they
        // found goes on record in one commit before anything else is written:
        // importing failed attempts appends audit events, which would fill a
        // gap left by lost ones.
        let check = vault.check_integrity()?;
        let mut tampering = Vec::new();
        let losses = vault.check_watermark(&mut tampering)?;
        vault.record_unlock_findings(check, &losses, &mut tampering)?;
        vault.watermark_armed = true;
        vault.import_failed_unlocks()?;
        // An import cut short leaves messages of a conversation that never
        // came to exist; they go before anything reads the vault.
        // Best effort: what is left is unreadable and listed nowhere, so a
        // failure (a full disk) must not keep the vault from opening; the
        // next unlock tries again.
        match vault.remove_cut_imports() {
            Ok(removed) => vault.unlock_report.cut_imports_removed = removed,
            Err(e) => vault.unlock_report.cut_imports_not_removed = Some(e.to_string()),
        }
        vault.migrate_if_needed()?;
        vault.sync_manifest_recovery()?;
        vault.unlock_report.storage_losses = losses;
        vault.unlock_report.tampering = tampering;
        Ok(vault)
    }

    /// [`unlock`](Self::unlock) then [`open_unlocked`](Self::open_unlocked).
    pub fn unlock_and_open(self, passphrase: Option<&SecretString>) -> Result<Vault, VaultError> {
        let identity = self.unlock(passphrase)?;
        self.open_unlocked(identity)
    }
}

/// The bytes of `path`, or `None` if it does not exist.
pub(super) fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, VaultError> {
    match fsutil::read_regular(path, fsutil::SMALL_FILE_CAP) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(VaultError::io("read", path)(e)),
    }
}

impl Vault {
    /// Makes `vault.toml` say the vault's format and whether there is a
    /// recovery key, and name no recovery recipient: after a rotation
    /// finished at unlock, or after someone edited it. The file is for
    /// people; what counts is the identity's mark and the sealed record.
    fn sync_manifest_recovery(&mut self) -> Result<(), VaultError> {
        if self.identity.is_legacy() {
            return Ok(());
        }
        let has = self.recovery_recipient().is_some();
        if self.manifest.recovery.is_some()
            || self.manifest.recovery_key != has
            || self.manifest.format != super::manifest::VAULT_FORMAT
        {
            let mut manifest = self.manifest.clone();
            manifest.format = super::manifest::VAULT_FORMAT;
            manifest.recovery = None;
            manifest.recovery_key = has;
            manifest.save(&self.paths.manifest())?;
            self.manifest = manifest;
        }
        Ok(())
    }

    /// Makes durable whatever was committed and not yet flushed.
    pub fn flush_pending(&self) -> Result<(), VaultError> {
        self.records.flush_pending()
    }

    pub fn root(&self) -> &Path {
        self.paths.root()
    }

    pub fn manifest(&self) -> &VaultManifest {
        &self.manifest
    }

    /// The vault identity's public recipient (`age1…`).
    pub fn recipient(&self) -> String {
        self.identity.recipient().to_string()
    }

    /// Failed unlock attempts reported by this unlock.
    pub fn unlock_report(&self) -> &UnlockReport {
        &self.unlock_report
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<(), VaultError> {
        self.records.flush()
    }
}
