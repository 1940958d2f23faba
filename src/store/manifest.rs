//! The vault manifest, `vault.toml`: the one readable file in a vault. It says
//! which format the vault uses, which recipient its keys are wrapped to and how
//! the identity is protected, and nothing about any conversation. sotto needs it
//! before unlocking (to encrypt a failed-attempt record), and checks it against
//! the unlocked identity so a swapped manifest is detected.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::VaultError;
use super::fsutil;
use crate::time::Timestamp;

/// The format new vaults are made in: 2 authenticates wrapped keys and keeps
/// the integrity state. Format 1 vaults are read and migrated at the next
/// unlock that can (see `migrate`). The manifest's number is for people and
/// older versions; what decides is the mark inside the encrypted identity,
/// which an attacker cannot edit.
pub const VAULT_FORMAT: u32 = 2;
/// The oldest format this version still opens.
pub const OLDEST_FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultManifest {
    /// Format version of the vault layout and records.
    pub format: u32,
    /// When the vault was created.
    pub created: Timestamp,
    /// The vault identity's age recipient (`age1…`): every data key is wrapped to it.
    pub recipient: String,
    pub protection: Protection,
    /// Format 1 only: the recovery key's age recipient. Format 2 keeps it
    /// sealed and never writes it here: published, it would let anyone make
    /// a `recovery.age` the user's recovery key opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<String>,
    /// Whether the vault has a recovery key (for people; what counts is the
    /// sealed recipient).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovery_key: bool,
}

/// How `identity.age` is protected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Protection {
    /// scrypt-encrypted with the user's passphrase.
    Passphrase,
    /// Encrypted to the user's own age identity, kept in this file.
    IdentityFile { path: PathBuf },
}

const HEADER: &str = "# sotto vault manifest. It holds no secrets and nothing about any conversation.\n\
# Do not edit: sotto checks it against the vault identity at every unlock.\n";

impl VaultManifest {
    pub fn load(path: &Path) -> Result<Self, VaultError> {
        let bytes = fsutil::read_regular(path, fsutil::SMALL_FILE_CAP)
            .map_err(VaultError::io("read the vault manifest", path))?;
        let text = String::from_utf8(bytes).map_err(|_| VaultError::ManifestInvalid {
            path: path.to_owned(),
            reason: "it is not UTF-8 text".into(),
        })?;
        let manifest: VaultManifest = toml::from_str(&text).map_err(|e| VaultError::ManifestInvalid {
            path: path.to_owned(),
            reason: e.message().to_owned(),
        })?;
        if !(OLDEST_FORMAT..=VAULT_FORMAT).contains(&manifest.format) {
            return Err(VaultError::ManifestInvalid {
                path: path.to_owned(),
                reason: format!(
                    "it has format {}, and this sotto reads formats {OLDEST_FORMAT} to {VAULT_FORMAT}; use a newer sotto",
                    manifest.format
                ),
            });
        }
        Ok(manifest)
    }

    pub fn save(&self, path: &Path) -> Result<(), VaultError> {
        let body = toml::to_string(self).expect("invariant: the manifest is plain data that TOML can represent");
        fsutil::write_private_file_atomic(path, format!("{HEADER}{body}").as_bytes())
            .map_err(VaultError::io("write the vault manifest", path))
    }

    pub fn recipient(&self, path: &Path) -> Result<age::x25519::Recipient, VaultError> {
        self.recipient.parse().map_err(|e: &str| VaultError::ManifestInvalid {
            path: path.to_owned(),
            reason: format!("its recipient is not an age X25519 recipient ({e})"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_is_commented() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.toml");
        let manifest = VaultManifest {
            format: VAULT_FORMAT,
            created: Timestamp::from_unix_ms(1),
            recipient: crate::crypto::VaultIdentity::generate().recipient().to_string(),
            protection: Protection::IdentityFile {
                path: "/keys/me.txt".into(),
            },
            recovery: None,
            recovery_key: false,
        };
        manifest.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# sotto vault manifest"));
        assert_eq!(VaultManifest::load(&path).unwrap(), manifest);
    }

    #[test]
    fn a_newer_format_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.toml");
        std::fs::write(
            &path,
            "format = 9\ncreated = 1\nrecipient = \"x\"\n[protection]\nkind = \"passphrase\"\n",
        )
        .unwrap();
        let err = VaultManifest::load(&path).unwrap_err().to_string();
        assert!(err.contains("format 9") && err.contains("newer sotto"), "{err}");
    }
}
