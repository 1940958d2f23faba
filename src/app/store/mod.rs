//! The store thread: one thread owns the vault and applies jobs in the order
//! they were sent, so writes are never reordered and nothing needs a lock.
//! Results go back to the loop as messages. In incognito mode the same jobs
//! run against conversations kept only in memory, and the vault is never
//! opened.
//!
//! Its parts: `conversations` (what the vault and memory both do, behind
//! one trait), `vault_jobs` and `memory` (the two kinds of store), `search`
//! (through either), `backends` (building a backend, whose key the vault may
//! hold) and `lifecycle` (unlock, create, lock, wipe everything).

mod backends;
mod conversations;
mod lifecycle;
mod memory;
mod search;
mod startup;
#[cfg(test)]
mod tests;
mod vault_jobs;

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};

use self::conversations::JobFailed;
use self::memory::{MemoryConversations, run_memory_job};
use self::vault_jobs::{BegunReplies, run_vault_job};
use super::Event;
use crate::config::Config;
use crate::model::msg::{Msg, StoreJob};
use crate::store::{LockedVault, Repair, ReplyState, SnapshotMoment, Vault};

/// What the store thread is asked: a job of `update`'s, building a backend,
/// or to end.
#[expect(
    clippy::large_enum_variant,
    reason = "a few per message, moved once through a channel; a box would cost an allocation each"
)]
pub enum StoreInput {
    Job(StoreJob),
    /// Build (or rebuild) the named backend.
    BuildBackend(String),
    /// Close the vault cleanly and end the thread.
    Close,
}

enum Storage {
    Locked(Option<LockedVault>),
    Missing,
    Open(Box<Vault>),
    Memory(MemoryConversations),
}

pub struct StoreActor {
    pub data_dir: PathBuf,
    pub config: Config,
    pub knowledge: Vec<PathBuf>,
    storage: Storage,
    events: Sender<Event>,
    /// Replies begun and not finished, with their last saved text: finished
    /// as stopped at close, so none stays "streaming" on disk.
    begun: BegunReplies,
    /// Conversations started with `/incognito` while the vault is open: they
    /// live here, in memory, and never reach the vault.
    scratch: MemoryConversations,
}

/// Runs a job against the open vault, then makes what it committed durable
/// before the next job (sled's own timed flusher is off, see Records) and
/// reports the repairs it made.
fn run_and_settle(
    vault: &mut Vault,
    begun: &mut BegunReplies,
    job: StoreJob,
    config: &Config,
    send: &dyn Fn(Msg),
) -> Result<(), JobFailed> {
    let result = run_vault_job(vault, begun, job, config, send).and_then(|()| {
        vault.flush_pending().map_err(|e| JobFailed {
            what: "save",
            error: e.to_string(),
        })
    });
    if result.is_ok()
        && let Err(e) = vault.snapshot_if_due(SnapshotMoment::Routine)
    {
        send(Msg::StoreRepaired(
            Repair::SnapshotNotTaken { reason: e.to_string() }.to_string(),
        ));
    }
    for repair in vault.take_repairs() {
        send(Msg::StoreRepaired(repair.to_string()));
    }
    result
}

impl StoreActor {
    pub fn new(
        data_dir: PathBuf,
        config: Config,
        knowledge: Vec<PathBuf>,
        locked: Option<LockedVault>,
        incognito: bool,
        events: Sender<Event>,
    ) -> Self {
        let storage = if incognito {
            Storage::Memory(MemoryConversations::default())
        } else {
            match locked {
                Some(locked) => Storage::Locked(Some(locked)),
                None => Storage::Missing,
            }
        };
        StoreActor {
            data_dir,
            config,
            knowledge,
            storage,
            events,
            begun: BegunReplies::new(),
            scratch: MemoryConversations::default(),
        }
    }

    /// Applies jobs until `Close` or until the loop is gone.
    pub fn run(mut self, inputs: Receiver<StoreInput>) {
        for input in inputs {
            match input {
                StoreInput::Job(job) => self.apply(job),
                StoreInput::BuildBackend(name) => self.build_backend(&name),
                StoreInput::Close => break,
            }
        }
        self.finish_begun();
        self.snapshot_on_close();
        self.save_startup_record();
        // Dropping the vault flushes it and raises the watermark.
        self.storage = Storage::Missing;
    }

    /// The chat screen is closing or locking: a snapshot of whatever changed.
    fn snapshot_on_close(&mut self) {
        if let Storage::Open(vault) = &mut self.storage
            && let Err(e) = vault.snapshot_if_due(SnapshotMoment::Closing)
        {
            self.send(Msg::StoreRepaired(
                Repair::SnapshotNotTaken { reason: e.to_string() }.to_string(),
            ));
        }
    }

    /// Replies begun and not finished are closed as stopped, with their last text.
    fn finish_begun(&mut self) {
        if let Storage::Open(vault) = &mut self.storage {
            for ((conversation, seq), text) in std::mem::take(&mut self.begun) {
                let _ = vault.finish_reply(
                    conversation,
                    seq,
                    &text,
                    ReplyState::Cancelled,
                    Some("cancelled".into()),
                );
            }
        }
    }

    fn send(&self, msg: Msg) {
        let _ = self.events.send(Event::Msg(msg));
    }

    fn failed(&self, job: JobFailed) {
        self.send(Msg::StoreFailed {
            what: job.what.to_owned(),
            message: job.error,
        });
    }

    fn apply(&mut self, job: StoreJob) {
        let events = self.events.clone();
        let send = move |msg: Msg| {
            let _ = events.send(Event::Msg(msg));
        };
        let result = match job {
            StoreJob::Unlock(passphrase) => return self.unlock(passphrase),
            StoreJob::Repair(passphrase) => return self.repair(passphrase),
            StoreJob::CreateVault(passphrase) => return self.create(passphrase),
            StoreJob::Lock => return self.lock(),
            StoreJob::WipeAll => return self.wipe_all(),
            job if self.for_scratch(&job) => run_memory_job(&mut self.scratch, job, &send),
            job => match &mut self.storage {
                Storage::Open(vault) => run_and_settle(vault, &mut self.begun, job, &self.config, &send),
                Storage::Memory(memory) => run_memory_job(memory, job, &send),
                Storage::Locked(_) | Storage::Missing => Ok(()),
            },
        };
        if let Err(job) = result {
            self.failed(job);
        }
    }

    /// Whether `job` belongs to an in-memory conversation of an open vault.
    fn for_scratch(&self, job: &StoreJob) -> bool {
        if !matches!(self.storage, Storage::Open(_)) {
            return false;
        }
        let id = match job {
            StoreJob::Send { memory: true, .. } => return true,
            StoreJob::Send {
                conversation: Some(id), ..
            }
            | StoreJob::OpenConversation(id)
            | StoreJob::Checkpoint { conversation: id, .. }
            | StoreJob::FinishReply { conversation: id, .. }
            | StoreJob::Rename { conversation: id, .. }
            | StoreJob::Delete(id) => *id,
            _ => return false,
        };
        self.scratch.holds(id)
    }

    /// Builds a backend; its key may be in the vault.
    fn build_backend(&self, name: &str) {
        let vault = match &self.storage {
            Storage::Open(vault) => Some(&**vault),
            _ => None,
        };
        let event = match backends::build_backend(&self.config, &self.knowledge, vault, name) {
            Ok(backend) => Event::Backend {
                name: name.to_owned(),
                backend,
            },
            Err(message) => Event::Msg(Msg::BackendFailed {
                backend: name.to_owned(),
                message,
            }),
        };
        let _ = self.events.send(event);
    }
}
