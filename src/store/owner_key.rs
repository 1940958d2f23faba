//! What the user's own copies (default exports) are encrypted to: what
//! protects the vault itself and stays when the vault identity rotates. A
//! wipe, rekey or new recovery key makes a new vault identity, so an export
//! encrypted to that identity would stop opening; the passphrase (or the
//! user's own identity file) does not change with it.

use secrecy::SecretString;

use super::rotate::Resealer;
use super::vault::Vault;
use crate::crypto::KdfCost;

/// The key a default export is encrypted to.
pub enum OwnerKey<'a> {
    /// scrypt with the vault passphrase, at the vault's own cost. age allows
    /// no other recipient beside a passphrase, so the recovery key is not one.
    Passphrase {
        passphrase: &'a SecretString,
        cost: KdfCost,
    },
    /// The recipients of the user's identity file (age or SSH).
    Recipients(&'a [Box<dyn age::Recipient + Send>]),
}

impl Vault {
    /// The key the owner's exports are encrypted to; `None` when this unlock
    /// gave none (an identity file whose recipients cannot be named, such as
    /// some plugin identities).
    pub fn owner_key(&self) -> Option<OwnerKey<'_>> {
        match self.resealer.as_ref()? {
            Resealer::Passphrase { passphrase, cost } => Some(OwnerKey::Passphrase {
                passphrase,
                cost: *cost,
            }),
            Resealer::Recipients(recipients) => Some(OwnerKey::Recipients(recipients)),
        }
    }
}
