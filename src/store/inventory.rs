//! The inventory: what the vault holds, in numbers, for `sotto view`. Counts
//! come from the conversation index, so taking stock never decrypts a message.

use std::path::PathBuf;

use super::error::VaultError;
use super::fsutil;
use super::manifest::Protection;
use super::vault::Vault;
use crate::crypto::identity::scrypt_work_factor;
use crate::crypto::user_identity::{UserIdentity, UserIdentityKind, needs_passphrase};
use crate::time::Timestamp;

/// How the vault identity is protected, as shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtectionInfo {
    /// scrypt at `N = 2^log_n`.
    Passphrase { log_n: Option<u8> },
    /// The user's own identity file, and what kind of file it is (if readable
    /// without a prompt).
    IdentityFile {
        path: PathBuf,
        kind: Option<UserIdentityKind>,
    },
}

#[derive(Clone, Debug)]
pub struct Inventory {
    pub path: PathBuf,
    pub format: u32,
    pub created: Timestamp,
    pub recipient: String,
    pub protection: ProtectionInfo,
    pub conversations: u64,
    pub damaged_conversations: u64,
    pub messages: u64,
    pub oldest_message: Option<Timestamp>,
    pub newest_message: Option<Timestamp>,
    pub bytes_on_disk: u64,
}

impl Vault {
    pub fn inventory(&self) -> Result<Inventory, VaultError> {
        let list = self.list_conversations()?;
        let protection = match &self.manifest.protection {
            Protection::Passphrase => {
                let sealed = super::fsutil::read_regular(&self.paths.identity(), super::fsutil::SMALL_FILE_CAP)
                    .map_err(VaultError::io("read the vault identity", self.paths.identity()))?;
                ProtectionInfo::Passphrase {
                    log_n: scrypt_work_factor(&sealed),
                }
            }
            Protection::IdentityFile { path } => ProtectionInfo::IdentityFile {
                path: path.clone(),
                kind: match needs_passphrase(path) {
                    Ok(true) => Some(UserIdentityKind::PassphraseEncrypted),
                    Ok(false) => UserIdentity::load(path, None).ok().map(|u| u.kind()),
                    Err(_) => None,
                },
            },
        };
        let root = self.paths.root();
        Ok(Inventory {
            path: root.to_owned(),
            format: self.manifest.format,
            created: self.manifest.created,
            recipient: self.recipient(),
            protection,
            conversations: list.conversations.len() as u64,
            damaged_conversations: list.damaged.len() as u64,
            messages: list.conversations.iter().map(|c| c.message_count).sum(),
            oldest_message: list.conversations.iter().filter_map(|c| c.first_message_at).min(),
            newest_message: list.conversations.iter().filter_map(|c| c.last_message_at).max(),
            bytes_on_disk: fsutil::tree_size(root).map_err(VaultError::io("measure", root))?,
        })
    }
}
