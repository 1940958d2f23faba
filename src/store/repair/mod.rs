//! `sotto repair`: a vault whose database is damaged, rebuilt from what can
//! still be trusted.
//!
//! Sources, in order of precedence (a record is taken from the first that
//! has it): the damaged database itself, read from a copy as far as its log
//! reads (see `db_files::salvage_copy`); then the rolling snapshots, newest
//! first. Every record is authenticated before it is written: a wrapped key
//! must unwrap under the vault identity, a record must open under the vault
//! key or its conversation's key for its very slot. So nothing an attacker
//! wrote, and nothing a rotation made unreadable (a wiped conversation in an
//! older snapshot), comes back.
//!
//! The new database is built in `db.rebuilt/` and flushed; only then is the
//! damaged one moved to `db.damaged-<time>/` (never deleted) and the new one
//! put in its place. It carries a sealed note of the rebuild, which the next
//! unlock puts in the findings register in place of the integrity state it
//! lacks; that unlock also compares it with the watermark and records every
//! loss, named, until the user acknowledges it.

use std::collections::HashMap;
use std::fs;

mod note;

pub(crate) use note::REBUILT_KEY;
pub use note::RebuildNote;

use super::conversations::id_of_key;
use super::db_files::salvage_copy;
use super::error::VaultError;
use super::fsutil;
use super::ids::{ConversationId, split_message_key};
use super::integrity::{INTEGRITY_KEY, STATE_KEY};
use super::records::{Change, Records, TreeId, VAULT_KEY_ID, seal_value};
use super::snapshot::file::SnapshotReader;
use super::snapshot::{self, SnapshotFile};
use super::unlock::UnlockedIdentity;
use super::vault::{LockedVault, Vault};
use crate::crypto::seal::{self, RecordSlot};
use crate::crypto::{DataKey, KeyPurpose, Sealed, VaultIdentity, keys};
use crate::time::Timestamp;

/// Records written per commit while rebuilding.
const BATCH: usize = 1_000;

/// The keys records are authenticated with, as they are found.
struct Authenticator<'a> {
    identity: &'a VaultIdentity,
    vault_key: DataKey,
    conversations: HashMap<ConversationId, DataKey>,
}

impl Authenticator<'_> {
    /// `value` as a record to write back, if it is authentic for its slot.
    fn check(&mut self, tree: TreeId, key: &[u8], value: &[u8]) -> Option<Sealed> {
        let slot = RecordSlot { tree: tree.name(), key };
        match tree {
            TreeId::Keys if key == VAULT_KEY_ID => keys::authenticated(value, KeyPurpose::Vault, self.identity)
                .ok()
                .filter(|(k, _)| k.expose() == self.vault_key.expose())
                .map(|(_, sealed)| sealed),
            TreeId::Keys => {
                let id = id_of_key(key)?;
                let (data_key, sealed) =
                    keys::authenticated(value, KeyPurpose::Conversation(*id.as_bytes()), self.identity).ok()?;
                self.conversations.insert(id, data_key);
                Some(sealed)
            }
            TreeId::Messages => {
                let (id, _) = split_message_key(key)?;
                seal::authenticated(self.conversations.get(&id)?, slot, value).ok()
            }
            TreeId::Meta if [STATE_KEY, INTEGRITY_KEY].contains(&key) => None,
            _ => seal::authenticated(&self.vault_key, slot, value).ok(),
        }
    }
}

/// The database being built, and what went into it.
struct Rebuild {
    records: Records,
    pending: Vec<Change>,
    written: std::collections::HashSet<(TreeId, Vec<u8>)>,
}

impl Rebuild {
    /// Writes `value` unless an earlier source gave this record already.
    /// Returns whether it was written.
    fn offer(&mut self, tree: TreeId, key: &[u8], value: Sealed) -> Result<bool, VaultError> {
        if !self.written.insert((tree, key.to_vec())) {
            return Ok(false);
        }
        self.pending.push(Change::Put {
            tree,
            key: key.to_vec(),
            value,
        });
        if self.pending.len() >= BATCH {
            self.commit()?;
        }
        Ok(true)
    }

    fn commit(&mut self) -> Result<(), VaultError> {
        self.records.commit(&std::mem::take(&mut self.pending))
    }
}

impl LockedVault {
    /// Rebuilds the database (see the module) and opens the vault. The
    /// report of what was lost is the unlock's (`unlock_report`) and the
    /// findings register's.
    pub fn repair(self, identity: UnlockedIdentity) -> Result<(Vault, RebuildNote), VaultError> {
        let paths = self.paths.clone();
        let now = Timestamp::now();
        let mut note = RebuildNote {
            at: now,
            damaged_kept_at: None,
            from_damaged: 0,
            damaged_unreadable: None,
            from_snapshots: 0,
            snapshot_taken_at: None,
            snapshots_unreadable: Vec::new(),
            rejected: 0,
            conversations: 0,
            messages: 0,
        };
        // A repair killed mid-way: its copy goes; what it built may be the
        // damaged database already swapped out, so it is kept, never removed.
        let salvage = paths.database_salvage();
        if salvage.exists() {
            fs::remove_dir_all(&salvage).map_err(VaultError::io("remove", &salvage))?;
        }
        if paths.database_rebuilt().exists() {
            let aside = paths.root().join(format!("db.interrupted-repair-{}", now.as_unix_ms()));
            fs::rename(paths.database_rebuilt(), &aside).map_err(VaultError::io("move aside", aside))?;
        }
        let damaged = paths.database();
        let salvaged = if damaged.is_dir() {
            salvage_copy(&damaged, &paths.database_salvage())
                .map_err(VaultError::io("copy the damaged database to", paths.database_salvage()))?;
            match Records::open(&paths.database_salvage()) {
                Ok(records) => Some(records),
                Err(e) => {
                    note.damaged_unreadable = Some(e.to_string());
                    None
                }
            }
        } else {
            note.damaged_unreadable = Some("its directory is missing".into());
            None
        };
        let snapshots = snapshot::list(&paths.snapshots());
        let candidates: Vec<&VaultIdentity> = identity.candidates.iter().map(|c| &c.identity).collect();
        let Some((owner, vault_key, wrapped_vault_key)) = find_vault_key(salvaged.as_ref(), &snapshots, &candidates)
        else {
            return Err(VaultError::VaultKeyDamaged {
                reason: "neither the damaged database nor any snapshot holds a vault key this identity opens; \
                         restore the data directory from a backup"
                    .into(),
            });
        };
        let mut auth = Authenticator {
            identity: owner,
            vault_key,
            conversations: HashMap::new(),
        };
        let mut rebuild = Rebuild {
            records: Records::open(&paths.database_rebuilt())?,
            pending: Vec::new(),
            written: std::collections::HashSet::new(),
        };
        if let Some(salvaged) = &salvaged {
            // Keys first: messages are checked with them.
            for tree in TreeId::ALL {
                for item in salvaged.scan(tree) {
                    let Ok((key, value)) = item else {
                        break;
                    };
                    match auth.check(tree, &key, &value) {
                        Some(sealed) => {
                            rebuild.offer(tree, &key, sealed)?;
                            note.from_damaged += 1;
                        }
                        None if is_integrity_record(tree, &key) => {}
                        None => note.rejected += 1,
                    }
                }
            }
        }
        drop(salvaged);
        for snapshot in &snapshots {
            match read_snapshot(snapshot, &mut auth, &mut rebuild, &mut note)? {
                Ok(used) if note.snapshot_taken_at.is_none() && used => {
                    note.snapshot_taken_at = Some(snapshot.taken_at);
                }
                Ok(_) => {}
                Err(why) => note
                    .snapshots_unreadable
                    .push(format!("{}: {why}", snapshot.path.display())),
            }
        }
        // The key that opened everything is kept even when no source's copy
        // of its record survived as a record (a snapshot's own chunk of the
        // keys tree damaged, its header whole): without it nothing reads.
        if let Some(sealed) = auth.check(TreeId::Keys, VAULT_KEY_ID, &wrapped_vault_key) {
            rebuild.offer(TreeId::Keys, VAULT_KEY_ID, sealed)?;
        }
        for (tree, _) in &rebuild.written {
            match tree {
                TreeId::Index => note.conversations += 1,
                TreeId::Messages => note.messages += 1,
                _ => {}
            }
        }
        if damaged.is_dir() {
            let kept = paths.database_damaged(now);
            note.damaged_kept_at = Some(kept);
        }
        let marker = seal_value(&auth.vault_key, TreeId::Meta, REBUILT_KEY, &note);
        rebuild.pending.push(Change::Put {
            tree: TreeId::Meta,
            key: REBUILT_KEY.to_vec(),
            value: marker,
        });
        rebuild.commit()?;
        rebuild.records.flush()?;
        drop(rebuild);
        // The commit point: the two swapped in one step (so `db/` is never
        // missing), then the damaged one renamed to where it is kept.
        let io = |action| VaultError::io(action, paths.root().to_owned());
        match &note.damaged_kept_at {
            Some(kept) => {
                fsutil::exchange(&paths.database_rebuilt(), &damaged)
                    .map_err(io("put the rebuilt database in place in"))?;
                fsutil::sync_dir(paths.root()).map_err(io("sync"))?;
                fs::rename(paths.database_rebuilt(), kept).map_err(io("move the damaged database aside in"))?;
            }
            None => {
                fs::rename(paths.database_rebuilt(), &damaged).map_err(io("put the rebuilt database in place in"))?
            }
        }
        fsutil::sync_dir(paths.root()).map_err(io("sync"))?;
        let _ = fs::remove_dir_all(paths.database_salvage());
        let vault = self.open_unlocked(identity)?;
        Ok((vault, note))
    }
}

fn is_integrity_record(tree: TreeId, key: &[u8]) -> bool {
    tree == TreeId::Meta && [STATE_KEY, INTEGRITY_KEY].contains(&key)
}

/// The vault key, and the identity that opens it: the damaged database's
/// own if it still reads, else the newest snapshot's.
/// The vault key, the identity that opens it, and its wrapped record.
fn find_vault_key<'a>(
    salvaged: Option<&Records>,
    snapshots: &[SnapshotFile],
    candidates: &[&'a VaultIdentity],
) -> Option<(&'a VaultIdentity, DataKey, Vec<u8>)> {
    let unwrap = |wrapped: &[u8]| {
        candidates.iter().find_map(|identity| {
            let key = keys::unwrap(wrapped, KeyPurpose::Vault, identity).ok()?;
            Some((*identity, key, wrapped.to_vec()))
        })
    };
    if let Some(found) = salvaged
        .and_then(|records| records.get(TreeId::Keys, VAULT_KEY_ID).ok().flatten())
        .and_then(|wrapped| unwrap(&wrapped))
    {
        return Some(found);
    }
    snapshots.iter().find_map(|snapshot| {
        let file = fs::File::open(&snapshot.path).ok()?;
        let reader = SnapshotReader::new(std::io::BufReader::new(file)).ok()?;
        unwrap(&reader.wrapped_vault_key)
    })
}

/// Offers every authentic record of `snapshot` to the rebuild. Returns
/// whether it was under the vault key (so it counted); an error names why
/// it could not be read to its end (the records before that still count:
/// each was authenticated on its own).
fn read_snapshot(
    snapshot: &SnapshotFile,
    auth: &mut Authenticator<'_>,
    rebuild: &mut Rebuild,
    note: &mut RebuildNote,
) -> Result<Result<bool, String>, VaultError> {
    let opened = fs::File::open(&snapshot.path)
        .map_err(|e| e.to_string())
        .and_then(|file| SnapshotReader::new(std::io::BufReader::new(file)).map_err(|e| e.to_string()));
    let reader = match opened {
        Ok(reader) => reader,
        Err(why) => return Ok(Err(why)),
    };
    let same_key = keys::unwrap(&reader.wrapped_vault_key, KeyPurpose::Vault, auth.identity)
        .is_ok_and(|k| k.expose() == auth.vault_key.expose());
    if !same_key {
        // From before a rotation: sealed to an identity that no longer exists.
        return Ok(Ok(false));
    }
    let vault_key = auth.vault_key.clone();
    let mut failure = None;
    let result = reader.read_records(&vault_key, |tree, key, value| {
        match auth.check(tree, key, value) {
            Some(sealed) => match rebuild.offer(tree, key, sealed) {
                Ok(true) => note.from_snapshots += 1,
                Ok(false) => {}
                Err(e) => {
                    failure = Some(e);
                    return Err(snapshot::file::SnapshotError::Malformed("the rebuild failed"));
                }
            },
            None => note.rejected += 1,
        }
        Ok(())
    });
    match (result, failure) {
        (_, Some(e)) => Err(e),
        (Ok(_), None) => Ok(Ok(true)),
        (Err(e), None) => Ok(Err(e.to_string())),
    }
}
