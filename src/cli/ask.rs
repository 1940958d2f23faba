//! `sotto ask [MESSAGE]`: one question, the reply streamed to stdout as it
//! arrives, both stored in the vault (a new conversation, or `--conversation
//! ID`). `--incognito` stores nothing and never opens the vault. Ctrl-C stops
//! the reply and keeps what arrived.
//!
//! The user's message is durable before anything is sent; the reply is
//! checkpointed while it streams and finished with how it ended.

use std::io::{IsTerminal, Read, Write};
use std::time::Instant;

use clap::Args;

use super::unlock::open_vault;
use super::{CliError, Context, exit};
use crate::backend::{Backend, CancelToken};
use crate::config::{self, NamedBackend};
use crate::exchange::{self, Draft, Ending, ReplyFailure, ReplyResult};
use crate::model::entries::{Entry, context, mark_superseded};
use crate::redact::egress::{self, ContextLimits, Mode};
use crate::redact::mask::{RedactionMap, Unmasker};
use crate::request::ChatMessage;
use crate::sanitize;
use crate::store::{AuditEvent, ConversationId, ExchangeTarget, MessageMeta, ReplyState, Vault};

/// The longest message accepted on stdin.
const MAX_MESSAGE_BYTES: u64 = 1 << 20;

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The message; read from stdin when absent. Stdin is the private way: an argument can be
    /// read by other users of this machine while sotto runs (ps, /proc/PID/cmdline)
    pub message: Option<String>,

    /// Continue this conversation (its id, from 'sotto view' or an earlier ask)
    #[arg(long, value_name = "ID")]
    pub conversation: Option<ConversationId>,

    /// Consent, for this run, to sending the conversation to a backend off this machine
    #[arg(long)]
    pub trust_backend: bool,

    /// Personal data in the message: mask (sent as placeholders, the default), off (sent as
    /// written, with a warning on stderr), warn or block (nothing is sent while the message holds
    /// any) [default: the vault's 'redaction.mode' setting, else mask]
    #[arg(long, value_name = "MODE", env = "SOTTO_REDACT")]
    pub redact: Option<Mode>,
}

pub(crate) fn run(context: &Context, args: &AskArgs) -> Result<u8, CliError> {
    let config = context.load_config()?;
    let backend = context.chosen_backend(&config)?;
    let message = read_message(args)?;
    if args.message.is_some() && !crate::redact::detect(&message).is_empty() {
        // Too late for this message, in time for the next one.
        eprintln!(
            "sotto: note: the message holds personal data and was given as an argument, which other users \
             of this machine can read while sotto runs; give it on stdin instead (sotto ask < file, or type it)"
        );
    }
    if backend.channel() == crate::backend::Channel::Insecure {
        eprintln!(
            "sotto: warning: backend '{}' sends the conversation to '{}' over plain HTTP, unencrypted \
             (allow_insecure_http)",
            backend.name,
            backend.host()
        );
    }
    if context.incognito {
        if args.conversation.is_some() {
            return Err(CliError::Input(
                "--incognito cannot continue a conversation: it never opens the vault".into(),
            ));
        }
        return ask_incognito(context, args, &backend, &message);
    }
    let mut vault = open_vault(context)?;
    check_consent(&mut vault, &backend, args.trust_backend)?;
    let key = config::resolve_key(&backend, Some(&vault))?;
    let bot = backend.build(key, &context.knowledge)?;

    let mode = match args.redact {
        Some(mode) => mode,
        None => vault
            .setting(egress::MODE_SETTING)?
            .and_then(|m| m.parse().ok())
            .unwrap_or_default(),
    };
    let (history, mut map) = match args.conversation {
        Some(id) => history(&vault, id)?,
        None => (Vec::new(), RedactionMap::default()),
    };
    refuse_unreviewed(&message, mode)?;
    warn_if_off(mode, args.redact.is_some(), &backend);
    let meta = MessageMeta {
        backend: Some(backend.name.clone()),
        model: backend.model().map(str::to_owned),
        ..Default::default()
    };
    let prepared = exchange::prepare(
        Draft {
            text: &message,
            mode,
            send_anyway: &[],
            history,
            limits: config.context,
            reply_meta: &meta,
            replaces: None,
        },
        &mut map,
    );
    if prepared.left_behind > 0 {
        eprintln!(
            "sotto: {} earlier message(s) stayed on this machine (context: at most {} messages, {} characters)",
            prepared.left_behind, config.context.max_messages, config.context.max_chars
        );
    }
    // Durable before it is sent: the conversation if new, the message and
    // the reply's record, in one commit.
    let title = crate::store::title_for(&message);
    let target = match args.conversation {
        Some(id) => ExchangeTarget::Existing(id),
        None => ExchangeTarget::New { title: &title },
    };
    let start = vault.begin_exchange(target, Some((&message, prepared.user_meta)), meta)?;
    let (conversation, reply) = (start.conversation, start.reply_seq);
    eprintln!("sotto: conversation {conversation}");
    report_withheld(&message, &prepared.withheld);

    let cancel = CancelToken::new();
    let _sigint = CancelOnSigint::install(&cancel);
    let mut text = String::new();
    let mut last_checkpoint = Instant::now();
    let mut checkpoint_error = None;
    let mut unmasker = Unmasker::new(&map);
    let result = {
        let mut on_delta = |delta: &str| {
            // Stored as received (with placeholders); shown with the values back.
            print_delta(&unmasker.push(delta));
            text.push_str(delta);
            if last_checkpoint.elapsed() >= exchange::CHECKPOINT_EVERY && checkpoint_error.is_none() {
                last_checkpoint = Instant::now();
                if let Err(e) = vault.checkpoint_reply(conversation, reply, &text) {
                    checkpoint_error = Some(e);
                    cancel.cancel();
                }
            }
        };
        bot.stream(&prepared.request, &cancel, &mut on_delta)
    };
    print_delta(&unmasker.finish());
    end_output(&text);
    if let Some(e) = checkpoint_error {
        return Err(e.into());
    }
    let result: ReplyResult = result.map_err(|e| ReplyFailure::from(&e));
    let ending = exchange::ending(&result);
    let finished = vault.finish_reply(conversation, reply, &text, ending.state, Some(ending.reason.clone()));
    for repair in vault.take_repairs() {
        eprintln!("sotto: {repair}");
    }
    finished?;
    Ok(report(&ending, &*bot))
}

fn ask_incognito(context: &Context, args: &AskArgs, backend: &NamedBackend, message: &str) -> Result<u8, CliError> {
    if backend.channel().leaves_machine() && !args.trust_backend {
        return Err(consent_needed(backend, true));
    }
    let mode = args.redact.unwrap_or_default();
    refuse_unreviewed(message, mode)?;
    warn_if_off(mode, args.redact.is_some(), backend);
    let key = config::resolve_key(backend, None)?;
    let bot = backend.build(key, &context.knowledge)?;
    let mut map = RedactionMap::default();
    let prepared = exchange::prepare(
        Draft {
            text: message,
            mode,
            send_anyway: &[],
            history: Vec::new(),
            limits: ContextLimits::default(),
            reply_meta: &MessageMeta::default(),
            replaces: None,
        },
        &mut map,
    );
    let cancel = CancelToken::new();
    let _sigint = CancelOnSigint::install(&cancel);
    report_withheld(message, &prepared.withheld);
    let mut text = String::new();
    let mut unmasker = Unmasker::new(&map);
    let result = bot.stream(&prepared.request, &cancel, &mut |delta| {
        print_delta(&unmasker.push(delta));
        text.push_str(delta);
    });
    print_delta(&unmasker.finish());
    end_output(&text);
    let result: ReplyResult = result.map_err(|e| ReplyFailure::from(&e));
    Ok(report(&exchange::ending(&result), &*bot))
}

fn read_message(args: &AskArgs) -> Result<String, CliError> {
    let message = match &args.message {
        Some(message) => message.clone(),
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("Type your message, then Ctrl-D:");
            }
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_MESSAGE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::Input(format!("cannot read the message from stdin: {e}")))?;
            if bytes.len() as u64 > MAX_MESSAGE_BYTES {
                return Err(CliError::Input("the message on stdin is longer than 1 MiB".into()));
            }
            String::from_utf8(bytes).map_err(|_| CliError::Input("the message on stdin is not UTF-8 text".into()))?
        }
    };
    let message = message.trim_end_matches(['\n', '\r']).to_owned();
    if message.trim().is_empty() {
        return Err(CliError::Input(
            "the message is empty: give it as an argument, or on stdin".into(),
        ));
    }
    Ok(message)
}

/// Checks the message in `mode`: masked or as written, or refused (warn and
/// block have nobody to ask on the command line) with what was found.
fn refuse_unreviewed(message: &str, mode: Mode) -> Result<(), CliError> {
    if matches!(mode, Mode::Warn | Mode::Block) {
        let findings = crate::redact::detect(message);
        if !findings.is_empty() {
            return Err(CliError::Input(format!(
                "the message holds personal data ({}) and redaction is '{mode}': nothing was sent or stored. \
                 Send it with placeholders with --redact mask, as written with --redact off, or edit it",
                previews(message, &findings)
            )));
        }
    }
    Ok(())
}

/// Says so, every time, when what is about to be sent is not masked: `off`
/// is easy to leave set in an environment (`SOTTO_REDACT`) or in the vault.
fn warn_if_off(mode: Mode, from_args: bool, backend: &NamedBackend) {
    if mode == Mode::Off {
        let source = if from_args {
            "--redact or SOTTO_REDACT"
        } else {
            "the vault's 'redaction.mode' setting"
        };
        eprintln!(
            "sotto: warning: redaction is 'off' ({source}): personal data in this message and its history goes \
             to backend '{}' as written; use --redact mask to withhold it",
            backend.name
        );
    }
}

fn previews(message: &str, findings: &[crate::redact::Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{} {}", f.kind, egress::preview(f.kind, &message[f.start..f.end])))
        .collect::<Vec<_>>()
        .join(", ")
}

fn report_withheld(message: &str, withheld: &[crate::redact::Finding]) {
    if let Some(summary) = egress::withheld_summary(withheld.iter().map(|f| f.kind)) {
        eprintln!("sotto: {summary}: {}", previews(message, withheld));
    }
}

/// The conversation so far, as context for the backend, read by the same
/// rules as the chat screen's (`model::entries::context`: user messages as
/// they were sent, no replaced messages, no failed or empty replies), and its
/// placeholder map.
fn history(vault: &Vault, id: ConversationId) -> Result<(Vec<ChatMessage>, RedactionMap), CliError> {
    let loaded = vault.newest_messages(id, usize::MAX)?;
    let stored: Vec<&crate::store::Message> = loaded.iter().filter_map(|m| m.as_ref().ok()).collect();
    let damaged = loaded.len() - stored.len();
    if damaged > 0 {
        eprintln!("sotto: warning: {damaged} damaged message(s) of this conversation are left out of the context");
    }
    let map = egress::map_from_history(stored.iter().filter_map(|m| m.meta.redaction_map.as_ref()));
    let mut entries: Vec<Entry> = stored.into_iter().map(Entry::from_stored).collect();
    mark_superseded(&mut entries);
    Ok((context(&entries), map))
}

fn consent_needed(backend: &NamedBackend, incognito: bool) -> CliError {
    let how = if incognito {
        "In incognito mode consent is not stored: add --trust-backend to confirm for this run".to_owned()
    } else {
        format!(
            "Confirm once with 'sotto backend trust {}', or for this run with --trust-backend",
            backend.name
        )
    };
    CliError::Input(format!(
        "backend '{}' would send this conversation to '{}', off this machine, and you have not agreed to that. {how}",
        backend.name,
        backend.host()
    ))
}

/// Remote backends need the user's consent for their current host, stored in
/// the vault; `--trust-backend` gives it (and records it).
fn check_consent(vault: &mut Vault, backend: &NamedBackend, trust_now: bool) -> Result<(), CliError> {
    if !backend.channel().leaves_machine() {
        return Ok(());
    }
    let host = backend.consent_target();
    let given = vault.setting(&config::consent_setting(&backend.name))?;
    if given.as_deref() == Some(host.as_str()) {
        return Ok(());
    }
    if !trust_now {
        return Err(consent_needed(backend, false));
    }
    vault.set_setting(&config::consent_setting(&backend.name), &host)?;
    vault.record_audit(AuditEvent::ConsentGiven {
        backend: backend.name.clone(),
        host,
    })?;
    Ok(())
}

fn print_delta(delta: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) must not stop the reply from being saved.
    let _ = out.write_all(sanitize::for_terminal(delta).as_bytes());
    let _ = out.flush();
}

fn end_output(text: &str) {
    if !text.is_empty() && !text.ends_with('\n') {
        print_delta("\n");
    }
}

/// Tells the user how the reply ended; returns the exit code.
fn report(ending: &Ending, bot: &dyn Backend) -> u8 {
    match (&ending.note, ending.state) {
        (Some(note), ReplyState::Failed) => {
            eprintln!("sotto: {} ({}): {}", bot.info().name, bot.info().host, note.text());
        }
        (Some(note), _) => eprintln!("sotto: {}", note.text()),
        (None, _) => {}
    }
    match ending.state {
        ReplyState::Cancelled => exit::CANCELLED,
        ReplyState::Failed => exit::BACKEND_FAILED,
        _ => exit::OK,
    }
}

/// Turns Ctrl-C into cancelling the reply while it streams.
struct CancelOnSigint {
    handle: Option<signal_hook::iterator::Handle>,
}

impl CancelOnSigint {
    fn install(cancel: &CancelToken) -> Self {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT]) else {
            return CancelOnSigint { handle: None };
        };
        let handle = signals.handle();
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            let mut received = signals.forever();
            if received.next().is_some() {
                cancel.cancel();
                // A second Ctrl-C while the stop is under way ends the process
                // the usual way (what arrived is checkpointed already).
                if received.next().is_some() {
                    let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGINT);
                }
            }
        });
        CancelOnSigint { handle: Some(handle) }
    }
}

impl Drop for CancelOnSigint {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.close();
        }
    }
}
