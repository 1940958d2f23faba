//! `sotto import`: reading a JSON export back into the vault. The file may be
//! plaintext, or age-encrypted (binary or armored) to the vault's identity,
//! to an identity the user supplies, or with a passphrase. Everything is
//! parsed and checked before anything is written; conversations already in
//! the vault (same id) are skipped, so importing twice changes nothing.

use std::collections::BTreeSet;
use std::io::Read;

use secrecy::SecretString;

use super::document::{ConversationJson, EXPORT_SCHEMA, Header, parse_time};
use crate::crypto::KdfCost;
use crate::store::{AuditEvent, ImportedConversation, ImportedMessage, OwnerKey, Vault, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(
        "this is a Markdown export, which is for reading; import the JSON export ('sotto export --format json') instead. Nothing was imported"
    )]
    Markdown,
    #[error("this file is not a sotto export ({0}). Nothing was imported")]
    NotAnExport(String),
    #[error(
        "this export has schema '{0}', and this sotto reads '{EXPORT_SCHEMA}'; use a newer sotto. Nothing was imported"
    )]
    Schema(String),
    #[error(
        "this export is encrypted with a passphrase: give it at the prompt or with SOTTO_EXPORT_PASSPHRASE_FILE. Nothing was imported"
    )]
    PassphraseRequired,
    #[error("this export does not decrypt: {0}. Nothing was imported")]
    Decrypt(String),
    #[error("this export is damaged: {0}. Nothing was imported")]
    Invalid(String),
}

/// What an import added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub conversations: u64,
    pub messages: u64,
    /// Conversations already in the vault, left as they are.
    pub skipped: u64,
}

#[derive(serde::Deserialize)]
struct ExportFile {
    #[serde(flatten)]
    header: Header,
    conversations: Vec<ConversationJson>,
}

/// Whether `bytes` is an age file that needs a passphrase, so the caller can
/// ask for one only then.
pub fn needs_passphrase(bytes: &[u8]) -> bool {
    age::Decryptor::new_buffered(age::armor::ArmoredReader::new(bytes)).is_ok_and(|d| d.is_scrypt())
}

/// Imports the export in `bytes`. `identities` are tried besides the vault's own.
pub fn import(
    vault: &mut Vault,
    bytes: &[u8],
    passphrase: Option<&SecretString>,
    identities: &[Box<dyn age::Identity>],
) -> Result<ImportSummary, ImportError> {
    let plaintext = decrypt(vault, bytes, passphrase, identities)?;
    let conversations = parse(&plaintext)?;
    let mut summary = ImportSummary::default();
    for conversation in &conversations {
        if vault.has_conversation(conversation.id)? {
            summary.skipped += 1;
            continue;
        }
        vault.import_conversation(conversation)?;
        summary.conversations += 1;
        summary.messages += conversation.messages.len() as u64;
    }
    vault.record_audit(AuditEvent::Import {
        conversations: summary.conversations,
        messages: summary.messages,
    })?;
    Ok(summary)
}

fn is_age(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/")
        || bytes
            .trim_ascii_start()
            .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

fn decrypt(
    vault: &Vault,
    bytes: &[u8],
    passphrase: Option<&SecretString>,
    identities: &[Box<dyn age::Identity>],
) -> Result<zeroize::Zeroizing<Vec<u8>>, ImportError> {
    if !is_age(bytes) {
        return Ok(zeroize::Zeroizing::new(bytes.to_vec()));
    }
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(bytes))
        .map_err(|e| ImportError::Decrypt(e.to_string()))?;
    let reader = if decryptor.is_scrypt() {
        let passphrase = match (passphrase, vault.owner_key()) {
            (Some(given), _) => given,
            // A default export of a passphrase vault: its own passphrase,
            // unless it was made under one changed since.
            (None, Some(OwnerKey::Passphrase { passphrase: own, .. })) => {
                return match decrypt_scrypt(bytes, own) {
                    Ok(plain) => Ok(plain),
                    Err(ImportError::Decrypt(_)) => Err(ImportError::PassphraseRequired),
                    Err(other) => Err(other),
                };
            }
            (None, _) => return Err(ImportError::PassphraseRequired),
        };
        return decrypt_scrypt(bytes, passphrase);
    } else {
        let own = vault.identity.age() as &dyn age::Identity;
        decryptor.decrypt(std::iter::once(own).chain(identities.iter().map(|i| i.as_ref())))
    };
    read_plaintext(reader)
}

fn decrypt_scrypt(bytes: &[u8], passphrase: &SecretString) -> Result<zeroize::Zeroizing<Vec<u8>>, ImportError> {
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(bytes))
        .map_err(|e| ImportError::Decrypt(e.to_string()))?;
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    identity.set_max_work_factor(KdfCost::MAX_ACCEPTED_LOG_N);
    read_plaintext(decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)))
}

fn read_plaintext<R: Read>(reader: Result<R, age::DecryptError>) -> Result<zeroize::Zeroizing<Vec<u8>>, ImportError> {
    let mut reader = reader.map_err(|e| {
        ImportError::Decrypt(match e {
            age::DecryptError::NoMatchingKeys => "it is not encrypted to this vault, and no --identity given opens it \
                                                  (a default export of an older sotto was encrypted to the vault \
                                                  identity of its day, which a wipe or rekey destroys: give the \
                                                  recovery key file with --identity; see SECURITY.md)"
                .into(),
            age::DecryptError::DecryptionFailed => "wrong passphrase, or the file was altered".into(),
            other => other.to_string(),
        })
    })?;
    let mut plaintext = zeroize::Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut plaintext)
        .map_err(|e| ImportError::Decrypt(format!("the file is cut short or altered ({e})")))?;
    Ok(plaintext)
}

pub(crate) fn parse(plaintext: &[u8]) -> Result<Vec<ImportedConversation>, ImportError> {
    if plaintext.starts_with(b"# sotto export") {
        return Err(ImportError::Markdown);
    }
    let file: ExportFile = serde_json::from_slice(plaintext).map_err(|e| {
        // Where, never what: the text around the error could be a message.
        let at = format!("line {} column {}", e.line(), e.column());
        match serde_json::from_slice::<serde_json::Value>(plaintext) {
            Ok(value) => match value.get("schema").and_then(|s| s.as_str()) {
                Some(schema) if schema != EXPORT_SCHEMA => ImportError::Schema(schema.to_owned()),
                Some(_) => ImportError::Invalid(format!("a field does not match the schema at {at}")),
                None => ImportError::NotAnExport("it has no 'schema' field".into()),
            },
            Err(_) => ImportError::NotAnExport(format!("it is not JSON: {at}")),
        }
    })?;
    if file.header.schema != EXPORT_SCHEMA {
        return Err(ImportError::Schema(file.header.schema));
    }
    file.conversations.into_iter().map(checked).collect()
}

fn checked(c: ConversationJson) -> Result<ImportedConversation, ImportError> {
    let time = |text: &str, what: &str| {
        parse_time(text).ok_or_else(|| {
            ImportError::Invalid(format!(
                "conversation '{}': {what} '{text}' is not an RFC 3339 time",
                c.id
            ))
        })
    };
    let (created, updated) = (time(&c.created, "created")?, time(&c.updated, "updated")?);
    let mut seqs = BTreeSet::new();
    let mut messages = Vec::with_capacity(c.messages.len());
    for m in &c.messages {
        if !seqs.insert(m.seq) {
            return Err(ImportError::Invalid(format!(
                "conversation '{}' has two messages numbered {}",
                c.id, m.seq
            )));
        }
        messages.push(ImportedMessage {
            seq: m.seq,
            role: m.role,
            at: time(&m.at, &format!("message #{}'s time", m.seq))?,
            text: m.text.clone(),
            meta: m.meta(),
        });
    }
    Ok(ImportedConversation {
        id: c.id,
        title: c.title,
        created,
        updated,
        retention: c.retention,
        messages,
    })
}
