//! `sotto verify`: open every record and list each damaged one, and what
//! earlier unlocks found that is not acknowledged yet. Exits 6 when anything
//! is damaged, lost, tampered with or waiting, so scripts and backups can
//! check a vault. `--acknowledge` empties the register of findings once the
//! user has seen them.

use super::unlock::open_vault;
use super::{CliError, Context, exit};

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// After the check, acknowledge the findings of earlier unlocks (they stay in the audit log)
    #[arg(long)]
    acknowledge: bool,
}

pub(crate) fn run(context: &Context, args: &VerifyArgs) -> Result<u8, CliError> {
    let mut vault = open_vault(context)?;
    let report = vault.verify()?;
    for damaged in &report.damaged {
        say!("damaged: {}: {}", damaged.location, damaged.problem);
    }
    for loss in &report.losses {
        if loss.is_known_loss() {
            say!(
                "lost: {} (the storage engine discarded them after finding damage)",
                loss.described()
            );
        } else {
            say!("unverifiable: {loss}");
        }
    }
    for tampering in &report.tampering {
        say!("tampered: {tampering}");
    }
    for finding in &report.unacknowledged {
        say!(
            "not acknowledged: {} (found {})",
            finding.what,
            finding.at.to_local_display()
        );
    }
    say!(
        "Checked {} records: {} conversations, {} messages, {} audit events; {} damaged, {} lost, {} tampering \
         finding(s), {} finding(s) not acknowledged.",
        report.records_checked,
        report.conversations,
        report.messages,
        report.audit_events,
        report.damaged.len(),
        report.losses.len(),
        report.tampering.len(),
        report.unacknowledged.len()
    );
    if args.acknowledge {
        let count = vault.acknowledge_findings()?;
        say!("Acknowledged {count} finding(s); the audit log keeps them.");
        // What this run found was put in the register and acknowledged with
        // the rest; what is still wrong is damage that is there now.
        let again = vault.verify()?;
        let clean = again.damaged.is_empty() && again.unacknowledged.is_empty();
        return Ok(if clean { exit::OK } else { exit::DAMAGED });
    }
    if report.is_intact() {
        Ok(exit::OK)
    } else {
        eprintln!(
            "sotto: the vault has {} damaged record(s), {} loss(es), {} tampering finding(s) and {} finding(s) not \
             acknowledged; everything else reads. 'sotto repair' rebuilds the vault from its newest snapshot and \
             every record that still reads, or restore the data directory from a backup; if someone else may have written to it, see SECURITY.md ('If you suspect a \
             compromise'). Once you have seen them, 'sotto verify --acknowledge' clears the findings.",
            report.damaged.len(),
            report.losses.len(),
            report.tampering.len(),
            report.unacknowledged.len()
        );
        Ok(exit::DAMAGED)
    }
}
