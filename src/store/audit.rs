//! The audit log: an append-only record of privacy events (failed unlocks,
//! exports, imports, wipes, retention sweeps, rekeys, passphrase changes,
//! consent). Its event types have no field that could hold message text or a
//! title, so the log cannot leak a conversation even when shown or exported.

use serde::{Deserialize, Serialize};

use super::error::VaultError;
use super::failed_unlocks::FailedUnlockReason;
use super::ids::ConversationId;
use super::records::{Change, RecordError, Records, TreeId, open_value, seal_value};
use super::vault::Vault;
use crate::crypto::DataKey;
use crate::time::Timestamp;

/// What part of the vault an event concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    Vault,
    Conversation { id: ConversationId },
    OlderThan { before: Timestamp },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Json,
    Markdown,
}

/// A privacy event. Deliberately no free-text fields beyond backend names and
/// hosts, which come from the user's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    VaultCreated {
        protection: String,
    },
    UnlockFailed {
        attempt: String,
        reason: FailedUnlockReason,
    },
    /// Failed attempts beyond those itemized at one unlock.
    UnlockFailuresSummarized {
        count: u64,
        latest: Option<Timestamp>,
    },
    Export {
        scope: Scope,
        format: ExportFormat,
        encrypted: bool,
    },
    Import {
        conversations: u64,
        messages: u64,
    },
    Wipe {
        scope: Scope,
        conversations: u64,
        messages: u64,
    },
    RetentionSweep {
        conversations: u64,
        messages: u64,
    },
    /// Records the database held at the last clean close were missing at unlock.
    StorageLoss {
        conversations: u64,
        messages: u64,
    },
    /// The watermark could not be read at unlock; it was started over.
    WatermarkUnreadable,
    /// `sotto repair` rebuilt the database (what it holds now).
    VaultRebuilt {
        conversations: u64,
        messages: u64,
    },
    /// Records were found not to be what sotto last wrote (see `integrity`):
    /// the fixed names of what was found (`settings`, `index`, `rollback`…).
    TamperingDetected {
        what: Vec<String>,
    },
    /// The user acknowledged the findings register (see `findings`).
    FindingsAcknowledged {
        count: u64,
    },
    /// A vault of an earlier format was brought to this one (wrapped keys
    /// authenticated, integrity state made from what was there).
    VaultMigrated {
        from: u32,
        to: u32,
    },
    /// The identity file disappeared while the vault was open and was written back.
    IdentityRestored,
    Rekey,
    PassphraseChanged,
    /// A new passphrase was set with the recovery key.
    PassphraseReset,
    RecoveryKeyCreated,
    ConsentGiven {
        backend: String,
        host: String,
    },
    ConsentWithdrawn {
        backend: String,
        host: String,
    },
}

impl AuditEvent {
    /// Whether this is an event about the user's data rights (export, import,
    /// wipe, retention, keys), as `view` lists the latest of them.
    pub fn is_data_right(&self) -> bool {
        matches!(
            self,
            AuditEvent::Export { .. }
                | AuditEvent::Import { .. }
                | AuditEvent::Wipe { .. }
                | AuditEvent::RetentionSweep { .. }
                | AuditEvent::Rekey
                | AuditEvent::PassphraseChanged
                | AuditEvent::PassphraseReset
                | AuditEvent::RecoveryKeyCreated
                | AuditEvent::IdentityRestored
        )
    }

    /// The event's name as stored and in JSON (`wipe`, `rekey`, …).
    pub fn name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_default()
    }

    /// A short line for people: "unlock failed (wrong passphrase)".
    pub fn describe(&self) -> String {
        match self {
            AuditEvent::VaultCreated { protection } => format!("vault created ({protection})"),
            AuditEvent::UnlockFailuresSummarized { count, .. } => {
                format!("{count} further failed unlock attempts (not itemized)")
            }
            AuditEvent::UnlockFailed { reason, .. } => match reason {
                FailedUnlockReason::WrongPassphrase => "unlock failed (wrong passphrase)".into(),
                FailedUnlockReason::WrongIdentity => "unlock failed (wrong identity)".into(),
            },
            AuditEvent::Export {
                scope,
                format,
                encrypted,
            } => format!(
                "export of {} as {} ({})",
                describe_scope(scope),
                match format {
                    ExportFormat::Json => "JSON",
                    ExportFormat::Markdown => "Markdown",
                },
                if *encrypted { "encrypted" } else { "plaintext" }
            ),
            AuditEvent::Import {
                conversations,
                messages,
            } => {
                format!("import of {conversations} conversation(s), {messages} message(s)")
            }
            AuditEvent::Wipe {
                scope,
                conversations,
                messages,
            } => format!(
                "wipe of {}: {conversations} conversation(s), {messages} message(s)",
                describe_scope(scope)
            ),
            AuditEvent::RetentionSweep {
                conversations,
                messages,
            } => {
                format!("retention sweep: {conversations} conversation(s), {messages} message(s)")
            }
            AuditEvent::StorageLoss {
                conversations,
                messages,
            } => format!("storage loss detected: {messages} message(s) in {conversations} conversation(s) were gone"),
            AuditEvent::VaultRebuilt {
                conversations,
                messages,
            } => format!(
                "the database was rebuilt by 'sotto repair' ({conversations} conversation(s), {messages} message(s) back)"
            ),
            AuditEvent::WatermarkUnreadable => {
                "the watermark was unreadable; losses before this unlock cannot be ruled out".into()
            }
            AuditEvent::TamperingDetected { what } => format!(
                "tampering detected ({}); records replaced, removed or rolled back",
                what.join(", ")
            ),
            AuditEvent::FindingsAcknowledged { count } => {
                format!("{count} finding(s) of damage or tampering acknowledged")
            }
            AuditEvent::VaultMigrated { from, to } => {
                format!("vault migrated from format {from} to {to} (wrapped keys authenticated)")
            }
            AuditEvent::IdentityRestored => "the identity file was removed while open, and written back".into(),
            AuditEvent::Rekey => "vault identity rotated".into(),
            AuditEvent::PassphraseChanged => "passphrase changed (identity rotated)".into(),
            AuditEvent::PassphraseReset => "passphrase reset with the recovery key (identity rotated)".into(),
            AuditEvent::RecoveryKeyCreated => "recovery key created".into(),
            AuditEvent::ConsentGiven { backend, host } => format!("consent given to send to '{backend}' at '{host}'"),
            AuditEvent::ConsentWithdrawn { backend, host } => {
                format!("consent withdrawn for '{backend}' at '{host}'")
            }
        }
    }
}

fn describe_scope(scope: &Scope) -> String {
    match scope {
        Scope::Vault => "the whole vault".into(),
        Scope::Conversation { id } => format!("conversation {}", id.short()),
        Scope::OlderThan { before } => format!("everything before {}", before.to_local_display()),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct AuditRecord {
    at: Timestamp,
    event: AuditEvent,
}

/// One audit log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub event: AuditEvent,
}

/// An audit record that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamagedAuditEntry {
    pub seq: u64,
    pub error: RecordError,
}

/// How far past the last record that opens a record that does not open still
/// counts as the log's (damage at its end). Farther ones were planted: one at
/// `u64::MAX` must not make the log full, or the vault unopenable.
const DAMAGED_TAIL: u64 = 1024;

/// The sequence number the next audit entry will get: after the last record
/// that opens, and after any damaged records close behind it.
pub(crate) fn next_seq(records: &Records, vault_key: &DataKey) -> Result<u64, VaultError> {
    let mut unopened = Vec::new();
    let mut last_opened = None;
    for item in records.scan(TreeId::Audit).rev() {
        let (key, sealed) = item?;
        let Some(seq) = seq_of(&key) else {
            continue; // not an audit key at all: verify reports it
        };
        if open_entry(vault_key, &key, &sealed).is_ok() {
            last_opened = Some(seq);
            break;
        }
        unopened.push(seq);
    }
    let base = last_opened.map_or(0, |s| s.saturating_add(1));
    let tail = unopened
        .into_iter()
        .filter(|seq| *seq >= base && seq - base < DAMAGED_TAIL)
        .max()
        .map_or(base, |seq| seq.saturating_add(1));
    Ok(tail)
}

/// The changes that append `events` after the last audit entry, in order,
/// for the caller to commit (alone or with other changes).
pub(crate) fn append_changes(
    records: &Records,
    vault_key: &DataKey,
    events: impl IntoIterator<Item = (Timestamp, AuditEvent)>,
) -> Result<Vec<Change>, VaultError> {
    append_changes_sealed_with(records, vault_key, vault_key, events)
}

/// [`append_changes`] for a rotation: the log's end is found with the key
/// its records are sealed under now (`current_key`), the new events are
/// sealed under `vault_key`, the key the rotation commits.
pub(crate) fn append_changes_sealed_with(
    records: &Records,
    current_key: &DataKey,
    vault_key: &DataKey,
    events: impl IntoIterator<Item = (Timestamp, AuditEvent)>,
) -> Result<Vec<Change>, VaultError> {
    let mut next = next_seq(records, current_key)?;
    let mut changes = Vec::new();
    for (at, event) in events {
        let key = next.to_be_bytes();
        changes.push(Change::Create {
            tree: TreeId::Audit,
            key: key.to_vec(),
            value: seal_value(vault_key, TreeId::Audit, &key, &AuditRecord { at, event }),
        });
        next = next
            .checked_add(1)
            .ok_or_else(|| records.inconsistent("the audit log is full"))?;
    }
    Ok(changes)
}

/// Appends one event (not yet flushed); returns its sequence number.
pub(crate) fn append_sealed(
    records: &Records,
    vault_key: &DataKey,
    at: Timestamp,
    event: &AuditEvent,
) -> Result<u64, VaultError> {
    let changes = append_changes(records, vault_key, [(at, event.clone())])?;
    let seq = match &changes[0] {
        Change::Create { key, .. } => seq_of(key).unwrap_or_default(),
        _ => unreachable!("append_changes only creates records"),
    };
    records.commit(&changes)?;
    Ok(seq)
}

fn seq_of(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}

fn open_entry(vault_key: &DataKey, key: &[u8], sealed: &[u8]) -> Result<AuditEntry, DamagedAuditEntry> {
    let seq = seq_of(key).unwrap_or(u64::MAX);
    open_value::<AuditRecord>(vault_key, TreeId::Audit, key, sealed)
        .map(|r| AuditEntry {
            seq,
            at: r.at,
            event: r.event,
        })
        .map_err(|error| DamagedAuditEntry { seq, error })
}

impl Vault {
    /// Appends `event` to the audit log and makes it durable.
    pub fn record_audit(&mut self, event: AuditEvent) -> Result<u64, VaultError> {
        let seq = self.append_audit(Timestamp::now(), event)?;
        self.records.flush()?;
        Ok(seq)
    }

    pub(crate) fn append_audit(&mut self, at: Timestamp, event: AuditEvent) -> Result<u64, VaultError> {
        append_sealed(&self.records, &self.vault_key, at, &event)
    }

    /// The whole audit log, oldest first; damaged entries are reported in place.
    pub fn audit_log(&self) -> Result<Vec<Result<AuditEntry, DamagedAuditEntry>>, VaultError> {
        self.records
            .scan(TreeId::Audit)
            .map(|item| item.map(|(key, sealed)| open_entry(&self.vault_key, &key, &sealed)))
            .collect()
    }

    /// The newest `n` audit entries, newest last.
    pub fn recent_audit(&self, n: usize) -> Result<Vec<Result<AuditEntry, DamagedAuditEntry>>, VaultError> {
        let mut entries = self
            .records
            .scan(TreeId::Audit)
            .rev()
            .take(n)
            .map(|item| item.map(|(key, sealed)| open_entry(&self.vault_key, &key, &sealed)))
            .collect::<Result<Vec<_>, VaultError>>()?;
        entries.reverse();
        Ok(entries)
    }
}
