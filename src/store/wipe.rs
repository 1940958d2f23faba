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
use super::conversations::ConversationSummary;
use super::error::VaultError;
use super::fsutil;
use super::ids::{ConversationId, split_message_key};
use super::layout::VaultPaths;
use super::manifest::Protection;
use super::messages::MessageRecord;
use super::records::{TreeId, open_value};
use super::rotate::{Resealer, RotationReport, Shred};
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
        let conversations = self.list_conversations()?.conversations;
        let shred = self.plan_expiry(&conversations, |_| Some(before))?;
        self.rotate(&shred, |report| AuditEvent::Wipe {
            scope: Scope::OlderThan { before },
            conversations: report.conversations_removed,
            messages: report.messages_removed,
        })
    }

    /// What expires when each of `conversations`' messages older than
    /// `cutoff(conversation)` go: whole conversations whose every message (and
    /// creation) is older, and single messages of the others.
    pub(crate) fn plan_expiry(
        &self,
        conversations: &[ConversationSummary],
        cutoff: impl Fn(ConversationId) -> Option<Timestamp>,
    ) -> Result<Shred, VaultError> {
        let mut shred = Shred::default();
        for conversation in conversations {
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

    /// Rotates the vault identity on demand (`sotto rekey`), with a new data
    /// key for every conversation: whoever had the old identity can unwrap
    /// the old wrapped keys (from a backup, or left in sled's files), so the
    /// keys themselves must change for what is written from now on to be
    /// out of their reach.
    pub fn rekey(&mut self) -> Result<RotationReport, VaultError> {
        let shred = self.rekey_every_conversation()?;
        self.rotate(&shred, |_| AuditEvent::Rekey)
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
        let rotated = self
            .rekey_every_conversation()
            .and_then(|shred| self.rotate(&shred, |_| AuditEvent::PassphraseChanged));
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
        // The real directory, not a symlink to it (a vault may live behind
        // one): renaming the link would move the link and destroy nothing.
        let root = fs::canonicalize(self.paths.root()).map_err(VaultError::io("resolve", self.paths.root()))?;
        let parent = parent_of(&root);
        let mut suffix = [0u8; 6];
        rand::rngs::OsRng.fill_bytes(&mut suffix);
        let aside = parent.join(format!("{WIPED_PREFIX}{}", fsutil::hex(&suffix)));
        // Inside the vault (0700, nobody else writes there), naming the entry
        // it is moved to: what tells a vault moved aside by this wipe from a
        // live vault someone renamed (a stale marker names another name).
        let marker = root.join(WIPE_MARKER_NAME);
        let aside_name = aside
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        fsutil::write_private_file_atomic(&marker, aside_name.as_bytes()).map_err(VaultError::io("write", &marker))?;
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
///
/// This runs before the lock and the passphrase, on a directory others may
/// be able to write to (a data dir under a shared parent), so an entry is
/// destroyed only if it is a real directory (not a symlink to one), owned by
/// this user, holding a vault manifest and the wipe's own marker, both
/// regular files; and inside it nothing is followed through a symlink.
pub fn finish_interrupted_wipes(root: &Path) {
    // A vault behind a symlink was moved aside beside its real directory.
    let mut parents = vec![parent_of(root)];
    if let Ok(target) = fs::read_link(root) {
        parents.push(parent_of(&parent_of(root).join(target)));
    }
    for parent in parents {
        finish_interrupted_wipes_in(&parent);
    }
}

fn finish_interrupted_wipes_in(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(WIPED_PREFIX) {
            continue;
        }
        let path = entry.path();
        let Ok(dir) = fsutil::DirHandle::open_no_symlink(&path) else {
            continue; // a symlink, a file, or gone
        };
        let marked_for_this_name = dir.entry_kind(WIPE_MARKER_NAME).ok().flatten() == Some(libc::S_IFREG)
            && fsutil::read_regular(&path.join(WIPE_MARKER_NAME), fsutil::SMALL_FILE_CAP)
                .is_ok_and(|named| named == entry.file_name().as_encoded_bytes());
        let is_ours = dir.owned_by_this_user().unwrap_or(false)
            && dir.entry_kind(MANIFEST_NAME).ok().flatten() == Some(libc::S_IFREG)
            && marked_for_this_name;
        if is_ours {
            let _ = destroy_in(&dir, &path);
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

/// The name of the manifest inside a vault directory.
const MANIFEST_NAME: &str = "vault.toml";
/// Written inside a vault just before a whole-vault wipe moves it aside,
/// naming the entry it is moved to.
pub(crate) const WIPE_MARKER_NAME: &str = "wipe.pending";
/// The files that hold a copy of the vault identity, by name.
const IDENTITY_NAMES: [&str; 4] = ["identity.age", "identity.next.age", "recovery.age", "recovery.next.age"];

fn shred_identities(paths: &VaultPaths) -> Result<(), VaultError> {
    let root = paths.root();
    let dir = fsutil::DirHandle::open(root).map_err(VaultError::io("open", root))?;
    shred_identities_in(&dir, root)
}

fn shred_identities_in(dir: &fsutil::DirHandle, path: &Path) -> Result<(), VaultError> {
    for name in IDENTITY_NAMES {
        dir.shred(name).map_err(VaultError::io("overwrite", path.join(name)))?;
    }
    Ok(())
}

/// Destroys a vault moved aside to `path`, opened as `dir`: its identities
/// overwritten through the handle, then the tree removed (`remove_dir_all`
/// removes symlinks, never what they point to).
fn destroy_in(dir: &fsutil::DirHandle, path: &Path) -> Result<(), VaultError> {
    shred_identities_in(dir, path)?;
    fs::remove_dir_all(path).map_err(VaultError::io("remove", path))?;
    let parent = parent_of(path);
    fsutil::sync_dir(&parent).map_err(VaultError::io("sync the directory", &parent))
}

fn destroy(path: &Path) -> Result<(), VaultError> {
    let dir = fsutil::DirHandle::open_no_symlink(path).map_err(VaultError::io("open", path))?;
    destroy_in(&dir, path)
}

/// Removes everything inside `dir`, the manifest first (from then on it is no vault).
fn empty_dir(dir: &Path) -> Result<(), VaultError> {
    let manifest = VaultPaths::new(dir).manifest();
    fs::remove_file(&manifest).map_err(VaultError::io("remove", &manifest))?;
    fsutil::sync_dir(dir).map_err(VaultError::io("sync the directory", dir))?;
    for entry in fs::read_dir(dir).map_err(VaultError::io("list", dir))? {
        let entry = entry.map_err(VaultError::io("list", dir))?;
        let path = entry.path();
        // The entry's own type, not what a symlink points to.
        let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(VaultError::io("remove", &path))?;
    }
    fsutil::sync_dir(dir).map_err(VaultError::io("sync the directory", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_shredded_by_handle_are_the_identity_files_of_the_layout() {
        let paths = VaultPaths::new("/v");
        let layout: Vec<PathBuf> = [
            paths.identity(),
            paths.identity_next(),
            paths.recovery(),
            paths.recovery_next(),
        ]
        .to_vec();
        let named: Vec<PathBuf> = IDENTITY_NAMES.iter().map(|n| paths.root().join(n)).collect();
        assert_eq!(named, layout);
        assert_eq!(paths.manifest(), paths.root().join(MANIFEST_NAME));
    }
}
