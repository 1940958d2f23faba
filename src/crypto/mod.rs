//! The cryptographic building blocks, and nothing that touches disk.
//!
//! Key hierarchy (SECURITY.md has the full picture):
//!
//! ```text
//! passphrase (scrypt) or the user's own age identity
//!   └─ unlocks the vault identity (an age X25519 identity, identity.age)
//!        └─ unwraps data keys (age files, one per conversation, one for the vault)
//!             └─ seal records with XChaCha20-Poly1305 (AAD: format, tree, record key)
//! ```
//!
//! Everything secret lives in `secrecy`/`zeroize` types and prints as
//! `[redacted]` under `Debug`.

pub(crate) mod age_file;
pub mod identity;
pub mod keys;
pub mod passphrase;
pub mod seal;
pub mod sealed;
pub mod user_identity;

pub use identity::{IdentityError, KdfCost, VaultIdentity};
pub use keys::{DataKey, KeyError, KeyPurpose};
pub use seal::{RecordSlot, SealError};
pub use sealed::Sealed;
