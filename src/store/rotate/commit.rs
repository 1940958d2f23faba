//! The rotation itself (step 2 of the module's plan, with steps 1 and 3
//! around it): every wrapped key re-wrapped, every vault-level record
//! re-sealed, what the shred names removed, all in one sled transaction,
//! and only then the session switched to the new keys.

use std::collections::{BTreeSet, HashMap};
use std::fs;

use super::parallel::parallel_map;
use super::pending::{RotationMarker, discard_pending, finish_pending, write_pending};
use super::{PreparedIdentity, RotationReport, Shred};
use crate::crypto::seal::{self, RecordSlot};
use crate::crypto::{DataKey, KeyPurpose, Sealed, VaultIdentity, keys};
use crate::store::audit::{self, AuditEvent};
use crate::store::conversations::{IndexRecord, id_of_key};
use crate::store::error::VaultError;
use crate::store::ids::{ConversationId, split_message_key};
use crate::store::integrity;
use crate::store::manifest::VAULT_FORMAT;
use crate::store::messages::MessageRecord;
use crate::store::records::{Change, FAILED_UNLOCK_IMPORT_KEY, TreeId, VAULT_KEY_ID, open_value, seal_value};
use crate::store::recovery::{RECOVERY_RECIPIENT_KEY, recovery_recipient_change};
use crate::store::vault::Vault;
use crate::store::watermark;
use crate::time::Timestamp;

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
        if rotated.is_ok()
            && let Err(e) = self.renew_snapshots()
        {
            // The rotation stands; only the copy `sotto repair` would use is missing.
            self.repairs
                .push(super::super::Repair::SnapshotNotTaken { reason: e.to_string() });
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
            from: crate::store::migrate::LEGACY_FORMAT,
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
