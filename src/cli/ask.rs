//! `sotto ask [MESSAGE]`: one question, the reply streamed to stdout as it
//! arrives, both stored in the vault (a new conversation, or `--conversation
//! ID`). `--incognito` stores nothing and never opens the vault. Ctrl-C stops
//! the reply and keeps what arrived.
//!
//! The user's message is durable before anything is sent; the reply is
//! checkpointed while it streams and finished with how it ended.

use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use clap::Args;

use super::unlock::open_vault;
use super::{CliError, Context, exit};
use crate::backend::{Backend, BackendError, CancelToken, Completion, Finish};
use crate::config::{self, NamedBackend};
use crate::redact::egress::{self, Mode, Outgoing};
use crate::redact::mask::{RedactionMap, Unmasker};
use crate::request::{ChatMessage, ChatRequest, ChatRole};
use crate::sanitize;
use crate::store::{AuditEvent, ConversationId, ExchangeTarget, MessageMeta, ReplyState, Role, Vault};

/// How often a streaming reply is saved.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
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
    let (mut history, mut map) = match args.conversation {
        Some(id) => history(&vault, id)?,
        None => (Vec::new(), RedactionMap::default()),
    };
    let before = map.len();
    let outgoing = review(&message, mode, &mut map, &history)?;
    warn_if_off(mode, args.redact.is_some(), &backend);
    history.push(ChatMessage {
        role: ChatRole::User,
        content: outgoing.sent.clone(),
    });
    let mut request = ChatRequest {
        messages: history,
        ..Default::default()
    };
    let left_behind = config.context.apply(&mut request);
    if left_behind > 0 {
        eprintln!(
            "sotto: {left_behind} earlier message(s) stayed on this machine (context: at most {} messages, {} characters)",
            config.context.max_messages, config.context.max_chars
        );
    }
    // The egress boundary: history sent earlier in another mode is masked too.
    let request = egress::outgoing_request(request, mode, &mut map, true);
    let meta = MessageMeta {
        backend: Some(backend.name.clone()),
        model: backend.model().map(str::to_owned),
        ..Default::default()
    };
    let mut user_meta = meta.clone();
    user_meta.extra = outgoing.meta.clone();
    if map.len() > before
        && let Ok(json) = serde_json::to_string(&map.entries_since(before))
    {
        user_meta.extra.insert(egress::META_MAP.to_owned(), json);
    }
    // Durable before it is sent: the conversation if new, the message and
    // the reply's record, in one commit.
    let title = crate::store::title_for(&message);
    let target = match args.conversation {
        Some(id) => ExchangeTarget::Existing(id),
        None => ExchangeTarget::New { title: &title },
    };
    let start = vault.begin_exchange(target, Some((&message, user_meta)), meta)?;
    let (conversation, reply) = (start.conversation, start.reply_seq);
    eprintln!("sotto: conversation {conversation}");
    report_withheld(&message, &outgoing);

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
            if last_checkpoint.elapsed() >= CHECKPOINT_EVERY && checkpoint_error.is_none() {
                last_checkpoint = Instant::now();
                if let Err(e) = vault.checkpoint_reply(conversation, reply, &text) {
                    checkpoint_error = Some(e);
                    cancel.cancel();
                }
            }
        };
        bot.stream(&request, &cancel, &mut on_delta)
    };
    print_delta(&unmasker.finish());
    end_output(&text);
    if let Some(e) = checkpoint_error {
        return Err(e.into());
    }
    let (state, reason, code) = outcome(&result);
    let finished = vault.finish_reply(conversation, reply, &text, state, reason);
    for repair in vault.take_repairs() {
        eprintln!("sotto: {repair}");
    }
    finished?;
    report(&result, &*bot);
    Ok(code)
}

fn ask_incognito(context: &Context, args: &AskArgs, backend: &NamedBackend, message: &str) -> Result<u8, CliError> {
    if backend.channel().leaves_machine() && !args.trust_backend {
        return Err(consent_needed(backend, true));
    }
    let mode = args.redact.unwrap_or_default();
    let mut map = RedactionMap::default();
    let outgoing = review(message, mode, &mut map, &[])?;
    warn_if_off(mode, args.redact.is_some(), backend);
    let key = config::resolve_key(backend, None)?;
    let bot = backend.build(key, &context.knowledge)?;
    let cancel = CancelToken::new();
    let _sigint = CancelOnSigint::install(&cancel);
    let request = ChatRequest {
        messages: vec![ChatMessage {
            role: ChatRole::User,
            content: outgoing.sent.clone(),
        }],
        ..Default::default()
    };
    let request = egress::outgoing_request(request, mode, &mut map, true);
    report_withheld(message, &outgoing);
    let mut text = String::new();
    let mut unmasker = Unmasker::new(&map);
    let result = bot.stream(&request, &cancel, &mut |delta| {
        print_delta(&unmasker.push(delta));
        text.push_str(delta);
    });
    print_delta(&unmasker.finish());
    end_output(&text);
    report(&result, &*bot);
    Ok(outcome(&result).2)
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
fn review(message: &str, mode: Mode, map: &mut RedactionMap, history: &[ChatMessage]) -> Result<Outgoing, CliError> {
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
    Ok(egress::prepare(message, mode, map, &[], history))
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

fn report_withheld(message: &str, outgoing: &Outgoing) {
    if let Some(summary) = egress::withheld_summary(outgoing.withheld.iter().map(|f| f.kind)) {
        eprintln!("sotto: {summary}: {}", previews(message, &outgoing.withheld));
    }
}

/// The conversation so far, as context for the backend (the user's messages
/// as they were sent), and its placeholder map.
fn history(vault: &Vault, id: ConversationId) -> Result<(Vec<ChatMessage>, RedactionMap), CliError> {
    let loaded = vault.newest_messages(id, usize::MAX)?;
    let map = egress::map_from_history(loaded.iter().filter_map(|m| m.as_ref().ok()).map(|m| &m.meta.extra));
    let mut messages = Vec::new();
    let mut damaged = 0;
    for loaded in &loaded {
        match loaded {
            // A reply that failed or never got a word in is no context, and
            // some servers refuse empty assistant turns.
            Ok(message)
                if message.role == Role::Assistant
                    && (message.text.trim().is_empty() || message.meta.state == ReplyState::Failed) => {}
            Ok(message) => messages.push(ChatMessage {
                role: match message.role {
                    Role::User => ChatRole::User,
                    Role::Assistant => ChatRole::Assistant,
                    Role::System => ChatRole::System,
                },
                content: message
                    .meta
                    .extra
                    .get(egress::META_SENT)
                    .cloned()
                    .unwrap_or_else(|| message.text.clone()),
            }),
            Err(_) => damaged += 1,
        }
    }
    if damaged > 0 {
        eprintln!("sotto: warning: {damaged} damaged message(s) of this conversation are left out of the context");
    }
    Ok((messages, map))
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

/// How the stored reply ends, why, and the exit code.
fn outcome(result: &Result<Completion, BackendError>) -> (ReplyState, Option<String>, u8) {
    match result {
        Ok(done) => match &done.finish {
            Finish::Cancelled => (ReplyState::Cancelled, Some("cancelled".into()), exit::CANCELLED),
            Finish::Truncated => (ReplyState::Truncated, Some("truncated".into()), exit::OK),
            other => (ReplyState::Complete, Some(other.as_str().to_owned()), exit::OK),
        },
        Err(e) => (ReplyState::Failed, Some(failure_reason(e).into()), exit::BACKEND_FAILED),
    }
}

fn failure_reason(e: &BackendError) -> &'static str {
    match e {
        BackendError::Connect { .. } => "connect_failed",
        BackendError::Stalled { .. } => "stalled",
        BackendError::TooSlow { .. } => "too_slow",
        BackendError::Http { .. } => "http_error",
        BackendError::InStream { .. } => "server_error",
        BackendError::Protocol { .. } => "protocol_error",
        BackendError::Interrupted { .. } => "interrupted",
        BackendError::MissingKey { .. } => "missing_key",
        BackendError::Unavailable(_) => "unavailable",
    }
}

fn report(result: &Result<Completion, BackendError>, bot: &dyn Backend) {
    match result {
        Ok(done) if done.finish == Finish::Cancelled => {
            eprintln!("sotto: stopped; the part of the reply that arrived is kept");
        }
        Ok(done) if done.finish == Finish::Truncated => {
            eprintln!("sotto: the reply passed this backend's size limit (max_reply_kib) and was cut there");
        }
        Ok(done) if done.finish == Finish::Length => {
            eprintln!("sotto: the model stopped at its length limit");
        }
        Ok(_) => {}
        Err(e) => eprintln!("sotto: {} ({}): {e}", bot.info().name, bot.info().host),
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
