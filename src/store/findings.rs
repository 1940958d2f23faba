//! The register of what unlocks and `verify` found wrong: tampering and
//! losses. Each finding is told when it is found, and also kept here, sealed,
//! until the user acknowledges it (`sotto verify --acknowledge`): until then
//! `verify` exits 6, `view` lists it, and every unlock says that something is
//! waiting. So a finding is never only a warning that scrolled by, or that a
//! script's unlock used up. Findings name ids, counts and trees, never content.

use serde::{Deserialize, Serialize};

use super::audit::AuditEvent;
use super::error::VaultError;
use super::integrity::Tampering;
use super::records::{Change, TreeId, open_value, seal_value};
use super::vault::Vault;
use crate::time::Timestamp;

/// In `meta`: the sealed register.
pub(crate) const FINDINGS_KEY: &[u8] = b"findings";
/// The most findings kept: a vault damaged again and again still has a
/// bounded register (the oldest go; the audit log keeps counts of all).
const MAX_KEPT: usize = 1_000;

/// One finding not yet acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFinding {
    pub at: Timestamp,
    /// What was found, as it was told (ids and counts, no content).
    pub what: String,
}

#[derive(Default, Serialize, Deserialize)]
struct FindingsRecord {
    findings: Vec<RecordedFinding>,
}

impl Vault {
    /// Findings not yet acknowledged, oldest first. A register that does not
    /// open is itself a finding.
    pub fn unacknowledged_findings(&self) -> Vec<RecordedFinding> {
        match self.load_findings() {
            Ok(record) => record.findings,
            Err(e) => vec![RecordedFinding {
                at: Timestamp::now(),
                what: format!("the register of earlier findings does not open ({e})"),
            }],
        }
    }

    fn load_findings(&self) -> Result<FindingsRecord, VaultError> {
        match self.records.get(TreeId::Meta, FINDINGS_KEY)? {
            None => Ok(FindingsRecord::default()),
            Some(sealed) => {
                open_value(&self.vault_key, TreeId::Meta, FINDINGS_KEY, &sealed).map_err(|e| VaultError::Database {
                    path: self.paths.database(),
                    message: e.to_string(),
                })
            }
        }
    }

    /// The change that adds `what` to the register (for the caller's commit).
    pub(crate) fn findings_change(&self, at: Timestamp, what: &[String]) -> Change {
        let mut record = self.load_findings().unwrap_or_default();
        record
            .findings
            .extend(what.iter().map(|w| RecordedFinding { at, what: w.clone() }));
        let excess = record.findings.len().saturating_sub(MAX_KEPT);
        record.findings.drain(..excess);
        Change::Put {
            tree: TreeId::Meta,
            key: FINDINGS_KEY.to_vec(),
            value: seal_value(&self.vault_key, TreeId::Meta, FINDINGS_KEY, &record),
        }
    }

    /// Puts what `verify` found now on record (the register and an audit
    /// event), unless the same is already waiting in the register.
    pub(crate) fn record_verify_findings(&self, found: &[Tampering]) -> Result<(), VaultError> {
        let waiting = self.unacknowledged_findings();
        let told: Vec<String> = found
            .iter()
            .map(ToString::to_string)
            .filter(|t| !waiting.iter().any(|w| &w.what == t))
            .collect();
        if told.is_empty() {
            return Ok(());
        }
        let now = Timestamp::now();
        let what = found.iter().map(|t| t.name().to_owned()).collect();
        let mut changes = vec![self.findings_change(now, &told)];
        changes.extend(super::audit::append_changes(
            &self.records,
            &self.vault_key,
            [(now, AuditEvent::TamperingDetected { what })],
        )?);
        self.records.commit(&changes)?;
        self.records.flush()
    }

    /// Acknowledges every finding: the register is emptied, the digest of the
    /// messages is taken again from what is there now (so that later
    /// tampering is noticed again), and the audit log says how many were
    /// acknowledged. Returns that count.
    pub fn acknowledge_findings(&mut self) -> Result<usize, VaultError> {
        let count = self.unacknowledged_findings().len();
        if count == 0 {
            return Ok(0);
        }
        let messages = self.messages_digest_now()?;
        let mut changes = vec![Change::Remove {
            tree: TreeId::Meta,
            key: FINDINGS_KEY.to_vec(),
        }];
        changes.extend(super::audit::append_changes(
            &self.records,
            &self.vault_key,
            [(
                Timestamp::now(),
                AuditEvent::FindingsAcknowledged { count: count as u64 },
            )],
        )?);
        self.records
            .commit_with_state(&changes, |state| state.messages = messages)?;
        self.records.flush()?;
        Ok(count)
    }
}
