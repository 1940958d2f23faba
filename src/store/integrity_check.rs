//! Checking the vault against its integrity state (see `integrity`): at
//! unlock for the vault-level trees, in `verify` for every tree. What differs
//! is reported as tampering, in the unlock report and the audit log; a
//! settings record that differs is discarded unread, because using it is what
//! an attacker who puts an older copy back wants (a revoked API key, a
//! withdrawn consent).

use super::audit::{self, AuditEvent};
use super::error::VaultError;
use super::integrity::{
    self, DigestBytes, INTEGRITY_KEY, IntegrityKey, IntegrityKeyRecord, STATE_KEY, StateRecord, Tampering, Tracker,
};
use super::records::{Change, SETTINGS_KEY, TreeId, open_value, seal_value};
use super::vault::Vault;
use crate::time::Timestamp;

/// The trees whose digests are checked at every unlock: their size grows
/// with conversations, not messages.
const CHECKED_AT_UNLOCK: [TreeId; 4] = [TreeId::Keys, TreeId::Index, TreeId::Settings, TreeId::Meta];

impl Vault {
    /// At unlock: compares the vault-level records with the state record,
    /// arms the records' tracker with what is there now, and discards a
    /// settings record that differs. The caller puts what was found in the
    /// audit log, after the watermark check (an appended event would fill a
    /// gap left by lost ones).
    pub(crate) fn check_integrity(&mut self) -> Result<Vec<Tampering>, VaultError> {
        let key = self.load_integrity_key();
        let stored = self.load_state();
        let (key, stored) = match (key, stored) {
            (Some(key), Some(stored)) => (key, stored),
            // A format-1 vault: its migration makes them.
            (None, None) if self.identity.is_legacy() => return Ok(Vec::new()),
            _ => {
                self.initialize_integrity(0)?;
                return Ok(vec![Tampering::StateMissing]);
            }
        };
        let mut actual = stored.clone();
        for tree in CHECKED_AT_UNLOCK {
            *digest_mut(&mut actual, tree) = self.tree_digest(&key, tree)?;
        }
        actual.audit_next = audit::next_seq(&self.records)?;
        let mut found: Vec<Tampering> = [TreeId::Keys, TreeId::Index, TreeId::Meta]
            .into_iter()
            .filter(|tree| actual.digest(*tree) != stored.digest(*tree))
            .map(|tree| Tampering::Records { tree: tree.name() })
            .collect();
        if actual.audit_next != stored.audit_next {
            found.push(Tampering::AuditLog {
                expected: stored.audit_next,
                found: actual.audit_next,
            });
        }
        let settings_differ = actual.settings != stored.settings;
        self.records.arm(Tracker {
            key,
            seal_key: self.vault_key.clone(),
            state: actual,
        });
        if settings_differ {
            found.push(self.discard_settings()?);
        }
        Ok(found)
    }

    /// Makes a new integrity key and state from what the vault holds now,
    /// starting at `generation` (a new vault, a migration, or a state that
    /// was removed).
    pub(crate) fn initialize_integrity(&mut self, generation: u64) -> Result<(), VaultError> {
        let key = IntegrityKey::generate();
        let mut state = StateRecord {
            generation,
            audit_next: audit::next_seq(&self.records)?,
            watermark_written: self.paths.watermark().exists(),
            ..StateRecord::default()
        };
        for tree in [
            TreeId::Keys,
            TreeId::Index,
            TreeId::Settings,
            TreeId::Meta,
            TreeId::Messages,
        ] {
            *digest_mut(&mut state, tree) = self.tree_digest(&key, tree)?;
        }
        let sealed_key = seal_value(&self.vault_key, TreeId::Meta, INTEGRITY_KEY, &key.to_record());
        self.records.arm(Tracker {
            key,
            seal_key: self.vault_key.clone(),
            state,
        });
        // The key record counts in the meta digest like any other: the commit
        // takes the old one (if any) out and the new one in.
        self.records.commit(&[Change::Put {
            tree: TreeId::Meta,
            key: INTEGRITY_KEY.to_vec(),
            value: sealed_key,
        }])?;
        self.records.flush()
    }

    /// What `verify` adds: every tree, messages included, against the state
    /// the records follow now. `messages_damaged` says whether verify already
    /// found damaged messages, which explain a differing digest themselves.
    pub(crate) fn verify_integrity(&self, messages_damaged: bool) -> Result<Vec<Tampering>, VaultError> {
        let Some((key, state)) = self.records.with_tracker(|t| (t.key.clone(), t.state.clone())) else {
            return Ok(Vec::new()); // a format-1 vault opened with its recovery key: not migrated yet
        };
        let mut found = Vec::new();
        for tree in [
            TreeId::Keys,
            TreeId::Index,
            TreeId::Settings,
            TreeId::Meta,
            TreeId::Messages,
        ] {
            if tree == TreeId::Messages && messages_damaged {
                continue;
            }
            if Some(&self.tree_digest(&key, tree)?) != state.digest(tree) {
                found.push(Tampering::Records { tree: tree.name() });
            }
        }
        let audit_next = audit::next_seq(&self.records)?;
        if audit_next != state.audit_next {
            found.push(Tampering::AuditLog {
                expected: state.audit_next,
                found: audit_next,
            });
        }
        Ok(found)
    }

    /// The digest of the records of `tree` as they are now.
    fn tree_digest(&self, key: &IntegrityKey, tree: TreeId) -> Result<DigestBytes, VaultError> {
        let mut digest = DigestBytes::default();
        for item in self.records.scan(tree) {
            let (record_key, value) = item?;
            if integrity::is_digested(tree, &record_key) {
                integrity::xor_into(&mut digest, &key.record_mac(tree, &record_key, &value));
            }
        }
        Ok(digest)
    }

    /// The integrity key, if its record is there and opens.
    fn load_integrity_key(&self) -> Option<IntegrityKey> {
        let sealed = self.records.get(TreeId::Meta, INTEGRITY_KEY).ok()??;
        open_value::<IntegrityKeyRecord>(&self.vault_key, TreeId::Meta, INTEGRITY_KEY, &sealed)
            .ok()
            .map(|record| IntegrityKey::from_record(&record))
    }

    fn load_state(&self) -> Option<StateRecord> {
        let sealed = self.records.get(TreeId::Meta, STATE_KEY).ok()??;
        open_value(&self.vault_key, TreeId::Meta, STATE_KEY, &sealed).ok()
    }

    /// Removes a settings record that is not the one sotto last wrote, and
    /// says which settings it held (names only).
    fn discard_settings(&mut self) -> Result<Tampering, VaultError> {
        let names = self
            .setting_names()
            .map(|names| names.into_iter().map(|n| n.name).collect())
            .unwrap_or_default();
        self.records.commit(&[Change::Remove {
            tree: TreeId::Settings,
            key: SETTINGS_KEY.to_vec(),
        }])?;
        Ok(Tampering::SettingsDiscarded { names })
    }

    /// One audit event naming what was found, made durable.
    pub(crate) fn record_tampering(&mut self, found: &[Tampering]) -> Result<(), VaultError> {
        let mut what: Vec<String> = found.iter().map(|t| t.name().to_owned()).collect();
        what.dedup();
        self.append_audit(Timestamp::now(), AuditEvent::TamperingDetected { what })?;
        self.records.flush()
    }
}

fn digest_mut(state: &mut StateRecord, tree: TreeId) -> &mut DigestBytes {
    state
        .digest_mut(tree)
        .expect("invariant: only digested trees are passed here")
}
