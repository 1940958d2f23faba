//! Bringing a vault of an earlier format to this one, at unlock.
//!
//! Format 1 stored wrapped keys as bare age files to the vault's (public)
//! recipient, kept no integrity state, and named the recovery key's recipient
//! in `vault.toml`. Format 2 tags every wrapped key with a MAC only the
//! identity's holder can make (`crypto::keys`), keeps the integrity state
//! (`integrity`), and keeps the recovery recipient sealed.
//!
//! The migration is a rotation (see `rotate`), so it is one commit: a new
//! identity marked as format 2, every key wrapped to it with its tag, the
//! integrity state and the sealed recovery recipient, and the old identity
//! destroyed. A copy of the old `identity.age` put back later (from a backup
//! or a sync's history) opens nothing: a format-1 identity accepts only bare
//! keys, and every key is now tagged. Exports encrypted to the old vault
//! identity stop opening with the passphrase, as after any rotation (a
//! recovery key keeps opening them).
//!
//! Before it, the vault is trusted as it is found: what an attacker changed
//! before the migration cannot be told apart from what the user wrote
//! (SECURITY.md says so). It needs to protect the new identity (the
//! passphrase or the user's identity file): a session unlocked with the
//! recovery key leaves the vault in format 1 until `sotto passphrase
//! --reset`, whose rotation migrates it too.

use super::audit::AuditEvent;
use super::error::VaultError;
use super::manifest::VAULT_FORMAT;
use super::recovery::recovery_recipient_change;
use super::rotate::Shred;
use super::vault::Vault;

/// The format a vault without the identity's format mark is in.
pub(crate) const LEGACY_FORMAT: u32 = 1;

impl Vault {
    /// Migrates a format-1 vault when this session can protect a new
    /// identity. Returns whether it did.
    pub(crate) fn migrate_if_needed(&mut self) -> Result<bool, VaultError> {
        if !self.identity.is_legacy() || self.resealer.is_none() {
            return Ok(false);
        }
        // The rotation records the migration with its own event.
        self.rotate(&Shred::default(), |_| AuditEvent::VaultMigrated {
            from: LEGACY_FORMAT,
            to: VAULT_FORMAT,
        })?;
        Ok(true)
    }

    /// What a rotation of a format-1 vault needs first, under its old vault
    /// key: the integrity state made from what is there, and the manifest's
    /// recovery recipient sealed (the rotation re-seals both). A crash after
    /// this leaves a format-1 vault that the next unlock checks and migrates.
    pub(crate) fn prepare_legacy_for_rotation(&mut self) -> Result<(), VaultError> {
        if self.records.state().is_none() {
            let change = self.initialize_integrity(0)?;
            self.records.commit(&[change])?;
        }
        if self.sealed_recovery_recipient().is_none()
            && let Some(recipient) = self.manifest.recovery.clone()
        {
            self.records
                .commit(&[recovery_recipient_change(&self.vault_key, &recipient)])?;
        }
        self.records.flush()
    }
}
