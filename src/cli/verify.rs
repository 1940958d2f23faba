//! `sotto verify`: open every record and list each damaged one. Exits 6 when
//! anything is damaged, so scripts and backups can check a vault.

use super::unlock::open_vault;
use super::{CliError, Context, exit};

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
    say!(
        "Checked {} records: {} conversations, {} messages, {} audit events; {} damaged, {} lost.",
        report.records_checked,
        report.conversations,
        report.messages,
        report.audit_events,
        report.damaged.len(),
        report.losses.len()
    );
    if report.is_intact() {
        Ok(exit::OK)
    } else {
        eprintln!(
            "sotto: the vault has {} damaged record(s) and {} loss(es); everything else reads. Restore the data \
             directory from a backup to recover them.",
            report.damaged.len(),
            report.losses.len()
        );
        Ok(exit::DAMAGED)
    }
}
