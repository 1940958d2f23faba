//! What `sotto view` and the chat screen's `/view` show: where the vault is,
//! how it is protected, what it holds, each backend with its consent and the
//! egress ledger, and the data-minimisation settings, as text for people and
//! as versioned JSON (docs/view-json.md). Gathering reads the vault; rendering
//! is pure.

mod view_json;

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::backend::Channel;
use crate::config::{self, BackendSpec, Config, KeySource};
use crate::redact::egress::{ContextLimits, MODE_SETTING, Mode};
use crate::store::{AuditEntry, Inventory, ProtectionInfo, RecordedFinding, UnlockReport, Vault, VaultError};
use crate::time::Timestamp;
use view_json::to_json;

/// The `schema` value of `sotto view --json`; bumped on any incompatible change.
pub const VIEW_SCHEMA: &str = "sotto.view/1";

/// Everything the inventory shows, gathered from an open vault.
pub struct ViewReport {
    inventory: Inventory,
    unlock: UnlockReport,
    /// The config file's path and whether it exists.
    config_file: Option<(PathBuf, bool)>,
    backends: Result<Vec<BackendView>, String>,
    mode: Mode,
    limits: ContextLimits,
    /// The latest exports, imports, wipes, sweeps and key changes, oldest first.
    recent: Vec<AuditEntry>,
    has_recovery_key: bool,
    /// Findings of damage or tampering not yet acknowledged.
    unacknowledged: Vec<RecordedFinding>,
    retention_default: Option<crate::time::Span>,
    /// Conversations with a rule of their own.
    own_retention_rules: u64,
}

/// How many of the latest data-rights events `view` lists.
const RECENT_EVENTS: usize = 10;

impl ViewReport {
    /// Gathers the report. `config` is the parsed config, or why it could
    /// not be read (the vault's part is shown all the same).
    pub fn gather(
        vault: &Vault,
        config_file: Option<(PathBuf, bool)>,
        config: Result<&Config, String>,
    ) -> Result<Self, VaultError> {
        let (backends, limits) = match config {
            Ok(config) => (Ok(backends(config, vault)?), config.context),
            Err(e) => (Err(e), ContextLimits::default()),
        };
        let mode = vault
            .setting(MODE_SETTING)?
            .and_then(|m| m.parse().ok())
            .unwrap_or_default();
        let mut recent: Vec<AuditEntry> = vault
            .audit_log()?
            .into_iter()
            .flatten()
            .filter(|e| e.event.is_data_right())
            .collect();
        recent.drain(..recent.len().saturating_sub(RECENT_EVENTS));
        let own_retention_rules = vault
            .list_conversations()?
            .conversations
            .iter()
            .filter(|c| c.retention.is_some())
            .count() as u64;
        Ok(ViewReport {
            retention_default: vault.default_retention()?,
            own_retention_rules,
            recent,
            has_recovery_key: vault.has_recovery_key(),
            unacknowledged: vault.unacknowledged_findings(),
            inventory: vault.inventory()?,
            unlock: vault.unlock_report().clone(),
            config_file,
            backends,
            mode,
            limits,
        })
    }

    pub fn to_json(&self) -> Value {
        let mut value = to_json(&self.inventory, &self.unlock, self.config_file.as_ref(), &self.backends);
        value["vault"]["recovery_key"] = json!(self.has_recovery_key);
        value["unacknowledged_findings"] = self
            .unacknowledged
            .iter()
            .map(|f| json!({"at": f.at.to_rfc3339(), "what": f.what}))
            .collect();
        value["retention"] = json!({
            "default": self.retention_default.map(|s| s.to_short()),
            "conversations_with_own_rule": self.own_retention_rules,
        });
        value["recent_privacy_events"] = self
            .recent
            .iter()
            .map(|e| json!({"at": e.at.to_rfc3339(), "event": e.event.name(), "description": e.event.describe()}))
            .collect();
        value["data_minimisation"] = json!({
            "redaction_mode": self.mode.name(),
            "context": { "max_messages": self.limits.max_messages, "max_chars": self.limits.max_chars },
        });
        value
    }

    pub fn to_text(&self) -> String {
        let mut text = to_text(&self.inventory, self.config_file.as_ref(), &self.backends);
        text.push_str(&format!(
            "{:<16}messages {} by default{}; expired ones are wiped at unlock and every minute while open\n",
            "Retention",
            crate::store::Retention::effective(None, self.retention_default).describe(),
            match self.own_retention_rules {
                0 => String::new(),
                n => format!("; {n} conversation(s) have their own rule"),
            }
        ));
        text.push_str(&format!(
            "{:<16}{}\n",
            "Recovery key",
            if self.has_recovery_key {
                "yes ('sotto passphrase --reset' can use it)"
            } else {
                "none ('sotto recovery-key' makes one)"
            }
        ));
        for (n, finding) in self.unacknowledged.iter().enumerate() {
            let label = if n == 0 { "Not acknowledged" } else { "" };
            text.push_str(&format!(
                "{label:<16}{} (found {}; 'sotto verify --acknowledge' once seen)\n",
                crate::sanitize::one_line(&finding.what, 400),
                finding.at.to_local_display()
            ));
        }
        if self.recent.is_empty() {
            text.push_str(&format!("{:<16}none yet\n", "Exports, wipes"));
        }
        for (n, entry) in self.recent.iter().enumerate() {
            let label = if n == 0 { "Exports, wipes" } else { "" };
            text.push_str(&format!(
                "{label:<16}{}  {}\n",
                entry.at.to_local_display(),
                entry.event.describe()
            ));
        }
        text.push_str(&format!(
            "{:<16}{} (personal data in messages; 'sotto ask --redact MODE' for one message)\n",
            "Redaction", self.mode
        ));
        text.push_str(&format!(
            "{:<16}at most {} earlier messages and {} characters go with each message; the rest stays here\n",
            "Context sent", self.limits.max_messages, self.limits.max_chars
        ));
        text
    }
}

/// A configured backend as `view` shows it.
pub(crate) struct BackendView {
    name: String,
    kind: &'static str,
    host: String,
    channel: Channel,
    model: Option<String>,
    is_default: bool,
    /// What consent was given for, if any: scheme, host and port.
    consent_host: Option<String>,
    /// What sending now would need consent for.
    consent_target: String,
    key: KeyView,
    /// What the user's messages sent to it amounted to.
    sent: crate::store::LedgerEntry,
}

enum KeyView {
    None,
    Env(String),
    Command,
    Vault { stored: bool },
}

fn backends(config: &Config, vault: &Vault) -> Result<Vec<BackendView>, VaultError> {
    let mut views = Vec::new();
    let ledger = vault.egress_ledger()?;
    for backend in config.backends.values() {
        let key = match &backend.spec {
            BackendSpec::Local { .. } => KeyView::None,
            BackendSpec::OpenAi(spec) => match &spec.key {
                KeySource::Env(var) => KeyView::Env(var.clone()),
                KeySource::Command(_) => KeyView::Command,
                KeySource::VaultOrNone => KeyView::Vault {
                    stored: vault.secret(&config::vault_key_name(&backend.name))?.is_some(),
                },
            },
        };
        views.push(BackendView {
            name: backend.name.clone(),
            kind: backend.kind(),
            host: backend.host(),
            channel: backend.channel(),
            model: backend.model().map(str::to_owned),
            is_default: backend.name == config.default_backend,
            consent_host: vault.setting(&config::consent_setting(&backend.name))?,
            consent_target: backend.consent_target(),
            sent: ledger.get(&backend.name).copied().unwrap_or_default(),
            key,
        });
    }
    Ok(views)
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::InProcess => "in-process",
        Channel::Loopback => "loopback",
        Channel::Tls => "tls",
        Channel::Insecure => "insecure-http",
    }
}

fn consent_text(backend: &BackendView) -> String {
    if !backend.channel.leaves_machine() {
        return "not needed (nothing leaves this machine)".into();
    }
    match &backend.consent_host {
        Some(given) if *given == backend.consent_target => format!("given for '{given}'"),
        Some(given) => format!("given for '{given}' only; asks again for '{}'", backend.consent_target),
        None => "not given (asks before sending)".into(),
    }
}

fn to_text(
    inventory: &Inventory,
    config: Option<&(std::path::PathBuf, bool)>,
    backends: &Result<Vec<BackendView>, String>,
) -> String {
    let protection = match &inventory.protection {
        ProtectionInfo::Passphrase { log_n: Some(n) } => format!("passphrase (scrypt, N = 2^{n})"),
        ProtectionInfo::Passphrase { log_n: None } => "passphrase (scrypt)".into(),
        ProtectionInfo::IdentityFile { path, kind } => format!(
            "{} '{}'",
            kind.map_or("age identity file", |k| k.describe()),
            path.display()
        ),
    };
    let when = |t: Option<Timestamp>| t.map_or_else(|| "none".to_owned(), Timestamp::to_local_display);
    let mut text = String::new();
    let mut line = |label: &str, value: String| text.push_str(&format!("{label:<16}{value}\n"));
    line("Vault", format!("'{}'", inventory.path.display()));
    line("Created", inventory.created.to_local_display());
    line("Recipient", inventory.recipient.clone());
    line("Protection", protection);
    line("Conversations", inventory.conversations.to_string());
    if inventory.damaged_conversations > 0 {
        line(
            "  damaged",
            format!("{} (run 'sotto verify')", inventory.damaged_conversations),
        );
    }
    line("Messages", inventory.messages.to_string());
    line("Oldest message", when(inventory.oldest_message));
    line("Newest message", when(inventory.newest_message));
    line("On disk", human_bytes(inventory.bytes_on_disk));
    if let Some((path, present)) = config {
        line(
            "Config",
            format!(
                "'{}'{}",
                path.display(),
                if *present { "" } else { " (not present; defaults apply)" }
            ),
        );
    }
    match backends {
        Err(error) => line("Backends", format!("unknown: {error}")),
        Ok(backends) => {
            for b in backends {
                let default = if b.is_default { ", default" } else { "" };
                let where_to = match b.channel {
                    Channel::InProcess => "built in: nothing leaves this machine".to_owned(),
                    channel => format!("to '{}' over {}", b.host, channel.describe()),
                };
                line("Backend", format!("'{}' ({}{default}) {where_to}", b.name, b.kind));
                if b.channel.leaves_machine() {
                    line("  consent", consent_text(b));
                }
                let sent = if b.channel == Channel::InProcess {
                    format!(
                        "answered {} of your messages (nothing left this machine)",
                        b.sent.messages
                    )
                } else {
                    format!(
                        "{} of your messages, {} characters as sent; {} item(s) withheld by redaction",
                        b.sent.messages, b.sent.characters, b.sent.items_withheld
                    )
                };
                line("  sent", sent);
            }
        }
    }
    text
}

pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {} ({bytes} bytes)", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB (1536 bytes)");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB (3145728 bytes)");
    }
}
