//! An attacker's toolkit for the wipe tests: given every byte of every file
//! under a data directory and the passphrase, recover every identity and data
//! key that can be recovered, and decrypt every sealed record those keys open.
//!
//! It works on raw bytes, not through sotto: age blobs are found by their
//! header wherever they sit (sled keeps old values in its log), and sealed
//! records are decrypted without checking their tag or knowing their slot,
//! which is more than an attacker needs.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use secrecy::SecretString;

const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END: &[u8] = b"-----END AGE ENCRYPTED FILE-----";
const DATA_KEY_DOMAIN: &[u8] = b"sotto/data-key/v1";
/// The longest age payload tried: identity files and wrapped keys are far shorter.
const MAX_PAYLOAD: usize = 1024;
const RECORD_FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;

/// What the attacker got out of the files.
pub struct Recovered {
    /// Secret keys of every age identity found (`AGE-SECRET-KEY-1…`).
    pub identities: BTreeSet<String>,
    /// Every 256-bit data key found in a wrapped-key payload.
    pub data_keys: BTreeSet<[u8; 32]>,
    /// The plaintext of every sealed record some recovered key decrypts.
    pub plaintexts: Vec<Vec<u8>>,
}

impl Recovered {
    pub fn contains(&self, needle: &str) -> bool {
        self.plaintexts
            .iter()
            .any(|p| p.windows(needle.len()).any(|w| w == needle.as_bytes()))
    }
}

/// Runs the whole attack on the files under `root`.
pub fn attack(root: &Path, passphrase: &SecretString) -> Recovered {
    let files: Vec<Vec<u8>> = crate::support::snapshot(root).into_values().collect();
    let blobs: Vec<Vec<u8>> = files.iter().flat_map(|bytes| age_blobs(bytes)).collect();
    let mut identities = BTreeSet::new();
    let mut data_keys = BTreeSet::new();
    // Identities open blobs that yield more identities: repeat until nothing new.
    loop {
        let before = identities.len();
        for blob in &blobs {
            for plaintext in decrypt_blob(blob, passphrase, &identities) {
                collect_secrets(&plaintext, &mut identities, &mut data_keys);
            }
        }
        if identities.len() == before {
            break;
        }
    }
    let plaintexts = files.iter().flat_map(|bytes| open_records(bytes, &data_keys)).collect();
    Recovered {
        identities,
        data_keys,
        plaintexts,
    }
}

/// Every age file inside `bytes`, binary or armored, from its header to the
/// end of the bytes (the true end is found by trial when decrypting).
fn age_blobs(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut blobs: Vec<Vec<u8>> = find_all(bytes, AGE_MAGIC).map(|at| bytes[at..].to_vec()).collect();
    for begin in find_all(bytes, ARMOR_BEGIN) {
        let rest = &bytes[begin..];
        let Some(end) = find_all(rest, ARMOR_END).next() else {
            continue;
        };
        let armored = &rest[..end + ARMOR_END.len()];
        let mut binary = Vec::new();
        if age::armor::ArmoredReader::new(armored).read_to_end(&mut binary).is_ok() {
            blobs.push(binary);
        }
    }
    blobs
}

fn find_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(move |(_, w)| *w == needle)
        .map(|(at, _)| at)
}

/// Every plaintext `blob` decrypts to with the passphrase or a known identity,
/// trying each possible end of the blob.
fn decrypt_blob(blob: &[u8], passphrase: &SecretString, identities: &BTreeSet<String>) -> Vec<Vec<u8>> {
    let mut keys: Vec<Box<dyn age::Identity>> = Vec::new();
    let mut scrypt = age::scrypt::Identity::new(passphrase.clone());
    scrypt.set_max_work_factor(22);
    keys.push(Box::new(scrypt));
    for secret in identities {
        if let Ok(identity) = secret.parse::<age::x25519::Identity>() {
            keys.push(Box::new(identity));
        }
    }
    let Some(header_end) = find_all(blob, b"\n--- ").next().and_then(|at| {
        blob[at + 1..]
            .iter()
            .position(|b| *b == b'\n')
            .map(|nl| at + 1 + nl + 1)
    }) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for key in &keys {
        // A key that cannot open the header cannot open any length of it.
        let opens_header = age::Decryptor::new_buffered(blob)
            .ok()
            .is_some_and(|d| d.decrypt(std::iter::once(key.as_ref())).is_ok());
        if !opens_header {
            continue;
        }
        let shortest = header_end + 16 + 16;
        let longest = blob.len().min(header_end + 16 + MAX_PAYLOAD);
        for end in shortest..=longest {
            let Ok(decryptor) = age::Decryptor::new_buffered(&blob[..end]) else {
                continue;
            };
            let Ok(mut reader) = decryptor.decrypt(std::iter::once(key.as_ref())) else {
                continue;
            };
            let mut plaintext = Vec::new();
            if reader.read_to_end(&mut plaintext).is_ok() {
                found.push(plaintext);
                break;
            }
        }
    }
    found
}

fn collect_secrets(plaintext: &[u8], identities: &mut BTreeSet<String>, data_keys: &mut BTreeSet<[u8; 32]>) {
    if plaintext.starts_with(DATA_KEY_DOMAIN) && plaintext.len() >= 32 {
        let key: [u8; 32] = plaintext[plaintext.len() - 32..].try_into().unwrap();
        data_keys.insert(key);
    }
    for line in String::from_utf8_lossy(plaintext).lines() {
        if line.starts_with("AGE-SECRET-KEY-1") {
            identities.insert(line.trim().to_owned());
        }
    }
}

/// Decrypts, without authentication, every place in `bytes` that could be a
/// sealed record under one of `keys`: a format byte, a nonce, then ciphertext.
/// Records are JSON, so a plaintext that starts with `{"` and stays printable
/// is a hit; the tail is decrypted too, up to 64 KiB.
fn open_records(bytes: &[u8], keys: &BTreeSet<[u8; 32]>) -> Vec<Vec<u8>> {
    let mut hits = Vec::new();
    for at in 0..bytes.len().saturating_sub(1 + NONCE_LEN + 16) {
        if bytes[at] != RECORD_FORMAT {
            continue;
        }
        let nonce = &bytes[at + 1..at + 1 + NONCE_LEN];
        let body = &bytes[at + 1 + NONCE_LEN..];
        for key in keys {
            let mut probe = body[..body.len().min(16)].to_vec();
            keystream(key, nonce, &mut probe);
            if !(probe.starts_with(b"{\"") && probe.iter().all(|b| (0x20..0x7f).contains(b))) {
                continue;
            }
            let mut plaintext = body[..body.len().min(64 * 1024)].to_vec();
            keystream(key, nonce, &mut plaintext);
            hits.push(plaintext);
        }
    }
    hits
}

fn keystream(key: &[u8; 32], nonce: &[u8], buf: &mut [u8]) {
    let mut cipher = chacha20::XChaCha20::new(key.into(), nonce.into());
    // XChaCha20-Poly1305 encrypts from block 1; block 0 makes the Poly1305 key.
    cipher.seek(64u64);
    cipher.apply_keystream(buf);
}
