//! Unlocking: turning the user's passphrase or identity file (or the
//! recovery key) into the vault identity, checked against the recipient
//! the manifest names. A wrong secret is recorded in the side file and
//! changes nothing else; the database stays closed until
//! [`LockedVault::open_unlocked`].

use std::path::Path;

use secrecy::SecretString;

use super::error::VaultError;
use super::failed_unlocks::{self, FailedUnlockReason};
use super::fsutil;
use super::manifest::Protection;
use super::rotate::Resealer;
use super::vault::{LockedVault, read_if_present};
use crate::crypto::identity::IdentityError;
use crate::crypto::user_identity::{self, UserIdentity, UserIdentityError};
use crate::crypto::{KdfCost, VaultIdentity};

/// The vault identity, unlocked, ready to open the database. Opaque, so only
/// the store can produce one.
pub struct UnlockedIdentity {
    /// What the user's secret opened: the current identity file, and the
    /// new one of an interrupted rotation if there is one (marked pending).
    /// Opening the database decides which of them the vault key is wrapped to.
    pub(crate) candidates: Vec<Candidate>,
    /// How to protect a new identity the same way (for rotations); `None`
    /// when unlocked with the recovery key.
    pub(crate) resealer: Option<Resealer>,
}

/// One identity an unlock opened, and whether it came from the pending file
/// of an interrupted rotation (`identity.next.age`, `recovery.next.age`).
pub(crate) struct Candidate {
    pub identity: VaultIdentity,
    pub pending: bool,
}

impl UnlockedIdentity {
    pub(crate) fn new(identity: VaultIdentity, resealer: Option<Resealer>) -> Self {
        UnlockedIdentity {
            candidates: vec![Candidate {
                identity,
                pending: false,
            }],
            resealer,
        }
    }
}

impl LockedVault {
    /// Whether [`LockedVault::unlock`] needs a passphrase: the vault's own, or
    /// the one protecting the user's identity file.
    pub fn needs_passphrase(&self) -> Result<bool, VaultError> {
        match &self.manifest.protection {
            Protection::Passphrase => Ok(true),
            Protection::IdentityFile { path } => Ok(user_identity::needs_passphrase(path)?),
        }
    }

    /// Recovers the vault identity. A wrong passphrase or identity is recorded
    /// in the side file and changes nothing else.
    pub fn unlock(&self, passphrase: Option<&SecretString>) -> Result<UnlockedIdentity, VaultError> {
        let identity_path = self.paths.identity();
        let sealed = fsutil::read_regular(&identity_path, fsutil::SMALL_FILE_CAP).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => VaultError::IdentityMissing {
                path: self.root().to_owned(),
                identity: identity_path.clone(),
            },
            _ => VaultError::Io {
                action: "read the vault identity",
                path: identity_path.clone(),
                source: e,
            },
        })?;
        let rotating = self.paths.rotation_marker().exists();
        let pending = if rotating {
            read_if_present(&self.paths.identity_next())?
        } else {
            None
        };
        let current = self.open_identity_file(&sealed, passphrase);
        let mut candidates = Vec::new();
        let mut resealer = match current {
            Ok((identity, resealer)) => {
                if !rotating {
                    self.check_recipient(&identity)?;
                }
                candidates.push(Candidate {
                    identity,
                    pending: false,
                });
                resealer
            }
            // The secret was wrong: the pending file, sealed with the same one, would fail too.
            Err(
                e @ (VaultError::WrongPassphrase { .. }
                | VaultError::WrongIdentity { .. }
                | VaultError::PassphraseRequired { .. }
                | VaultError::PluginFailed { .. }
                | VaultError::UserIdentity(_)),
            ) => return Err(e),
            // An interrupted rotation may have overwritten the old file already.
            Err(e) if pending.is_none() => return Err(e),
            Err(_) => None,
        };
        if let Some(pending) = pending {
            match self.open_identity_file(&pending, passphrase) {
                Ok((identity, next_resealer)) => {
                    candidates.push(Candidate {
                        identity,
                        pending: true,
                    });
                    // Both were sealed with the same secret: either reseals alike.
                    resealer = resealer.or(next_resealer);
                }
                Err(e) if candidates.is_empty() => return Err(e),
                Err(_) => {}
            }
        }
        Ok(UnlockedIdentity { candidates, resealer })
    }

    /// Opens one sealed identity file with the user's secret, and says how to
    /// seal a new identity the same way.
    fn open_identity_file(
        &self,
        sealed: &[u8],
        passphrase: Option<&SecretString>,
    ) -> Result<(VaultIdentity, Option<Resealer>), VaultError> {
        match &self.manifest.protection {
            Protection::Passphrase => {
                let identity = self.unlock_with_passphrase(sealed, passphrase)?;
                let resealer = passphrase
                    .zip(scrypt_cost(sealed))
                    .map(|(passphrase, cost)| Resealer::Passphrase {
                        passphrase: passphrase.clone(),
                        cost,
                    });
                Ok((identity, resealer))
            }
            Protection::IdentityFile { path } => {
                let (identity, user) = self.unlock_with_identity_file(sealed, path, passphrase)?;
                Ok((identity, user.recipients().ok().map(Resealer::Recipients)))
            }
        }
    }

    fn check_recipient(&self, identity: &VaultIdentity) -> Result<(), VaultError> {
        let actual = identity.recipient().to_string();
        if actual != self.manifest.recipient {
            return Err(VaultError::RecipientMismatch {
                path: self.root().to_owned(),
                manifest: self.manifest.recipient.clone(),
                actual,
            });
        }
        Ok(())
    }

    fn unlock_with_passphrase(
        &self,
        sealed: &[u8],
        passphrase: Option<&SecretString>,
    ) -> Result<VaultIdentity, VaultError> {
        let passphrase = passphrase.ok_or_else(|| VaultError::PassphraseRequired {
            path: self.root().to_owned(),
        })?;
        VaultIdentity::open_with_passphrase(sealed, passphrase).map_err(|e| match e {
            IdentityError::WrongPassphrase => VaultError::WrongPassphrase {
                path: self.root().to_owned(),
                note: self.record_failure(FailedUnlockReason::WrongPassphrase),
            },
            other => self.identity_unreadable(other),
        })
    }

    fn unlock_with_identity_file(
        &self,
        sealed: &[u8],
        identity_file: &Path,
        passphrase: Option<&SecretString>,
    ) -> Result<(VaultIdentity, UserIdentity), VaultError> {
        let user = UserIdentity::load(identity_file, passphrase).map_err(|e| match e {
            UserIdentityError::WrongPassphrase(_) => VaultError::WrongPassphrase {
                path: self.root().to_owned(),
                note: self.record_failure(FailedUnlockReason::WrongPassphrase),
            },
            UserIdentityError::PassphraseRequired(_) => VaultError::PassphraseRequired {
                path: self.root().to_owned(),
            },
            other => other.into(),
        })?;
        let identity = VaultIdentity::open_with_identities(sealed, &user.identities()?).map_err(|e| match e {
            IdentityError::NoMatchingIdentity => VaultError::WrongIdentity {
                path: self.root().to_owned(),
                identity: identity_file.to_owned(),
                note: self.record_failure(FailedUnlockReason::WrongIdentity),
            },
            // A missing token, a wrong PIN, an absent plugin: the user can act on it.
            IdentityError::Plugin(reason) => VaultError::PluginFailed {
                path: self.root().to_owned(),
                reason,
            },
            other => self.identity_unreadable(other),
        })?;
        Ok((identity, user))
    }

    fn identity_unreadable(&self, e: IdentityError) -> VaultError {
        VaultError::IdentityUnreadable {
            identity: self.paths.identity(),
            reason: e.to_string(),
        }
    }

    /// Records a failed attempt in the side file, best effort: the unlock fails
    /// either way, and the returned note tells the user whether it was recorded.
    pub(crate) fn record_failure(&self, reason: FailedUnlockReason) -> String {
        let recorded = self
            .manifest
            .recipient(&self.paths.manifest())
            .map_err(|e| e.to_string())
            .and_then(|recipient| {
                failed_unlocks::record(&self.paths.failed_unlocks(), &recipient, reason).map_err(|e| e.to_string())
            });
        match recorded {
            Ok(()) => "the failed attempt was recorded and will be reported at the next unlock".into(),
            Err(e) => format!("the failed attempt could not be recorded ({e})"),
        }
    }
}

/// The scrypt cost a passphrase-protected identity file was sealed with.
fn scrypt_cost(sealed: &[u8]) -> Option<KdfCost> {
    crate::crypto::identity::scrypt_work_factor(sealed).and_then(|log_n| KdfCost::from_log_n(log_n).ok())
}
