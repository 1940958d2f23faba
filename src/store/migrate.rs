//! Bringing a vault of an earlier format to this one, at unlock.
//!
//! Format 1 stored wrapped keys as bare age files to the vault's (public)
//! recipient, kept no integrity state, and took the recovery key's recipient
//! from `vault.toml`. Format 2 tags every wrapped key with a MAC only the
//! identity's holder can make (`crypto::keys`), keeps the integrity state
//! (`integrity`), and keeps the recovery recipient sealed. The migration:
//!
//! 1. makes the integrity state from what the vault holds;
//! 2. tags every wrapped key that opens for its slot, in one commit (the age
//!    files stay as they are: nothing is re-encrypted);
//! 3. seals the recovery recipient named in `vault.toml`, then rewrites
//!    `recovery.age` and last `identity.age` with the *same* identity, now
//!    marked as format 2 (so exports to the vault keep opening);
//! 4. says format 2 in the manifest and records the migration in the audit log.
//!
//! Steps 1 to 3 trust the vault as it is at that moment: what an attacker
//! changed *before* the migration cannot be told apart from what the user
//! wrote (SECURITY.md says so). A crash at any point leaves a vault that
//! opens and finishes the migration at its next unlock: the mark goes into
//! `identity.age` last, and a format-1 identity accepts tagged keys. Steps 3
//! and 4 need to protect the identity again (the passphrase or the user's
//! identity file); a session unlocked with the recovery key does 1 and 2 and
//! leaves the rest to the next unlock with the passphrase.

use super::audit::AuditEvent;
use super::error::VaultError;
use super::fsutil;
use super::manifest::VAULT_FORMAT;
use super::records::{Change, TreeId};
use super::vault::Vault;
use crate::crypto::{KeyPurpose, keys};
use crate::time::Timestamp;

/// The format a vault without the identity's format mark is in.
const LEGACY_FORMAT: u32 = 1;

impl Vault {
    /// Migrates a format-1 vault as far as this session can (see above).
    /// Returns whether the migration finished.
    pub(crate) fn migrate_if_needed(&mut self) -> Result<bool, VaultError> {
        if !self.identity.is_legacy() {
            return Ok(false);
        }
        if self.records.state().is_none() {
            self.initialize_integrity(0)?;
        }
        self.authenticate_wrapped_keys()?;
        if self.sealed_recovery_recipient()?.is_none()
            && let Some(recipient) = self.manifest.recovery.clone()
        {
            self.seal_recovery_recipient(&recipient)?;
        }
        let Some(resealer) = &self.resealer else {
            return Ok(false);
        };
        let now = Timestamp::now();
        let identity = self.identity.current_format();
        let sealed_identity = resealer.seal(&identity, now)?;
        let recovery = self.recovery_recipient()?;
        if let Some(sealed_recovery) = self.seal_for_recovery(&identity, recovery.as_deref(), now)? {
            let path = self.paths.recovery();
            fsutil::write_private_file_atomic(&path, &sealed_recovery).map_err(VaultError::io("write", &path))?;
        }
        let path = self.paths.identity();
        fsutil::write_private_file_atomic(&path, &sealed_identity).map_err(VaultError::io("write", &path))?;
        self.identity = identity;
        self.identity_file = Some(sealed_identity);
        let mut manifest = self.manifest.clone();
        manifest.format = VAULT_FORMAT;
        manifest.save(&self.paths.manifest())?;
        self.manifest = manifest;
        self.record_audit(AuditEvent::VaultMigrated {
            from: LEGACY_FORMAT,
            to: VAULT_FORMAT,
        })?;
        Ok(true)
    }

    /// Step 2: a tag for every bare wrapped key that opens for its own slot.
    /// One that does not open is left as it is (verify reports it).
    fn authenticate_wrapped_keys(&mut self) -> Result<(), VaultError> {
        let mut changes = Vec::new();
        for item in self.records.scan(TreeId::Keys) {
            let (key, wrapped) = item?;
            if keys::is_tagged(&wrapped) {
                continue;
            }
            let purpose = if &*key == super::records::VAULT_KEY_ID {
                KeyPurpose::Vault
            } else if let Ok(id) = <[u8; 16]>::try_from(&*key) {
                KeyPurpose::Conversation(id)
            } else {
                continue;
            };
            if keys::unwrap(&wrapped, purpose, &self.identity).is_ok() {
                changes.push(Change::Put {
                    tree: TreeId::Keys,
                    key: key.to_vec(),
                    value: keys::authenticate(&self.identity, purpose, &wrapped),
                });
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        self.records.commit(&changes)?;
        self.records.flush()
    }
}
