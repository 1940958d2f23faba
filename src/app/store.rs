//! The store actor: one thread owns the vault and applies jobs in the order
//! they were sent, so writes are never reordered and nothing needs a lock.
//! Results go back to the loop as messages. In incognito mode the same jobs
//! run against conversations kept only in memory, and the vault is never
//! opened.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use secrecy::SecretString;

use super::Event;
use crate::config::{self, Config};
use crate::crypto::KdfCost;
use crate::model::msg::Msg;
use crate::model::state::{ConversationItem, Entry, SearchHit};
use crate::store::{
    AuditEvent, ConversationId, ExchangeTarget, LockedVault, MessageMeta, NewProtection, ReplyState, Role, Vault,
};
use crate::time::Timestamp;

/// Hits a search returns at most.
const MAX_SEARCH_HITS: usize = 200;

/// A job for the store, from an effect.
#[expect(
    clippy::large_enum_variant,
    reason = "a few jobs per message, moved once through a channel"
)]
pub enum Job {
    Unlock(Option<SecretString>),
    Create(SecretString),
    List,
    Open(ConversationId),
    Send {
        conversation: Option<ConversationId>,
        title: String,
        text: Option<String>,
        user_meta: MessageMeta,
        reply_meta: MessageMeta,
        /// Create the conversation in memory, never in the vault.
        memory: bool,
    },
    Checkpoint {
        conversation: ConversationId,
        seq: u64,
        text: String,
    },
    Finish {
        conversation: ConversationId,
        seq: u64,
        text: String,
        state: ReplyState,
        reason: Option<String>,
    },
    Rename(ConversationId, String),
    Delete(ConversationId),
    WipeOlderThan(crate::time::Timestamp),
    SweepRetention,
    PrepareRotation,
    SetRetention {
        conversation: Option<ConversationId>,
        rule: crate::model::msg::RetentionChange,
    },
    /// Destroy the whole vault; the session ends.
    WipeAll,
    Export(crate::model::state::ExportRequest),
    Search(String),
    Audit,
    View(Option<ConversationId>),
    SaveSetting(String, String),
    GiveConsent {
        backend: String,
        target: String,
    },
    CheckConsent(String),
    PrepareBackend(String),
    /// Close the vault (dropping its keys) and hold it locked again.
    Lock,
    /// Close the vault cleanly and end the thread.
    Close,
}

/// Conversations of an incognito session.
#[derive(Default)]
struct Memory {
    conversations: BTreeMap<ConversationId, (String, Timestamp, Vec<Entry>)>,
    /// Each conversation's placeholder map, kept as the vault keeps it.
    maps: BTreeMap<ConversationId, crate::redact::mask::RedactionMap>,
}

enum Storage {
    Locked(Option<LockedVault>),
    Missing,
    Open(Box<Vault>),
    Memory(Memory),
}

pub struct StoreActor {
    pub data_dir: PathBuf,
    pub config: Config,
    pub knowledge: Vec<PathBuf>,
    storage: Storage,
    events: Sender<Event>,
    /// Replies begun and not finished, with their last saved text: finished
    /// as stopped at close, so none stays "streaming" on disk.
    begun: BTreeMap<(ConversationId, u64), String>,
    /// Conversations started with `/incognito` while the vault is open: they
    /// live here, in memory, and never reach the vault.
    scratch: Memory,
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
            Storage::Memory(Memory::default())
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
            begun: BTreeMap::new(),
            scratch: Memory::default(),
        }
    }

    fn send(&self, msg: Msg) {
        let _ = self.events.send(Event::Msg(msg));
    }

    /// Applies jobs until `Close` or until the loop is gone.
    pub fn run(mut self, jobs: Receiver<Job>) {
        for job in jobs {
            if matches!(job, Job::Close) {
                break;
            }
            self.apply(job);
        }
        self.finish_begun();
        // Dropping the vault flushes it and raises the watermark.
        self.storage = Storage::Missing;
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

    /// Closes the vault (its keys are dropped with it) and takes the lock on
    /// its directory again, ready for the next unlock.
    fn lock(&mut self) {
        if !matches!(self.storage, Storage::Open(_)) {
            return;
        }
        self.finish_begun();
        self.storage = Storage::Missing;
        self.scratch = Memory::default();
        let reopened = LockedVault::open(&self.data_dir).and_then(|locked| {
            let needs = locked.needs_passphrase()?;
            Ok((locked, needs))
        });
        match reopened {
            Ok((locked, needs_passphrase)) => {
                let prompt = match &locked.manifest().protection {
                    crate::store::Protection::Passphrase => String::new(),
                    crate::store::Protection::IdentityFile { path } => {
                        format!("The passphrase of your identity file '{}'", path.display())
                    }
                };
                self.storage = Storage::Locked(Some(locked));
                self.send(Msg::Locked {
                    needs_passphrase,
                    prompt,
                });
            }
            Err(e) => self.send(Msg::UnlockFailed {
                message: format!("the vault could not be locked again: {e}"),
                fatal: true,
            }),
        }
    }

    /// Destroys the open vault. Either way there is no vault left to use, so
    /// the session ends: with the news, or with the error.
    fn wipe_all(&mut self) {
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

    fn failed(&self, what: &str, error: impl std::fmt::Display) {
        self.send(Msg::StoreFailed {
            what: what.to_owned(),
            message: error.to_string(),
        });
    }

    fn apply(&mut self, job: Job) {
        match job {
            Job::Unlock(passphrase) => self.unlock(passphrase),
            Job::Create(passphrase) => self.create(passphrase),
            Job::PrepareBackend(name) => self.prepare_backend(&name),
            Job::Lock => self.lock(),
            Job::WipeAll => self.wipe_all(),
            job if self.for_scratch(&job) => memory_job(&mut self.scratch, job, &self.events),
            job => match &mut self.storage {
                Storage::Open(vault) => {
                    let result = vault_job(vault, job, &self.events, &self.config, &mut self.begun);
                    for repair in vault.take_repairs() {
                        let _ = self.events.send(Event::Msg(Msg::StoreRepaired(repair.to_string())));
                    }
                    if let Err((what, message)) = result {
                        self.failed(&what, message);
                    }
                }
                Storage::Memory(memory) => memory_job(memory, job, &self.events),
                Storage::Locked(_) | Storage::Missing => {}
            },
        }
    }

    /// Whether `job` belongs to an in-memory conversation of an open vault.
    fn for_scratch(&self, job: &Job) -> bool {
        if !matches!(self.storage, Storage::Open(_)) {
            return false;
        }
        let id = match job {
            Job::Send { memory: true, .. } => return true,
            Job::Send {
                conversation: Some(id), ..
            }
            | Job::Open(id)
            | Job::Checkpoint { conversation: id, .. }
            | Job::Finish { conversation: id, .. }
            | Job::Rename(id, _)
            | Job::Delete(id) => *id,
            _ => return false,
        };
        self.scratch.conversations.contains_key(&id)
    }

    fn opened(&self, vault: &Vault, created: bool) {
        let mut warnings = Vec::new();
        if let Some(summary) = vault.unlock_report().summary() {
            warnings.push(format!(
                "{summary}. If that was not you, someone tried to open your vault; SECURITY.md says what to do."
            ));
        }
        for loss in &vault.unlock_report().storage_losses {
            warnings.push(format!(
                "{loss}. Run 'sotto verify' and keep a backup of the data directory."
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
        let told = vault.unlock_report().tampering.len() + vault.unlock_report().storage_losses.len();
        let waiting = vault.unacknowledged_findings().len().saturating_sub(told);
        if waiting > 0 {
            warnings.push(format!(
                "{waiting} earlier finding(s) of damage or tampering are not acknowledged: 'sotto verify' lists \
                 them, 'sotto verify --acknowledge' clears them once seen."
            ));
        }
        let conversations = match list(vault) {
            Ok(list) => list,
            Err(e) => {
                warnings.push(format!("the conversation list cannot be read: {e}"));
                Vec::new()
            }
        };
        let theme = vault.setting("ui.theme").ok().flatten();
        let redaction = vault.setting(crate::redact::egress::MODE_SETTING).ok().flatten();
        self.send(Msg::VaultOpened {
            conversations,
            warnings,
            theme,
            redaction,
            retention_default: vault.default_retention().ok().flatten(),
            created,
        });
    }

    fn unlock(&mut self, passphrase: Option<SecretString>) {
        let Storage::Locked(locked) = &mut self.storage else {
            return;
        };
        let Some(vault) = locked.take() else {
            return;
        };
        match vault.unlock(passphrase.as_ref()) {
            Ok(identity) => match vault.open_unlocked(identity) {
                Ok(mut vault) => {
                    self.opened(&vault, false);
                    // Retention is enforced at every unlock.
                    if let Err((what, message)) = sweep(&mut vault, &self.events) {
                        self.failed(&what, message);
                    }
                    self.storage = Storage::Open(Box::new(vault));
                }
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

    fn create(&mut self, passphrase: SecretString) {
        if !matches!(self.storage, Storage::Missing) {
            return;
        }
        let protection = NewProtection::Passphrase {
            passphrase: &passphrase,
            cost: KdfCost::DEFAULT,
        };
        match Vault::create(&self.data_dir, protection) {
            Ok(vault) => {
                self.opened(&vault, true);
                self.storage = Storage::Open(Box::new(vault));
            }
            Err(e) => self.send(Msg::CreateFailed {
                message: format!("The vault could not be created: {e}"),
            }),
        }
    }

    /// Resolves the backend's key (the vault may hold it) and builds it.
    fn prepare_backend(&self, name: &str) {
        let failed = |message: String| {
            let _ = self.events.send(Event::Msg(Msg::BackendFailed {
                backend: name.to_owned(),
                message,
            }));
        };
        let backend = match self.config.backend(name) {
            Ok(backend) => backend.clone(),
            Err(e) => return failed(e.to_string()),
        };
        let vault = match &self.storage {
            Storage::Open(vault) => Some(&**vault),
            _ => None,
        };
        let built = config::resolve_key(&backend, vault).and_then(|key| backend.build(key, &self.knowledge));
        match built {
            Ok(bot) => {
                let bot: Arc<dyn crate::backend::Backend> = Arc::from(bot);
                let _ = self.events.send(Event::Backend {
                    name: name.to_owned(),
                    backend: bot,
                });
            }
            Err(e) => failed(e.to_string()),
        }
    }
}

type JobError = (String, String);

fn err(what: &str) -> impl Fn(crate::store::VaultError) -> JobError + '_ {
    move |e| (what.to_owned(), e.to_string())
}

/// Enforces retention now; tells the screen only when something went.
fn sweep(vault: &mut Vault, events: &Sender<Event>) -> Result<(), JobError> {
    if let Some(report) = vault
        .sweep_retention(Timestamp::now())
        .map_err(err("enforce retention"))?
    {
        let _ = events.send(Event::Msg(Msg::ConversationsListed(
            list(vault).map_err(err("list the conversations"))?,
        )));
        let _ = events.send(Event::Msg(Msg::Wiped {
            notice: format!(
                "retention: {} expired message(s) and {} conversation(s) were wiped for good",
                report.messages_removed, report.conversations_removed
            ),
        }));
    }
    Ok(())
}

fn list(vault: &Vault) -> Result<Vec<ConversationItem>, crate::store::VaultError> {
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

type Stored = (ConversationId, Option<ConversationItem>, Option<u64>, u64, Timestamp);

/// The durable half of a send in one commit (`Vault::begin_exchange`): the
/// conversation if new, the user's message and the reply's record. A failure
/// stored none of it.
fn store_send(
    vault: &mut Vault,
    conversation: Option<ConversationId>,
    title: &str,
    text: Option<&str>,
    user_meta: MessageMeta,
    reply_meta: MessageMeta,
) -> Result<Stored, crate::store::VaultError> {
    let target = match conversation {
        Some(id) => ExchangeTarget::Existing(id),
        None => ExchangeTarget::New { title },
    };
    let start = vault.begin_exchange(target, text.map(|t| (t, user_meta)), reply_meta)?;
    let created = start.created.then(|| ConversationItem {
        id: start.conversation,
        title: title.to_owned(),
        updated: start.at,
        message_count: 0,
        retention: None,
    });
    Ok((start.conversation, created, start.user_seq, start.reply_seq, start.at))
}

fn vault_job(
    vault: &mut Vault,
    job: Job,
    events: &Sender<Event>,
    config: &Config,
    begun: &mut BTreeMap<(ConversationId, u64), String>,
) -> Result<(), JobError> {
    let send = |msg: Msg| {
        let _ = events.send(Event::Msg(msg));
    };
    match job {
        Job::List => send(Msg::ConversationsListed(
            list(vault).map_err(err("list the conversations"))?,
        )),
        Job::Open(id) => {
            let loaded = vault
                .newest_messages(id, usize::MAX)
                .map_err(err("open the conversation"))?;
            let damaged = loaded.iter().filter(|m| m.is_err()).count();
            let messages: Vec<&crate::store::Message> = loaded.iter().filter_map(|m| m.as_ref().ok()).collect();
            let map = crate::redact::egress::map_from_history(messages.iter().map(|m| &m.meta.extra));
            let entries = messages.into_iter().map(Entry::from_stored).collect();
            send(Msg::ConversationOpened {
                id,
                entries,
                map,
                damaged,
            });
        }
        Job::Send {
            conversation,
            title,
            text,
            user_meta,
            reply_meta,
            ..
        } => {
            let stored = store_send(vault, conversation, &title, text.as_deref(), user_meta, reply_meta);
            match stored {
                Ok((id, created, user_seq, reply_seq, at)) => {
                    begun.insert((id, reply_seq), String::new());
                    send(Msg::SendStored {
                        conversation: id,
                        created,
                        user_seq,
                        reply_seq,
                        at,
                    })
                }
                Err(e) => send(Msg::SendFailed { message: e.to_string() }),
            }
        }
        Job::Checkpoint {
            conversation,
            seq,
            text,
        } => {
            vault
                .checkpoint_reply(conversation, seq, &text)
                .map_err(err("checkpoint"))?;
            begun.insert((conversation, seq), text);
        }
        Job::Finish {
            conversation,
            seq,
            text,
            state,
            reason,
        } => {
            begun.remove(&(conversation, seq));
            vault
                .finish_reply(conversation, seq, &text, state, reason)
                .map_err(err("save the reply"))?
        }
        Job::Rename(id, title) => vault.rename_conversation(id, &title).map_err(err("rename"))?,
        Job::Delete(id) => {
            vault.wipe_conversation(id).map_err(err("delete"))?;
        }
        Job::SweepRetention => sweep(vault, events)?,
        Job::PrepareRotation => vault.prepare_rotation(),
        Job::SetRetention { conversation, rule } => {
            use crate::model::msg::RetentionChange;
            let notice = match (conversation, rule) {
                (None, RetentionChange::Default(span)) => {
                    vault.set_default_retention(span).map_err(err("set the retention"))?;
                    format!(
                        "retention: new messages are now {} unless a conversation has its own rule",
                        crate::store::Retention::effective(None, span).describe()
                    )
                }
                (Some(id), RetentionChange::Conversation(rule)) => {
                    vault
                        .set_conversation_retention(id, rule)
                        .map_err(err("set the retention"))?;
                    let default = vault.default_retention().map_err(err("read the retention"))?;
                    format!(
                        "retention: this conversation's messages are {}",
                        crate::store::Retention::effective(rule, default).describe()
                    )
                }
                _ => return Ok(()),
            };
            send(Msg::ConversationsListed(
                list(vault).map_err(err("list the conversations"))?,
            ));
            send(Msg::RetentionChanged {
                default: vault.default_retention().map_err(err("read the retention"))?,
                notice,
            });
            sweep(vault, events)?;
        }
        Job::WipeOlderThan(before) => {
            let report = vault.wipe_older_than(before).map_err(err("wipe"))?;
            send(Msg::ConversationsListed(
                list(vault).map_err(err("list the conversations"))?,
            ));
            send(Msg::Wiped {
                notice: format!(
                    "wiped {} message(s) and {} conversation(s) left empty; the vault identity was rotated",
                    report.messages_removed, report.conversations_removed
                ),
            });
        }
        Job::Export(request) => {
            let encryption = if request.plaintext {
                crate::export::Encryption::Plaintext
            } else {
                crate::export::Encryption::Vault
            };
            let destination = crate::export::Destination {
                path: request.path,
                force: false,
                armor: false,
            };
            let summary = crate::export::export(vault, request.scope, request.format, &encryption, &destination)
                .map_err(|e| ("export".to_owned(), e.to_string()))?;
            send(Msg::Exported {
                notice: format!(
                    "exported {} conversation(s), {} message(s) to '{}'. {}",
                    summary.conversations,
                    summary.messages,
                    summary.path.display(),
                    crate::export::protection_note(&encryption, vault)
                ),
            });
        }
        Job::Search(query) => {
            let hits = search_vault(vault, &query).map_err(err("search"))?;
            send(Msg::SearchDone { query, hits });
        }
        Job::SaveSetting(name, value) => vault.set_setting(&name, &value).map_err(err("save the setting"))?,
        Job::Audit => {
            let lines = vault
                .recent_audit(500)
                .map_err(err("read the audit log"))?
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
        Job::View(conversation) => {
            let config_file = config.path.as_ref().map(|p| (p.clone(), p.is_file()));
            let report = crate::report::view::ViewReport::gather(vault, config_file, Ok(config))
                .map_err(err("take stock of the vault"))?;
            let mut lines: Vec<String> = report.to_text().lines().map(str::to_owned).collect();
            if let Some(id) = conversation {
                let detail = crate::report::conversations::ConversationView::gather(vault, id)
                    .map_err(err("take stock of the conversation"))?;
                lines.push(String::new());
                lines.push("This conversation".into());
                lines.extend(detail.to_text().lines().map(str::to_owned));
            }
            send(Msg::ReportLoaded {
                title: "What sotto keeps".into(),
                lines,
            });
        }
        Job::GiveConsent { backend, target } => {
            vault
                .set_setting(&config::consent_setting(&backend), &target)
                .map_err(err("record your consent"))?;
            vault
                .record_audit(AuditEvent::ConsentGiven { backend, host: target })
                .map_err(err("record your consent"))?;
        }
        Job::CheckConsent(backend) => {
            let given = vault
                .setting(&config::consent_setting(&backend))
                .map_err(err("read the consent"))?;
            send(Msg::ConsentKnown {
                given: given.is_some_and(|g| config.backend(&backend).is_ok_and(|b| b.consent_target() == g)),
                backend,
            });
        }
        Job::Unlock(_) | Job::Create(_) | Job::PrepareBackend(_) | Job::Lock | Job::WipeAll | Job::Close => {}
    }
    Ok(())
}

/// Case-insensitive search through every conversation, decrypted in memory.
fn search_vault(vault: &Vault, query: &str) -> Result<Vec<SearchHit>, crate::store::VaultError> {
    let needle = query.to_lowercase();
    let mut hits = Vec::new();
    for conversation in vault.list_conversations()?.conversations {
        for message in vault
            .newest_messages(conversation.id, usize::MAX)?
            .into_iter()
            .flatten()
        {
            if let Some(snippet) = snippet(&message.text, &needle) {
                hits.push(SearchHit {
                    conversation: conversation.id,
                    title: conversation.title.clone(),
                    seq: message.seq,
                    snippet,
                });
                if hits.len() >= MAX_SEARCH_HITS {
                    return Ok(hits);
                }
            }
        }
    }
    Ok(hits)
}

/// The line of `text` holding `needle` (lowercase), shortened around it.
pub fn snippet(text: &str, needle: &str) -> Option<String> {
    for line in text.lines() {
        let lower = line.to_lowercase();
        if let Some(at) = lower.find(needle) {
            // Byte offsets of the lowercased line may differ; count characters.
            let before = lower[..at].chars().count();
            let start = before.saturating_sub(30);
            let shown: String = line.chars().skip(start).take(100).collect();
            let prefix = if start > 0 { "…" } else { "" };
            return Some(format!("{prefix}{}", crate::sanitize::one_line(&shown, 100)));
        }
    }
    None
}

fn memory_job(memory: &mut Memory, job: Job, events: &Sender<Event>) {
    let send = |msg: Msg| {
        let _ = events.send(Event::Msg(msg));
    };
    let items = |memory: &Memory| -> Vec<ConversationItem> {
        let mut items: Vec<ConversationItem> = memory
            .conversations
            .iter()
            .map(|(id, (title, updated, entries))| ConversationItem {
                id: *id,
                title: title.clone(),
                updated: *updated,
                message_count: entries.len() as u64,
                retention: None,
            })
            .collect();
        items.sort_by_key(|item| std::cmp::Reverse(item.updated));
        items
    };
    match job {
        Job::List => send(Msg::ConversationsListed(items(memory))),
        Job::Open(id) => {
            let entries = memory.conversations.get(&id).map(|c| c.2.clone()).unwrap_or_default();
            let map = memory.maps.get(&id).cloned().unwrap_or_default();
            send(Msg::ConversationOpened {
                id,
                entries,
                map,
                damaged: 0,
            });
        }
        Job::Send {
            conversation,
            title,
            text,
            user_meta,
            reply_meta,
            ..
        } => {
            let now = Timestamp::now();
            let (id, created) = match conversation {
                Some(id) => (id, None),
                None => {
                    let id = ConversationId::random();
                    memory.conversations.insert(id, (title.clone(), now, Vec::new()));
                    let item = ConversationItem {
                        id,
                        title,
                        updated: now,
                        message_count: 0,
                        retention: None,
                    };
                    (id, Some(item))
                }
            };
            let Some((_, updated, entries)) = memory.conversations.get_mut(&id) else {
                send(Msg::SendFailed {
                    message: "this conversation no longer exists".into(),
                });
                return;
            };
            *updated = now;
            let mut push = |role: Role, text: String, meta: &MessageMeta, state: ReplyState| {
                let seq = entries.len() as u64;
                entries.push(Entry {
                    seq: Some(seq),
                    role,
                    at: now,
                    text,
                    state,
                    backend: meta.backend.clone(),
                    first_code: 0,
                    superseded: false,
                    sent: None,
                    withheld: 0,
                    replaces: meta.extra.get("replaces").and_then(|s| s.parse().ok()),
                });
                seq
            };
            let user_seq = text.map(|t| push(Role::User, t, &user_meta, ReplyState::Complete));
            let reply_seq = push(Role::Assistant, String::new(), &reply_meta, ReplyState::Streaming);
            if let Some(entry) = user_seq.and_then(|seq| entries.get_mut(seq as usize)) {
                entry.sent = user_meta.extra.get(crate::redact::egress::META_SENT).cloned();
                entry.withheld = user_meta
                    .extra
                    .get(crate::redact::egress::META_WITHHELD)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
            let part = crate::redact::egress::map_from_history([&user_meta.extra]);
            memory.maps.entry(id).or_default().absorb(&part);
            send(Msg::SendStored {
                conversation: id,
                created,
                user_seq,
                reply_seq,
                at: now,
            });
        }
        Job::Checkpoint {
            conversation,
            seq,
            text,
        } => {
            if let Some(entry) = memory
                .conversations
                .get_mut(&conversation)
                .and_then(|c| c.2.get_mut(seq as usize))
            {
                entry.text = text;
            }
        }
        Job::Finish {
            conversation,
            seq,
            text,
            state,
            ..
        } => {
            if let Some(entry) = memory
                .conversations
                .get_mut(&conversation)
                .and_then(|c| c.2.get_mut(seq as usize))
            {
                entry.text = text;
                entry.state = state;
            }
        }
        Job::Rename(id, title) => {
            if let Some(c) = memory.conversations.get_mut(&id) {
                c.0 = title;
            }
        }
        Job::SweepRetention | Job::PrepareRotation => {}
        Job::WipeOlderThan(_) | Job::Export(_) | Job::SetRetention { .. } => {
            send(Msg::StoreFailed {
                what: "wipe or export".into(),
                message: "incognito: nothing is stored".into(),
            });
        }
        Job::Delete(id) => {
            memory.conversations.remove(&id);
        }
        Job::Search(query) => {
            let needle = query.to_lowercase();
            let hits = memory
                .conversations
                .iter()
                .flat_map(|(id, (title, _, entries))| {
                    let needle = needle.clone();
                    entries.iter().filter_map(move |e| {
                        snippet(&e.text, &needle).map(|snippet| SearchHit {
                            conversation: *id,
                            title: title.clone(),
                            seq: e.seq.unwrap_or(0),
                            snippet,
                        })
                    })
                })
                .take(MAX_SEARCH_HITS)
                .collect();
            send(Msg::SearchDone { query, hits });
        }
        // Incognito stores no settings and no consent: consent is asked per session.
        Job::SaveSetting(..) | Job::GiveConsent { .. } | Job::CheckConsent(_) | Job::Audit | Job::View(_) => {}
        Job::Unlock(_) | Job::Create(_) | Job::PrepareBackend(_) | Job::Lock | Job::WipeAll | Job::Close => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KdfCost;

    pub(super) fn passphrase() -> SecretString {
        SecretString::from("plinth walrus cobalt ember quaver".to_owned())
    }

    pub(super) fn vault_at(root: &std::path::Path) {
        let cost = KdfCost::from_log_n(4).expect("a valid work factor");
        let protection = NewProtection::Passphrase {
            passphrase: &passphrase(),
            cost,
        };
        drop(Vault::create(root, protection).expect("a test vault"));
    }

    /// Runs `jobs` through an actor on the vault at `root`; returns the messages.
    fn run(root: &std::path::Path, jobs: Vec<Job>) -> Vec<Msg> {
        let locked = LockedVault::open(root).expect("the vault opens");
        let (events, inbox) = std::sync::mpsc::channel();
        let actor = StoreActor::new(
            root.to_owned(),
            Config::default(),
            Vec::new(),
            Some(locked),
            false,
            events,
        );
        let (tx, rx) = std::sync::mpsc::channel();
        for job in jobs {
            tx.send(job).expect("queued");
        }
        tx.send(Job::Close).expect("queued");
        actor.run(rx);
        inbox
            .try_iter()
            .filter_map(|e| match e {
                Event::Msg(msg) => Some(msg),
                Event::Backend { .. } => None,
            })
            .collect()
    }

    fn reopen(root: &std::path::Path) -> Vault {
        LockedVault::open(root)
            .and_then(|l| l.unlock_and_open(Some(&passphrase())))
            .expect("reopens")
    }

    #[test]
    fn a_reply_begun_but_never_finished_is_closed_as_stopped_with_its_last_checkpoint() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("vault");
        vault_at(&root);
        let messages = run(
            &root,
            vec![
                Job::Unlock(Some(passphrase())),
                Job::Send {
                    conversation: None,
                    title: "t".into(),
                    text: Some("question".into()),
                    user_meta: MessageMeta::default(),
                    reply_meta: MessageMeta::default(),
                    memory: false,
                },
            ],
        );
        let Some(Msg::SendStored {
            conversation,
            reply_seq,
            ..
        }) = messages.iter().find(|m| matches!(m, Msg::SendStored { .. }))
        else {
            panic!("{messages:?}")
        };
        // The loop quit before the reply streamed or was finished: the
        // actor's close finished it.
        let (conversation, reply_seq) = (*conversation, *reply_seq);
        let vault = reopen(&root);
        let reply = vault.messages_in_range(conversation, reply_seq..reply_seq + 1).unwrap();
        let reply = reply[0].as_ref().unwrap();
        assert_eq!(reply.meta.state, ReplyState::Cancelled, "not left 'streaming'");
        assert_eq!(reply.text, "");
    }

    #[test]
    fn a_send_to_a_conversation_that_is_gone_reports_what_was_stored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("vault");
        vault_at(&root);
        let messages = run(
            &root,
            vec![
                Job::Unlock(Some(passphrase())),
                Job::Send {
                    conversation: Some(ConversationId::random()),
                    title: String::new(),
                    text: Some("question".into()),
                    user_meta: MessageMeta::default(),
                    reply_meta: MessageMeta::default(),
                    memory: false,
                },
            ],
        );
        assert!(
            messages.iter().any(|m| matches!(m, Msg::SendFailed { .. })),
            "{messages:?}"
        );
    }

    #[test]
    fn export_then_wipe_all_writes_the_file_and_leaves_no_vault() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("vault");
        vault_at(&root);
        let id = {
            let mut vault = reopen(&root);
            let id = vault.create_conversation("t").unwrap();
            vault
                .append_message(id, crate::store::NewMessage::user("hello"))
                .unwrap();
            id
        };
        let path = dir.path().join("out.json.age");
        let messages = run(
            &root,
            vec![
                Job::Unlock(Some(passphrase())),
                Job::WipeOlderThan(crate::time::Timestamp::from_unix_ms(1)),
                Job::Export(crate::model::state::ExportRequest {
                    scope: crate::export::ExportScope::Conversation(id),
                    format: crate::store::ExportFormat::Json,
                    plaintext: false,
                    path: path.clone(),
                }),
                Job::WipeAll,
            ],
        );
        let notices: Vec<&String> = messages
            .iter()
            .filter_map(|m| match m {
                Msg::Wiped { notice } | Msg::Exported { notice } | Msg::VaultWiped { notice } => Some(notice),
                _ => None,
            })
            .collect();
        assert_eq!(notices.len(), 3, "{messages:?}");
        assert!(notices[0].contains("wiped 0 message(s)"), "{}", notices[0]);
        assert!(
            notices[1].contains("1 message(s)") && notices[1].contains("encrypted"),
            "{}",
            notices[1]
        );
        assert!(notices[2].contains("Wiped the whole vault"), "{}", notices[2]);
        assert!(std::fs::read(&path).unwrap().starts_with(b"age-encryption.org/v1"));
        assert!(!root.exists());
    }

    #[test]
    fn view_adds_the_open_conversation_in_detail() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("vault");
        vault_at(&root);
        let id = {
            let mut vault = reopen(&root);
            let id = vault.create_conversation("printer").unwrap();
            vault
                .append_message(id, crate::store::NewMessage::user("hello"))
                .unwrap();
            id
        };
        let messages = run(&root, vec![Job::Unlock(Some(passphrase())), Job::View(Some(id))]);
        let Some(Msg::ReportLoaded { lines, .. }) = messages.iter().find(|m| matches!(m, Msg::ReportLoaded { .. }))
        else {
            panic!("{messages:?}")
        };
        let text = lines.join("\n");
        assert!(
            text.contains("Recovery key") && text.contains("This conversation"),
            "{text}"
        );
        assert!(text.contains("'printer'") && text.contains("1 user"), "{text}");
    }

    #[test]
    fn unlocking_enforces_retention_and_says_what_went() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("vault");
        vault_at(&root);
        {
            let mut vault = reopen(&root);
            vault
                .set_default_retention(Some(crate::time::Span::parse("1d").unwrap()))
                .unwrap();
            let id = vault.create_conversation("t").unwrap();
            let old = crate::time::Timestamp::from_unix_ms(1_000);
            let message = crate::store::NewMessage {
                at: Some(old),
                ..crate::store::NewMessage::user("stale")
            };
            vault.append_message(id, message).unwrap();
        }
        let messages = run(&root, vec![Job::Unlock(Some(passphrase()))]);
        assert!(
            messages
                .iter()
                .any(|m| matches!(m, Msg::Wiped { notice } if notice.contains("1 expired message(s)"))),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| matches!(
                m,
                Msg::VaultOpened {
                    retention_default: Some(_),
                    ..
                }
            )),
            "{messages:?}"
        );
        assert_eq!(reopen(&root).inventory().unwrap().messages, 0);
    }

    #[test]
    fn search_finds_text_in_every_conversation_case_insensitively_with_a_safe_snippet() {
        assert_eq!(
            snippet("first line\nthe Invoice \u{1b}[2J is late", "invoice").as_deref(),
            Some("the Invoice ␛[2J is late")
        );
        assert_eq!(snippet("nothing here", "invoice"), None);
        let long = format!("{}needle{}", "a".repeat(100), "b".repeat(100));
        let shown = snippet(&long, "needle").unwrap();
        assert!(shown.starts_with('…') && shown.contains("needle"), "{shown}");
    }
}

#[cfg(test)]
mod incognito_tests {
    use super::tests::{passphrase, vault_at};
    use super::*;

    const CANARY: &str = "CANARY-incognito-8842";

    /// Every file under `root`, for a byte search.
    fn all_bytes(root: &std::path::Path) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut stack = vec![root.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    bytes.extend(std::fs::read(&path).expect("readable file"));
                }
            }
        }
        bytes
    }

    #[test]
    fn nothing_of_an_incognito_conversation_reaches_the_vault_and_counts_do_not_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("vault");
        vault_at(&root);
        let mut vault = LockedVault::open(&root)
            .and_then(|l| l.unlock_and_open(Some(&passphrase())))
            .expect("opens");
        let kept = vault.create_conversation("kept").expect("conversation");
        vault
            .append_message(kept, crate::store::NewMessage::user("an ordinary message"))
            .expect("append");
        drop(vault);

        let locked = LockedVault::open(&root).expect("opens");
        let (events, inbox) = std::sync::mpsc::channel();
        let actor = StoreActor::new(root.clone(), Config::default(), Vec::new(), Some(locked), false, events);
        let (jobs, rx) = std::sync::mpsc::channel();
        let handle = std::thread::spawn(move || actor.run(rx));
        jobs.send(Job::Unlock(Some(passphrase()))).unwrap();
        jobs.send(Job::Send {
            conversation: None,
            title: format!("title {CANARY}"),
            text: Some(format!("message {CANARY}")),
            user_meta: MessageMeta::default(),
            reply_meta: MessageMeta::default(),
            memory: true,
        })
        .unwrap();
        let stored = loop {
            match inbox
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("an answer")
            {
                Event::Msg(Msg::SendStored {
                    conversation,
                    reply_seq,
                    ..
                }) => break (conversation, reply_seq),
                Event::Msg(Msg::SendFailed { message, .. }) => panic!("{message}"),
                _ => {}
            }
        };
        let (id, reply) = stored;
        jobs.send(Job::Checkpoint {
            conversation: id,
            seq: reply,
            text: format!("reply {CANARY}"),
        })
        .unwrap();
        jobs.send(Job::Finish {
            conversation: id,
            seq: reply,
            text: format!("reply {CANARY} done"),
            state: ReplyState::Complete,
            reason: None,
        })
        .unwrap();
        jobs.send(Job::Open(id)).unwrap();
        jobs.send(Job::Close).unwrap();
        handle.join().expect("the actor ends");
        let reopened: Vec<Msg> = inbox
            .try_iter()
            .filter_map(|e| match e {
                Event::Msg(m @ Msg::ConversationOpened { .. }) => Some(m),
                _ => None,
            })
            .collect();
        let [Msg::ConversationOpened { entries, .. }] = reopened.as_slice() else {
            panic!("{reopened:?}")
        };
        assert_eq!(entries.len(), 2, "the session could read it back from memory");

        let bytes = all_bytes(&root);
        assert!(
            !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
            "the canary reached the data dir"
        );
        let vault = LockedVault::open(&root)
            .and_then(|l| l.unlock_and_open(Some(&passphrase())))
            .expect("reopens");
        let list = vault.list_conversations().expect("list").conversations;
        assert_eq!(list.len(), 1, "only the ordinary conversation is stored");
        assert_eq!(vault.message_count(kept).expect("count"), 1);
    }
}
