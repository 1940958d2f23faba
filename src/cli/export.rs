//! `sotto export` and `sotto import`: the whole vault or one conversation out
//! as JSON or Markdown, age-encrypted unless `--plaintext`; and a JSON export
//! read back in.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use super::passphrase::PassphraseSource;
use super::unlock::open_vault;
use super::{CliError, Context, exit, find_conversation};
use crate::crypto::KdfCost;
use crate::crypto::user_identity::UserIdentity;
use crate::export::{self, Destination, Encryption, ExportScope};
use crate::report::view::human_bytes;
use crate::store::ExportFormat;
use crate::time::Timestamp;

/// Where scripts put the passphrase of a passphrase-encrypted export.
pub const EXPORT_PASSPHRASE_FILE_VAR: &str = "SOTTO_EXPORT_PASSPHRASE_FILE";

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    /// Complete and versioned (docs/export-json.md); 'sotto import' reads it back
    Json,
    /// For reading
    Markdown,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Export one conversation (its id, or the first 8 or more characters of it) instead of the whole vault
    #[arg(long, value_name = "ID")]
    conversation: Option<String>,
    /// The format
    #[arg(long, value_enum, default_value = "json")]
    format: FormatArg,
    /// The file to write [default: sotto-export-DATE-TIME.json.age (or .md.age) in your download directory (XDG_DOWNLOAD_DIR), else your home directory]
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Encrypt to this age recipient (age1…) or SSH public key instead of the default (your vault passphrase, or your identity file's recipients) (repeatable)
    #[arg(long, value_name = "RECIPIENT", conflicts_with_all = ["passphrase", "plaintext"])]
    recipient: Vec<String>,
    /// Encrypt with a passphrase of its own (asked twice, or SOTTO_EXPORT_PASSPHRASE_FILE)
    #[arg(long, conflicts_with = "plaintext")]
    passphrase: bool,
    /// ASCII-armored age output, for pasting into mail or a password manager
    #[arg(long, conflicts_with = "plaintext")]
    armor: bool,
    /// Write readable plaintext: the history leaves the vault's protection
    #[arg(long)]
    plaintext: bool,
    /// Replace the output file if it exists
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A JSON export made by 'sotto export'
    file: PathBuf,
    /// An age identity file that opens the export, if it is not encrypted to this vault (repeatable)
    #[arg(long, value_name = "FILE")]
    identity: Vec<PathBuf>,
}

pub(crate) fn run_export(context: &Context, args: &ExportArgs) -> Result<u8, CliError> {
    let format = match args.format {
        FormatArg::Json => ExportFormat::Json,
        FormatArg::Markdown => ExportFormat::Markdown,
    };
    let path = match &args.output {
        Some(path) => path.clone(),
        None => crate::paths::default_export_dir()
            .ok_or_else(|| {
                CliError::Input("no home directory is known for the export; name a file with --output".into())
            })?
            .join(export::default_file_name(format, args.plaintext, Timestamp::now())),
    };
    // Refuse what cannot work before asking for anything.
    if !args.force && std::fs::symlink_metadata(&path).is_ok() {
        return Err(CliError::Input(format!(
            "'{}' already exists; nothing was written. Choose another file with --output, or add --force to replace it",
            path.display()
        )));
    }
    let mut vault = open_vault(context)?;
    let scope = match &args.conversation {
        Some(wanted) => ExportScope::Conversation(find_conversation(&vault, wanted)?),
        None => ExportScope::Vault,
    };
    let encryption = if args.plaintext {
        Encryption::Plaintext
    } else if args.passphrase {
        Encryption::Passphrase(read_export_passphrase(true)?, KdfCost::DEFAULT)
    } else if !args.recipient.is_empty() {
        Encryption::Recipients(args.recipient.clone())
    } else {
        Encryption::Owner
    };
    let destination = Destination {
        path,
        force: args.force,
        armor: args.armor,
    };
    let summary = export::export(&mut vault, scope, format, &encryption, &destination).map_err(|e| match e {
        export::ExportError::Vault(e) => CliError::Vault(e),
        other => CliError::Input(other.to_string()),
    })?;
    say!(
        "Exported {} conversation(s), {} message(s) to '{}' ({}).",
        summary.conversations,
        summary.messages,
        summary.path.display(),
        human_bytes(summary.bytes)
    );
    let protection = export::protection_note(&encryption, &vault);
    say!("{protection}");
    if summary.damaged_messages > 0 {
        eprintln!(
            "sotto: warning: {} damaged message(s) could not be read and are not in the export; 'sotto verify' lists them.",
            summary.damaged_messages
        );
    }
    Ok(exit::OK)
}

pub(crate) fn run_import(context: &Context, args: &ImportArgs) -> Result<u8, CliError> {
    // Read here only to say early and plainly when it cannot be; the import
    // streams it.
    std::fs::File::open(&args.file)
        .map_err(|e| CliError::Input(format!("cannot read '{}': {e}", args.file.display())))?;
    let identities = args
        .identity
        .iter()
        .map(|path| load_identities(path))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    // A passphrase given for the export is used; otherwise the vault's own
    // passphrase is tried first (a default export is made with it), and
    // only then is one asked for.
    let given = std::env::var_os(EXPORT_PASSPHRASE_FILE_VAR).is_some_and(|v| !v.is_empty());
    let passphrase = if given && export::needs_passphrase(&args.file) {
        Some(read_export_passphrase(false)?)
    } else {
        None
    };
    let mut vault = open_vault(context)?;
    let mut imported = export::import(&mut vault, &args.file, passphrase.as_ref(), &identities);
    if matches!(imported, Err(export::ImportError::PassphraseRequired)) && passphrase.is_none() {
        let asked = read_export_passphrase(false)?;
        imported = export::import(&mut vault, &args.file, Some(&asked), &identities);
    }
    let summary = imported.map_err(|e| match e {
        export::ImportError::Vault(e) => CliError::Vault(e),
        other => CliError::Input(other.to_string()),
    })?;
    say!(
        "Imported {} conversation(s), {} message(s) from '{}'.",
        summary.conversations,
        summary.messages,
        args.file.display()
    );
    if summary.skipped > 0 {
        say!(
            "{} conversation(s) were already in the vault and were left as they are.",
            summary.skipped
        );
    }
    Ok(exit::OK)
}

fn load_identities(path: &Path) -> Result<Vec<Box<dyn age::Identity>>, CliError> {
    let input = |e: crate::crypto::user_identity::UserIdentityError| CliError::Input(e.to_string());
    let passphrase = if crate::crypto::user_identity::needs_passphrase(path).map_err(input)? {
        Some(PassphraseSource::Prompt.read(&format!("Passphrase for the identity file '{}': ", path.display()))?)
    } else {
        None
    };
    let user = UserIdentity::load(path, passphrase.as_ref()).map_err(input)?;
    user.identities().map_err(input)
}

/// The export's own passphrase: from SOTTO_EXPORT_PASSPHRASE_FILE, or typed
/// (twice when it is new).
fn read_export_passphrase(new: bool) -> Result<SecretString, CliError> {
    let source = match std::env::var_os(EXPORT_PASSPHRASE_FILE_VAR).filter(|v| !v.is_empty()) {
        Some(path) => PassphraseSource::File(path.into()),
        None => PassphraseSource::Prompt,
    };
    if new {
        source.read_new()
    } else {
        source.read("Passphrase of the export: ")
    }
}
