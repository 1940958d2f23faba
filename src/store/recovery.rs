//! The offline recovery key: an age identity shown to the user once, for paper
//! or a password manager. `recovery.age` holds the vault identity a second
//! time, encrypted to it, so a forgotten passphrase need not mean lost
//! history. Every rotation rewrites both copies (see `rotate`), so the
//! recovery key stays valid while what was wiped stays shredded.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::audit::AuditEvent;
use super::error::VaultError;
use super::failed_unlocks::FailedUnlockReason;
use super::records::{Change, TreeId, open_value, seal_value};
use super::vault::{Candidate, LockedVault, UnlockedIdentity, Vault};
use crate::crypto::VaultIdentity;

/// In `meta`: the recovery key's recipient, sealed. `vault.toml` names it
/// too, for people, but anyone who can write the data directory can edit
/// that file, and a rotation encrypts the new identity to this recipient:
/// taken from the manifest, an edited one would hand over the vault.
pub(crate) const RECOVERY_RECIPIENT_KEY: &[u8] = b"recovery-recipient";

#[derive(Serialize, Deserialize)]
pub(crate) struct RecoveryRecipientRecord {
    pub recipient: String,
}

impl Vault {
    /// Makes a new recovery key, replacing any earlier one, and returns its
    /// secret for the user to keep. The vault identity is rotated with it, as
    /// a passphrase change does: the old identity is destroyed, so an earlier
    /// recovery key, even with an old copy of `recovery.age` (a backup, a
    /// sync), opens nothing stored now.
    pub fn create_recovery_key(&mut self) -> Result<SecretString, VaultError> {
        let key = age::x25519::Identity::generate();
        let recipient = key.to_public().to_string();
        let shred = self.rekey_every_conversation()?;
        self.rotate_with_recovery(&shred, Some(&recipient), |_| AuditEvent::RecoveryKeyCreated)?;
        Ok(SecretString::from(key.to_string().expose_secret().to_owned()))
    }

    /// Whether this vault has a recovery key.
    pub fn has_recovery_key(&self) -> bool {
        self.recovery_recipient().is_some()
    }

    /// The recovery key's recipient: the sealed one, never the one a
    /// format-1 `vault.toml` names (whoever can write that file could name
    /// theirs). A sealed record that is missing or does not open counts as
    /// none: the identity is then encrypted to no recovery key, and the old
    /// `recovery.age` goes with the old identity (the unlock reports it).
    pub(crate) fn recovery_recipient(&self) -> Option<String> {
        self.sealed_recovery_recipient()
    }

    /// The sealed recovery recipient, if its record is there and opens.
    pub(crate) fn sealed_recovery_recipient(&self) -> Option<String> {
        let sealed = self.records.get(TreeId::Meta, RECOVERY_RECIPIENT_KEY).ok()??;
        open_value::<RecoveryRecipientRecord>(&self.vault_key, TreeId::Meta, RECOVERY_RECIPIENT_KEY, &sealed)
            .ok()
            .map(|r| r.recipient)
    }
}

/// The change that seals `recipient` as the recovery key's under `vault_key`.
pub(crate) fn recovery_recipient_change(vault_key: &crate::crypto::DataKey, recipient: &str) -> Change {
    let record = RecoveryRecipientRecord {
        recipient: recipient.to_owned(),
    };
    Change::Put {
        tree: TreeId::Meta,
        key: RECOVERY_RECIPIENT_KEY.to_vec(),
        value: seal_value(vault_key, TreeId::Meta, RECOVERY_RECIPIENT_KEY, &record),
    }
}

impl LockedVault {
    /// Recovers the vault identity with the recovery key instead of the
    /// passphrase. The session cannot rotate until a new passphrase is set.
    pub fn unlock_with_recovery_key(&self, key: &SecretString) -> Result<UnlockedIdentity, VaultError> {
        let root = self.root().to_owned();
        let identity: age::x25519::Identity = key
            .expose_secret()
            .trim()
            .parse()
            .map_err(|_| VaultError::RecoveryKeyInvalid)?;
        let identities: Vec<Box<dyn age::Identity>> = vec![Box::new(identity)];
        let mut candidates = Vec::new();
        let mut any_file = false;
        for path in [self.paths().recovery(), self.paths().recovery_next()] {
            let sealed = match super::fsutil::read_regular(&path, super::fsutil::SMALL_FILE_CAP) {
                Ok(sealed) => sealed,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(VaultError::io("read", path)(e)),
            };
            any_file = true;
            if let Ok(identity) = VaultIdentity::open_with_identities(&sealed, &identities) {
                candidates.push(Candidate {
                    identity,
                    pending: path == self.paths().recovery_next(),
                });
            }
        }
        if !any_file {
            return Err(VaultError::NoRecoveryKey { path: root });
        }
        if candidates.is_empty() {
            return Err(VaultError::WrongRecoveryKey {
                path: root,
                note: self.record_failure(FailedUnlockReason::WrongIdentity),
            });
        }
        Ok(UnlockedIdentity {
            candidates,
            resealer: None,
        })
    }
}
