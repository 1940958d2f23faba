//! The watermark: what the database held when the vault was last closed
//! cleanly, kept outside sled so that loss *inside* sled is noticed.
//!
//! sled 0.34 treats a damaged spot in its log as the end of the log: it opens
//! without an error and every later write is gone (measured; ARCHITECTURE.md).
//! What remains is self-consistent, so `verify` alone cannot see it. The
//! watermark records each conversation's next sequence number and the audit
//! log's length, sealed with the vault key in `watermark.sealed`, written at
//! every clean close and before any commit that removes records. At unlock the
//! database must hold at least that much; anything less is reported as lost.
//! A process killed mid-way never lowers the watermark below the database, so
//! crashes raise no false alarms.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::audit;
use super::error::VaultError;
use super::fsutil;
use super::ids::{ConversationId, message_key};
use super::integrity::Tampering;
use super::records::TreeId;
use super::vault::Vault;
use crate::crypto::seal::{self, RecordSlot};

/// The largest watermark read: a few dozen bytes per conversation, so this
/// leaves room for millions of them.
const WATERMARK_CAP: u64 = 256 << 20;

/// The AAD slot of the watermark file: not a sled tree, but a name of its own.
const SLOT: RecordSlot<'static> = RecordSlot {
    tree: "watermark-file",
    key: b"watermark",
};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Watermark {
    /// Each conversation's next sequence number.
    pub conversations: BTreeMap<ConversationId, u64>,
    /// The audit log's next sequence number.
    pub audit_next: u64,
    /// The integrity state's generation at that close (see `integrity`): the
    /// database may be newer after a crash, never older.
    #[serde(default)]
    pub generation: u64,
    /// The protective settings at that close (see `integrity_check`): what a
    /// state record made again starts from, if the state was removed.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub protective: BTreeMap<String, String>,
    /// Each conversation's title and last message time, so that a loss can
    /// be named even when the index entry went with it. Sealed like the rest.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub names: BTreeMap<ConversationId, LostName>,
}

/// What the watermark remembers of a conversation to name it by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostName {
    pub title: String,
    pub last_message_at: Option<crate::time::Timestamp>,
}

/// Records the database no longer holds although it held them at the last
/// clean close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageLoss {
    /// The whole conversation is gone (its key, index entry and messages).
    Conversation {
        id: ConversationId,
        messages: u64,
        /// Its title and last message time at the last close, if known.
        name: Option<LostName>,
    },
    /// Messages `from..to` of a conversation are gone.
    Messages {
        id: ConversationId,
        from: u64,
        to: u64,
        name: Option<LostName>,
    },
    /// Audit events `from..to` are gone.
    AuditEvents { from: u64, to: u64 },
    /// The watermark itself could not be read, so losses cannot be ruled out.
    Unverifiable { reason: String },
}

impl StorageLoss {
    /// Whether records are known to be gone (as opposed to unverifiable).
    pub fn is_known_loss(&self) -> bool {
        !matches!(self, StorageLoss::Unverifiable { .. })
    }

    pub fn messages(&self) -> u64 {
        match self {
            StorageLoss::Conversation { messages, .. } => *messages,
            StorageLoss::Messages { from, to, .. } => to - from,
            StorageLoss::AuditEvents { .. } | StorageLoss::Unverifiable { .. } => 0,
        }
    }
}

impl StorageLoss {
    /// The loss with the conversation's title, for the reports the user asks
    /// for (`verify`, `view`, the chat screen, the findings register). Plain
    /// `Display` leaves the title out: it also goes into warnings on stderr,
    /// which may end up in logs.
    pub fn described(&self) -> String {
        match self {
            StorageLoss::Conversation { name: Some(name), .. } | StorageLoss::Messages { name: Some(name), .. } => {
                format!("'{}': {self}", crate::sanitize::for_terminal(&name.title))
            }
            _ => self.to_string(),
        }
    }
}

/// ", last message on DATE" when the watermark knew it.
fn last_message(name: &Option<LostName>) -> String {
    name.as_ref()
        .and_then(|n| n.last_message_at)
        .map(|at| format!(", last message {}", at.to_local_display()))
        .unwrap_or_default()
}

impl fmt::Display for StorageLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageLoss::Conversation { id, messages, name } => {
                write!(
                    f,
                    "conversation {id} ({messages} messages{}) is gone",
                    last_message(name)
                )
            }
            StorageLoss::Messages { id, from, to, name } => write!(
                f,
                "messages #{from} to #{} of conversation {id} are gone ({} messages{})",
                to - 1,
                to - from,
                last_message(name)
            ),
            StorageLoss::AuditEvents { from, to } => write!(f, "audit events #{from} to #{} are gone", to - 1),
            StorageLoss::Unverifiable { reason } => write!(
                f,
                "the record of what the database held at the last close is unreadable ({reason}), so lost \
                 records cannot be ruled out"
            ),
        }
    }
}

impl Vault {
    /// What the database holds now, in watermark terms.
    pub(crate) fn current_watermark(&self) -> Result<Watermark, VaultError> {
        let mut mark = Watermark::default();
        for entry in &self.index_entries()?.entries {
            // Damaged entries are verify's business.
            if let (Some(id), Ok(record)) = entry {
                mark.conversations.insert(*id, record.next_seq);
                mark.names.insert(
                    *id,
                    LostName {
                        title: record.title.clone(),
                        last_message_at: record.last_message_at,
                    },
                );
            }
        }
        mark.audit_next = audit::next_seq(&self.records, &self.vault_key)?;
        if let Some(state) = self.records.state() {
            mark.generation = state.generation;
            mark.protective = state.protective;
        }
        Ok(mark)
    }

    /// Writes the watermark for the database as it is now, durably.
    pub(crate) fn write_watermark(&self) -> Result<(), VaultError> {
        let mark = self.current_watermark()?;
        self.save_watermark(&mark)
    }

    fn save_watermark(&self, mark: &Watermark) -> Result<(), VaultError> {
        let sealed = seal(&self.vault_key, mark);
        let path = self.paths.watermark();
        fsutil::write_private_file_atomic(&path, sealed.as_bytes())
            .map_err(VaultError::io("write the watermark", path))?;
        // From the first watermark on, a missing one was removed: the state
        // says so once, in a commit of its own.
        if self.records.state().is_some_and(|s| !s.watermark_written) {
            self.records
                .commit_with_state(&[], |state| state.watermark_written = true)?;
            self.records.flush()?;
        }
        Ok(())
    }

    fn load_watermark(&self) -> Result<Option<Watermark>, VaultError> {
        let path = self.paths.watermark();
        let sealed = match fsutil::read_regular(&path, WATERMARK_CAP) {
            Ok(sealed) => sealed,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(VaultError::Io {
                    action: "read the watermark",
                    path,
                    source: e,
                });
            }
        };
        let plaintext = seal::open(&self.vault_key, SLOT, &sealed).map_err(|e| VaultError::FileDamaged {
            path: path.clone(),
            what: format!("the watermark does not open ({e})"),
        })?;
        serde_json::from_slice(&plaintext)
            .map(Some)
            .map_err(|e| VaultError::FileDamaged {
                path,
                what: format!(
                    "the watermark does not decode (line {} column {})",
                    e.line(),
                    e.column()
                ),
            })
    }

    fn all_messages_present(&self, id: ConversationId, seqs: std::ops::Range<u64>) -> Result<bool, VaultError> {
        let (start, end) = (message_key(id, seqs.start), message_key(id, seqs.end));
        let mut present = 0;
        for item in self.records.scan_range(TreeId::Messages, &start[..]..&end[..]) {
            item?;
            present += 1;
        }
        Ok(present == seqs.end - seqs.start)
    }

    /// Compares the database with the watermark of the last clean close,
    /// writing nothing: the caller records what this finds, in one commit
    /// with the rest of the unlock's findings, and only then rewrites the
    /// watermark (so a crash in between loses no report). Returns the losses
    /// (an unreadable watermark as `Unverifiable`); a watermark removed from
    /// a vault that had one, or a database with fewer commits than at the
    /// last close and nothing counted missing, is added to `tampering`.
    pub(crate) fn check_watermark(&self, tampering: &mut Vec<Tampering>) -> Result<Vec<StorageLoss>, VaultError> {
        let state = self.records.state();
        let mark = match self.load_watermark() {
            Ok(Some(mark)) => mark,
            Ok(None) => {
                if state.is_some_and(|s| s.watermark_written) {
                    tampering.push(Tampering::WatermarkRemoved);
                }
                return Ok(Vec::new());
            }
            Err(e) => return Ok(vec![StorageLoss::Unverifiable { reason: e.to_string() }]),
        };
        let now = self.current_watermark()?;
        let mut losses = Vec::new();
        for (id, next) in &mark.conversations {
            match now.conversations.get(id) {
                // Still holding its key: the index entry alone went, which is
                // tampering that verify reports, not a loss inside sled.
                None if self.records.get(TreeId::Keys, id.as_bytes())?.is_some() => {}
                None => losses.push(StorageLoss::Conversation {
                    id: *id,
                    messages: *next,
                    name: mark.names.get(id).cloned(),
                }),
                Some(have) if have < next && !self.all_messages_present(*id, *have..*next)? => {
                    losses.push(StorageLoss::Messages {
                        id: *id,
                        from: *have,
                        to: *next,
                        name: mark.names.get(id).cloned(),
                    })
                }
                // An older index entry replayed over the messages: verify reports it.
                Some(_) => {}
            }
        }
        if now.audit_next < mark.audit_next {
            losses.push(StorageLoss::AuditEvents {
                from: now.audit_next,
                to: mark.audit_next,
            });
        }
        // Fewer commits than at the last close, with nothing counted missing:
        // records were put back as they were earlier. (A loss inside sled
        // lowers the count too, and is reported as the loss it is.)
        if let Some(state) = state
            && state.generation < mark.generation
            && losses.is_empty()
        {
            tampering.push(Tampering::RolledBack {
                closed_at: mark.generation,
                now: state.generation,
            });
        }
        Ok(losses)
    }

    /// The generation and protective settings the watermark holds, if it
    /// reads (for a state made again).
    pub(crate) fn watermark_state(&self) -> Option<(u64, BTreeMap<String, String>)> {
        self.load_watermark()
            .ok()
            .flatten()
            .map(|m| (m.generation, m.protective))
    }
}

/// The sealed bytes of a watermark file.
pub(crate) fn seal(vault_key: &crate::crypto::DataKey, mark: &Watermark) -> crate::crypto::Sealed {
    let plaintext = zeroize::Zeroizing::new(serde_json::to_vec(mark).expect("invariant: plain data serializes"));
    seal::seal(vault_key, SLOT, &plaintext)
}

impl Drop for Vault {
    fn drop(&mut self) {
        // A clean close: make everything durable and raise the watermark. Best
        // effort: a failure leaves the previous watermark, which is lower. Never
        // after a failed flush (the data may not be on disk), and never before
        // this unlock has checked the old watermark (it may be evidence).
        if self.watermark_armed && !self.records.is_poisoned() && self.records.flush().is_ok() {
            let _ = self.write_watermark();
            // Best effort too: a command that could not take its snapshot
            // has nobody left to tell; the next open takes one when due.
            let _ = self.snapshot_if_due(super::snapshot::SnapshotMoment::Routine);
        }
    }
}
