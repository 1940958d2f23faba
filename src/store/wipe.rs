//! Wiping: one conversation, everything older than a date, or the whole
//! vault. Every wipe short of the whole vault is a rotation (see `rotate`), so
//! what it removed cannot be decrypted again even from leftover bytes and with
//! the passphrase. Wiping the whole vault destroys the identity and the data
//! directory.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use rand::RngCore;
use secrecy::SecretString;

use super::audit::{AuditEvent, Scope};
use super::error::VaultError;
use super::fsutil;
use super::ids::{ConversationId, split_message_key};
use super::layout::VaultPaths;
use super::manifest::Protection;
use super::messages::MessageRecord;
use super::records::{TreeId, open_value};
use super::rotate::{Resealer, RotationReport, Shred, shred_file};
use super::vault::Vault;
use crate::crypto::KdfCost;
use crate::time::Timestamp;

/// The prefix of the directory a whole-vault wipe moves the vault to before
/// destroying it; leftovers of an interrupted wipe are finished by
/// [`finish_interrupted_wipes`].
const WIPED_PREFIX: &str = ".sotto-wiped-";

impl Vault {
    /// Wipes one conversation: its records and key go, and the identity is
    /// rotated so leftover copies can never be decrypted again.
    pub fn wipe_conversation(&mut self, id: ConversationId) -> Result<RotationReport, VaultError> {
        if self.records.get(TreeId::Index, id.as_bytes())?.is_none()
            && self.records.get(TreeId::Keys, id.as_bytes())?.is_none()
        {
            return Err(VaultError::ConversationNotFound(id));
        }
        let shred = Shred {
            conversations: BTreeSet::from([id]),
            ..Shred::default()
        };
        self.rotate(&shred, |report| AuditEvent::Wipe {
            scope: Scope::Conversation { id },
            conversations: report.conversations_removed,
            messages: report.messages_removed,
        })
    }

    /// Wipes every message written before `before`, and every conversation
    /// left with nothing newer, in one rotation.
    pub fn wipe_older_than(&mut self, before: Timestamp) -> Result<RotationReport, VaultError> {
        let shred = self.plan_expiry(|_| Some(before))?;
        self.rotate(&shred, |report| AuditEvent::Wipe {
            scope: Scope::OlderThan { before },
            conversations: report.conversations_removed,
            messages: report.messages_removed,
        })
    }

    /// What expires when each conversation's messages older than
    /// `cutoff(conversation)` go: whole conversations whose every message (and
    /// creation) is older, and single messages of the others.
    pub(crate) fn plan_expiry(
        &self,
        cutoff: impl Fn(ConversationId) -> Option<Timestamp>,
    ) -> Result<Shred, VaultError> {
        let mut shred = Shred::default();
        for conversation in self.list_conversations()?.conversations {
            let Some(before) = cutoff(conversation.id) else {
                continue;
            };
            let newest = conversation.last_message_at.unwrap_or(conversation.created);
            if newest < before && conversation.created < before {
                shred.conversations.insert(conversation.id);
                continue;
            }
            if conversation.first_message_at.is_none_or(|t| t >= before) {
                continue;
            }
            let key = self.conversation_key(conversation.id)?;
            let mut expired = BTreeSet::new();
            for item in self.records.scan_prefix(TreeId::Messages, conversation.id.as_bytes()) {
                let (record_key, sealed) = item?;
                let Some((_, seq)) = split_message_key(&record_key) else {
                    continue;
                };
                // An unreadable message has no readable time: it stays, and verify reports it.
                if let Ok(record) = open_value::<MessageRecord>(&key, TreeId::Messages, &record_key, &sealed)
                    && record.at < before
                {
                    expired.insert(seq);
                }
            }
            if !expired.is_empty() {
                shred.messages.insert(conversation.id, expired);
            }
        }
        Ok(shred)
    }

    /// Rotates the vault identity on demand (`sotto rekey`).
    pub fn rekey(&mut self) -> Result<RotationReport, VaultError> {
        self.rotate(&Shred::default(), |_| AuditEvent::Rekey)
    }

    /// Sets a new passphrase. The identity is rotated with it, so a copy of
    /// the old identity file (a backup, a leftover block) opened with the old
    /// passphrase unwraps nothing that is stored now.
    pub fn change_passphrase(&mut self, passphrase: &SecretString, cost: KdfCost) -> Result<(), VaultError> {
        if !matches!(self.manifest.protection, Protection::Passphrase) {
            return Err(VaultError::NotPassphraseProtected {
                path: self.paths.root().to_owned(),
            });
        }
        let before = self.identity.recipient().to_string();
        // One prepared with the old passphrase would be sealed with the wrong one.
        self.next_identity = None;
        let previous = self.resealer.replace(Resealer::Passphrase {
            passphrase: passphrase.clone(),
            cost,
        });
        let rotated = self.rotate(&Shred::default(), |_| AuditEvent::PassphraseChanged);
        // A rotation that failed before its commit left the old identity, and
        // with it the old passphrase, in use.
        if rotated.is_err() && self.identity.recipient().to_string() == before {
            self.resealer = previous;
        }
        rotated.map(|_| ())
    }

    /// Destroys the whole vault: the identity is overwritten, then the data
    /// directory removed. The vault is first moved aside in one rename, so a
    /// kill at any moment leaves either the vault or no vault; the next sotto
    /// run finishes destroying what was moved aside.
    pub fn wipe_everything(mut self) -> Result<(), VaultError> {
        // Nothing of this vault is worth a watermark any more.
        self.watermark_armed = false;
        let root = self.paths.root().to_owned();
        let parent = parent_of(&root);
        let mut suffix = [0u8; 6];
        rand::rngs::OsRng.fill_bytes(&mut suffix);
        let aside = parent.join(format!("{WIPED_PREFIX}{}", fsutil::hex(&suffix)));
        match fs::rename(&root, &aside) {
            Ok(()) => {
                fsutil::sync_dir(&parent).map_err(VaultError::io("sync the directory", &parent))?;
                drop(self);
                destroy(&aside)
            }
            Err(_) => {
                // A mount point cannot be renamed: destroy in place. The
                // identity goes first, so from then on nothing can be read.
                shred_identities(&VaultPaths::new(&root))?;
                drop(self);
                empty_dir(&root)
            }
        }
    }
}

/// Finishes whole-vault wipes that were interrupted after the vault was moved
/// aside, next to `root`. Best effort: whatever fails is tried again next time.
pub fn finish_interrupted_wipes(root: &Path) {
    let parent = parent_of(root);
    let Ok(entries) = fs::read_dir(&parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(WIPED_PREFIX) && entry.path().is_dir() {
            let _ = destroy(&entry.path());
        }
    }
}

/// Overwrites the identity files of the vault at `root` in place: whatever
/// else is left there can never be decrypted. For throwaway vaults (`sotto
/// demo`) whose directory is removed right after.
pub fn destroy_identity_files(root: &Path) -> Result<(), VaultError> {
    shred_identities(&VaultPaths::new(root))
}

fn parent_of(root: &Path) -> PathBuf {
    root.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned()
}

fn shred_identities(paths: &VaultPaths) -> Result<(), VaultError> {
    for path in [
        paths.identity(),
        paths.identity_next(),
        paths.recovery(),
        paths.recovery_next(),
    ] {
        shred_file(&path)?;
    }
    Ok(())
}

fn destroy(dir: &Path) -> Result<(), VaultError> {
    shred_identities(&VaultPaths::new(dir))?;
    fs::remove_dir_all(dir).map_err(VaultError::io("remove", dir))?;
    let parent = parent_of(dir);
    fsutil::sync_dir(&parent).map_err(VaultError::io("sync the directory", &parent))
}

/// Removes everything inside `dir`, the manifest first (from then on it is no vault).
fn empty_dir(dir: &Path) -> Result<(), VaultError> {
    let manifest = VaultPaths::new(dir).manifest();
    fs::remove_file(&manifest).map_err(VaultError::io("remove", &manifest))?;
    fsutil::sync_dir(dir).map_err(VaultError::io("sync the directory", dir))?;
    for entry in fs::read_dir(dir).map_err(VaultError::io("list", dir))? {
        let path = entry.map_err(VaultError::io("list", dir))?.path();
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(VaultError::io("remove", &path))?;
    }
    fsutil::sync_dir(dir).map_err(VaultError::io("sync the directory", dir))
}
