//! The copy of a new identity encrypted to the recovery key
//! (`recovery.next.age`), so that the recovery key still opens the vault
//! after a rotation.

use crate::crypto::VaultIdentity;
use crate::store::error::VaultError;
use crate::store::layout::VaultPaths;
use crate::store::vault::Vault;
use crate::time::Timestamp;

impl Vault {
    /// `identity` encrypted to the recovery key `recipient`, if there is one.
    pub(crate) fn seal_for_recovery(
        &self,
        identity: &VaultIdentity,
        recipient: Option<&str>,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>, VaultError> {
        let Some(recipient) = recipient else {
            return Ok(None);
        };
        let recipient = recovery_recipient(&self.paths, recipient)?;
        let recipients: Vec<Box<dyn age::Recipient + Send>> = vec![Box::new(recipient)];
        identity
            .seal_to_recipients(&recipients, now)
            .map(Some)
            .map_err(|e| VaultError::CannotRotate {
                reason: format!("the new identity could not be encrypted to the recovery key ({e})"),
            })
    }
}

fn recovery_recipient(paths: &VaultPaths, text: &str) -> Result<age::x25519::Recipient, VaultError> {
    text.parse().map_err(|e: &str| VaultError::ManifestInvalid {
        path: paths.manifest(),
        reason: format!("its recovery recipient is not an age X25519 recipient ({e})"),
    })
}
