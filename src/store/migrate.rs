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
//! (SECURITY.md says so). One thing is not trusted: the recovery recipient
//! `vault.toml` names, because whoever writes that file would get the new
//! identity encrypted to them. The migration drops the recovery key (its
//! `recovery.age` is destroyed with the old identity) and the user is told
//! to make a new one. After the migration, a format-1 identity on this vault
//! is refused (see `integrity_check`). It needs to protect the new identity (the
//! passphrase or the user's identity file): a session unlocked with the
//! recovery key leaves the vault in format 1 until `sotto passphrase
//! --reset`, whose rotation migrates it too.

use super::audit::AuditEvent;
use super::error::VaultError;
use super::manifest::VAULT_FORMAT;
use super::vault::Vault;

/// What the user is told when the migration dropped a format-1 recovery key.
pub const RECOVERY_KEY_DROPPED: &str = "this vault was moved to the current format, and its recovery key no longer \
     works: the earlier format named the recovery key in 'vault.toml', where anyone who can write the data \
     directory could have put theirs, so it was not carried over. Make a new one with 'sotto recovery-key'";

/// The format a vault without the identity's format mark is in.
pub(crate) const LEGACY_FORMAT: u32 = 1;

impl Vault {
    /// Migrates a format-1 vault when this session can protect a new
    /// identity. Returns whether it did.
    pub(crate) fn migrate_if_needed(&mut self) -> Result<bool, VaultError> {
        if !self.identity.is_legacy() || self.resealer.is_none() {
            return Ok(false);
        }
        self.unlock_report.recovery_key_dropped = self.manifest.recovery.is_some() || self.paths.recovery().exists();
        // The rotation records the migration with its own event. It gives
        // every conversation a new key too: the old identity and the bare
        // wrapped keys (in a backup, or left in sled's files) must open
        // nothing written from now on.
        let shred = self.rekey_every_conversation()?;
        self.rotate(&shred, |_| AuditEvent::VaultMigrated {
            from: LEGACY_FORMAT,
            to: VAULT_FORMAT,
        })?;
        Ok(true)
    }

    /// What a rotation of a format-1 vault needs first: the integrity state
    /// made from what is there, armed but not stored. The rotation stores it
    /// and the integrity key in its own commit, under the new vault key:
    /// stored earlier, a crash would leave a format-1 identity beside
    /// format-2 evidence, which the next unlock refuses as tampering. Returns
    /// whether a new integrity key was made (the rotation must store it).
    pub(crate) fn prepare_legacy_for_rotation(&mut self) -> Result<bool, VaultError> {
        if self.records.state().is_some() {
            return Ok(false);
        }
        self.initialize_integrity(0)?;
        Ok(true)
    }
}
