//! Data keys and their wrapping with age.
//!
//! Every conversation has its own random 256-bit [`DataKey`]; vault-level
//! records (the conversation index, settings, the audit log) share one vault
//! data key. Keys are stored wrapped: an age file encrypted to the vault
//! identity's recipient, whose payload also names what the key is for, so a
//! wrapped key swapped into another conversation's slot is refused rather than
//! silently used.

use std::fmt;
use std::io::Read;

use age::x25519;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use zeroize::Zeroizing;

use super::identity::VaultIdentity;

pub const DATA_KEY_LEN: usize = 32;
const WRAP_DOMAIN: &[u8] = b"sotto/data-key/v1";
const PURPOSE_LEN: usize = 1 + 16;
const WRAPPED_PAYLOAD_LEN: usize = WRAP_DOMAIN.len() + PURPOSE_LEN + DATA_KEY_LEN;

/// A 256-bit symmetric key for sealing records. Zeroized on drop; never printed.
pub struct DataKey(SecretBox<[u8; DATA_KEY_LEN]>);

impl DataKey {
    pub fn generate() -> Self {
        // Filled in place on the heap: no copy of the key is left on the stack.
        DataKey(SecretBox::init_with_mut(|key: &mut [u8; DATA_KEY_LEN]| {
            rand::rngs::OsRng.fill_bytes(key)
        }))
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
    #[error("the wrapped key is not a readable age file: {0}")]
    Format(String),
    #[error("the wrapped key does not open with this vault's identity")]
    NotForThisIdentity,
    #[error("the wrapped key belongs to another slot (it was moved or swapped)")]
    WrongPurpose,
    #[error("the wrapped key has an unexpected payload")]
    Malformed,
}

/// Wraps `key` for `purpose` to the vault recipient.
pub fn wrap(key: &DataKey, purpose: KeyPurpose, recipient: &x25519::Recipient) -> Vec<u8> {
    let mut payload = Zeroizing::new(Vec::with_capacity(WRAPPED_PAYLOAD_LEN));
    payload.extend_from_slice(WRAP_DOMAIN);
    payload.extend_from_slice(&purpose.encode());
    payload.extend_from_slice(key.expose());
    super::age_file::encrypt(super::age_file::to_recipient(recipient), &payload)
}

/// Unwraps a key wrapped by [`wrap`], checking it was wrapped for `purpose`.
pub fn unwrap(wrapped: &[u8], purpose: KeyPurpose, identity: &VaultIdentity) -> Result<DataKey, KeyError> {
    let decryptor = age::Decryptor::new_buffered(wrapped).map_err(|e| KeyError::Format(e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_key_unwraps_to_the_same_key() {
        let identity = VaultIdentity::generate();
        let key = DataKey::generate();
        let wrapped = wrap(&key, KeyPurpose::Conversation([7; 16]), &identity.recipient());
        let back = unwrap(&wrapped, KeyPurpose::Conversation([7; 16]), &identity).unwrap();
        assert_eq!(back.expose(), key.expose());
    }

    #[test]
    fn wrapped_key_swapped_to_another_conversation_is_refused() {
        let identity = VaultIdentity::generate();
        let wrapped = wrap(
            &DataKey::generate(),
            KeyPurpose::Conversation([7; 16]),
            &identity.recipient(),
        );
        assert!(matches!(
            unwrap(&wrapped, KeyPurpose::Conversation([8; 16]), &identity),
            Err(KeyError::WrongPurpose)
        ));
        assert!(matches!(
            unwrap(&wrapped, KeyPurpose::Vault, &identity),
            Err(KeyError::WrongPurpose)
        ));
    }

    #[test]
    fn another_identity_cannot_unwrap() {
        let wrapped = wrap(
            &DataKey::generate(),
            KeyPurpose::Vault,
            &VaultIdentity::generate().recipient(),
        );
        assert!(matches!(
            unwrap(&wrapped, KeyPurpose::Vault, &VaultIdentity::generate()),
            Err(KeyError::NotForThisIdentity)
        ));
    }

    #[test]
    fn debug_output_never_shows_key_bytes() {
        assert_eq!(format!("{:?}", DataKey::generate()), "DataKey([redacted])");
    }
}
