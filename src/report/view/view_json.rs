//! The JSON form of the inventory (`sotto view --json`, docs/view-json.md):
//! versioned by `VIEW_SCHEMA`, so its field names are a contract.

use serde_json::{Value, json};

use super::{BackendView, KeyView, VIEW_SCHEMA, channel_name};
use crate::crypto::user_identity::UserIdentityKind;
use crate::store::{Inventory, ProtectionInfo, StorageLoss, UnlockReport};
use crate::time::Timestamp;

fn backends_json(backends: &Result<Vec<BackendView>, String>) -> Value {
    match backends {
        Err(error) => json!({"error": error}),
        Ok(backends) => Value::Array(
            backends
                .iter()
                .map(|b| {
                    json!({
                        "name": b.name,
                        "kind": b.kind,
                        "host": b.host,
                        "channel": channel_name(b.channel),
                        "model": b.model,
                        "default": b.is_default,
                        "consent": {
                            "required": b.channel.leaves_machine(),
                            "given_for": b.consent_host,
                            "current": !b.channel.leaves_machine() || b.consent_host.as_deref() == Some(b.consent_target.as_str()),
                        },
                        "sent": {
                            "messages": b.sent.messages,
                            "characters": b.sent.characters,
                            "items_withheld": b.sent.items_withheld,
                        },
                        "api_key": match &b.key {
                            KeyView::None => json!({"source": "none"}),
                            KeyView::Env(var) => json!({"source": "env", "variable": var}),
                            KeyView::Command => json!({"source": "command"}),
                            KeyView::Vault { stored } => json!({"source": "vault", "stored": stored}),
                        },
                    })
                })
                .collect(),
        ),
    }
}

fn rfc3339(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

fn identity_kind_name(kind: UserIdentityKind) -> &'static str {
    match kind {
        UserIdentityKind::Plain => "plain",
        UserIdentityKind::PassphraseEncrypted => "passphrase-encrypted",
        UserIdentityKind::Plugin => "plugin",
    }
}

pub(super) fn to_json(
    inventory: &Inventory,
    report: &UnlockReport,
    config: Option<&(std::path::PathBuf, bool)>,
    backends: &Result<Vec<BackendView>, String>,
) -> Value {
    let protection = match &inventory.protection {
        ProtectionInfo::Passphrase { log_n } => json!({"kind": "passphrase", "kdf": "scrypt", "log_n": log_n}),
        ProtectionInfo::IdentityFile { path, kind } => json!({
            "kind": "identity-file",
            "path": path,
            "identity_kind": kind.map(identity_kind_name),
        }),
    };
    json!({
        "schema": VIEW_SCHEMA,
        "vault": {
            "path": inventory.path,
            "format": inventory.format,
            "created": inventory.created.to_rfc3339(),
            "recipients": [inventory.recipient],
            "protection": protection,
        },
        "contents": {
            "conversations": inventory.conversations,
            "damaged_conversations": inventory.damaged_conversations,
            "messages": inventory.messages,
            "oldest_message": rfc3339(inventory.oldest_message),
            "newest_message": rfc3339(inventory.newest_message),
        },
        "disk": { "bytes": inventory.bytes_on_disk },
        "failed_unlocks_since_last_unlock": report
            .failed_attempts
            .iter()
            .map(|a| a.at.to_rfc3339())
            .collect::<Vec<_>>(),
        "failed_unlocks_not_itemized": report.more_attempts,
        "unreadable_failed_unlock_records": report.unreadable_entries,
        "storage_losses_detected": report.storage_losses.iter().map(loss_json).collect::<Vec<_>>(),
        "tampering_detected": report.tampering.iter().map(|t| json!({"kind": t.name(), "what": t.to_string()})).collect::<Vec<_>>(),
        "config": config.map(|(path, present)| json!({"path": path, "present": present})),
        "backends": backends_json(backends),
    })
}

fn loss_json(loss: &StorageLoss) -> Value {
    match loss {
        StorageLoss::Conversation { id, messages, name } => {
            json!({"kind": "conversation", "conversation": id, "messages": messages,
                   "title": name.as_ref().map(|n| &n.title),
                   "last_message_at": name.as_ref().and_then(|n| n.last_message_at).map(|t| t.to_rfc3339())})
        }
        StorageLoss::Messages { id, from, to, name } => {
            json!({"kind": "messages", "conversation": id, "from": from, "to": to,
                   "title": name.as_ref().map(|n| &n.title),
                   "last_message_at": name.as_ref().and_then(|n| n.last_message_at).map(|t| t.to_rfc3339())})
        }
        StorageLoss::AuditEvents { from, to } => json!({"kind": "audit_events", "from": from, "to": to}),
        StorageLoss::Unverifiable { reason } => json!({"kind": "unverifiable", "reason": reason}),
    }
}
