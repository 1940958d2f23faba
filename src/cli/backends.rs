//! `sotto backend list|check|trust|revoke`: the configured backends, whether
//! one answers, and the user's consent to send conversations to a backend off
//! this machine (stored in the vault per host, and audit-logged).

use clap::Subcommand;

use super::unlock::open_vault;
use super::{CliError, Context, exit};
use crate::backend::Channel;
use crate::config;
use crate::store::AuditEvent;

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// List the configured backends: kind, host, how text travels, model
    List,
    /// Check that backend NAME answers and list its models
    Check { name: String },
    /// Consent to sending conversations to backend NAME (stored in the vault for its current host)
    Trust { name: String },
    /// Withdraw that consent
    Revoke { name: String },
}

pub(crate) fn run(context: &Context, command: &BackendCommand) -> Result<u8, CliError> {
    let config = context.load_config()?;
    match command {
        BackendCommand::List => {
            for backend in config.backends.values() {
                let default = if backend.name == config.default_backend {
                    " (default)"
                } else {
                    ""
                };
                say!(
                    "{}{default}\n  kind     {}\n  host     {}\n  channel  {}\n  model    {}",
                    backend.name,
                    backend.kind(),
                    backend.host(),
                    backend.channel().describe(),
                    backend.model().unwrap_or("(server's default)")
                );
            }
            Ok(exit::OK)
        }
        BackendCommand::Check { name } => {
            let backend = config.backend(name)?;
            let vault = if context.incognito || !matches!(backend.spec, config::BackendSpec::OpenAi(_)) {
                None
            } else {
                Some(open_vault(context)?)
            };
            let key = config::resolve_key(backend, vault.as_ref())?;
            drop(vault);
            let bot = backend.build(key, &context.knowledge)?;
            bot.health()?;
            say!("Backend '{name}' at '{}' answers.", backend.host());
            if let Some(note) = bot.setup_note() {
                say!("Note: {note}.");
            }
            match bot.list_models()? {
                Some(models) if !models.is_empty() => {
                    say!("Models:");
                    for model in models {
                        say!("  {model}");
                    }
                }
                _ => say!("It lists no models."),
            }
            Ok(exit::OK)
        }
        BackendCommand::Trust { name } => {
            let backend = config.backend(name)?;
            if !backend.channel().leaves_machine() {
                say!(
                    "Backend '{name}' keeps conversations on this machine ({}); it needs no consent.",
                    backend.channel().describe()
                );
                return Ok(exit::OK);
            }
            let host = backend.consent_target();
            let mut vault = open_vault(context)?;
            vault.set_setting(&config::consent_setting(name), &host)?;
            vault.record_audit(AuditEvent::ConsentGiven {
                backend: name.clone(),
                host: host.clone(),
            })?;
            say!("Conversations you send with backend '{name}' will go to '{host}'; consent recorded.");
            if backend.channel() == Channel::Insecure {
                say!("Warning: this backend uses plain HTTP: the conversation travels unencrypted.");
            }
            Ok(exit::OK)
        }
        BackendCommand::Revoke { name } => {
            let mut vault = open_vault(context)?;
            let key = config::consent_setting(name);
            let host = vault.setting(&key)?;
            if !vault.remove_setting(&key)? {
                return Err(CliError::Input(format!("no consent is recorded for backend '{name}'")));
            }
            vault.record_audit(AuditEvent::ConsentWithdrawn {
                backend: name.clone(),
                host: host.unwrap_or_default(),
            })?;
            say!("Consent for backend '{name}' withdrawn; it will ask again before sending.");
            Ok(exit::OK)
        }
    }
}
