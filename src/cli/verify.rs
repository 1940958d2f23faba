//! `sotto verify`: open every record and list each damaged one. Exits 6 when
//! anything is damaged, so scripts and backups can check a vault.

use super::unlock::open_vault;
use super::{CliError, Context, exit};
use crate::store::AuditEvent;

pub(crate) fn run(context: &Context) -> Result<u8, CliError> {
    let vault = open_vault(context)?;
    let report = vault.verify()?;
    for damaged in &report.damaged {
        say!("damaged: {}: {}", damaged.location, damaged.problem);
    }
    for loss in &report.losses {
        if loss.is_known_loss() {
            say!("lost: {loss} (the storage engine discarded them after finding damage)");
        } else {
            say!("unverifiable: {loss}");
        }
    }
    for tampering in &report.tampering {
        say!("tampered: {tampering}");
    }
    // What earlier unlocks found is reported once, then kept in the audit
    // log: say so here too, so a finding is never only in a past warning.
    for entry in vault.audit_log()?.into_iter().flatten() {
        if matches!(
            entry.event,
            AuditEvent::TamperingDetected { .. } | AuditEvent::StorageLoss { .. }
        ) {
            say!(
                "on record: {} (found at an unlock on {})",
                entry.event.describe(),
                entry.at.to_local_display()
            );
        }
    }
    say!(
        "Checked {} records: {} conversations, {} messages, {} audit events; {} damaged, {} lost, {} tampering \
         finding(s).",
        report.records_checked,
        report.conversations,
        report.messages,
        report.audit_events,
        report.damaged.len(),
        report.losses.len(),
        report.tampering.len()
    );
    if report.is_intact() {
        Ok(exit::OK)
    } else {
        eprintln!(
            "sotto: the vault has {} damaged record(s), {} loss(es) and {} tampering finding(s); everything else \
             reads. Restore the data directory from a backup to recover what is damaged or lost; if someone \
             else may have written to it, see SECURITY.md ('If you suspect a compromise').",
            report.damaged.len(),
            report.losses.len(),
            report.tampering.len()
        );
        Ok(exit::DAMAGED)
    }
}
