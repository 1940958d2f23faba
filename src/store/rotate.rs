//! Identity rotation: the step that makes a wipe cryptographic.
//!
//! sled keeps removed bytes on disk, so a removed record is not erased. A
//! rotation makes those leftovers useless: it generates a new vault identity
//! and a new vault key, re-wraps every live data key to the new identity,
//! re-seals every vault-level record (index, audit, settings, meta) under the
//! new vault key, gives a conversation that loses only some messages a new data
//! key (re-sealing what stays), and then destroys the old identity. Leftover
//! copies of a wiped key are wrapped to an identity that no longer exists, and
//! leftover index entries are sealed under a vault key wrapped only to it.
//!
//! It is atomic across sled and the identity files:
//!
//! 1. `rotation.pending` (the old and new recipients, public keys only), then
//!    `identity.next.age` (and `recovery.next.age`, `watermark.next.sealed`)
//!    are written, durably. Until step 2 lands they are ignored and removed.
//! 2. One sled transaction swaps every wrapped key and re-sealed record, and is
//!    flushed. This is the commit point.
//! 3. The old `identity.age` (and `recovery.age`) are overwritten in place,
//!    the new files renamed over them, the manifest updated, and
//!    `rotation.pending` removed last.
//!
//! At unlock, a `rotation.pending` means a rotation was interrupted: whether the
//! identity that unwraps the vault key is its old or its new one decides
//! whether it is finished (step 3 again) or rolled back (the new files
//! removed). So a kill at any moment leaves a vault that opens, with the
//! rotation either done or not.

use secrecy::SecretString;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use super::audit::{self, AuditEvent};
use super::conversations::{IndexRecord, id_of_key};
use super::error::VaultError;
use super::fsutil;
use super::ids::{ConversationId, split_message_key};
use super::integrity;
use super::layout::VaultPaths;
use super::manifest::{VAULT_FORMAT, VaultManifest};
use super::messages::MessageRecord;
use super::records::{Change, FAILED_UNLOCK_IMPORT_KEY, TreeId, VAULT_KEY_ID, open_value, seal_value};
use super::recovery::{RECOVERY_RECIPIENT_KEY, recovery_recipient_change};
use super::vault::Vault;
use super::watermark;
use crate::crypto::seal::{self, RecordSlot};
use crate::crypto::{DataKey, KdfCost, KeyPurpose, Sealed, VaultIdentity, keys};
use crate::time::Timestamp;

/// How a new vault identity gets the same protection as the current one.
pub(crate) enum Resealer {
    /// scrypt with the vault passphrase, at the cost the current file uses.
    Passphrase { passphrase: SecretString, cost: KdfCost },
    /// Encrypted to the recipients of the user's own identity file.
    Recipients(Vec<Box<dyn age::Recipient + Send>>),
}

impl Resealer {
    pub(crate) fn seal(&self, identity: &VaultIdentity, created: Timestamp) -> Result<Vec<u8>, VaultError> {
        match self {
            Resealer::Passphrase { passphrase, cost } => Ok(identity.seal_with_passphrase(passphrase, *cost, created)),
            Resealer::Recipients(recipients) => {
                identity
                    .seal_to_recipients(recipients, created)
                    .map_err(|e| VaultError::CannotRotate {
                        reason: format!("the new identity could not be encrypted to your identity file ({e})"),
                    })
            }
        }
    }
}

/// A new identity sealed ahead of time on a thread of its own, so that a
/// wipe does not wait for scrypt (about half a second at the default cost).
pub(crate) struct PreparedIdentity {
    identity: VaultIdentity,
    sealed: Vec<u8>,
}

impl PreparedIdentity {
    /// Starts sealing a new identity with `passphrase` at `cost`.
    fn start(passphrase: SecretString, cost: KdfCost) -> std::thread::JoinHandle<PreparedIdentity> {
        std::thread::spawn(move || {
            let identity = VaultIdentity::generate();
            let sealed = identity.seal_with_passphrase(&passphrase, cost, Timestamp::now());
            PreparedIdentity { identity, sealed }
        })
    }

    /// The prepared identity, waiting for it if it is not ready yet.
    fn wait(handle: std::thread::JoinHandle<PreparedIdentity>) -> Option<PreparedIdentity> {
        handle.join().ok()
    }
}

impl Vault {
    /// Starts preparing the next identity in the background, when the next
    /// rotation would otherwise pay for scrypt. The chat screen calls it when
    /// a wipe is being confirmed; the rotation waits for it if it must.
    pub fn prepare_rotation(&mut self) {
        if self.next_identity.is_some() {
            return;
        }
        if let Some(Resealer::Passphrase { passphrase, cost }) = &self.resealer {
            self.next_identity = Some(PreparedIdentity::start(passphrase.clone(), *cost));
        }
    }

    /// Whether an identity is prepared (or being prepared).
    pub fn rotation_prepared(&self) -> bool {
        self.next_identity.is_some()
    }
}

/// What a rotation removes besides rotating.
#[derive(Debug, Default)]
pub(crate) struct Shred {
    /// Conversations removed whole: records, index entry and wrapped key.
    pub conversations: BTreeSet<ConversationId>,
    /// Messages removed from conversations that stay; each such conversation
    /// gets a new data key and what stays is re-sealed under it.
    pub messages: BTreeMap<ConversationId, BTreeSet<u64>>,
}

impl Vault {
    /// What a rotation that revokes the old identity removes: nothing, but
    /// every conversation whose key and index entry open gets a new data key
    /// (and its messages are re-sealed under it). A conversation already
    /// damaged is left as it is.
    pub(crate) fn rekey_every_conversation(&self) -> Result<Shred, VaultError> {
        let mut shred = Shred::default();
        for item in self.records.scan(TreeId::Keys) {
            let (key, _) = item?;
            let Some(id) = id_of_key(&key) else { continue };
            if self.conversation_key(id).is_ok() && self.index_record(id).is_ok() {
                shred.messages.insert(id, BTreeSet::new());
            }
        }
        Ok(shred)
    }
}

/// What a rotation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Conversations removed whole.
    pub conversations_removed: u64,
    /// Message records removed (in removed conversations and from others).
    pub messages_removed: u64,
    /// Live data keys re-wrapped to the new identity.
    pub keys_rewrapped: u64,
    /// Records that were already unreadable and so could not be re-keyed; they
    /// were left as they were (`sotto verify` lists them).
    pub left_damaged: u64,
}

/// `rotation.pending`: which recipient a rotation goes from and to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotationMarker {
    pub from: String,
    pub to: String,
    /// Whether the rotation wrote a recovery copy (`recovery.next.age`). If
    /// not, the old `recovery.age` is destroyed with the old identity it
    /// holds. Markers from before this field always renamed a copy if any.
    #[serde(default = "wrote_recovery_copy_by_default")]
    pub recovery: bool,
}

fn wrote_recovery_copy_by_default() -> bool {
    true
}

impl RotationMarker {
    /// The marker of an interrupted rotation, if there is one.
    pub fn load(paths: &VaultPaths) -> Result<Option<Self>, VaultError> {
        let path = paths.rotation_marker();
        let text = match fsutil::read_regular(&path, fsutil::SMALL_FILE_CAP) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(VaultError::io("read", path)(e)),
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| VaultError::ManifestInvalid {
                path,
                reason: e.message().to_owned(),
            })
    }

    fn save(&self, paths: &VaultPaths) -> Result<(), VaultError> {
        let body = toml::to_string(self).expect("invariant: two strings serialize to TOML");
        let path = paths.rotation_marker();
        fsutil::write_private_file_atomic(&path, body.as_bytes()).map_err(VaultError::io("write", path))
    }
}

impl Vault {
    /// Rotates the vault identity and vault key, removing what `shred` names in
    /// the same commit, with the audit event `event` makes of the report.
    pub(crate) fn rotate(
        &mut self,
        shred: &Shred,
        event: impl FnOnce(&RotationReport) -> AuditEvent,
    ) -> Result<RotationReport, VaultError> {
        self.rotate_with_recovery(shred, None, event)
    }

    /// [`rotate`](Self::rotate), with `new_recovery` (an `age1…` recipient)
    /// replacing the recovery key in the same commit: the new identity is
    /// encrypted to it, and the old identity, which the old recovery key
    /// opened, is destroyed.
    pub(crate) fn rotate_with_recovery(
        &mut self,
        shred: &Shred,
        new_recovery: Option<&str>,
        event: impl FnOnce(&RotationReport) -> AuditEvent,
    ) -> Result<RotationReport, VaultError> {
        if self.resealer.is_none() {
            return Err(VaultError::CannotRotate {
                reason: "this session cannot protect a new identity (it was unlocked with the recovery key, or the recipients of your identity file could not be read); \
                         set a passphrase with 'sotto passphrase --reset' first"
                    .into(),
            });
        }
        // A format-1 vault is migrated by this rotation (see `migrate`).
        let migrating = self.identity.is_legacy();
        let new_integrity_key = migrating && self.prepare_legacy_for_rotation()?;
        let rotated = self.rotate_armed(shred, new_recovery, new_integrity_key, migrating, event);
        if rotated.is_err() && new_integrity_key && self.identity.is_legacy() {
            // Not committed: the state made for it must not be written by a
            // later commit of this session without its key.
            self.records.disarm();
        }
        rotated
    }

    fn rotate_armed(
        &mut self,
        shred: &Shred,
        new_recovery: Option<&str>,
        new_integrity_key: bool,
        migrating: bool,
        event: impl FnOnce(&RotationReport) -> AuditEvent,
    ) -> Result<RotationReport, VaultError> {
        let resealer = self.resealer.as_ref().ok_or_else(|| VaultError::CannotRotate {
            reason: "this session cannot protect a new identity (it was unlocked with the recovery key, or the recipients of your identity file could not be read); \
                     set a passphrase with 'sotto passphrase --reset' first"
                .into(),
        })?;
        let now = Timestamp::now();
        let (identity, sealed_identity) = match self.next_identity.take().and_then(PreparedIdentity::wait) {
            Some(prepared) => (prepared.identity, prepared.sealed),
            None => {
                let identity = VaultIdentity::generate();
                let sealed = resealer.seal(&identity, now)?;
                (identity, sealed)
            }
        };
        let recipient = identity.recipient();
        let recovery = match new_recovery {
            Some(r) => Some(r.to_owned()),
            None => self.recovery_recipient(),
        };
        let sealed_recovery = self.seal_for_recovery(&identity, recovery.as_deref(), now)?;
        let vault_key = DataKey::generate();
        let mut report = RotationReport::default();

        let mut changes = Vec::new();
        let mut new_keys: HashMap<ConversationId, DataKey> = HashMap::new();
        // Keys that stay: (id, the key if cached, else its wrapped form).
        let mut to_rewrap: Vec<(ConversationId, Result<DataKey, Vec<u8>>)> = Vec::new();
        for item in self.records.scan(TreeId::Keys) {
            let (key, wrapped) = item?;
            if &*key == VAULT_KEY_ID {
                changes.push(put(
                    TreeId::Keys,
                    &key,
                    keys::wrap(&vault_key, KeyPurpose::Vault, &identity),
                ));
                continue;
            }
            let Some(id) = id_of_key(&key) else {
                report.left_damaged += 1;
                continue;
            };
            if shred.conversations.contains(&id) {
                changes.push(remove(TreeId::Keys, &key));
                continue;
            }
            let data_key = if shred.messages.contains_key(&id) {
                Ok(new_keys.entry(id).or_insert_with(DataKey::generate).clone())
            } else {
                self.conversation_keys
                    .borrow()
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| wrapped.to_vec())
            };
            to_rewrap.push((id, data_key));
        }
        // Each re-wrap is an X25519 agreement (and each unwrap another), about
        // 60 µs apiece: spread over the cores.
        let old_identity = &self.identity;
        let rewrapped = parallel_map(&to_rewrap, |(id, data_key)| {
            let purpose = KeyPurpose::Conversation(*id.as_bytes());
            let data_key = match data_key {
                Ok(key) => key.clone(),
                Err(wrapped) => keys::unwrap(wrapped, purpose, old_identity).ok()?,
            };
            Some(keys::wrap(&data_key, purpose, &identity))
        });
        for ((id, _), wrapped) in to_rewrap.iter().zip(rewrapped) {
            match wrapped {
                Some(wrapped) => {
                    changes.push(put(TreeId::Keys, id.as_bytes(), wrapped));
                    report.keys_rewrapped += 1;
                }
                None => report.left_damaged += 1,
            }
        }

        let mut index_updates = HashMap::new();
        for (id, seqs) in &shred.messages {
            let Some(new_key) = new_keys.get(id) else {
                continue; // no wrapped key: the conversation is gone or damaged
            };
            let update = self.reseal_conversation(*id, seqs, new_key, &mut changes, &mut report)?;
            index_updates.insert(*id, update);
        }
        for id in &shred.conversations {
            for item in self.records.scan_prefix(TreeId::Messages, id.as_bytes()) {
                let (key, _) = item?;
                changes.push(remove(TreeId::Messages, &key));
                report.messages_removed += 1;
            }
        }
        for tree in [TreeId::Index, TreeId::Audit, TreeId::Settings, TreeId::Meta] {
            for item in self.records.scan(tree) {
                let (key, sealed) = item?;
                let id = (tree == TreeId::Index).then(|| id_of_key(&key)).flatten();
                if id.is_some_and(|id| shred.conversations.contains(&id)) {
                    changes.push(remove(tree, &key));
                    report.conversations_removed += 1;
                } else if tree == TreeId::Meta && &*key == FAILED_UNLOCK_IMPORT_KEY {
                    changes.push(remove(tree, &key));
                } else if tree == TreeId::Meta
                    && (&*key == integrity::STATE_KEY || (new_recovery.is_some() && &*key == RECOVERY_RECIPIENT_KEY))
                {
                    // Written below: the state by the commit itself, the
                    // recovery recipient new.
                } else if let Some(update) = id.and_then(|id| index_updates.get(&id)) {
                    changes.push(put(tree, &key, seal_value(&vault_key, tree, &key, update)));
                } else {
                    let slot = RecordSlot {
                        tree: tree.name(),
                        key: &key,
                    };
                    match seal::open(&self.vault_key, slot, &sealed) {
                        Ok(plaintext) => changes.push(put(tree, &key, seal::seal(&vault_key, slot, &plaintext))),
                        Err(_) => report.left_damaged += 1,
                    }
                }
            }
        }
        if let Some(recovery) = new_recovery {
            changes.push(recovery_recipient_change(&vault_key, recovery));
        }
        if new_integrity_key && let Some(key) = self.records.with_tracker(|t| t.key.clone()) {
            changes.push(Change::Put {
                tree: TreeId::Meta,
                key: integrity::INTEGRITY_KEY.to_vec(),
                value: seal_value(&vault_key, TreeId::Meta, integrity::INTEGRITY_KEY, &key.to_record()),
            });
        }
        let mut events = vec![(now, event(&report))];
        let migrated = AuditEvent::VaultMigrated {
            from: super::migrate::LEGACY_FORMAT,
            to: VAULT_FORMAT,
        };
        if migrating && events[0].1 != migrated {
            events.push((now, migrated));
        }
        changes.extend(audit::append_changes_sealed_with(
            &self.records,
            &self.vault_key,
            &vault_key,
            events,
        )?);

        let mut mark = self.current_watermark()?;
        for id in &shred.conversations {
            mark.conversations.remove(id);
        }
        let sealed_watermark = watermark::seal(&vault_key, &mark);

        // The failed-attempt side file was imported at unlock and nothing can
        // add to it while the lock is held; its entries are encrypted to the
        // old identity, so it goes now (its import marker goes in the commit).
        let side_file = self.paths.failed_unlocks();
        if side_file.exists() {
            fs::remove_file(&side_file).map_err(VaultError::io("remove", side_file))?;
        }
        let marker = RotationMarker {
            from: self.identity.recipient().to_string(),
            to: recipient.to_string(),
            recovery: sealed_recovery.is_some(),
        };
        write_pending(
            &self.paths,
            &marker,
            &sealed_identity,
            sealed_recovery.as_deref(),
            sealed_watermark.as_bytes(),
        )?;
        if let Err(e) = self.records.commit_rekeyed(&changes, &vault_key) {
            let _ = discard_pending(&self.paths);
            return Err(e);
        }
        // Committed (in memory at least): from here this session uses the new
        // keys whatever happens, and the next unlock finishes the rotation.
        self.identity = identity;
        // The bytes that become `identity.age`, so that the identity guard
        // can never write back the one this rotation destroys.
        self.identity_file = Some(sealed_identity);
        self.vault_key = vault_key;
        {
            let mut cache = self.conversation_keys.borrow_mut();
            cache.retain(|id, _| !shred.conversations.contains(id));
            cache.extend(new_keys);
        }
        self.streaming.retain(|(id, _)| !shred.conversations.contains(id));
        self.records.flush()?;
        let mut manifest = self.manifest.clone();
        manifest.format = VAULT_FORMAT;
        manifest.recipient = recipient.to_string();
        manifest.recovery = None;
        manifest.recovery_key = recovery.is_some();
        finish_pending(&self.paths, &manifest, &marker)?;
        self.manifest = manifest;
        Ok(report)
    }

    /// Re-seals the messages of `id` that are not in `drop` under `new_key`,
    /// removes the others, and returns the conversation's updated index entry.
    fn reseal_conversation(
        &self,
        id: ConversationId,
        drop: &BTreeSet<u64>,
        new_key: &DataKey,
        changes: &mut Vec<Change>,
        report: &mut RotationReport,
    ) -> Result<IndexRecord, VaultError> {
        let old_key = self.conversation_key(id)?;
        let mut index = self.index_record(id)?;
        let (mut first, mut last, mut count) = (None, None, 0u64);
        for item in self.records.scan_prefix(TreeId::Messages, id.as_bytes()) {
            let (key, sealed) = item?;
            if split_message_key(&key).is_some_and(|(_, seq)| drop.contains(&seq)) {
                changes.push(remove(TreeId::Messages, &key));
                report.messages_removed += 1;
                continue;
            }
            count += 1;
            match open_value::<MessageRecord>(&old_key, TreeId::Messages, &key, &sealed) {
                Ok(record) => {
                    first = Some(first.map_or(record.at, |t: Timestamp| t.min(record.at)));
                    last = Some(last.map_or(record.at, |t: Timestamp| t.max(record.at)));
                    changes.push(put(
                        TreeId::Messages,
                        &key,
                        seal_value(new_key, TreeId::Messages, &key, &record),
                    ));
                }
                Err(_) => report.left_damaged += 1,
            }
        }
        index.message_count = count;
        index.first_message_at = first;
        index.last_message_at = last;
        Ok(index)
    }

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

pub(crate) fn recovery_recipient(paths: &VaultPaths, text: &str) -> Result<age::x25519::Recipient, VaultError> {
    text.parse().map_err(|e: &str| VaultError::ManifestInvalid {
        path: paths.manifest(),
        reason: format!("its recovery recipient is not an age X25519 recipient ({e})"),
    })
}

/// `f` over `items` on every core, results in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

fn put(tree: TreeId, key: &[u8], value: Sealed) -> Change {
    Change::Put {
        tree,
        key: key.to_vec(),
        value,
    }
}

fn remove(tree: TreeId, key: &[u8]) -> Change {
    Change::Remove {
        tree,
        key: key.to_vec(),
    }
}

/// Step 1: the new files, durable before the commit.
fn write_pending(
    paths: &VaultPaths,
    marker: &RotationMarker,
    identity: &[u8],
    recovery: Option<&[u8]>,
    watermark: &[u8],
) -> Result<(), VaultError> {
    let written = (|| {
        marker.save(paths)?;
        fsutil::write_private_file_atomic(&paths.watermark_next(), watermark)
            .map_err(VaultError::io("write", paths.watermark_next()))?;
        if let Some(recovery) = recovery {
            fsutil::write_private_file_atomic(&paths.recovery_next(), recovery)
                .map_err(VaultError::io("write", paths.recovery_next()))?;
        }
        fsutil::write_private_file_atomic(&paths.identity_next(), identity)
            .map_err(VaultError::io("write", paths.identity_next()))
    })();
    if written.is_err() {
        let _ = discard_pending(paths);
    }
    written
}

/// Step 3, also run at unlock after an interrupted rotation whose commit
/// landed: destroy the old identity, put the new files in place. Idempotent.
pub(crate) fn finish_pending(
    paths: &VaultPaths,
    manifest: &VaultManifest,
    marker: &RotationMarker,
) -> Result<(), VaultError> {
    let root = paths.root();
    // The manifest first: from here it names the identity that opens the
    // vault key, whichever copy (identity or recovery) the next unlock uses.
    manifest.save(&paths.manifest())?;
    if paths.identity_next().exists() {
        shred_file(&paths.identity())?;
    }
    if !marker.recovery {
        // No recovery copy of the new identity: the old one holds the
        // identity this rotation destroys, so it goes too.
        shred_file(&paths.recovery())?;
        remove_if_present(&paths.recovery())?;
    } else if paths.recovery_next().exists() {
        shred_file(&paths.recovery())?;
        rename(&paths.recovery_next(), &paths.recovery())?;
    }
    if paths.watermark_next().exists() {
        rename(&paths.watermark_next(), &paths.watermark())?;
    }
    if paths.identity_next().exists() {
        rename(&paths.identity_next(), &paths.identity())?;
    }
    fsutil::sync_dir(root).map_err(VaultError::io("sync the directory", root))?;
    remove_if_present(&paths.rotation_marker())?;
    fsutil::sync_dir(root).map_err(VaultError::io("sync the directory", root))
}

/// Rolls back a rotation whose commit never landed: the new files go, the
/// marker last.
pub(crate) fn discard_pending(paths: &VaultPaths) -> Result<(), VaultError> {
    for path in [paths.watermark_next(), paths.recovery_next(), paths.identity_next()] {
        remove_if_present(&path)?;
    }
    fsutil::sync_dir(paths.root()).map_err(VaultError::io("sync the directory", paths.root()))?;
    remove_if_present(&paths.rotation_marker())?;
    fsutil::sync_dir(paths.root()).map_err(VaultError::io("sync the directory", paths.root()))
}

fn remove_if_present(path: &Path) -> Result<(), VaultError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(VaultError::io("remove", path)(e)),
    }
}

fn rename(from: &Path, to: &Path) -> Result<(), VaultError> {
    fs::rename(from, to).map_err(VaultError::io("move into place", to))
}

/// Overwrites a file's bytes in place with random data and syncs them, so the
/// old contents are gone from the file (not only unlinked) before it is
/// replaced. The file is opened relative to its directory without following
/// a symlink: whatever someone planted under the name is never written
/// through. What a copy-on-write filesystem or an SSD keeps of the old blocks
/// is beyond a program's reach; SECURITY.md says so.
pub(crate) fn shred_file(path: &Path) -> Result<(), VaultError> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Ok(());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match fsutil::DirHandle::open(dir) {
        Ok(handle) => handle.shred(name).map_err(VaultError::io("overwrite", path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(VaultError::io("overwrite", path)(e)),
    }
}
