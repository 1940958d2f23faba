//! The plaintext of an export being imported: read as it is, or decrypted
//! with age (binary or armored) by the vault's identity, an identity the
//! user gives, or a passphrase; through one buffer that is wiped when
//! dropped. The file key the first pass unwraps is remembered for the
//! second, so a passphrase export does not run scrypt twice.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader};

use age_core::format::FileKey;
use secrecy::{ExposeSecret, SecretString};

use super::read::ImportError;
use crate::crypto::KdfCost;
use crate::store::{OwnerKey, Vault};

pub(super) fn is_age(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/")
        || bytes
            .trim_ascii_start()
            .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// The plaintext of the export at `path`, as a stream.
pub(super) fn open(
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
pub(super) struct Plaintext {
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
pub(super) struct FileKeyMemo(RefCell<Option<zeroize::Zeroizing<[u8; 16]>>>);

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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::super::read::import;
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
