//! Record sealing: XChaCha20-Poly1305 with associated data that binds each
//! sealed record to its format version, its sled tree and its record key, so a
//! record moved, copied or swapped into another slot fails to open.
//!
//! Layout of a sealed record: `format (1 byte) ‖ nonce (24) ‖ ciphertext ‖ tag (16)`.
//! The 192-bit random nonce makes nonce reuse under one key negligible without
//! any counter state on disk.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::keys::DataKey;
use super::sealed::Sealed;

/// The only sealed-record format so far; stored in the first byte and bound
/// into the AAD, so a downgrade is an authentication failure.
pub const RECORD_FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const AAD_DOMAIN: &[u8] = b"sotto/record";

/// Where a record lives: the sled tree and the key inside it. Both go into the
/// AAD of the record sealed there.
#[derive(Clone, Copy, Debug)]
pub struct RecordSlot<'a> {
    pub tree: &'a str,
    pub key: &'a [u8],
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SealError {
    #[error("the record is truncated ({0} bytes)")]
    Truncated(usize),
    #[error("the record has unknown format version {0}")]
    UnknownFormat(u8),
    #[error("the record failed authentication (altered, moved or sealed under another key)")]
    Authentication,
}

fn associated_data(format: u8, slot: RecordSlot<'_>) -> Vec<u8> {
    // Lengths are fixed-width so that no two (tree, key) pairs share an encoding.
    let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + 1 + 2 + slot.tree.len() + 4 + slot.key.len());
    aad.extend_from_slice(AAD_DOMAIN);
    aad.push(format);
    aad.extend_from_slice(&(slot.tree.len() as u16).to_be_bytes());
    aad.extend_from_slice(slot.tree.as_bytes());
    aad.extend_from_slice(&(slot.key.len() as u32).to_be_bytes());
    aad.extend_from_slice(slot.key);
    aad
}

/// `value` as JSON, in a buffer sized exactly before it is filled (so no
/// reallocation leaves a copy of the plaintext behind) and zeroized when
/// dropped: what is about to be sealed.
pub fn json_plaintext<T: serde::Serialize>(value: &T) -> Zeroizing<Vec<u8>> {
    let mut size = ByteCounter(0);
    serde_json::to_writer(&mut size, value).expect("invariant: plain data serializes to JSON");
    let mut plaintext = Zeroizing::new(Vec::with_capacity(size.0));
    serde_json::to_writer(&mut *plaintext, value).expect("invariant: plain data serializes to JSON");
    debug_assert_eq!(plaintext.len(), size.0);
    plaintext
}

/// Counts bytes written to it, to size a buffer before serializing into it.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Seals `plaintext` for `slot` under `key`.
pub fn seal(key: &DataKey, slot: RecordSlot<'_>, plaintext: &[u8]) -> Sealed {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let aad = associated_data(RECORD_FORMAT_V1, slot);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .expect("invariant: XChaCha20-Poly1305 only fails for messages over 256 GiB");
    let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    sealed.push(RECORD_FORMAT_V1);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Sealed::made_by_crypto(sealed)
}

/// Opens a record sealed by [`seal`] for the same `slot` under the same `key`.
pub fn open(key: &DataKey, slot: RecordSlot<'_>, sealed: impl AsRef<[u8]>) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let sealed = sealed.as_ref();
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN {
        return Err(SealError::Truncated(sealed.len()));
    }
    let format = sealed[0];
    if format != RECORD_FORMAT_V1 {
        return Err(SealError::UnknownFormat(format));
    }
    let nonce = XNonce::from_slice(&sealed[1..1 + NONCE_LEN]);
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let aad = associated_data(format, slot);
    cipher
        .decrypt(
            nonce,
            Payload {
                msg: &sealed[1 + NONCE_LEN..],
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| SealError::Authentication)
}

/// `sealed` as a [`Sealed`] again, once it opens under `key` for `slot`:
/// how records copied from a snapshot or a damaged database go back to the
/// disk. Only what was sealed under this key for this very slot passes, so
/// the record layer still takes nothing crypto has not vouched for.
pub fn authenticated(key: &DataKey, slot: RecordSlot<'_>, sealed: &[u8]) -> Result<Sealed, SealError> {
    open(key, slot, sealed)?;
    Ok(Sealed::made_by_crypto(sealed.to_vec()))
}

/// Bytes a sealed record adds to its plaintext.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

#[cfg(test)]
mod tests {
    use super::*;

    const SLOT: RecordSlot<'static> = RecordSlot {
        tree: "messages",
        key: b"\x01\x02\x03",
    };

    #[test]
    fn sealed_record_opens_in_its_own_slot() {
        let key = DataKey::generate();
        let sealed = seal(&key, SLOT, b"hello");
        assert_eq!(sealed.len(), 5 + SEAL_OVERHEAD);
        assert_eq!(open(&key, SLOT, &sealed).unwrap().as_slice(), b"hello");
    }

    #[test]
    fn record_moved_to_another_key_or_tree_is_rejected() {
        let key = DataKey::generate();
        let sealed = seal(&key, SLOT, b"hello");
        let other_key = RecordSlot {
            tree: "messages",
            key: b"\x01\x02\x04",
        };
        let other_tree = RecordSlot {
            tree: "index",
            key: b"\x01\x02\x03",
        };
        assert_eq!(open(&key, other_key, &sealed), Err(SealError::Authentication));
        assert_eq!(open(&key, other_tree, &sealed), Err(SealError::Authentication));
    }

    #[test]
    fn tree_and_key_boundaries_cannot_be_shifted() {
        // ("ab", "c") and ("a", "bc") must not produce the same AAD.
        let a = associated_data(1, RecordSlot { tree: "ab", key: b"c" });
        let b = associated_data(1, RecordSlot { tree: "a", key: b"bc" });
        assert_ne!(a, b);
    }

    #[test]
    fn any_flipped_bit_is_detected() {
        let key = DataKey::generate();
        let sealed = seal(&key, SLOT, b"a message worth protecting");
        for i in 0..sealed.len() {
            let mut damaged = sealed.clone().into_bytes();
            damaged[i] ^= 0x10;
            assert!(open(&key, SLOT, &damaged).is_err(), "flip at byte {i} went unnoticed");
        }
    }

    #[test]
    fn wrong_key_is_rejected() {
        let sealed = seal(&DataKey::generate(), SLOT, b"hello");
        assert_eq!(
            open(&DataKey::generate(), SLOT, &sealed),
            Err(SealError::Authentication)
        );
    }

    #[test]
    fn truncated_record_is_reported_as_truncated() {
        let key = DataKey::generate();
        assert_eq!(open(&key, SLOT, [1, 2, 3]), Err(SealError::Truncated(3)));
    }
}
