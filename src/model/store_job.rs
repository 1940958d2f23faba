//! The jobs `update` gives the store thread: every read and write of the
//! vault (or of the in-memory conversations of an incognito session), in
//! the order they were asked for. The runtime carries a job to the store
//! thread unchanged.

use secrecy::SecretString;

use super::msg::RetentionChange;
use crate::store::{ConversationId, MessageMeta, ReplyState};

/// A job for the store thread. `Debug` names the variant only.
#[expect(
    clippy::large_enum_variant,
    reason = "a few jobs per message, moved once through a channel"
)]
pub enum StoreJob {
    Unlock(Option<SecretString>),
    /// Rebuild a damaged vault (`store::repair`), unlocking it with this.
    Repair(Option<SecretString>),
    CreateVault(SecretString),
    /// Close the vault, drop its keys and backends' keys, and lock it.
    Lock,
    ListConversations,
    OpenConversation(ConversationId),
    /// Store the user's message (creating the conversation if `conversation`
    /// is `None`; no message when `text` is `None`, as for a regenerated
    /// reply) and begin the reply's record.
    Send {
        conversation: Option<ConversationId>,
        title: String,
        text: Option<String>,
        user_meta: MessageMeta,
        reply_meta: MessageMeta,
        /// A new conversation kept in memory only (`/incognito`).
        memory: bool,
    },
    Checkpoint {
        conversation: ConversationId,
        seq: u64,
        text: String,
    },
    FinishReply {
        conversation: ConversationId,
        seq: u64,
        text: String,
        state: ReplyState,
        reason: Option<String>,
    },
    Rename {
        conversation: ConversationId,
        title: String,
    },
    Delete(ConversationId),
    WipeOlderThan(crate::time::Timestamp),
    /// Seal the next vault identity in the background: a wipe is coming.
    PrepareRotation,
    /// Wipe what the retention rules say has expired.
    SweepRetention,
    /// Set the vault's default (`conversation` is `None`) or one conversation's rule.
    SetRetention {
        conversation: Option<ConversationId>,
        rule: RetentionChange,
    },
    WipeAll,
    Export(crate::model::state::ExportRequest),
    Search(String),
    LoadAudit,
    /// The inventory, and the open conversation in detail if it is stored.
    LoadView(Option<ConversationId>),
    SaveSetting {
        name: String,
        value: String,
    },
    /// Store consent for a backend's origin and audit it.
    GiveConsent {
        backend: String,
        target: String,
    },
    CheckConsent {
        backend: String,
    },
}

impl std::fmt::Debug for StoreJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            StoreJob::Unlock(_) => "Unlock",
            StoreJob::Repair(_) => "Repair",
            StoreJob::CreateVault(_) => "CreateVault",
            StoreJob::Lock => "Lock",
            StoreJob::ListConversations => "ListConversations",
            StoreJob::OpenConversation(id) => return write!(f, "OpenConversation({id})"),
            StoreJob::Send { .. } => "Send",
            StoreJob::Checkpoint { seq, .. } => return write!(f, "Checkpoint(#{seq})"),
            StoreJob::FinishReply { seq, state, .. } => return write!(f, "FinishReply(#{seq}, {state:?})"),
            StoreJob::Rename { .. } => "Rename",
            StoreJob::Delete(id) => return write!(f, "Delete({id})"),
            StoreJob::WipeOlderThan(_) => "WipeOlderThan",
            StoreJob::SweepRetention => "SweepRetention",
            StoreJob::PrepareRotation => "PrepareRotation",
            StoreJob::SetRetention { .. } => "SetRetention",
            StoreJob::WipeAll => "WipeAll",
            StoreJob::Export(_) => "Export",
            StoreJob::Search(_) => "Search",
            StoreJob::LoadAudit => "LoadAudit",
            StoreJob::LoadView(_) => "LoadView",
            StoreJob::SaveSetting { name, .. } => return write!(f, "SaveSetting({name})"),
            StoreJob::GiveConsent { backend, .. } => return write!(f, "GiveConsent({backend})"),
            StoreJob::CheckConsent { backend } => return write!(f, "CheckConsent({backend})"),
        };
        f.write_str(name)
    }
}
