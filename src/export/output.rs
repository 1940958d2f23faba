//! Writing an export: the conversations in scope, as JSON or Markdown, through
//! age (to the vault's own recipients, to given recipients, or with a
//! passphrase) unless plaintext was asked for, into a private temp file beside
//! the destination that is synced and then linked into place. A kill at any
//! moment leaves no partial file under the final name, and an existing file
//! is only replaced with `force`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rand::RngCore;
use secrecy::SecretString;

use super::document::{ExportScope, JsonWriter, conversation_json};
use super::keys::{Keys, recipients};
use super::markdown;
use crate::crypto::KdfCost;
use crate::store::fsutil;
use crate::store::{AuditEvent, ConversationSummary, ExportFormat, Scope, Vault, VaultError};
use crate::time::Timestamp;

/// How the export is protected.
pub enum Encryption {
    /// The default: to what protects the vault itself and stays when the
    /// vault identity rotates (the passphrase, or the user's identity file
    /// and the recovery key), so a wipe or rekey never stops it opening.
    Owner,
    /// To these age recipients (`age1…`) or SSH public keys.
    Recipients(Vec<String>),
    /// With a passphrase (scrypt at this cost).
    Passphrase(SecretString, KdfCost),
    /// Not at all: only when the user asked for it.
    Plaintext,
}

/// Where it goes.
pub struct Destination {
    pub path: PathBuf,
    /// Replace an existing file.
    pub force: bool,
    /// ASCII-armored age output.
    pub armor: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("'{}' already exists; nothing was written. Choose another file, or add --force to replace it", .0.display())]
    Exists(PathBuf),
    #[error(
        "'{0}' is not an age recipient (age1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …); nothing was written"
    )]
    BadRecipient(String),
    #[error(
        "this vault's identity file names no recipient sotto can encrypt to (a plugin identity?), so there is no default encryption; use --recipient KEY or --passphrase. Nothing was written"
    )]
    NoOwnerKey,
    #[error("--armor only applies to encrypted exports; nothing was written")]
    ArmorWithoutEncryption,
    #[error("cannot {action} '{}': {source}. Nothing was written under that name", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl ExportError {
    /// The same error, naming `path` when it names no file yet.
    fn at(self, path: &Path) -> Self {
        match self {
            ExportError::Io {
                action,
                path: p,
                source,
            } if p.as_os_str().is_empty() => ExportError::Io {
                action,
                path: path.to_owned(),
                source,
            },
            other => other,
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    /// Where the file is, as a full path.
    pub path: PathBuf,
    pub conversations: u64,
    pub messages: u64,
    /// Messages that could not be read and so are not in the export.
    pub damaged_messages: u64,
    pub bytes: u64,
}

/// Exports `scope` of the vault to `destination` and records it in the audit log.
pub fn export(
    vault: &mut Vault,
    scope: ExportScope,
    format: ExportFormat,
    encryption: &Encryption,
    destination: &Destination,
) -> Result<ExportSummary, ExportError> {
    if destination.armor && matches!(encryption, Encryption::Plaintext) {
        return Err(ExportError::ArmorWithoutEncryption);
    }
    let keys = recipients(vault, encryption)?;
    let conversations = in_scope(vault, scope)?;
    let path = &destination.path;
    if !destination.force && fs::symlink_metadata(path).is_ok() {
        return Err(ExportError::Exists(path.clone()));
    }
    let (tmp, file) = temp_beside(path)?;
    let written = write_all(
        vault,
        &conversations,
        (scope, format),
        keys.as_ref().map(Keys::refs),
        destination.armor,
        (file, path),
    );
    let placed = written.and_then(|counts| place(&tmp, path, destination.force).map(|()| counts));
    let (messages, damaged_messages) = match placed {
        Ok(counts) => counts,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    drop(keys);
    let bytes = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    vault.record_audit(AuditEvent::Export {
        scope: match scope {
            ExportScope::Vault => Scope::Vault,
            ExportScope::Conversation(id) => Scope::Conversation { id },
        },
        format,
        encrypted: !matches!(encryption, Encryption::Plaintext),
    })?;
    Ok(ExportSummary {
        // The full path, so the user is told exactly where the file is.
        path: std::path::absolute(path).unwrap_or_else(|_| path.clone()),
        conversations: conversations.len() as u64,
        messages,
        damaged_messages,
        bytes,
    })
}

/// `sotto-export-20261130-124000.json.age`: the default file name, in the
/// directory `crate::paths::default_export_dir` names.
pub fn default_file_name(format: ExportFormat, plaintext: bool, now: Timestamp) -> PathBuf {
    let stamp: String = now
        .to_rfc3339()
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect::<String>()
        .replace('T', "-");
    let extension = match format {
        ExportFormat::Json => "json",
        ExportFormat::Markdown => "md",
    };
    let age = if plaintext { "" } else { ".age" };
    PathBuf::from(format!("sotto-export-{stamp}.{extension}{age}"))
}

fn in_scope(vault: &Vault, scope: ExportScope) -> Result<Vec<ConversationSummary>, VaultError> {
    match scope {
        ExportScope::Vault => {
            let mut list = vault.list_conversations()?.conversations;
            list.sort_by_key(|c| c.created);
            Ok(list)
        }
        ExportScope::Conversation(id) => Ok(vec![vault.conversation(id)?]),
    }
}

fn temp_beside(path: &Path) -> Result<(PathBuf, File), ExportError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A temp file of an export to the same name that was killed half-way may
    // hold part of a history (in plaintext, if it was one): it goes first.
    let stale = format!(".{name}.tmp-");
    if let Ok(entries) = fs::read_dir(&dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&stale) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    let mut suffix = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let tmp = dir.join(format!(".{name}.tmp-{}", fsutil::hex(&suffix)));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(fsutil::FILE_MODE)
        .open(&tmp)
        .map_err(io_error("create a file in", &dir))?;
    Ok((tmp, file))
}

/// Writes the document into `file` (encrypted if `recipients`) and syncs it.
/// Returns the messages written and those skipped as damaged.
fn write_all(
    vault: &Vault,
    conversations: &[ConversationSummary],
    (scope, format): (ExportScope, ExportFormat),
    recipients: Option<Vec<&dyn age::Recipient>>,
    armor: bool,
    (file, path): (File, &Path),
) -> Result<(u64, u64), ExportError> {
    let io = |e| ExportError::Io {
        action: "write the export",
        path: path.to_owned(),
        source: e,
    };
    let file = BufWriter::with_capacity(1 << 16, file);
    let (counts, file) = match recipients {
        None => {
            let mut out = file;
            let counts = write_document(vault, conversations, scope, format, &mut out).map_err(|e| e.at(path))?;
            (counts, out.into_inner().map_err(|e| io(e.into_error()))?)
        }
        Some(recipients) => {
            let encryptor = age::Encryptor::with_recipients(recipients.into_iter())
                .map_err(|e| ExportError::BadRecipient(e.to_string()))?;
            let form = if armor {
                age::armor::Format::AsciiArmor
            } else {
                age::armor::Format::Binary
            };
            let armored = age::armor::ArmoredWriter::wrap_output(file, form).map_err(io)?;
            let mut stream = encryptor.wrap_output(armored).map_err(io)?;
            let counts = {
                let mut plain = BufWriter::with_capacity(1 << 16, &mut stream);
                let counts = write_document(vault, conversations, scope, format, &mut plain).map_err(|e| e.at(path))?;
                plain.flush().map_err(io)?;
                counts
            };
            let armored = stream.finish().map_err(io)?;
            let out = armored.finish().map_err(io)?;
            (counts, out.into_inner().map_err(|e| io(e.into_error()))?)
        }
    };
    file.sync_all().map_err(io)?;
    Ok(counts)
}

fn write_document(
    vault: &Vault,
    conversations: &[ConversationSummary],
    scope: ExportScope,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<(u64, u64), ExportError> {
    let io = |e| ExportError::Io {
        action: "write the export",
        path: PathBuf::new(),
        source: e,
    };
    let now = Timestamp::now();
    let (mut messages, mut damaged) = (0u64, 0u64);
    let mut writer = match format {
        ExportFormat::Json => Document::Json(JsonWriter::start(out, scope, now).map_err(io)?),
        ExportFormat::Markdown => {
            markdown::write_header(out, now).map_err(io)?;
            Document::Markdown(out)
        }
    };
    for summary in conversations {
        let loaded = vault.newest_messages(summary.id, usize::MAX)?;
        let readable: Vec<_> = loaded.into_iter().filter_map(Result::ok).collect();
        damaged += summary.message_count.saturating_sub(readable.len() as u64);
        messages += readable.len() as u64;
        let conversation = conversation_json(summary, &readable);
        match &mut writer {
            Document::Json(json) => json.conversation(&conversation),
            Document::Markdown(out) => markdown::write_conversation(*out, &conversation),
        }
        .map_err(io)?;
    }
    if let Document::Json(json) = writer {
        json.finish().map_err(io)?;
    }
    Ok((messages, damaged))
}

/// The document being written, in either format.
enum Document<'a> {
    Json(JsonWriter<&'a mut dyn Write>),
    Markdown(&'a mut dyn Write),
}

/// Puts the finished temp file at `path`: a rename with `force`, else a hard
/// link, which fails rather than replace a file that appeared meanwhile.
fn place(tmp: &Path, path: &Path, force: bool) -> Result<(), ExportError> {
    if force {
        fs::rename(tmp, path).map_err(io_error("write", path))?;
    } else {
        fs::hard_link(tmp, path).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => ExportError::Exists(path.to_owned()),
            _ => io_error("write", path)(e),
        })?;
        fs::remove_file(tmp).map_err(io_error("remove", tmp))?;
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fsutil::sync_dir(dir).map_err(io_error("sync", dir))
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ExportError {
    let path = path.to_owned();
    move |source| ExportError::Io { action, path, source }
}
