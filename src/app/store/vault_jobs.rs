//! The vault's side of the store thread: its conversations behind
//! [`ConversationStore`] (remembering replies begun and not finished, so
//! none stays "streaming" on disk), and the jobs only a vault can do:
//! retention, wipes, export, the audit log, the inventory, settings and
//! consent.

use std::collections::BTreeMap;

use super::conversations::{
    ConversationStore, JobFailed, OpenedConversation, SendBegun, SendRequest, failed, run_conversation_job,
};
use super::search;
use crate::config::{self, Config};
use crate::model::msg::{Msg, RetentionChange, StoreJob};
use crate::model::state::{ConversationItem, Entry, ExportRequest, SearchHit};
use crate::redact::egress;
use crate::store::{AuditEvent, ConversationId, ExchangeTarget, Message, ReplyState, Retention, Vault, VaultError};
use crate::time::Timestamp;

/// Replies begun and not finished, with their last saved text.
pub type BegunReplies = BTreeMap<(ConversationId, u64), String>;

/// The open vault as a conversation store.
pub struct VaultConversations<'a> {
    pub vault: &'a mut Vault,
    pub begun: &'a mut BegunReplies,
}

impl ConversationStore for VaultConversations<'_> {
    fn list(&self) -> Result<Vec<ConversationItem>, VaultError> {
        list(self.vault)
    }

    fn open(&self, id: ConversationId, newest: usize) -> Result<OpenedConversation, VaultError> {
        let loaded = self.vault.newest_messages(id, newest)?;
        let oldest = loaded.first().map(|m| m.as_ref().map_or_else(|d| d.seq, |m| m.seq));
        let older_than = oldest.filter(|seq| loaded.len() == newest && *seq > 0);
        Ok(opened(&loaded, older_than))
    }

    fn open_older(&self, id: ConversationId, before: u64) -> Result<OpenedConversation, VaultError> {
        Ok(opened(&self.vault.messages_in_range(id, 0..before)?, None))
    }

    /// One commit (`Vault::begin_exchange`): a failure stored none of it.
    fn begin_send(&mut self, send: SendRequest<'_>) -> Result<SendBegun, VaultError> {
        let target = match send.conversation {
            Some(id) => ExchangeTarget::Existing(id),
            None => ExchangeTarget::New { title: send.title },
        };
        let start = self
            .vault
            .begin_exchange(target, send.text.map(|t| (t, send.user_meta)), send.reply_meta)?;
        self.begun.insert((start.conversation, start.reply_seq), String::new());
        Ok(SendBegun {
            conversation: start.conversation,
            created: start
                .created
                .then(|| ConversationItem::created(start.conversation, send.title, start.at)),
            user_seq: start.user_seq,
            reply_seq: start.reply_seq,
            at: start.at,
        })
    }

    fn checkpoint(&mut self, id: ConversationId, seq: u64, text: &str) -> Result<(), VaultError> {
        self.vault.checkpoint_reply(id, seq, text)?;
        self.begun.insert((id, seq), text.to_owned());
        Ok(())
    }

    fn finish(
        &mut self,
        id: ConversationId,
        seq: u64,
        text: &str,
        state: ReplyState,
        reason: Option<String>,
    ) -> Result<(), VaultError> {
        self.begun.remove(&(id, seq));
        self.vault.finish_reply(id, seq, text, state, reason)
    }

    fn rename(&mut self, id: ConversationId, title: &str) -> Result<(), VaultError> {
        self.vault.rename_conversation(id, title)
    }

    fn delete(&mut self, id: ConversationId) -> Result<(), VaultError> {
        self.vault.wipe_conversation(id).map(|_| ())
    }

    fn search(&self, query: &str) -> Result<Vec<SearchHit>, VaultError> {
        search::search_vault(self.vault, query)
    }
}

/// The conversation list, newest first.
pub fn list(vault: &Vault) -> Result<Vec<ConversationItem>, VaultError> {
    Ok(vault
        .list_conversations()?
        .conversations
        .iter()
        .map(|c| ConversationItem {
            id: c.id,
            title: c.title.clone(),
            updated: c.updated,
            message_count: c.message_count,
            retention: c.retention,
        })
        .collect())
}

/// Loaded messages as the screen takes them.
fn opened(loaded: &[crate::store::LoadedMessage], older_than: Option<u64>) -> OpenedConversation {
    let damaged = loaded.iter().filter(|m| m.is_err()).count();
    let messages: Vec<&Message> = loaded.iter().filter_map(|m| m.as_ref().ok()).collect();
    let map = egress::map_from_history(messages.iter().filter_map(|m| m.meta.redaction_map.as_ref()));
    OpenedConversation {
        entries: messages.into_iter().map(Entry::from_stored).collect(),
        map,
        damaged,
        older_than,
    }
}

/// Enforces retention now; tells the screen only when something went.
pub fn sweep(vault: &mut Vault, send: &dyn Fn(Msg)) -> Result<(), JobFailed> {
    if let Some(report) = vault
        .sweep_retention(Timestamp::now())
        .map_err(failed("enforce retention"))?
    {
        send(Msg::ConversationsListed(
            list(vault).map_err(failed("list the conversations"))?,
        ));
        send(swept(&report));
    }
    Ok(())
}

/// The news of a retention sweep that wiped something.
pub fn swept(report: &crate::store::RotationReport) -> Msg {
    Msg::Wiped {
        notice: format!(
            "retention: {} expired message(s) and {} conversation(s) were wiped for good",
            report.messages_removed, report.conversations_removed
        ),
    }
}

/// Runs a job against the open vault.
pub fn run_vault_job(
    vault: &mut Vault,
    begun: &mut BegunReplies,
    job: StoreJob,
    config: &Config,
    send: &dyn Fn(Msg),
) -> Result<(), JobFailed> {
    let Some(job) = run_conversation_job(&mut VaultConversations { vault, begun }, job, send)? else {
        return Ok(());
    };
    match job {
        StoreJob::SweepRetention => sweep(vault, send)?,
        StoreJob::PrepareRotation => vault.prepare_rotation(),
        StoreJob::SetRetention { conversation, rule } => set_retention(vault, conversation, rule, send)?,
        StoreJob::WipeOlderThan(before) => {
            let report = vault.wipe_older_than(before).map_err(failed("wipe"))?;
            send(Msg::ConversationsListed(
                list(vault).map_err(failed("list the conversations"))?,
            ));
            send(Msg::Wiped {
                notice: format!(
                    "wiped {} message(s) and {} conversation(s) left empty; the vault identity was rotated",
                    report.messages_removed, report.conversations_removed
                ),
            });
        }
        StoreJob::Export(request) => export(vault, request, send)?,
        StoreJob::SaveSetting { name, value } => {
            vault.set_setting(&name, &value).map_err(failed("save the setting"))?
        }
        StoreJob::LoadAudit => {
            let lines = vault
                .recent_audit(500)
                .map_err(failed("read the audit log"))?
                .into_iter()
                .map(|entry| match entry {
                    Ok(e) => format!("{}  {}", e.at.to_local_display(), e.event.describe()),
                    Err(d) => format!("(entry #{} cannot be read: {})", d.seq, d.error),
                })
                .collect();
            send(Msg::ReportLoaded {
                title: "Privacy events, newest last".into(),
                lines,
            });
        }
        StoreJob::LoadView(conversation) => view(vault, conversation, config, send)?,
        StoreJob::GiveConsent { backend, target } => {
            vault
                .set_setting(&config::consent_setting(&backend), &target)
                .map_err(failed("record your consent"))?;
            vault
                .record_audit(AuditEvent::ConsentGiven { backend, host: target })
                .map_err(failed("record your consent"))?;
        }
        StoreJob::CheckConsent { backend } => {
            let given = vault
                .setting(&config::consent_setting(&backend))
                .map_err(failed("read the consent"))?;
            send(Msg::ConsentKnown {
                given: given.is_some_and(|g| config.backend(&backend).is_ok_and(|b| b.consent_target() == g)),
                backend,
            });
        }
        // The store thread itself handles these (they change what it holds).
        StoreJob::Unlock(_) | StoreJob::Repair(_) | StoreJob::CreateVault(_) | StoreJob::Lock | StoreJob::WipeAll => {}
        // Handled by `run_conversation_job` above.
        StoreJob::ListConversations
        | StoreJob::OpenConversation(_)
        | StoreJob::Send { .. }
        | StoreJob::Checkpoint { .. }
        | StoreJob::FinishReply { .. }
        | StoreJob::Rename { .. }
        | StoreJob::Delete(_)
        | StoreJob::Search(_) => {}
    }
    Ok(())
}

fn set_retention(
    vault: &mut Vault,
    conversation: Option<ConversationId>,
    rule: RetentionChange,
    send: &dyn Fn(Msg),
) -> Result<(), JobFailed> {
    let notice = match (conversation, rule) {
        (None, RetentionChange::Default(span)) => {
            vault.set_default_retention(span).map_err(failed("set the retention"))?;
            format!(
                "retention: new messages are now {} unless a conversation has its own rule",
                Retention::effective(None, span).describe()
            )
        }
        (Some(id), RetentionChange::Conversation(rule)) => {
            vault
                .set_conversation_retention(id, rule)
                .map_err(failed("set the retention"))?;
            let default = vault.default_retention().map_err(failed("read the retention"))?;
            format!(
                "retention: this conversation's messages are {}",
                Retention::effective(rule, default).describe()
            )
        }
        _ => return Ok(()),
    };
    send(Msg::ConversationsListed(
        list(vault).map_err(failed("list the conversations"))?,
    ));
    send(Msg::RetentionChanged {
        default: vault.default_retention().map_err(failed("read the retention"))?,
        notice,
    });
    sweep(vault, send)
}

fn export(vault: &mut Vault, request: ExportRequest, send: &dyn Fn(Msg)) -> Result<(), JobFailed> {
    let encryption = if request.plaintext {
        crate::export::Encryption::Plaintext
    } else {
        crate::export::Encryption::Owner
    };
    let destination = crate::export::Destination {
        path: request.path,
        force: false,
        armor: false,
    };
    let summary =
        crate::export::export(vault, request.scope, request.format, &encryption, &destination).map_err(|e| {
            JobFailed {
                what: "export",
                error: e.to_string(),
            }
        })?;
    send(Msg::Exported {
        notice: format!(
            "exported {} conversation(s), {} message(s) to '{}'. {}",
            summary.conversations,
            summary.messages,
            summary.path.display(),
            crate::export::protection_note(&encryption, vault)
        ),
    });
    Ok(())
}

/// The inventory, and the open conversation in detail when it is stored.
fn view(
    vault: &Vault,
    conversation: Option<ConversationId>,
    config: &Config,
    send: &dyn Fn(Msg),
) -> Result<(), JobFailed> {
    let config_file = config.path.as_ref().map(|p| (p.clone(), p.is_file()));
    let report = crate::report::view::ViewReport::gather(vault, config_file, Ok(config))
        .map_err(failed("take stock of the vault"))?;
    let mut lines: Vec<String> = report.to_text().lines().map(str::to_owned).collect();
    if let Some(id) = conversation {
        let detail = crate::report::conversations::ConversationView::gather(vault, id)
            .map_err(failed("take stock of the conversation"))?;
        lines.push(String::new());
        lines.push("This conversation".into());
        lines.extend(detail.to_text().lines().map(str::to_owned));
    }
    send(Msg::ReportLoaded {
        title: "What sotto keeps".into(),
        lines,
    });
    Ok(())
}
