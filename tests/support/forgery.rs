//! An attacker's toolkit for the tampering tests: what someone who can write
//! the data directory, but holds no key and no passphrase, can make. They
//! have sled, the stock age format, the public recipient in `vault.toml`, and
//! the record format (it is documented in SECURITY.md); nothing else.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const DATA_KEY_DOMAIN: &[u8] = b"sotto/data-key/v1";
const AAD_DOMAIN: &[u8] = b"sotto/record";
const RECORD_FORMAT: u8 = 1;

/// The vault's public recipient, read from `vault.toml` as anyone can.
pub fn public_recipient(root: &Path) -> age::x25519::Recipient {
    let manifest = std::fs::read_to_string(root.join("vault.toml")).unwrap();
    let line = manifest
        .lines()
        .find(|l| l.starts_with("recipient = "))
        .expect("the manifest names its recipient");
    line.trim_start_matches("recipient = ")
        .trim_matches('"')
        .parse()
        .unwrap()
}

/// A data key of the attacker's choosing wrapped for `purpose` (0 for the
/// vault key, 1 and a conversation id for a conversation's), exactly as
/// sotto's format-1 payload reads: a bare age file to the public recipient.
pub fn wrap_key(key: &[u8; 32], conversation: Option<&[u8; 16]>, recipient: &age::x25519::Recipient) -> Vec<u8> {
    let mut payload = DATA_KEY_DOMAIN.to_vec();
    match conversation {
        None => payload.extend_from_slice(&[0u8; 17]),
        Some(id) => {
            payload.push(1);
            payload.extend_from_slice(id);
        }
    }
    payload.extend_from_slice(key);
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient)).unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    writer.write_all(&payload).unwrap();
    writer.finish().unwrap();
    out
}

/// `wrapped` dressed as a format-2 key with a tag the attacker made up.
pub fn with_made_up_tag(wrapped: &[u8]) -> Vec<u8> {
    let mut out = vec![0x02];
    out.extend_from_slice(&[0xA5; 32]);
    out.extend_from_slice(wrapped);
    out
}

/// A record sealed under the attacker's key for the slot `(tree, key)`, in
/// sotto's documented layout.
pub fn seal(data_key: &[u8; 32], tree: &str, record_key: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut aad = AAD_DOMAIN.to_vec();
    aad.push(RECORD_FORMAT);
    aad.extend_from_slice(&(tree.len() as u16).to_be_bytes());
    aad.extend_from_slice(tree.as_bytes());
    aad.extend_from_slice(&(record_key.len() as u32).to_be_bytes());
    aad.extend_from_slice(record_key);
    let nonce = [7u8; 24];
    let cipher = XChaCha20Poly1305::new(data_key.into());
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap();
    let mut sealed = vec![RECORD_FORMAT];
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    sealed
}

/// The plaintext of a message record as sotto stores it.
pub fn message_json(role: &str, text: &str, sent: &str) -> Vec<u8> {
    serde_json::json!({
        "role": role,
        "at": 1_700_000_000_000i64,
        "text": text,
        "meta": {"state": "complete", "extra": {"sent": sent}},
    })
    .to_string()
    .into_bytes()
}

/// The data key inside a wrapped key (tagged or bare), with an identity the
/// attacker got hold of (an old one, from a backup).
pub fn unwrap_key(wrapped: &[u8], identity: &age::x25519::Identity) -> Option<[u8; 32]> {
    let age_file = if wrapped.first() == Some(&0x02) {
        &wrapped[33..]
    } else {
        wrapped
    };
    let decryptor = age::Decryptor::new_buffered(age_file).ok()?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .ok()?;
    let mut payload = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut payload).ok()?;
    payload.get(payload.len().checked_sub(32)?..)?.try_into().ok()
}

/// The plaintext of a sealed record, opened with `data_key` for its slot.
pub fn open(data_key: &[u8; 32], tree: &str, record_key: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let mut aad = AAD_DOMAIN.to_vec();
    aad.push(RECORD_FORMAT);
    aad.extend_from_slice(&(tree.len() as u16).to_be_bytes());
    aad.extend_from_slice(tree.as_bytes());
    aad.extend_from_slice(&(record_key.len() as u32).to_be_bytes());
    aad.extend_from_slice(record_key);
    let cipher = XChaCha20Poly1305::new(data_key.into());
    cipher
        .decrypt(
            XNonce::from_slice(sealed.get(1..25)?),
            Payload {
                msg: sealed.get(25..)?,
                aad: &aad,
            },
        )
        .ok()
}

/// The vault identity held in an identity file's plaintext (`AGE-SECRET-KEY-1…`).
pub fn identity_in(text: &str) -> age::x25519::Identity {
    text.lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .expect("an identity file holds a secret key")
        .parse()
        .unwrap()
}
