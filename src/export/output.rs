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
use super::markdown;
use crate::crypto::KdfCost;
use crate::store::fsutil;
use crate::store::{AuditEvent, ConversationSummary, ExportFormat, Scope, Vault, VaultError};
use crate::time::Timestamp;

/// How the export is protected.
pub enum Encryption {
    /// To the vault's own recipient, and the recovery key's if there is one.
    Vault,
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
    let recipients = recipients(vault, encryption)?;
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
        recipients,
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
        path: path.clone(),
        conversations: conversations.len() as u64,
        messages,
        damaged_messages,
        bytes,
    })
}

/// `sotto-export-20261130-124000.json.age`: the default file name, in the
/// current directory.
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

/// What protects an export, and how to open it, in a sentence.
pub fn protection_note(encryption: &Encryption, vault: &Vault) -> String {
    match encryption {
        Encryption::Plaintext => {
            "It is plaintext: anyone who can read the file can read your history. Delete it when done.".into()
        }
        Encryption::Passphrase(..) => "It is encrypted with its own passphrase: 'age -d FILE' asks for it.".into(),
        Encryption::Recipients(_) => "It is encrypted to the recipients you gave: 'age -d -i KEY FILE'.".into(),
        Encryption::Vault => format!(
            "It is encrypted to this vault's identity{}: 'age -d -i {} FILE' opens it with your passphrase, \
             until the identity is next rotated (any wipe, rekey or passphrase change){}. For a lasting copy, \
             use 'sotto export --recipient' or '--passphrase'.",
            if vault.has_recovery_key() {
                " and your recovery key"
            } else {
                ""
            },
            vault.root().join("identity.age").display(),
            if vault.has_recovery_key() {
                "; the recovery key keeps opening it"
            } else {
                ""
            }
        ),
    }
}

type Recipients = Option<Vec<Box<dyn age::Recipient + Send>>>;

/// The age recipients, or `None` for plaintext; checked before anything is written.
fn recipients(vault: &Vault, encryption: &Encryption) -> Result<Recipients, ExportError> {
    let parse = |text: &str| -> Result<Box<dyn age::Recipient + Send>, ExportError> {
        let text = text.trim();
        if let Ok(r) = text.parse::<age::x25519::Recipient>() {
            return Ok(Box::new(r));
        }
        text.parse::<age::ssh::Recipient>()
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|_| ExportError::BadRecipient(text.to_owned()))
    };
    Ok(Some(match encryption {
        Encryption::Plaintext => return Ok(None),
        Encryption::Vault => {
            let mut list = vec![parse(&vault.recipient())?];
            // The sealed recipient, never vault.toml's (anyone who can write
            // the data directory could add theirs there).
            if let Some(recovery) = vault.recovery_recipient() {
                list.push(parse(&recovery)?);
            }
            list
        }
        Encryption::Recipients(texts) => texts.iter().map(|t| parse(t)).collect::<Result<_, _>>()?,
        Encryption::Passphrase(passphrase, cost) => {
            let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
            recipient.set_work_factor(cost.log_n());
            vec![Box::new(recipient)]
        }
    }))
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
    recipients: Recipients,
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
            let encryptor =
                age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient))
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
