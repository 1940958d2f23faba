//! Checking the vault against its integrity state (see `integrity`): at
//! unlock for the vault-level trees, in `verify` for every tree. What differs
//! is tampering. Everything an unlock finds (tampering and losses) is then
//! put on record in one commit: the audit events, the findings register, and
//! a settings record that cannot be trusted replaced, so that a crash can
//! neither lose a report nor leave the vault following what was found.
//!
//! The settings are failed closed: whenever they may be an older copy (their
//! digest differs, or what they are checked against was removed or rolled
//! back), they are replaced by a record holding only the protective settings
//! kept in the state (the retention default, the redaction mode), because
//! using them is what someone who puts an older copy back wants: a revoked
//! API key, a withdrawn consent, a looser mode.

use std::collections::BTreeMap;

use super::audit::{self, AuditEvent};
use super::error::VaultError;
use super::integrity::{
    self, DigestBytes, INTEGRITY_KEY, IntegrityKey, IntegrityKeyRecord, STATE_KEY, StateRecord, Tampering, Tracker,
};
use super::records::{Change, TreeId, open_value, seal_value};
use super::repair::RebuildNote;
use super::vault::Vault;
use super::watermark::StorageLoss;
use crate::time::Timestamp;

/// The trees whose digests are checked at every unlock: their size grows
/// with conversations, not messages.
const CHECKED_AT_UNLOCK: [TreeId; 4] = [TreeId::Keys, TreeId::Index, TreeId::Settings, TreeId::Meta];

/// What the unlock-time check found, before anything is written.
pub(crate) struct IntegrityCheck {
    pub found: Vec<Tampering>,
    /// The settings record is not the one sotto last wrote.
    pub settings_differ: bool,
    /// Changes to commit with the findings (a new integrity key).
    pub pending: Vec<Change>,
    /// The note `sotto repair` left in the database it rebuilt.
    pub rebuilt: Option<RebuildNote>,
}

impl Vault {
    /// At unlock: compares the vault-level records with the state record and
    /// arms the records' tracker with what is there now. Writes nothing (see
    /// [`record_unlock_findings`](Self::record_unlock_findings)).
    pub(crate) fn check_integrity(&mut self) -> Result<IntegrityCheck, VaultError> {
        let key = self.load_integrity_key();
        let stored = self.load_state();
        let (key, stored) = match (key, stored) {
            (Some(key), Some(stored)) => (key, stored),
            // A format-1 identity on a vault that was migrated (it has an
            // integrity record, even one that does not open under this
            // vault key, or a manifest of format 2): an old identity file
            // put back, with the old wrapped vault key. Refused, not migrated
            // again: that would trust the files the attacker chose.
            _ if self.identity.is_legacy() && self.has_format_2_evidence()? => {
                return Err(VaultError::IdentityFromBeforeMigration {
                    path: self.paths.root().to_owned(),
                });
            }
            // A format-1 vault: its migration makes them.
            (None, None) if self.identity.is_legacy() => {
                return Ok(IntegrityCheck {
                    found: Vec::new(),
                    settings_differ: false,
                    pending: Vec::new(),
                    rebuilt: None,
                });
            }
            _ => {
                // Start from what the last close knew, so that neither the
                // generation nor the protective settings go backwards. With no
                // watermark either, the protective settings come from the
                // record found, which cannot be trusted: only what is not
                // looser than the defaults is kept (see `untrusted_protective`).
                let change = match self.watermark_state() {
                    Some((generation, protective)) => {
                        let change = self.initialize_integrity(generation)?;
                        self.records.with_tracker(|t| t.state.protective = protective);
                        change
                    }
                    None => {
                        let change = self.initialize_integrity(0)?;
                        let kept = untrusted_protective(&self.records.state().unwrap_or_default().protective);
                        self.records.with_tracker(|t| t.state.protective = kept);
                        change
                    }
                };
                // A database `sotto repair` rebuilt has no state by design:
                // its note is what gets recorded.
                let rebuilt = self.rebuild_note();
                let found = if rebuilt.is_some() {
                    Vec::new()
                } else {
                    vec![Tampering::StateMissing]
                };
                return Ok(IntegrityCheck {
                    found,
                    settings_differ: false,
                    pending: vec![change],
                    rebuilt,
                });
            }
        };
        let mut actual = stored.clone();
        for tree in CHECKED_AT_UNLOCK {
            *digest_mut(&mut actual, tree) = self.tree_digest(&key, tree)?;
        }
        actual.audit_next = audit::next_seq(&self.records, &self.vault_key)?;
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
        Ok(IntegrityCheck {
            found,
            settings_differ,
            pending: Vec::new(),
            rebuilt: None,
        })
    }

    /// Puts what the unlock found on record, in one commit: the audit events,
    /// the findings register, a settings record that cannot be trusted
    /// replaced (see the module), and `pending`. Then, if the watermark was
    /// part of it, writes the watermark again. Adds to `found` what only this
    /// step knows (the settings discarded, a lost recovery record).
    pub(crate) fn record_unlock_findings(
        &mut self,
        check: IntegrityCheck,
        losses: &[StorageLoss],
        found: &mut Vec<Tampering>,
    ) -> Result<(), VaultError> {
        let IntegrityCheck {
            found: from_integrity,
            settings_differ,
            pending,
            rebuilt,
        } = check;
        let mut all = from_integrity;
        all.append(found);
        let watermark_unreadable = losses.iter().any(|l| !l.is_known_loss());
        let had_watermark = self.records.state().is_some_and(|s| s.watermark_written);
        // Records lost since the last close mean the database is older than
        // it was (disk damage or an older copy put back): its settings may
        // be older too, so they are failed closed as well.
        let settings_suspect = settings_differ
            || (watermark_unreadable && had_watermark)
            || losses.iter().any(StorageLoss::is_known_loss)
            || all.iter().any(|t| {
                matches!(
                    t,
                    Tampering::StateMissing | Tampering::RolledBack { .. } | Tampering::WatermarkRemoved
                )
            });
        let mut changes = pending;
        match self.settings_fallback()? {
            Some((names, change)) if settings_suspect => {
                changes.push(change);
                all.push(Tampering::SettingsDiscarded { names });
            }
            // The record was removed and there is nothing to put back: say so.
            _ if settings_differ => all.push(Tampering::Records { tree: "settings" }),
            _ => {}
        }
        // Repaired only once the report is committed: a crash in between must
        // not lose the report (the next unlock finds the same and says it).
        let recovery = self.recovery_copy_finding();
        all.extend(recovery.clone());
        let now = Timestamp::now();
        let mut events = Vec::new();
        if losses.iter().any(StorageLoss::is_known_loss) {
            events.push((
                now,
                AuditEvent::StorageLoss {
                    conversations: losses
                        .iter()
                        .filter(|l| matches!(l, StorageLoss::Conversation { .. } | StorageLoss::Messages { .. }))
                        .count() as u64,
                    messages: losses.iter().map(StorageLoss::messages).sum(),
                },
            ));
        }
        if watermark_unreadable {
            events.push((now, AuditEvent::WatermarkUnreadable));
        }
        if !all.is_empty() {
            let mut what: Vec<String> = all.iter().map(|t| t.name().to_owned()).collect();
            what.dedup();
            events.push((now, AuditEvent::TamperingDetected { what }));
        }
        if let Some(note) = &rebuilt {
            let (event, change) = note.on_record();
            events.push((now, event));
            changes.push(change);
        }
        let told: Vec<String> = rebuilt
            .iter()
            .map(ToString::to_string)
            .chain(losses.iter().map(StorageLoss::described))
            .chain(all.iter().map(ToString::to_string))
            .collect();
        if !told.is_empty() {
            changes.push(self.findings_change(now, &told));
        }
        changes.extend(audit::append_changes(&self.records, &self.vault_key, events)?);
        if !changes.is_empty() {
            self.records.commit(&changes)?;
            self.records.flush()?;
        }
        if let Some(finding) = recovery {
            self.repair_recovery_copy(&finding)?;
        }
        // On record now: from here the watermark follows the database (and
        // a crash before the next clean close does not report it again).
        if !losses.is_empty() || !all.is_empty() {
            self.write_watermark()?;
        }
        *found = all;
        Ok(())
    }

    /// Makes a new integrity key and state from what the vault holds now,
    /// starting at `generation`, and arms the tracker with it. Returns the
    /// change that stores the key, for the caller's next commit: the state
    /// record is written by that commit.
    pub(crate) fn initialize_integrity(&mut self, generation: u64) -> Result<Change, VaultError> {
        let key = IntegrityKey::generate();
        let mut state = StateRecord {
            generation,
            audit_next: audit::next_seq(&self.records, &self.vault_key)?,
            watermark_written: self.paths.watermark().exists(),
            protective: BTreeMap::new(),
            ..StateRecord::default()
        };
        for tree in integrity::DIGESTED_TREES {
            *digest_mut(&mut state, tree) = self.tree_digest(&key, tree)?;
        }
        state.protective = self.protective_settings().unwrap_or_default();
        let sealed_key = seal_value(&self.vault_key, TreeId::Meta, INTEGRITY_KEY, &key.to_record());
        self.records.arm(Tracker {
            key,
            seal_key: self.vault_key.clone(),
            state,
        });
        // The key record counts in the meta digest like any other: the commit
        // takes the old one (if any) out and the new one in.
        Ok(Change::Put {
            tree: TreeId::Meta,
            key: INTEGRITY_KEY.to_vec(),
            value: sealed_key,
        })
    }

    /// What `verify` adds: every tree, messages included, against the state
    /// the records follow now. `messages_damaged` says whether verify already
    /// found damaged messages, which explain a differing digest themselves.
    pub(crate) fn verify_integrity(&self, messages_damaged: bool) -> Result<Vec<Tampering>, VaultError> {
        let Some((key, state)) = self.records.with_tracker(|t| (t.key.clone(), t.state.clone())) else {
            return Ok(Vec::new()); // a format-1 vault opened with its recovery key: not migrated yet
        };
        let mut found = Vec::new();
        for tree in integrity::DIGESTED_TREES {
            if tree == TreeId::Messages && messages_damaged {
                continue;
            }
            if Some(&self.tree_digest(&key, tree)?) != state.digest(tree) {
                found.push(Tampering::Records { tree: tree.name() });
            }
        }
        let audit_next = audit::next_seq(&self.records, &self.vault_key)?;
        if audit_next != state.audit_next {
            found.push(Tampering::AuditLog {
                expected: state.audit_next,
                found: audit_next,
            });
        }
        Ok(found)
    }

    /// The digest of the messages as they are now (to take it again when
    /// findings are acknowledged); the stored one if the tracker is not armed.
    pub(crate) fn messages_digest_now(&self) -> Result<DigestBytes, VaultError> {
        match self.records.with_tracker(|t| t.key.clone()) {
            Some(key) => self.tree_digest(&key, TreeId::Messages),
            None => Ok(DigestBytes::default()),
        }
    }

    /// The digest of the records of `tree` as they are now.
    fn tree_digest(&self, key: &IntegrityKey, tree: TreeId) -> Result<DigestBytes, VaultError> {
        let mut digest = DigestBytes::default();
        let macs = key.record_macs();
        for item in self.records.scan(tree) {
            let (record_key, value) = item?;
            if integrity::is_digested(tree, &record_key) {
                integrity::xor_into(&mut digest, &macs.mac(tree, &record_key, &value));
            }
        }
        Ok(digest)
    }

    /// The recovery copy against its sealed record: a copy removed while
    /// the record is there, or a copy whose record was removed or does not
    /// open.
    fn recovery_copy_finding(&self) -> Option<Tampering> {
        if self.identity.is_legacy() {
            return None;
        }
        match (self.sealed_recovery_recipient(), self.paths.recovery().exists()) {
            (Some(_), false) => Some(Tampering::RecoveryCopyRemoved),
            (None, true) => Some(Tampering::RecoveryRecipientLost),
            _ => None,
        }
    }

    /// What `finding` calls for, once it is on record: a removed copy is
    /// written again (sotto has the identity and the sealed recipient); a
    /// copy without its record is destroyed, since it holds the identity for
    /// a recipient no rotation will keep current.
    fn repair_recovery_copy(&self, finding: &Tampering) -> Result<(), VaultError> {
        let path = self.paths.recovery();
        match finding {
            Tampering::RecoveryCopyRemoved => {
                let recipient = self.sealed_recovery_recipient();
                if let Some(sealed) = self.seal_for_recovery(&self.identity, recipient.as_deref(), Timestamp::now())? {
                    super::fsutil::write_private_file_atomic(&path, &sealed).map_err(VaultError::io("write", &path))?;
                }
            }
            Tampering::RecoveryRecipientLost => {
                super::rotate::shred_file(&path)?;
                std::fs::remove_file(&path).map_err(VaultError::io("remove", &path))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether anything says this vault was in format 2 already.
    fn has_format_2_evidence(&self) -> Result<bool, VaultError> {
        Ok(self.manifest.format >= super::manifest::VAULT_FORMAT
            || self.records.get(TreeId::Meta, INTEGRITY_KEY)?.is_some()
            || self.records.get(TreeId::Meta, STATE_KEY)?.is_some())
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
}

fn digest_mut(state: &mut StateRecord, tree: TreeId) -> &mut DigestBytes {
    state
        .digest_mut(tree)
        .expect("invariant: only digested trees are passed here")
}

/// Of protective settings read from a record that cannot be trusted, what is
/// no looser than the defaults: no retention default (restoring an older,
/// shorter one would shred history at once; the user sets it again), and a
/// redaction mode only if it withholds at least as much as `mask`.
fn untrusted_protective(found: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    found
        .iter()
        .filter(|(name, value)| {
            name.as_str() == "redaction.mode" && ["mask", "warn", "block"].contains(&value.as_str())
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}
