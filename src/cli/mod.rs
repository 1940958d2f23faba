//! The command line: clap definitions, one module per subcommand, and the one
//! place errors become messages and exit codes.

/// `println!` for command output that may go to a closed pipe (`| head`):
/// output nobody reads is not an error, and must not end in a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod ask;
mod audit;
mod backends;
mod chat;
mod confirm;
mod demo;
mod export;
mod identity;
mod init;
mod keys;
mod passphrase;
mod redact;
mod repair;
mod retention;
mod unlock;
mod verify;
mod view;
mod wipe;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::store::VaultError;

/// Exit codes, as documented in `--help` and the README.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const UNLOCK_FAILED: u8 = 3;
    pub const IN_USE: u8 = 4;
    pub const NO_VAULT: u8 = 5;
    pub const DAMAGED: u8 = 6;
    pub const BACKEND_FAILED: u8 = 7;
    /// Stopped with Ctrl-C (128 + SIGINT, as shells report it).
    pub const CANCELLED: u8 = 130;
    /// Ended by SIGTERM or SIGHUP, after a clean close (128 + SIGTERM).
    pub const TERMINATED: u8 = 143;

    /// The code for how a chat session ended.
    pub fn of(status: crate::model::ExitStatus) -> u8 {
        use crate::model::ExitStatus;
        match status {
            ExitStatus::Ok => OK,
            ExitStatus::Error => ERROR,
            ExitStatus::Cancelled => CANCELLED,
            ExitStatus::Terminated => TERMINATED,
            ExitStatus::UnlockFailed => UNLOCK_FAILED,
        }
    }
}

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  error (bad input, unreadable file, disk problem); the message says what to do
  2  usage error (unknown command or flag)
  3  could not unlock (wrong passphrase or identity, unusable identity file, no passphrase)
  4  the vault is in use by another sotto process
  5  no vault in the data directory
  6  the vault is damaged: 'verify' found damaged records, or a vault file is missing or unreadable
  7  the backend failed (unreachable, refused the key, timed out); what arrived is kept
  130  stopped with Ctrl-C; what arrived is kept
  143  the chat screen was ended by SIGTERM or SIGHUP; it closed the vault cleanly first

Environment:
  SOTTO_DATA_DIR             the vault's directory (like --data-dir)
  SOTTO_CONFIG               the config file (like --config)
  SOTTO_BACKEND              the backend to use (like --backend)
  SOTTO_REDACT               the redaction mode of 'sotto ask' (like --redact);
                             'off' sends personal data as written, with a warning
  SOTTO_PASSPHRASE_FILE      read the passphrase from this file (first line)
  SOTTO_PASSPHRASE_COMMAND   run this shell command and use its output as the passphrase
  SOTTO_NEW_PASSPHRASE_FILE  the new passphrase for 'sotto passphrase' (first line)
  SOTTO_RECOVERY_KEY_FILE    the recovery key for 'sotto passphrase --reset' (first line)
  SOTTO_EXPORT_PASSPHRASE_FILE  the passphrase of 'sotto export --passphrase' and of importing such an export";

#[derive(Debug, Parser)]
#[command(
    name = "sotto",
    version,
    about = "A terminal chatbot that keeps your conversations to yourself",
    long_about = "sotto keeps your whole chat history in an age-encrypted vault on this machine, \
                  and lets you see, export and wipe everything it stores.\n\n\
                  Run without a command to open the chat screen (the first run creates the vault; \
                  /help inside lists keys and commands). The commands below do the same jobs for scripts.",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// The vault's directory [default: the platform data dir, e.g. ~/.local/share/sotto]
    #[arg(long, global = true, env = "SOTTO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The config file [default: the platform config dir, e.g. ~/.config/sotto/config.toml]
    #[arg(long, global = true, env = "SOTTO_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The backend for this run, by its name in the config [default: the chat screen's last /backend choice, else the config's default_backend, else 'local']
    #[arg(long, global = true, env = "SOTTO_BACKEND", value_name = "NAME")]
    pub backend: Option<String>,

    /// Store nothing: the vault is not even opened (the chat screen keeps the conversation in memory only)
    #[arg(long, global = true)]
    pub incognito: bool,

    /// Add the Markdown files under DIR to the built-in bot's knowledge (repeatable)
    #[arg(long, global = true, value_name = "DIR")]
    pub knowledge: Vec<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault, protected by a passphrase or by your own age identity
    Init(init::InitArgs),
    /// Show where the vault is, how it is protected and what it holds
    View(view::ViewArgs),
    /// Check every record in the vault; lists what is damaged, lost, tampered with or not yet acknowledged, and exits 6 if any
    Verify(verify::VerifyArgs),
    /// Rebuild a damaged vault from its newest snapshot and every record that still reads; the damaged database is kept
    Repair(repair::RepairArgs),
    /// Ask one question and stream the reply to stdout (the question from stdin if not given)
    Ask(ask::AskArgs),
    /// Store, remove or list backends' API keys in the encrypted vault
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// List backends, check one, or give or withdraw consent to send conversations to one
    #[command(subcommand)]
    Backend(backends::BackendCommand),
    /// A guided tour of what sotto withholds, keeps, exports and wipes, in a throwaway vault (yours is never touched)
    Demo,
    /// Show what a backend would receive for the text on stdin (mask mode): the masked text, what was withheld on stderr, or --json with the findings
    Redact(redact::RedactArgs),
    /// List the privacy events (vault created, failed unlocks, consent, exports, wipes) with their times; never content
    Audit(audit::AuditArgs),
    /// Export the whole vault or one conversation as JSON or Markdown, age-encrypted unless --plaintext
    Export(export::ExportArgs),
    /// Import a JSON export (conversations already in the vault are skipped)
    Import(export::ImportArgs),
    /// Show or set how long messages are kept (the default, or --conversation ID); expired ones are wiped
    Retention(retention::RetentionArgs),
    /// Wipe one conversation, everything older than a date, or the whole vault, for good (the identity is rotated)
    Wipe(wipe::WipeArgs),
    /// Rotate the vault identity: new identity, every data key re-wrapped, the old identity destroyed
    Rekey,
    /// Change the passphrase (the identity is rotated with it); --reset sets one with the recovery key
    Passphrase(identity::PassphraseArgs),
    /// Create an offline recovery key, shown once, that can set a new passphrase if you forget yours (the identity is rotated, so an earlier key opens nothing)
    RecoveryKey,
}

/// A failure of a subcommand: the message for stderr and the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{message}")]
    WithCode { message: String, code: u8 },
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Vault(e) => vault_exit_code(e),
            CliError::Input(_) | CliError::Config(_) => exit::ERROR,
            CliError::WithCode { code, .. } => *code,
        }
    }
}

impl From<crate::app::AppError> for CliError {
    fn from(e: crate::app::AppError) -> Self {
        match e {
            crate::app::AppError::Vault(e) => CliError::Vault(e),
            other => CliError::Input(other.to_string()),
        }
    }
}

impl From<crate::backend::BackendError> for CliError {
    fn from(e: crate::backend::BackendError) -> Self {
        CliError::WithCode {
            message: e.to_string(),
            code: exit::BACKEND_FAILED,
        }
    }
}

fn vault_exit_code(e: &VaultError) -> u8 {
    match e {
        VaultError::NoVault { .. } => exit::NO_VAULT,
        VaultError::InUse { .. } => exit::IN_USE,
        VaultError::WrongPassphrase { .. }
        | VaultError::WrongRecoveryKey { .. }
        | VaultError::RecoveryKeyInvalid
        | VaultError::NoRecoveryKey { .. }
        | VaultError::WrongIdentity { .. }
        | VaultError::PassphraseRequired { .. }
        | VaultError::PluginFailed { .. }
        | VaultError::UserIdentity(_) => exit::UNLOCK_FAILED,
        VaultError::IdentityMissing { .. }
        | VaultError::IdentityUnreadable { .. }
        | VaultError::ManifestInvalid { .. }
        | VaultError::ManifestMissing { .. }
        | VaultError::RecipientMismatch { .. }
        | VaultError::VaultKeyDamaged { .. }
        | VaultError::ConversationDamaged { .. }
        | VaultError::SettingsDamaged { .. }
        | VaultError::Database { .. }
        | VaultError::DatabaseCorrupted { .. } => exit::DAMAGED,
        _ => exit::ERROR,
    }
}

/// Resolved locations and choices for this run.
pub(crate) struct Context {
    pub data_dir: PathBuf,
    pub config: Option<PathBuf>,
    /// Whether the user named the config file (then it must exist).
    pub config_explicit: bool,
    pub backend: Option<String>,
    pub incognito: bool,
    pub knowledge: Vec<PathBuf>,
}

impl Context {
    /// The configuration, read now: a missing default file means the defaults.
    pub fn load_config(&self) -> Result<crate::config::Config, CliError> {
        match &self.config {
            Some(path) => Ok(crate::config::Config::load(path, self.config_explicit)?),
            None => Ok(crate::config::Config::default()),
        }
    }

    /// The backend this run uses: `--backend`, else the config's default.
    pub fn chosen_backend(&self, config: &crate::config::Config) -> Result<crate::config::NamedBackend, CliError> {
        let name = self.backend.as_deref().unwrap_or(&config.default_backend);
        Ok(config.backend(name)?.clone())
    }

    fn resolve(cli: &Cli) -> Result<Self, CliError> {
        let data_dir = match &cli.data_dir {
            Some(dir) => dir.clone(),
            None => crate::paths::default_data_dir().ok_or_else(|| {
                CliError::Input("cannot find a home directory for the vault; set --data-dir or SOTTO_DATA_DIR".into())
            })?,
        };
        let config = cli.config.clone().or_else(crate::paths::default_config_file);
        Ok(Context {
            data_dir,
            config,
            config_explicit: cli.config.is_some(),
            backend: cli.backend.clone(),
            incognito: cli.incognito,
            knowledge: cli.knowledge.clone(),
        })
    }
}

/// The conversation whose id is `wanted` or starts with it.
pub(crate) fn find_conversation(
    vault: &crate::store::Vault,
    wanted: &str,
) -> Result<crate::store::ConversationId, CliError> {
    let wanted = wanted.trim().to_ascii_lowercase();
    if wanted.len() < 8 || !wanted.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(CliError::Input(format!(
            "'{wanted}' is not a conversation id; give at least its first 8 hex characters, as 'sotto view --conversations' \
             lists them"
        )));
    }
    let list = vault.list_conversations()?;
    let matches: Vec<crate::store::ConversationId> = list
        .conversations
        .iter()
        .map(|c| c.id)
        .chain(list.damaged.iter().filter_map(|d| d.id))
        .filter(|id| id.to_string().starts_with(&wanted))
        .collect();
    match matches.as_slice() {
        [id] => Ok(*id),
        [] => Err(CliError::Input(format!(
            "no conversation has an id starting with '{wanted}'; 'sotto view --conversations' lists them"
        ))),
        _ => Err(CliError::Input(format!(
            "{} conversations have ids starting with '{wanted}'; give more of the id",
            matches.len()
        ))),
    }
}

/// Parses the command line, runs the subcommand and returns the exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    match dispatch(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("sotto: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn dispatch(cli: &Cli) -> Result<u8, CliError> {
    let context = Context::resolve(cli)?;
    match &cli.command {
        Some(Command::Init(args)) => init::run(&context, args),
        Some(Command::View(args)) => view::run(&context, args),
        Some(Command::Verify(args)) => verify::run(&context, args),
        Some(Command::Repair(args)) => repair::run(&context, args),
        Some(Command::Ask(args)) => ask::run(&context, args),
        Some(Command::Key(command)) => keys::run(&context, command),
        Some(Command::Backend(command)) => backends::run(&context, command),
        Some(Command::Redact(args)) => redact::run(args),
        Some(Command::Demo) => demo::run(),
        Some(Command::Audit(args)) => audit::run(&context, args),
        Some(Command::Export(args)) => export::run_export(&context, args),
        Some(Command::Import(args)) => export::run_import(&context, args),
        Some(Command::Wipe(args)) => wipe::run(&context, args),
        Some(Command::Retention(args)) => retention::run(&context, args),
        Some(Command::Rekey) => identity::rekey(&context),
        Some(Command::Passphrase(args)) => identity::passphrase(&context, args),
        Some(Command::RecoveryKey) => identity::recovery_key(&context),
        None => chat::run(&context),
    }
}
