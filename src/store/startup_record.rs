//! The startup record: what the chat screen showed when the vault last
//! closed cleanly (the conversation list and the newest conversation's
//! latest page), sealed in one small file beside the database, so the first
//! frame of the next session can be drawn before the database has opened.
//!
//! It is a second copy of content, so it lives only between two sessions:
//! every opening of the database shreds it (overwritten, synced, removed)
//! before anything else happens, and only a clean close of the chat screen
//! writes it again. Whatever changes the vault in between (a command, a
//! retention sweep, a wipe) therefore never leaves an older copy behind, and
//! a crash leaves none at all (the next start just takes the slower road).
//!
//! It is sealed under a key derived from the vault identity
//! (`VaultIdentity::startup_record_key`), not the vault key: that is wrapped
//! inside the database this record exists to get ahead of. Anyone can
//! encrypt to the public recipient, so an age file would prove nothing; an
//! AEAD under a key only the identity's holder can derive does. A rotation
//! makes a new identity, so any record from before it no longer opens.
//!
//! The store does not know what the record says: the chat screen owns the
//! format and hands over bytes.

use zeroize::Zeroizing;

use super::error::VaultError;
use super::fsutil;
use super::layout::VaultPaths;
use super::unlock::UnlockedIdentity;
use super::vault::{LockedVault, Vault};
use crate::crypto::{RecordSlot, VaultIdentity, seal};

/// The name of the file inside the vault directory.
pub(crate) const FILE_NAME: &str = "startup.sealed";

/// The largest record written or read: the shred only overwrites files this
/// small, and the first frame needs far less.
pub const MAX_RECORD: usize = 768 * 1024;

/// Bound into the seal, with the recipient: a record made for another vault
/// does not open here even under a key that happens to match.
const SLOT_TREE: &str = "startup-record";

fn slot(recipient: &str) -> RecordSlot<'_> {
    RecordSlot {
        tree: SLOT_TREE,
        key: recipient.as_bytes(),
    }
}

impl LockedVault {
    /// The startup record's contents, if one is there and opens under the
    /// identity just unlocked. Anything else (none, damaged, from another
    /// identity, an interrupted rotation) is `None`: the first frame then
    /// waits for the database, as it would without a record.
    pub fn startup_record(&self, identity: &UnlockedIdentity) -> Option<Zeroizing<Vec<u8>>> {
        // During a rotation it is unclear which identity the vault is at.
        let [candidate] = identity.candidates.as_slice() else {
            return None;
        };
        if candidate.pending || candidate.identity.is_legacy() {
            return None;
        }
        let path = self.paths.root().join(FILE_NAME);
        let sealed = fsutil::read_regular(&path, MAX_RECORD as u64 + 64).ok()?;
        open(&candidate.identity, &sealed)
    }
}

fn open(identity: &VaultIdentity, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let recipient = identity.recipient().to_string();
    seal::open(&identity.startup_record_key(), slot(&recipient), sealed).ok()
}

impl Vault {
    /// Seals `contents` as the startup record for the next session, written
    /// atomically (a record lost to a crash only means a slower start).
    pub fn save_startup_record(&self, contents: &[u8]) -> Result<(), VaultError> {
        // A legacy identity's vault is migrated at its next unlock, which
        // makes a new identity: a record sealed under this one would never
        // be read.
        if self.identity.is_legacy() {
            return Ok(());
        }
        if contents.len() > MAX_RECORD {
            return Err(VaultError::StartupRecordTooLarge { size: contents.len() });
        }
        let recipient = self.identity.recipient().to_string();
        let sealed = seal::seal(&self.identity.startup_record_key(), slot(&recipient), contents);
        let path = self.paths.root().join(FILE_NAME);
        fsutil::write_private_file_atomic(&path, sealed.as_bytes())
            .map_err(VaultError::io("write the startup record", &path))
    }
}

/// Shreds the startup record: overwritten with noise and synced, then
/// removed; so is a temporary copy a crash left between writing and
/// renaming it. Runs at every opening of the database, before it opens.
/// (A file under that name that is not sotto's own, such as a hard link or
/// a symlink someone planted, is only removed: see `DirHandle::shred`.)
pub(crate) fn discard(paths: &VaultPaths) -> Result<(), VaultError> {
    let root = paths.root();
    let temporary = format!(".{FILE_NAME}.tmp-");
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map_err(VaultError::io("list", root))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name == FILE_NAME || name.starts_with(&temporary))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let dir = fsutil::DirHandle::open(root).map_err(VaultError::io("open", root))?;
    for name in names {
        let path = root.join(&name);
        dir.shred(&name)
            .map_err(VaultError::io("overwrite the startup record", &path))?;
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(VaultError::io("remove the startup record", &path)(e)),
        }
    }
    Ok(())
}
