//! The vault: everything sotto keeps on disk, and the only code that writes it.
//!
//! A vault is a data directory holding `vault.toml` (manifest, no secrets),
//! `identity.age` (the encrypted vault identity), `vault.lock`, an optional
//! `failed-unlocks.age`, and `db/` (sled) with sealed records. See
//! `records` for the trees and ARCHITECTURE.md for the whole picture.

mod audit;
pub(crate) mod conversations;
mod create;
mod db_files;
mod error;
mod exchange;
mod failed_unlocks;
mod findings;
pub(crate) mod fsutil;
mod identity_guard;
mod ids;
mod import;
pub(crate) mod integrity;
mod integrity_check;
mod inventory;
mod layout;
mod ledger;
mod lock;
mod manifest;
pub(crate) mod messages;
mod meta;
mod migrate;
mod owner_key;
pub(crate) mod records;
mod recovery;
mod repair;
mod retention;
pub(crate) mod rotate;
mod sealing;
mod settings;
pub(crate) mod snapshot;
mod startup_record;
mod trees;
mod unlock;
mod vault;
mod verify;
mod watermark;
mod wipe;

pub use audit::{AuditEntry, AuditEvent, DamagedAuditEntry, ExportFormat, Scope};
pub use conversations::{ConversationList, ConversationSummary, DamagedConversation, title_for};
pub use create::NewProtection;
pub use error::VaultError;
pub use exchange::{ExchangeStart, ExchangeTarget};
pub use failed_unlocks::{FailedUnlock, FailedUnlockReason};
pub use findings::RecordedFinding;
pub use identity_guard::Repair;
pub use ids::{BadConversationId, ConversationId};
pub use import::{ImportedConversation, ImportedMessage, SealedImport};
pub use integrity::Tampering;
pub use inventory::{Inventory, ProtectionInfo};
pub use layout::VaultPaths;
pub use ledger::LedgerEntry;
pub use manifest::{Protection, VaultManifest};
pub use messages::{DamagedMessage, LoadedMessage, Message, MessageMeta, NewMessage, ReplyState, Role};
pub use migrate::RECOVERY_KEY_DROPPED;
pub use owner_key::OwnerKey;
pub use records::RecordError;
pub use repair::RebuildNote;
pub use retention::Retention;
pub use rotate::RotationReport;
pub use settings::SettingName;
pub use snapshot::{SnapshotMoment, SnapshotTaken};
pub use startup_record::MAX_RECORD as MAX_STARTUP_RECORD;
pub use vault::{LockedVault, UnlockReport, UnlockedIdentity, Vault};
pub use verify::{DamagedRecord, RecordLocation, VerifyReport};
pub use watermark::{LostName, StorageLoss};
pub use wipe::{destroy_identity_files, finish_interrupted_wipes};
