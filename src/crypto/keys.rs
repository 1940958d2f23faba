//! Data keys and their wrapping with age.
//!
//! Every conversation has its own random 256-bit [`DataKey`]; vault-level
//! records (the conversation index, settings, the audit log) share one vault
//! data key. Keys are stored wrapped: an age file encrypted to the vault
//! identity's recipient, whose payload also names what the key is for, so a
//! wrapped key swapped into another conversation's slot is refused rather than
//! silently used.
//!
//! The recipient is public (it is in `vault.toml`), so anyone who can write
//! the data directory can make an age file to it. What they cannot make is
//! the tag in front of it: an HMAC-SHA256 over the purpose and the age file,
//! keyed from the identity's *secret* key. A wrapped key whose tag does not
//! verify was not made by this vault, and is refused as tampering.
//!
//! Layout: `0x02 ‖ tag (32) ‖ age file`. Vaults made before tags existed
//! (format 1) hold bare age files; their identity carries no format mark.
//! Each kind of identity accepts only its own kind of key: a format-1
//! identity only bare keys, a current one only tagged keys. The migration
//! (a rotation, see `store::migrate`) moves a vault from one to the other in
//! one commit, so an old copy of a format-1 identity file put back later
//! opens nothing, and a bare key slipped into a current vault is refused.

use std::fmt;
use std::io::Read;

use hmac::Mac;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use zeroize::Zeroizing;

use super::identity::VaultIdentity;
use super::sealed::Sealed;

pub const DATA_KEY_LEN: usize = 32;
const WRAP_DOMAIN: &[u8] = b"sotto/data-key/v1";
const PURPOSE_LEN: usize = 1 + 16;
const WRAPPED_PAYLOAD_LEN: usize = WRAP_DOMAIN.len() + PURPOSE_LEN + DATA_KEY_LEN;
/// The first byte of an authenticated wrapped key. A bare age file starts
/// with `a` (`age-encryption.org/v1`), so the two can never be confused.
const AUTHENTICATED: u8 = 0x02;
const TAG_LEN: usize = 32;
const TAG_DOMAIN: &[u8] = b"sotto/wrapped-key-tag/v1";

/// A 256-bit symmetric key for sealing records. Zeroized on drop; never printed.
pub struct DataKey(SecretBox<[u8; DATA_KEY_LEN]>);

impl DataKey {
    pub fn generate() -> Self {
        // Filled in place on the heap: no copy of the key is left on the stack.
        DataKey(SecretBox::init_with_mut(|key: &mut [u8; DATA_KEY_LEN]| {
            rand::rngs::OsRng.fill_bytes(key)
        }))
    }

    /// A key derived in place (no copy of it is left on the stack).
    pub(super) fn derived(fill: impl FnOnce(&mut [u8; DATA_KEY_LEN])) -> Self {
        DataKey(SecretBox::init_with_mut(fill))
    }

    fn from_slice(bytes: &[u8]) -> Self {
        DataKey(SecretBox::init_with_mut(|key: &mut [u8; DATA_KEY_LEN]| {
            key.copy_from_slice(bytes)
        }))
    }

    pub(crate) fn expose(&self) -> &[u8; DATA_KEY_LEN] {
        self.0.expose_secret()
    }
}

impl Clone for DataKey {
    fn clone(&self) -> Self {
        DataKey::from_slice(self.expose())
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

/// What a data key protects; bound into the wrapped payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPurpose {
    /// The vault-level key: conversation index, settings, audit log.
    Vault,
    /// The key of one conversation, by its random id.
    Conversation([u8; 16]),
}

impl KeyPurpose {
    fn encode(self) -> [u8; PURPOSE_LEN] {
        let mut out = [0u8; PURPOSE_LEN];
        match self {
            KeyPurpose::Vault => out[0] = 0,
            KeyPurpose::Conversation(id) => {
                out[0] = 1;
                out[1..].copy_from_slice(&id);
            }
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the wrapped key was not made by this vault (its tag does not verify): it was replaced, which is tampering"
    )]
    NotAuthentic,
    #[error(
        "the wrapped key has no tag although this vault authenticates every key: it was replaced, which is tampering"
    )]
    Untagged,
    #[error("the wrapped key is not a readable age file: {0}")]
    Format(String),
    #[error("the wrapped key does not open with this vault's identity")]
    NotForThisIdentity,
    #[error("the wrapped key belongs to another slot (it was moved or swapped)")]
    WrongPurpose,
    #[error("the wrapped key has an unexpected payload")]
    Malformed,
}

/// The tag of an age file wrapped for `purpose`, under `identity`'s MAC key.
fn tag(identity: &VaultIdentity, purpose: KeyPurpose, age_file: &[u8]) -> hmac::Hmac<sha2::Sha256> {
    let mut mac = identity.wrap_mac();
    mac.update(TAG_DOMAIN);
    mac.update(&purpose.encode());
    mac.update(age_file);
    mac
}

/// Wraps `key` for `purpose` to `identity`'s recipient, tagged so that only
/// this identity's holder could have made it.
pub fn wrap(key: &DataKey, purpose: KeyPurpose, identity: &VaultIdentity) -> Sealed {
    let mut payload = Zeroizing::new(Vec::with_capacity(WRAPPED_PAYLOAD_LEN));
    payload.extend_from_slice(WRAP_DOMAIN);
    payload.extend_from_slice(&purpose.encode());
    payload.extend_from_slice(key.expose());
    let age_file = super::age_file::encrypt(super::age_file::to_recipient(&identity.recipient()), &payload);
    let tag = tag(identity, purpose, &age_file).finalize().into_bytes();
    let mut out = Vec::with_capacity(1 + TAG_LEN + age_file.len());
    out.push(AUTHENTICATED);
    out.extend_from_slice(&tag);
    out.extend_from_slice(&age_file);
    Sealed::made_by_crypto(out)
}

/// Whether `wrapped` carries a tag (format 2) rather than being a bare age file.
pub fn is_tagged(wrapped: impl AsRef<[u8]>) -> bool {
    wrapped.as_ref().first() == Some(&AUTHENTICATED)
}

/// Unwraps a key wrapped by [`wrap`]: its tag must verify under `identity`
/// (checked before any decryption), and it must be for `purpose`. An untagged
/// key opens only with a format-1 identity, whose vault is not migrated yet,
/// and such an identity opens nothing else.
pub fn unwrap(wrapped: impl AsRef<[u8]>, purpose: KeyPurpose, identity: &VaultIdentity) -> Result<DataKey, KeyError> {
    let wrapped = wrapped.as_ref();
    let age_file = if is_tagged(wrapped) {
        if identity.is_legacy() || wrapped.len() < 1 + TAG_LEN {
            return Err(KeyError::NotAuthentic);
        }
        let (tag_bytes, age_file) = wrapped[1..].split_at(TAG_LEN);
        // `verify_slice` compares in constant time.
        tag(identity, purpose, age_file)
            .verify_slice(tag_bytes)
            .map_err(|_| KeyError::NotAuthentic)?;
        age_file
    } else if identity.is_legacy() {
        wrapped
    } else {
        return Err(KeyError::Untagged);
    };
    let decryptor = age::Decryptor::new_buffered(age_file).map_err(|e| KeyError::Format(e.to_string()))?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity.age() as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => KeyError::NotForThisIdentity,
            other => KeyError::Format(other.to_string()),
        })?;
    let mut payload = Zeroizing::new(Vec::with_capacity(WRAPPED_PAYLOAD_LEN));
    reader
        .by_ref()
        .take(WRAPPED_PAYLOAD_LEN as u64 + 1)
        .read_to_end(&mut payload)
        .map_err(|_| KeyError::Malformed)?;
    if payload.len() != WRAPPED_PAYLOAD_LEN || !payload.starts_with(WRAP_DOMAIN) {
        return Err(KeyError::Malformed);
    }
    let (purpose_bytes, key_bytes) = payload[WRAP_DOMAIN.len()..].split_at(PURPOSE_LEN);
    if purpose_bytes != purpose.encode() {
        return Err(KeyError::WrongPurpose);
    }
    Ok(DataKey::from_slice(key_bytes))
}

/// `wrapped` as a [`Sealed`] again, with the key it holds, once it unwraps
/// for `purpose` under `identity` (see [`super::seal::authenticated`]).
pub fn authenticated(
    wrapped: &[u8],
    purpose: KeyPurpose,
    identity: &VaultIdentity,
) -> Result<(DataKey, Sealed), KeyError> {
    let key = unwrap(wrapped, purpose, identity)?;
    Ok((key, Sealed::made_by_crypto(wrapped.to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_key_unwraps_to_the_same_key() {
        let identity = VaultIdentity::generate();
        let key = DataKey::generate();
        let wrapped = wrap(&key, KeyPurpose::Conversation([7; 16]), &identity);
        let back = unwrap(&wrapped, KeyPurpose::Conversation([7; 16]), &identity).unwrap();
        assert_eq!(back.expose(), key.expose());
    }

    #[test]
    fn wrapped_key_swapped_to_another_conversation_is_refused() {
        let identity = VaultIdentity::generate();
        let wrapped = wrap(&DataKey::generate(), KeyPurpose::Conversation([7; 16]), &identity);
        // The tag covers the purpose: moved to another slot, it no longer verifies.
        assert!(matches!(
            unwrap(&wrapped, KeyPurpose::Conversation([8; 16]), &identity),
            Err(KeyError::NotAuthentic)
        ));
        assert!(matches!(
            unwrap(&wrapped, KeyPurpose::Vault, &identity),
            Err(KeyError::NotAuthentic)
        ));
        // And the purpose inside the age file is checked too (a format-1 key).
        let legacy = VaultIdentity::generate().into_legacy();
        let bare = bare_wrap(&DataKey::generate(), KeyPurpose::Conversation([7; 16]), &legacy);
        assert!(matches!(
            unwrap(&bare, KeyPurpose::Vault, &legacy),
            Err(KeyError::WrongPurpose)
        ));
    }

    #[test]
    fn another_identity_cannot_unwrap() {
        let wrapped = wrap(&DataKey::generate(), KeyPurpose::Vault, &VaultIdentity::generate());
        assert!(matches!(
            unwrap(&wrapped, KeyPurpose::Vault, &VaultIdentity::generate()),
            Err(KeyError::NotAuthentic)
        ));
    }

    /// An age file to the vault's public recipient, as anyone could make one
    /// (and as format 1 stored keys).
    fn bare_wrap(key: &DataKey, purpose: KeyPurpose, identity: &VaultIdentity) -> Vec<u8> {
        let mut payload = Vec::new();
        payload.extend_from_slice(WRAP_DOMAIN);
        payload.extend_from_slice(&purpose.encode());
        payload.extend_from_slice(key.expose());
        super::super::age_file::encrypt(super::super::age_file::to_recipient(&identity.recipient()), &payload)
    }

    #[test]
    fn a_key_wrapped_by_someone_with_only_the_public_recipient_is_refused() {
        let identity = VaultIdentity::generate();
        let forged = bare_wrap(&DataKey::generate(), KeyPurpose::Vault, &identity);
        assert!(matches!(
            unwrap(&forged, KeyPurpose::Vault, &identity),
            Err(KeyError::Untagged)
        ));
        // Dressed up with a tag of their own making, it does not verify either.
        let mut tagged = vec![AUTHENTICATED];
        tagged.extend_from_slice(&[0x55; TAG_LEN]);
        tagged.extend_from_slice(&forged);
        assert!(matches!(
            unwrap(&tagged, KeyPurpose::Vault, &identity),
            Err(KeyError::NotAuthentic)
        ));
        // Nor does a key wrapped and tagged by another identity.
        let theirs = wrap(&DataKey::generate(), KeyPurpose::Vault, &VaultIdentity::generate());
        assert!(matches!(
            unwrap(&theirs, KeyPurpose::Vault, &identity),
            Err(KeyError::NotAuthentic)
        ));
    }

    #[test]
    fn any_flipped_bit_of_a_wrapped_key_is_refused() {
        let identity = VaultIdentity::generate();
        let wrapped = wrap(&DataKey::generate(), KeyPurpose::Vault, &identity);
        for i in 0..wrapped.len() {
            let mut damaged = wrapped.clone().into_bytes();
            damaged[i] ^= 0x01;
            assert!(
                unwrap(&damaged, KeyPurpose::Vault, &identity).is_err(),
                "flip at byte {i}"
            );
        }
    }

    #[test]
    fn a_format_1_identity_opens_only_bare_keys_and_a_current_one_only_tagged_ones() {
        let current = VaultIdentity::generate();
        let legacy = current.current_format().into_legacy();
        let key = DataKey::generate();
        let bare = bare_wrap(&key, KeyPurpose::Vault, &legacy);
        assert_eq!(
            unwrap(&bare, KeyPurpose::Vault, &legacy).unwrap().expose(),
            key.expose()
        );
        assert!(matches!(
            unwrap(&bare, KeyPurpose::Vault, &current),
            Err(KeyError::Untagged)
        ));
        // The same secret, so the same MAC key: still, an old unmarked copy of
        // the identity does not open what the current one wrapped.
        let tagged = wrap(&key, KeyPurpose::Vault, &current);
        assert!(is_tagged(&tagged) && !is_tagged(&bare));
        assert!(matches!(
            unwrap(&tagged, KeyPurpose::Vault, &legacy),
            Err(KeyError::NotAuthentic)
        ));
    }

    #[test]
    fn debug_output_never_shows_key_bytes() {
        assert_eq!(format!("{:?}", DataKey::generate()), "DataKey([redacted])");
    }
}
