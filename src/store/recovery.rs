//! The offline recovery key: an age identity shown to the user once, for paper
//! or a password manager. `recovery.age` holds the vault identity a second
//! time, encrypted to it, so a forgotten passphrase need not mean lost
//! history. Every rotation rewrites both copies (see `rotate`), so the
//! recovery key stays valid while what was wiped stays shredded.

use std::fs;

use secrecy::{ExposeSecret, SecretString};

use super::audit::AuditEvent;
use super::error::VaultError;
use super::failed_unlocks::FailedUnlockReason;
use super::fsutil;
use super::rotate::shred_file;
use super::vault::{LockedVault, UnlockedIdentity, Vault};
use crate::crypto::VaultIdentity;
use crate::time::Timestamp;

impl Vault {
    /// Makes a new recovery key, replacing any earlier one (whose copy of the
    /// identity is overwritten), and returns its secret for the user to keep.
    pub fn create_recovery_key(&mut self) -> Result<SecretString, VaultError> {
        let key = age::x25519::Identity::generate();
        let recipient = key.to_public();
        let recipients: Vec<Box<dyn age::Recipient + Send>> = vec![Box::new(recipient.clone())];
        let sealed = self
            .identity
            .seal_to_recipients(&recipients, Timestamp::now())
            .map_err(|e| VaultError::CannotRotate {
                reason: format!("the identity could not be encrypted to the recovery key ({e})"),
            })?;
        // The manifest first: if the copy below is never written, the user
        // never saw the key and runs this again.
        let mut manifest = self.manifest.clone();
        manifest.recovery = Some(recipient.to_string());
        manifest.save(&self.paths.manifest())?;
        self.manifest = manifest;
        let path = self.paths.recovery();
        shred_file(&path)?;
        fsutil::write_private_file_atomic(&path, &sealed).map_err(VaultError::io("write", &path))?;
        self.record_audit(AuditEvent::RecoveryKeyCreated)?;
        Ok(SecretString::from(key.to_string().expose_secret().to_owned()))
    }

    /// Whether this vault has a recovery key.
    pub fn has_recovery_key(&self) -> bool {
        self.manifest.recovery.is_some()
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
            let sealed = match fs::read(&path) {
                Ok(sealed) => sealed,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(VaultError::io("read", path)(e)),
            };
            any_file = true;
            if let Ok(identity) = VaultIdentity::open_with_identities(&sealed, &identities) {
                candidates.push(identity);
            }
        }
        if !any_file || self.manifest().recovery.is_none() {
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
