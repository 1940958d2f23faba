//! `sotto audit [--json]`: the vault's privacy events (created, failed
//! unlocks, consent given or withdrawn, exports, wipes, rekeys, storage
//! loss) with their times. Events carry no conversation content, so nothing
//! here can show any.

use clap::Args;
use serde_json::json;

use super::unlock::open_vault;
use super::{CliError, Context, exit};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Print JSON (schema sotto.audit/1, docs/audit-json.md)
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(context: &Context, args: &AuditArgs) -> Result<u8, CliError> {
    let vault = open_vault(context)?;
    let entries = vault.audit_log()?;
    let damaged = entries.iter().filter(|e| e.is_err()).count();
    if args.json {
        let events: Vec<serde_json::Value> = entries
            .iter()
            .filter_map(|e| e.as_ref().ok())
            .map(|e| {
                json!({
                    "seq": e.seq,
                    "at": e.at.to_rfc3339(),
                    "description": e.event.describe(),
                    "event": e.event,
                })
            })
            .collect();
        let value = json!({ "schema": "sotto.audit/1", "events": events, "damaged_entries": damaged });
        say!(
            "{}",
            serde_json::to_string_pretty(&value).expect("invariant: JSON values serialize")
        );
    } else {
        for entry in &entries {
            match entry {
                Ok(e) => say!("{}  {}", e.at.to_local_display(), e.event.describe()),
                Err(d) => say!("(entry #{} cannot be read: {})", d.seq, d.error),
            }
        }
        if entries.is_empty() {
            say!("No privacy events recorded.");
        }
    }
    Ok(if damaged > 0 { exit::DAMAGED } else { exit::OK })
}
