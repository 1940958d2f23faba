//! The disk boundary as a type. [`Sealed`] holds bytes that are safe to
//! write: a record sealed by [`super::seal::seal`], or a data key wrapped by
//! [`super::keys::wrap`] (an age file with its tag). Its field is private
//! and only those two functions make one, so the record layer, which takes
//! nothing else, has no path from readable bytes to the database.
//!
//! ```
//! use sotto::crypto::{DataKey, RecordSlot, seal};
//!
//! let key = DataKey::generate();
//! let slot = RecordSlot { tree: "messages", key: b"k" };
//! let sealed = seal::seal(&key, slot, b"a readable message");
//! assert!(!sealed.as_bytes().windows(8).any(|w| w == b"readable"));
//! ```
//!
//! Anything else is refused by the compiler:
//!
//! ```compile_fail
//! let plain = sotto::crypto::Sealed(b"a readable message".to_vec());
//! ```
//!
//! ```compile_fail
//! let plain: sotto::crypto::Sealed = b"a readable message".to_vec().into();
//! ```

/// Bytes sealed (or wrapped) by this module's owner, ready for disk.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(Vec<u8>);

impl Sealed {
    /// Only `seal` and `wrap` call this, with what they just made.
    pub(in crate::crypto) fn made_by_crypto(bytes: Vec<u8>) -> Sealed {
        Sealed(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<[u8]> for Sealed {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Length only: the bytes are ciphertext, but a log has no use for them.
impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}
