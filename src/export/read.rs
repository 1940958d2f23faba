//! `sotto import`: reading a JSON export back into the vault. The file may be
//! plaintext, or age-encrypted (binary or armored) to the vault's identity,
//! to an identity the user supplies, or with a passphrase. The whole file is
//! read and checked before anything is written (a first pass), then
//! imported (a second pass, reading and sealing on a thread of its own
//! while this one writes), a few conversations in memory at a time;
//! conversations already in the vault (same id) are skipped, so importing
//! twice changes nothing.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

use secrecy::SecretString;

use super::document::{ConversationJson, EXPORT_SCHEMA, parse_time};
use super::plaintext::{FileKeyMemo, Plaintext, open};
use super::stream::for_each_conversation;
use crate::store::{AuditEvent, ImportedConversation, ImportedMessage, SealedImport, Vault, VaultError};

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
    #[error("{0}. Nothing was imported")]
    Read(String),
    #[error(
        "the export could not be read to its end the second time, after {imported} conversation(s) were imported; \
         run the same import again to finish it (what is already in the vault is skipped)"
    )]
    Stopped { imported: u64 },
}

/// What an import added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub conversations: u64,
    pub messages: u64,
    /// Conversations already in the vault, left as they are.
    pub skipped: u64,
}

/// Whether the file at `path` is an age file that needs a passphrase, so the
/// caller can ask for one only then. Reads the header alone.
pub fn needs_passphrase(path: &Path) -> bool {
    File::open(path).is_ok_and(|file| {
        age::Decryptor::new_buffered(age::armor::ArmoredReader::new(BufReader::new(file))).is_ok_and(|d| d.is_scrypt())
    })
}

/// Imports the export at `path`. `identities` are tried besides the vault's
/// own. The file is read twice, each time one conversation at a time: the
/// first pass checks all of it and writes nothing, the second imports, so
/// memory stays bounded whatever the file's size.
pub fn import(
    vault: &mut Vault,
    path: &Path,
    passphrase: Option<&SecretString>,
    identities: &[Box<dyn age::Identity>],
) -> Result<ImportSummary, ImportError> {
    let unreadable = |e: std::io::Error| ImportError::Read(format!("cannot read '{}': {e}", path.display()));
    let mut file = File::open(path).map_err(unreadable)?;
    let checked_as = file.metadata().map_err(unreadable)?;
    let file_key = FileKeyMemo::default();
    let first = file.try_clone().map_err(unreadable)?;
    for_each_conversation(open(vault, first, passphrase, identities, &file_key)?, |c| {
        checked(c).map(drop)
    })?;
    // The second pass reads the same open file from its start (a file put in
    // its place meanwhile is not read), refuses one changed since the check,
    // and decrypts with the file key the first pass unwrapped: a passphrase
    // export does not run scrypt twice.
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let now = file.metadata().map_err(unreadable)?;
    if now.len() != checked_as.len() || now.modified().ok() != checked_as.modified().ok() {
        return Err(ImportError::Read(format!(
            "'{}' changed while it was being checked",
            path.display()
        )));
    }
    let input = open(vault, file, passphrase, identities, &file_key)?;
    let mut summary = ImportSummary::default();
    let imported = read_and_write(input, |sealed| {
        if vault.has_conversation(sealed.id())? {
            summary.skipped += 1;
            return Ok(());
        }
        let messages = sealed.message_count();
        vault.import_sealed(sealed)?;
        summary.conversations += 1;
        summary.messages += messages;
        Ok(())
    })?;
    // Each conversation is in the vault whole or not at all (one commit, or
    // for a long one several behind a pending marker that the next unlock
    // acts on: store::import); the audit event's commit flushes them all (an
    // import cut short is finished by running it again: what is already in
    // the vault is skipped).
    let audited = vault.record_audit(AuditEvent::Import {
        conversations: summary.conversations,
        messages: summary.messages,
    });
    match imported {
        Ok(()) => audited.map(|_| summary).map_err(ImportError::Vault),
        Err(ImportError::Vault(e)) => Err(ImportError::Vault(e)),
        // The check passed, so this is the file read differently the second
        // time (a failing disk): some conversations may be in.
        Err(_) => Err(ImportError::Stopped {
            imported: summary.conversations,
        }),
    }
}

/// The second pass: a thread reads, checks and seals each conversation
/// while this one hands the one before to `write`, so reading and sealing
/// overlap the vault's writes (on two cores about a quarter of an import's
/// time). One sealed conversation waits between them at most, which bounds
/// memory. The first error stops both: a reading error is returned as it
/// is, and a writing error ends the reading at its next conversation. The
/// outer error is a thread that could not start (nothing was written).
/// Conversations the vault already has are sealed too, and then skipped.
fn read_and_write(
    input: Plaintext,
    mut write: impl FnMut(SealedImport) -> Result<(), ImportError>,
) -> Result<Result<(), ImportError>, ImportError> {
    let (sealed, arrived) = std::sync::mpsc::sync_channel::<Result<SealedImport, ImportError>>(1);
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("sotto-import".into())
            .spawn_scoped(scope, move || {
                let read = for_each_conversation(input, |c| {
                    let conversation = checked(c)?;
                    // Sealing consumes its plaintext, which is gone before
                    // the wait for the writer.
                    let ready = conversation.seal();
                    // The writer has stopped (its error is the one returned).
                    sealed
                        .send(Ok(ready))
                        .map_err(|_| ImportError::Read("the import stopped".into()))
                });
                if let Err(e) = read {
                    let _ = sealed.send(Err(e));
                }
            })
            .map_err(|e| ImportError::Read(format!("cannot start reading the export: {e}")))?;
        let written = arrived.iter().try_for_each(|item| item.and_then(&mut write));
        // Dropping the receiving end lets a reader blocked on it stop.
        drop(arrived);
        if let Err(panic) = reader.join() {
            std::panic::resume_unwind(panic);
        }
        Ok(written)
    })
}

/// Every conversation of an export's plaintext, checked (the fuzz target's
/// way in: the same walk and checks as an import, without a vault).
#[cfg(test)]
pub(crate) fn parse(plaintext: &[u8]) -> Result<Vec<ImportedConversation>, ImportError> {
    let mut conversations = Vec::new();
    for_each_conversation(plaintext, |c| {
        conversations.push(checked(c)?);
        Ok(())
    })?;
    Ok(conversations)
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
    // Each text is moved, not copied: a long conversation is held once.
    for m in c.messages {
        // The conversation's next number would not fit.
        if m.seq == u64::MAX {
            return Err(ImportError::Invalid(format!(
                "conversation '{}' has a message numbered {}, the largest number there is",
                c.id, m.seq
            )));
        }
        if !seqs.insert(m.seq) {
            return Err(ImportError::Invalid(format!(
                "conversation '{}' has two messages numbered {}",
                c.id, m.seq
            )));
        }
        let at = time(&m.at, &format!("message #{}'s time", m.seq))?;
        let meta = m.meta();
        messages.push(ImportedMessage {
            seq: m.seq,
            role: m.role,
            at,
            text: m.text,
            meta,
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
