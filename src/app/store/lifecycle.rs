//! Opening and closing the vault on the store thread: unlock (retention
//! enforced, the list and the newest conversation sent before any other
//! answer), create, lock again and wipe everything.

use secrecy::SecretString;

use super::conversations::JobFailed;
use super::memory::MemoryConversations;
use super::run_and_settle;
use super::vault_jobs::{list, swept};
use super::{Storage, StoreActor};
use crate::app::Event;
use crate::crypto::KdfCost;
use crate::model::msg::{Msg, StoreJob};
use crate::store::{LockedVault, NewProtection, Vault, VaultError};

impl StoreActor {
    /// Closes the vault (its keys are dropped with it) and takes the lock on
    /// its directory again, ready for the next unlock.
    pub(super) fn lock(&mut self) {
        if !matches!(self.storage, Storage::Open(_)) {
            return;
        }
        self.finish_begun();
        self.snapshot_on_close();
        self.save_startup_record();
        self.storage = Storage::Missing;
        self.scratch = MemoryConversations::default();
        match self.relock() {
            Ok((needs_passphrase, prompt)) => self.send(Msg::Locked {
                needs_passphrase,
                prompt,
            }),
            Err(e) => self.send(Msg::UnlockFailed {
                message: format!("the vault could not be locked again: {e}"),
                fatal: true,
            }),
        }
    }

    /// Takes the lock on the vault's directory again and keeps the locked
    /// vault for the next unlock. Returns whether that unlock needs a
    /// passphrase, and what the form asks for.
    fn relock(&mut self) -> Result<(bool, String), VaultError> {
        let locked = LockedVault::open(&self.data_dir)?;
        let needs_passphrase = locked.needs_passphrase()?;
        let prompt = match &locked.manifest().protection {
            crate::store::Protection::Passphrase => String::new(),
            crate::store::Protection::IdentityFile { path } => {
                format!("The passphrase of your identity file '{}'", path.display())
            }
        };
        self.storage = Storage::Locked(Some(locked));
        Ok((needs_passphrase, prompt))
    }

    /// Destroys the open vault. Either way there is no vault left to use, so
    /// the session ends: with the news, or with the error.
    pub(super) fn wipe_all(&mut self) {
        self.finish_begun();
        let Storage::Open(vault) = std::mem::replace(&mut self.storage, Storage::Missing) else {
            return;
        };
        let root = vault.root().to_owned();
        match vault.wipe_everything() {
            Ok(()) => self.send(Msg::VaultWiped {
                notice: format!(
                    "Wiped the whole vault at '{}': its identity was destroyed and its data directory removed.",
                    root.display()
                ),
            }),
            Err(e) => self.send(Msg::UnlockFailed {
                message: format!("the vault could not be wiped completely: {e}. Run 'sotto wipe --all' to finish"),
                fatal: true,
            }),
        }
    }

    /// Tells the screen the vault is open; returns the newest conversation.
    pub(super) fn opened(
        &self,
        vault: &Vault,
        listed: Result<Vec<crate::model::state::ConversationItem>, crate::store::VaultError>,
        created: bool,
    ) -> Option<crate::store::ConversationId> {
        let mut warnings = Vec::new();
        if let Some(summary) = vault.unlock_report().summary() {
            warnings.push(format!(
                "{summary}. If that was not you, someone tried to open your vault; SECURITY.md says what to do."
            ));
        }
        for loss in &vault.unlock_report().storage_losses {
            warnings.push(format!(
                "{}. Run 'sotto verify' and keep a backup of the data directory.",
                loss.described()
            ));
        }
        for tampering in &vault.unlock_report().tampering {
            warnings.push(format!(
                "tampering: {tampering}. Kept until acknowledged; run 'sotto verify', and see SECURITY.md."
            ));
        }
        if vault.unlock_report().recovery_key_dropped {
            warnings.push(crate::store::RECOVERY_KEY_DROPPED.to_owned());
        }
        if let Some(note) = vault.unlock_report().cut_imports_note() {
            warnings.push(format!("{note}."));
        }
        let told = vault.unlock_report().tampering.len() + vault.unlock_report().storage_losses.len();
        let waiting = vault.unacknowledged_findings().len().saturating_sub(told);
        if waiting > 0 {
            warnings.push(format!(
                "{waiting} earlier finding(s) of damage or tampering are not acknowledged: 'sotto verify' lists \
                 them, 'sotto verify --acknowledge' clears them once seen."
            ));
        }
        let conversations = match listed {
            Ok(list) => list,
            Err(e) => {
                warnings.push(format!("the conversation list cannot be read: {e}"));
                Vec::new()
            }
        };
        let newest = conversations.first().map(|c| c.id);
        let crate::model::startup_screen::Remembered {
            theme,
            backend,
            redaction,
        } = super::startup::remembered(vault);
        self.send(Msg::VaultOpened {
            backend,
            conversations,
            warnings,
            theme,
            redaction,
            retention_default: vault.default_retention().ok().flatten(),
            created,
            findings: vault.unacknowledged_findings().len(),
        });
        newest
    }

    pub(super) fn unlock(&mut self, passphrase: Option<SecretString>) {
        let Storage::Locked(locked) = &mut self.storage else {
            return;
        };
        let Some(vault) = locked.take() else {
            return;
        };
        let unlocked = vault.unlock(passphrase.as_ref());
        drop(passphrase);
        // The first frame, while the database opens (the events channel
        // alone: the locked vault is still borrowed).
        if let Ok(identity) = &unlocked
            && let Some(preview) = super::startup::preview(&vault, identity)
        {
            let _ = self.events.send(Event::Msg(preview));
        }
        match unlocked {
            Ok(identity) => match vault.open_unlocked(identity) {
                Ok(vault) => self.settle_opened(vault),
                Err(e) if is_damage(&e) => self.offer_repair(&e),
                Err(e) => self.send(Msg::UnlockFailed {
                    message: e.to_string(),
                    fatal: true,
                }),
            },
            Err(e) => {
                let fatal = !matches!(e, crate::store::VaultError::WrongPassphrase { .. });
                *locked = Some(vault);
                self.send(Msg::UnlockFailed {
                    message: if fatal {
                        e.to_string()
                    } else {
                        "That passphrase is not the right one".into()
                    },
                    fatal,
                });
            }
        }
    }

    /// An opened vault: retention enforced, the list and the newest
    /// conversation sent, then the vault kept for the jobs that follow.
    fn settle_opened(&mut self, mut vault: Vault) {
        // Retention is enforced at every unlock, before anything is shown:
        // nothing expired reaches the screen. (The index is decrypted once
        // for the checks, the sweep and the list: Vault::index_entries keeps it.)
        let swept_now = vault.sweep_retention(crate::time::Timestamp::now());
        let newest = self.opened(&vault, list(&vault), false);
        match swept_now {
            Ok(Some(report)) => self.send(swept(&report)),
            Ok(None) => {}
            Err(e) => self.failed(JobFailed {
                what: "enforce retention",
                error: e.to_string(),
            }),
        }
        // The newest conversation follows at once, before any other job (the
        // screen expects it: update::opened), so the first chat frame shows it.
        if let Some(id) = newest {
            let events = self.events.clone();
            let send = move |msg: Msg| {
                let _ = events.send(Event::Msg(msg));
            };
            let job = StoreJob::OpenConversation(id);
            if let Err(job) = run_and_settle(&mut vault, &mut self.begun, job, &self.config, &send) {
                self.failed(job);
            }
        }
        self.storage = Storage::Open(Box::new(vault));
    }

    /// The database did not open for damage: the vault is locked again and
    /// the screen offers the repair.
    fn offer_repair(&mut self, error: &VaultError) {
        let what = match error {
            VaultError::Database { message, .. } => message.clone(),
            VaultError::VaultKeyDamaged { reason } => format!("the vault key record is damaged ({reason})"),
            _ => "the storage engine found corrupted data and stopped".into(),
        };
        let message = format!(
            "{what}; nothing more was changed. Repairing moves the damaged database aside (it is kept), \
             rebuilds the vault from every record that still reads and the newest snapshot, and says what \
             came back and what is lost"
        );
        match self.relock() {
            Ok((needs_passphrase, _)) => self.send(Msg::VaultDamaged {
                message,
                needs_passphrase,
            }),
            Err(e) => self.send(Msg::UnlockFailed {
                message: format!("{message} ({e})"),
                fatal: true,
            }),
        }
    }

    /// `sotto repair` from the chat screen: the same rebuild, then the
    /// vault opens as after an unlock, with the repair's report.
    pub(super) fn repair(&mut self, passphrase: Option<SecretString>) {
        let Storage::Locked(locked) = &mut self.storage else {
            return;
        };
        let Some(vault) = locked.take() else {
            return;
        };
        let unlocked = vault.unlock(passphrase.as_ref());
        drop(passphrase);
        let identity = match unlocked {
            Ok(identity) => identity,
            Err(e) => {
                let needs_passphrase = vault.needs_passphrase().unwrap_or(true);
                *locked = Some(vault);
                return self.send(Msg::VaultDamaged {
                    message: format!("{e}. Nothing was repaired"),
                    needs_passphrase,
                });
            }
        };
        match vault.repair(identity) {
            Ok((vault, note)) => {
                self.settle_opened(vault);
                self.send(Msg::StoreRepaired(format!(
                    "{note}. Anything still missing is listed by 'sotto verify' until acknowledged."
                )));
            }
            Err(e) => self.send(Msg::UnlockFailed {
                message: format!("the repair failed: {e}"),
                fatal: true,
            }),
        }
    }

    pub(super) fn create(&mut self, passphrase: SecretString) {
        if !matches!(self.storage, Storage::Missing) {
            return;
        }
        let protection = NewProtection::Passphrase {
            passphrase: &passphrase,
            cost: KdfCost::DEFAULT,
        };
        match Vault::create(&self.data_dir, protection) {
            Ok(vault) => {
                // A new vault holds no conversation to open.
                let _ = self.opened(&vault, Ok(Vec::new()), true);
                self.storage = Storage::Open(Box::new(vault));
            }
            Err(e) => self.send(Msg::CreateFailed {
                message: format!("The vault could not be created: {e}"),
            }),
        }
    }
}

/// Failures the repair can do something about.
fn is_damage(e: &VaultError) -> bool {
    matches!(
        e,
        VaultError::DatabaseCorrupted { .. } | VaultError::Database { .. } | VaultError::VaultKeyDamaged { .. }
    )
}
