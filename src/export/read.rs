//! `sotto import`: reading a JSON export back into the vault. The file may be
//! plaintext, or age-encrypted (binary or armored) to the vault's identity,
//! to an identity the user supplies, or with a passphrase. The whole file is
//! read and checked before anything is written (a first pass), then
//! imported (a second pass), one conversation in memory at a time;
//! conversations already in the vault (same id) are skipped, so importing
//! twice changes nothing.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use age_core::format::FileKey;
use secrecy::{ExposeSecret, SecretString};

use super::document::{ConversationJson, EXPORT_SCHEMA, parse_time};
use super::stream::for_each_conversation;
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
    let imported = for_each_conversation(input, |c| {
        let conversation = checked(c)?;
        if vault.has_conversation(conversation.id)? {
            summary.skipped += 1;
            return Ok(());
        }
        vault.import_conversation(&conversation)?;
        summary.conversations += 1;
        summary.messages += conversation.messages.len() as u64;
        Ok(())
    });
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

fn is_age(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/")
        || bytes
            .trim_ascii_start()
            .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// The plaintext of the export at `path`, as a stream.
fn open(
    vault: &Vault,
    file: File,
    passphrase: Option<&SecretString>,
    identities: &[Box<dyn age::Identity>],
    file_key: &FileKeyMemo,
) -> Result<Plaintext, ImportError> {
    const BUFFER: usize = 256 * 1024;
    let mut input = BufReader::with_capacity(BUFFER, file);
    let head = input
        .fill_buf()
        .map_err(|e| ImportError::Read(format!("cannot read the export: {e}")))?;
    if !is_age(head) {
        return Ok(Plaintext::new(Source::Plain(input), BUFFER));
    }
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(input))
        .map_err(|e| ImportError::Decrypt(e.to_string()))?;
    let reader = if let Some(known) = file_key.known() {
        decryptor.decrypt(std::iter::once(&known as &dyn age::Identity))
    } else if decryptor.is_scrypt() {
        let (passphrase, own) = match (passphrase, vault.owner_key()) {
            (Some(given), _) => (given, false),
            // A default export of a passphrase vault: its own passphrase,
            // unless it was made under one changed since.
            (None, Some(OwnerKey::Passphrase { passphrase: own, .. })) => (own, true),
            (None, _) => return Err(ImportError::PassphraseRequired),
        };
        let mut identity = age::scrypt::Identity::new(passphrase.clone());
        identity.set_max_work_factor(KdfCost::MAX_ACCEPTED_LOG_N);
        match decryptor.decrypt(std::iter::once(
            &file_key.remembering(&[&identity]) as &dyn age::Identity
        )) {
            Err(age::DecryptError::DecryptionFailed) if own => return Err(ImportError::PassphraseRequired),
            other => other,
        }
    } else {
        let mut all: Vec<&dyn age::Identity> = vec![vault.identity.age()];
        all.extend(identities.iter().map(|i| i.as_ref()));
        decryptor.decrypt(std::iter::once(&file_key.remembering(&all) as &dyn age::Identity))
    };
    let reader = reader.map_err(|e| {
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
    Ok(Plaintext::new(Source::Decrypted(Box::new(reader)), BUFFER))
}

/// An export's plaintext, read as it is or as it is decrypted, through one
/// buffer that is wiped when dropped (it holds decrypted text; age wipes its
/// own chunks, a plain `BufReader` would keep a copy). A concrete type, not a
/// boxed reader: serde_json reads a byte at a time, so a buffered byte is
/// taken in a few instructions (a call through a vtable for each byte took
/// a quarter of an import's time, and a call through the two readers of an
/// enum for each byte a sixth).
struct Plaintext {
    source: Source,
    buffer: zeroize::Zeroizing<Vec<u8>>,
    start: usize,
    end: usize,
}

/// Where the plaintext comes from; read only to refill the buffer.
enum Source {
    Plain(BufReader<File>),
    Decrypted(Box<Decrypting>),
}

impl Plaintext {
    fn new(source: Source, capacity: usize) -> Self {
        Plaintext {
            source,
            buffer: zeroize::Zeroizing::new(vec![0; capacity]),
            start: 0,
            end: 0,
        }
    }

    /// Everything but a buffered single byte.
    #[inline(never)]
    fn read_more(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// age's reader of a (possibly armored) file.
type Decrypting = age::stream::StreamReader<age::armor::ArmoredReader<BufReader<BufReader<File>>>>;

impl std::io::Read for Plaintext {
    #[inline]
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if let [byte] = out
            && self.start < self.end
        {
            *byte = self.buffer[self.start];
            self.start += 1;
            return Ok(1);
        }
        self.read_more(out)
    }
}

impl BufRead for Plaintext {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.start == self.end {
            self.end = match &mut self.source {
                Source::Plain(r) => std::io::Read::read(r, &mut self.buffer)?,
                Source::Decrypted(r) => std::io::Read::read(r, &mut self.buffer)?,
            };
            self.start = 0;
        }
        Ok(&self.buffer[self.start..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.start = (self.start + amount).min(self.end);
    }
}

/// The file key of the export, once an identity has unwrapped it.
#[derive(Default)]
struct FileKeyMemo(RefCell<Option<zeroize::Zeroizing<[u8; 16]>>>);

impl FileKeyMemo {
    fn known(&self) -> Option<KnownFileKey> {
        self.0.borrow().as_ref().map(|key| KnownFileKey(key.clone()))
    }

    /// An identity trying `identities` in order that remembers the key.
    fn remembering<'a>(&'a self, identities: &'a [&'a dyn age::Identity]) -> Remembering<'a> {
        Remembering { memo: self, identities }
    }
}

struct Remembering<'a> {
    memo: &'a FileKeyMemo,
    identities: &'a [&'a dyn age::Identity],
}

impl age::Identity for Remembering<'_> {
    fn unwrap_stanza(&self, stanza: &age_core::format::Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        self.unwrap_stanzas(std::slice::from_ref(stanza))
    }

    fn unwrap_stanzas(&self, stanzas: &[age_core::format::Stanza]) -> Option<Result<FileKey, age::DecryptError>> {
        let unwrapped = self.identities.iter().find_map(|i| i.unwrap_stanzas(stanzas));
        if let Some(Ok(key)) = &unwrapped {
            *self.memo.0.borrow_mut() = Some(zeroize::Zeroizing::new(*key.expose_secret()));
        }
        unwrapped
    }
}

/// A file key already unwrapped, as an identity (the second pass). A file
/// changed between the passes fails the header's MAC: an error, not a guess.
struct KnownFileKey(zeroize::Zeroizing<[u8; 16]>);

impl age::Identity for KnownFileKey {
    fn unwrap_stanza(&self, _stanza: &age_core::format::Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        Some(Ok(FileKey::init_with_mut(|key| key.copy_from_slice(&*self.0))))
    }
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use crate::store::NewProtection;

    #[test]
    fn the_second_pass_opens_a_passphrase_export_with_the_file_key_of_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::create(
            &dir.path().join("vault"),
            NewProtection::Passphrase {
                passphrase: &SecretString::from("the vault's own passphrase".to_owned()),
                cost: KdfCost::from_log_n(4).unwrap(),
            },
        )
        .unwrap();
        let given = SecretString::from("another passphrase for the export".to_owned());
        let mut recipient = age::scrypt::Recipient::new(given.clone());
        recipient.set_work_factor(4);
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).unwrap();
        let mut sealed = Vec::new();
        let mut writer = encryptor.wrap_output(&mut sealed).unwrap();
        writer.write_all(b"{\"schema\": 1}").unwrap();
        writer.finish().unwrap();
        let path = dir.path().join("export.age");
        std::fs::write(&path, sealed).unwrap();

        let read_all = |mut plaintext: Plaintext| {
            let mut text = String::new();
            plaintext.read_to_string(&mut text).unwrap();
            text
        };
        let memo = FileKeyMemo::default();
        // The vault's own passphrase is tried, and it is not this one.
        assert!(matches!(
            open(&vault, File::open(&path).unwrap(), None, &[], &memo),
            Err(ImportError::PassphraseRequired)
        ));
        assert_eq!(
            read_all(open(&vault, File::open(&path).unwrap(), Some(&given), &[], &memo).unwrap()),
            "{\"schema\": 1}"
        );
        // No passphrase now: only the remembered file key can open it.
        assert_eq!(
            read_all(open(&vault, File::open(&path).unwrap(), None, &[], &memo).unwrap()),
            "{\"schema\": 1}"
        );
    }

    /// An identity that counts the files it is asked to open.
    struct Counting(age::x25519::Identity, std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl age::Identity for Counting {
        fn unwrap_stanza(&self, stanza: &age_core::format::Stanza) -> Option<Result<FileKey, age::DecryptError>> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.unwrap_stanza(stanza)
        }
    }

    #[test]
    fn an_import_unwraps_the_file_key_once_for_both_passes() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = Vault::create(
            &dir.path().join("vault"),
            NewProtection::Passphrase {
                passphrase: &SecretString::from("the vault's own passphrase".to_owned()),
                cost: KdfCost::from_log_n(4).unwrap(),
            },
        )
        .unwrap();
        let theirs = age::x25519::Identity::generate();
        let recipient = theirs.to_public();
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).unwrap();
        let mut sealed = Vec::new();
        let mut writer = encryptor.wrap_output(&mut sealed).unwrap();
        writer
            .write_all(
                br#"{"schema": "sotto.export/1", "exported_at": "2026-12-01T00:00:00.000Z", "scope": {"kind": "vault"},
                   "conversations": [{"id": "0000000000000000000000000000abcd", "title": "t",
                   "created": "2026-12-01T00:00:00.000Z", "updated": "2026-12-01T00:00:00.000Z",
                   "messages": [{"seq": 0, "role": "user", "at": "2026-12-01T00:00:00.000Z", "text": "hi"}]}]}"#,
            )
            .unwrap();
        writer.finish().unwrap();
        let path = dir.path().join("export.age");
        std::fs::write(&path, sealed).unwrap();

        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let identities: [Box<dyn age::Identity>; 1] = [Box::new(Counting(theirs, asked.clone()))];
        let summary = import(&mut vault, &path, None, &identities).unwrap();
        assert_eq!((summary.conversations, summary.messages), (1, 1));
        assert_eq!(
            asked.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the second pass used the file key of the first"
        );
    }
}
