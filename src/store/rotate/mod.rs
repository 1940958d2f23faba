//! Identity rotation: the step that makes a wipe cryptographic.
//!
//! sled keeps removed bytes on disk, so a removed record is not erased. A
//! rotation makes those leftovers useless: it generates a new vault identity
//! and a new vault key, re-wraps every live data key to the new identity,
//! re-seals every vault-level record (index, audit, settings, meta) under the
//! new vault key, gives a conversation that loses only some messages a new data
//! key (re-sealing what stays), and then destroys the old identity. Leftover
//! copies of a wiped key are wrapped to an identity that no longer exists, and
//! leftover index entries are sealed under a vault key wrapped only to it.
//!
//! It is atomic across sled and the identity files:
//!
//! 1. `rotation.pending` (the old and new recipients, public keys only), then
//!    `identity.next.age` (and `recovery.next.age`, `watermark.next.sealed`)
//!    are written, durably. Until step 2 lands they are ignored and removed.
//! 2. One sled transaction swaps every wrapped key and re-sealed record, and is
//!    flushed. This is the commit point.
//! 3. The old `identity.age` (and `recovery.age`) are overwritten in place,
//!    the new files renamed over them, the manifest updated, and
//!    `rotation.pending` removed last.
//!
//! At unlock, a `rotation.pending` means a rotation was interrupted: whether the
//! identity that unwraps the vault key is its old or its new one decides
//! whether it is finished (step 3 again) or rolled back (the new files
//! removed). So a kill at any moment leaves a vault that opens, with the
//! rotation either done or not.

mod commit;
mod parallel;
mod pending;
mod recovery_copy;

use secrecy::SecretString;
use std::collections::{BTreeMap, BTreeSet};

use super::conversations::id_of_key;
use super::error::VaultError;
use super::ids::ConversationId;
use super::records::TreeId;
use super::vault::Vault;
use crate::crypto::{KdfCost, VaultIdentity};
use crate::time::Timestamp;

pub(crate) use pending::{RotationMarker, discard_pending, finish_pending, shred_file};

/// How a new vault identity gets the same protection as the current one.
pub(crate) enum Resealer {
    /// scrypt with the vault passphrase, at the cost the current file uses.
    Passphrase { passphrase: SecretString, cost: KdfCost },
    /// Encrypted to the recipients of the user's own identity file.
    Recipients(Vec<Box<dyn age::Recipient + Send>>),
}

impl Resealer {
    pub(crate) fn seal(&self, identity: &VaultIdentity, created: Timestamp) -> Result<Vec<u8>, VaultError> {
        match self {
            Resealer::Passphrase { passphrase, cost } => Ok(identity.seal_with_passphrase(passphrase, *cost, created)),
            Resealer::Recipients(recipients) => {
                identity
                    .seal_to_recipients(recipients, created)
                    .map_err(|e| VaultError::CannotRotate {
                        reason: format!("the new identity could not be encrypted to your identity file ({e})"),
                    })
            }
        }
    }
}

/// A new identity sealed ahead of time on a thread of its own, so that a
/// wipe does not wait for scrypt (about half a second at the default cost).
pub(crate) struct PreparedIdentity {
    identity: VaultIdentity,
    sealed: Vec<u8>,
}

impl PreparedIdentity {
    /// Starts sealing a new identity with `passphrase` at `cost`.
    fn start(passphrase: SecretString, cost: KdfCost) -> std::thread::JoinHandle<PreparedIdentity> {
        std::thread::spawn(move || {
            let identity = VaultIdentity::generate();
            let sealed = identity.seal_with_passphrase(&passphrase, cost, Timestamp::now());
            PreparedIdentity { identity, sealed }
        })
    }

    /// The prepared identity, waiting for it if it is not ready yet.
    fn wait(handle: std::thread::JoinHandle<PreparedIdentity>) -> Option<PreparedIdentity> {
        handle.join().ok()
    }
}

impl Vault {
    /// Starts preparing the next identity in the background, when the next
    /// rotation would otherwise pay for scrypt. The chat screen calls it when
    /// a wipe is being confirmed; the rotation waits for it if it must.
    pub fn prepare_rotation(&mut self) {
        if self.next_identity.is_some() {
            return;
        }
        if let Some(Resealer::Passphrase { passphrase, cost }) = &self.resealer {
            self.next_identity = Some(PreparedIdentity::start(passphrase.clone(), *cost));
        }
    }

    /// Whether an identity is prepared (or being prepared).
    pub fn rotation_prepared(&self) -> bool {
        self.next_identity.is_some()
    }
}

/// What a rotation removes besides rotating.
#[derive(Debug, Default)]
pub(crate) struct Shred {
    /// Conversations removed whole: records, index entry and wrapped key.
    pub conversations: BTreeSet<ConversationId>,
    /// Messages removed from conversations that stay; each such conversation
    /// gets a new data key and what stays is re-sealed under it.
    pub messages: BTreeMap<ConversationId, BTreeSet<u64>>,
}

impl Vault {
    /// What a rotation that revokes the old identity removes: nothing, but
    /// every conversation whose key and index entry open gets a new data key
    /// (and its messages are re-sealed under it). A conversation already
    /// damaged is left as it is.
    pub(crate) fn rekey_every_conversation(&self) -> Result<Shred, VaultError> {
        let mut shred = Shred::default();
        for item in self.records.scan(TreeId::Keys) {
            let (key, _) = item?;
            let Some(id) = id_of_key(&key) else { continue };
            if self.conversation_key(id).is_ok() && self.index_record(id).is_ok() {
                shred.messages.insert(id, BTreeSet::new());
            }
        }
        Ok(shred)
    }
}

/// What a rotation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Conversations removed whole.
    pub conversations_removed: u64,
    /// Message records removed (in removed conversations and from others).
    pub messages_removed: u64,
    /// Live data keys re-wrapped to the new identity.
    pub keys_rewrapped: u64,
    /// Records that were already unreadable and so could not be re-keyed; they
    /// were left as they were (`sotto verify` lists them).
    pub left_damaged: u64,
}
