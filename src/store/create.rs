//! Creating a vault so that a failure at any step leaves nothing half-made.
//!
//! A new directory is built as a private staging directory beside the target
//! and renamed into place. An existing empty directory (a mount point, a
//! directory an administrator made) is filled in place with the manifest
//! written last: until it exists there is no vault, and on an error everything
//! written is removed again.

use std::fs;
use std::path::{Path, PathBuf};

use rand::RngCore;
use secrecy::SecretString;

use super::audit::{self, AuditEvent};
use super::error::VaultError;
use super::fsutil;
use super::integrity::{INTEGRITY_KEY, IntegrityKey, StateRecord, Tracker};
use super::layout::VaultPaths;
use super::lock::{self, VaultLock};
use super::manifest::{Protection, VAULT_FORMAT, VaultManifest};
use super::records::{Change, Records, TreeId, VAULT_KEY_ID, seal_value};
use super::rotate::Resealer;
use super::vault::{LockedVault, UnlockedIdentity, Vault};
use crate::crypto::user_identity::{UserIdentity, UserIdentityError};
use crate::crypto::{DataKey, KdfCost, KeyPurpose, VaultIdentity, keys};
use crate::time::Timestamp;

/// How a new vault's identity is protected.
pub enum NewProtection<'a> {
    /// scrypt with this passphrase at this cost.
    Passphrase {
        passphrase: &'a SecretString,
        cost: KdfCost,
    },
    /// Encrypted to the recipients of the user's own identity file.
    UserIdentity(&'a UserIdentity),
}

/// What `init` writes before the manifest; a directory holding only these
/// (and temp files) is what an interrupted `init` leaves.
const INIT_ENTRIES: [&str; 3] = ["identity.age", "vault.lock", "db"];
/// Files only a vault that was opened and used has.
const USED_VAULT_ENTRIES: [&str; 3] = ["watermark.sealed", "failed-unlocks.age", "snapshots"];

/// What is at the place a vault should be created.
enum Target {
    /// Nothing: build beside it and rename into place.
    Absent,
    /// An empty directory (reached through `canonical` if `root` is a symlink).
    EmptyDir { canonical: PathBuf },
}

impl Vault {
    /// Creates a vault at `root`, which must not exist or be an empty directory.
    pub fn create(root: &Path, protection: NewProtection<'_>) -> Result<Vault, VaultError> {
        let target = inspect(root)?;
        check_writable(root, &target)?;
        Vault::create_at(root, target, protection).map_err(|e| creation_error(root, e))
    }

    fn create_at(root: &Path, target: Target, protection: NewProtection<'_>) -> Result<Vault, VaultError> {
        fsutil::restrict_umask();
        let identity = VaultIdentity::generate();
        let root = match target {
            Target::Absent => {
                create_beside(root, &identity, &protection)?;
                root.to_owned()
            }
            Target::EmptyDir { canonical } => {
                create_in_place(&canonical, &identity, &protection)?;
                canonical
            }
        };
        let resealer = match protection {
            NewProtection::Passphrase { passphrase, cost } => Some(Resealer::Passphrase {
                passphrase: passphrase.clone(),
                cost,
            }),
            NewProtection::UserIdentity(user) => user.recipients().ok().map(Resealer::Recipients),
        };
        LockedVault::open(&root)?.open_unlocked(UnlockedIdentity::new(identity, resealer))
    }

    /// Whether a vault can be created at `root`: it must not exist, or be an
    /// empty directory. Checked before asking for a passphrase.
    pub fn check_creatable(root: &Path) -> Result<(), VaultError> {
        check_writable(root, &inspect(root)?)
    }
}

/// A vault is built in `root` itself (an empty directory) or beside it, in
/// the nearest directory that exists: that one must be writable.
fn check_writable(root: &Path, target: &Target) -> Result<(), VaultError> {
    let dir = match target {
        Target::EmptyDir { canonical } => canonical.clone(),
        Target::Absent => {
            let parent = root
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            parent.ancestors().find(|p| p.is_dir()).unwrap_or(parent).to_owned()
        }
    };
    fsutil::check_dir_writable(&dir).map_err(|e| VaultError::CannotCreate {
        path: root.to_owned(),
        reason: match e.raw_os_error() {
            Some(libc::EROFS) => "is on a read-only file system".to_owned(),
            Some(libc::EACCES) | Some(libc::EPERM) => "cannot be written by you (permission denied)".to_owned(),
            _ => format!("cannot be written ({e})"),
        },
        dir,
    })
}

/// A failure while creating speaks of creating: nothing was saved yet, so
/// the messages about what is safe after a failed write do not apply.
fn creation_error(root: &Path, error: VaultError) -> VaultError {
    match error {
        VaultError::DiskFull { path, reason } => VaultError::CannotCreate {
            path: root.to_owned(),
            dir: path,
            reason: format!("could not be written: {reason}"),
        },
        VaultError::ReadOnly { path } => VaultError::CannotCreate {
            path: root.to_owned(),
            dir: path,
            reason: "is on a read-only file system".to_owned(),
        },
        other => other,
    }
}

fn inspect(root: &Path) -> Result<Target, VaultError> {
    let mut entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Absent),
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
            let blocker = root.ancestors().find(|p| p.is_file()).unwrap_or(root).to_owned();
            return Err(VaultError::NotADirectory {
                path: root.to_owned(),
                blocker,
            });
        }
        Err(e) => {
            return Err(VaultError::Io {
                action: "inspect",
                path: root.to_owned(),
                source: e,
            });
        }
    };
    if VaultPaths::new(root).manifest().exists() {
        return Err(VaultError::AlreadyExists { path: root.to_owned() });
    }
    // A lone `vault.lock` is an empty file another `init` may have just made
    // (or a failed one left): it holds nothing, so the directory counts as empty.
    let names: Vec<String> = entries
        .by_ref()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "vault.lock")
        .collect();
    if names.is_empty() {
        let canonical = fs::canonicalize(root).map_err(VaultError::io("resolve", root))?;
        return Ok(Target::EmptyDir { canonical });
    }
    let ours = |n: &String| {
        INIT_ENTRIES.contains(&n.as_str())
            || USED_VAULT_ENTRIES.contains(&n.as_str())
            || n.starts_with(".vault.toml.tmp-")
            || n.starts_with(".identity.age.tmp-")
    };
    if names.iter().all(ours) {
        let paths = VaultPaths::new(root);
        if lock::is_held(&paths.lock(), root)? {
            // Another `init` is building it right now (or a process uses it).
            return Err(VaultError::InUse {
                path: root.to_owned(),
                holder: None,
            });
        }
        if paths.manifest().exists() {
            return Err(VaultError::AlreadyExists { path: root.to_owned() });
        }
        // Never advise deleting what may be someone's history.
        return Err(if names.iter().any(|n| USED_VAULT_ENTRIES.contains(&n.as_str())) {
            VaultError::ManifestMissing { path: root.to_owned() }
        } else {
            VaultError::InterruptedInit { path: root.to_owned() }
        });
    }
    Err(VaultError::NotEmpty { path: root.to_owned() })
}

fn create_beside(root: &Path, identity: &VaultIdentity, protection: &NewProtection<'_>) -> Result<(), VaultError> {
    let parent = root
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(VaultError::io("create the directory", parent))?;
    let mut suffix = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let staging = parent.join(format!(".sotto-init-{}", fsutil::hex(&suffix)));
    fsutil::create_private_dir(&staging).map_err(VaultError::io("create the vault in", parent))?;
    let built = build(&staging, identity, protection).and_then(|()| {
        fs::rename(&staging, root).map_err(|e| match e.raw_os_error() {
            Some(libc::ENOTEMPTY) | Some(libc::EEXIST) => VaultError::AlreadyExists { path: root.to_owned() },
            _ => VaultError::from_io("move the new vault into", root.to_owned(), e),
        })
    });
    if let Err(e) = built {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    fsutil::sync_dir(parent).map_err(VaultError::io("sync the directory", parent))
}

fn create_in_place(root: &Path, identity: &VaultIdentity, protection: &NewProtection<'_>) -> Result<(), VaultError> {
    let paths = VaultPaths::new(root);
    // The vault lock first: a second `init` on the same directory waits for
    // this one, then finds a vault (or a failure cleaned up) instead of racing.
    let lock = VaultLock::acquire(&paths.lock(), root)?;
    let others = fs::read_dir(root)
        .map_err(VaultError::io("inspect", root))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "vault.lock")
        .count();
    if others > 0 {
        return Err(if paths.manifest().exists() {
            VaultError::AlreadyExists { path: root.to_owned() }
        } else {
            VaultError::NotEmpty { path: root.to_owned() }
        });
    }
    let built = fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(fsutil::DIR_MODE))
        .map_err(VaultError::io("make private", root))
        .and_then(|()| build(root, identity, protection));
    if let Err(e) = built {
        // Under the lock, with the directory empty before: these are ours. The
        // lock file stays: someone may be waiting on it, and it holds nothing.
        for path in [paths.manifest(), paths.identity(), paths.database()] {
            let _ = fs::remove_dir_all(&path).or_else(|_| fs::remove_file(&path));
        }
        return Err(e);
    }
    drop(lock);
    Ok(())
}

/// Writes every part of a new vault into `dir`, the manifest last.
fn build(dir: &Path, identity: &VaultIdentity, protection: &NewProtection<'_>) -> Result<(), VaultError> {
    let paths = VaultPaths::new(dir);
    let created = Timestamp::now();
    let (sealed_identity, protection_record) = match protection {
        NewProtection::Passphrase { passphrase, cost } => (
            identity.seal_with_passphrase(passphrase, *cost, created),
            Protection::Passphrase,
        ),
        NewProtection::UserIdentity(user) => {
            let recipients = user.recipients()?;
            let sealed = identity.seal_to_recipients(&recipients, created).map_err(|e| {
                VaultError::UserIdentity(UserIdentityError::Recipients(user.path().to_owned(), e.to_string()))
            })?;
            let path = std::path::absolute(user.path()).map_err(VaultError::io("resolve", user.path()))?;
            (sealed, Protection::IdentityFile { path })
        }
    };
    let identity_path = paths.identity();
    fsutil::write_private_file_atomic(&identity_path, &sealed_identity)
        .map_err(VaultError::io("write the vault identity", identity_path))?;
    let lock_path = paths.lock();
    fsutil::append_private_file(&lock_path, b"").map_err(VaultError::io("create the vault lock", lock_path))?;

    {
        let records = Records::open(&paths.database())?;
        let vault_key = DataKey::generate();
        let integrity_key = IntegrityKey::generate();
        let sealed_integrity_key = seal_value(&vault_key, TreeId::Meta, INTEGRITY_KEY, &integrity_key.to_record());
        records.arm(Tracker {
            key: integrity_key,
            seal_key: vault_key.clone(),
            state: StateRecord::default(),
        });
        records.commit(&[
            Change::Create {
                tree: TreeId::Keys,
                key: VAULT_KEY_ID.to_vec(),
                value: keys::wrap(&vault_key, KeyPurpose::Vault, identity),
            },
            Change::Create {
                tree: TreeId::Meta,
                key: INTEGRITY_KEY.to_vec(),
                value: sealed_integrity_key,
            },
        ])?;
        let event = AuditEvent::VaultCreated {
            protection: protection_kind(&protection_record).to_owned(),
        };
        audit::append_sealed(&records, &vault_key, created, &event)?;
        records.flush()?;
    }
    let db = paths.database();
    fsutil::sync_dir(&db).map_err(VaultError::io("sync the directory", db))?;

    let manifest = VaultManifest {
        format: VAULT_FORMAT,
        created,
        recipient: identity.recipient().to_string(),
        protection: protection_record,
        recovery: None,
        recovery_key: false,
    };
    manifest.save(&paths.manifest())
}

fn protection_kind(protection: &Protection) -> &'static str {
    match protection {
        Protection::Passphrase => "passphrase",
        Protection::IdentityFile { .. } => "identity-file",
    }
}

#[cfg(test)]
mod creation_tests {
    use super::*;

    #[test]
    fn a_write_that_fails_while_creating_speaks_of_creating_not_of_what_is_safe() {
        let root = Path::new("/data/sotto");
        for failure in [
            VaultError::DiskFull {
                path: "/data/.sotto-init-1/db".into(),
                reason: "no space is left on the device",
            },
            VaultError::ReadOnly {
                path: "/data/.sotto-init-1".into(),
            },
        ] {
            let error = creation_error(root, failure);
            let message = error.to_string();
            assert!(matches!(error, VaultError::CannotCreate { .. }), "{error:?}");
            assert!(
                message.starts_with("cannot create a vault at '/data/sotto'"),
                "{message}"
            );
            assert!(
                message.contains("Nothing was created") && !message.contains("saved is safe"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_missing_data_directory_is_checked_at_its_nearest_existing_parent() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a/b/sotto");
        assert!(Vault::check_creatable(&root).is_ok());
        assert!(!dir.path().join("a").exists(), "checking creates nothing");
    }
}
