//! Creating, unlocking and opening a vault.
//!
//! Opening is two steps on purpose. [`LockedVault::open`] takes the lock and
//! reads the manifest, nothing more. [`LockedVault::unlock`] turns a passphrase
//! or identity into the vault identity, or records the failure in the side file
//! and leaves everything else untouched. Only [`LockedVault::open_unlocked`]
//! opens the database, because sled rewrites files even when it only reads.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use rand::RngCore;
use secrecy::SecretString;

use super::audit::AuditEvent;
use super::error::VaultError;
use super::failed_unlocks::{self, FailedUnlock, FailedUnlockReason};
use super::fsutil;
use super::ids::ConversationId;
use super::layout::VaultPaths;
use super::lock::VaultLock;
use super::manifest::{Protection, VAULT_FORMAT, VaultManifest};
use super::records::{Records, TreeId, VAULT_KEY_ID};
use crate::crypto::identity::IdentityError;
use crate::crypto::user_identity::{self, UserIdentity, UserIdentityError};
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

/// A vault whose lock is held and whose manifest is read; nothing decrypted.
#[derive(Debug)]
pub struct LockedVault {
    paths: VaultPaths,
    manifest: VaultManifest,
    lock: VaultLock,
}

/// The vault identity, unlocked, ready to open the database. Opaque, so only
/// this module can produce one.
pub struct UnlockedIdentity(VaultIdentity);

/// Failed unlock attempts found at this unlock (and moved into the audit log).
#[derive(Clone, Debug, Default)]
pub struct UnlockReport {
    pub failed_attempts: Vec<FailedUnlock>,
    /// Side-file entries that did not decrypt with this vault's identity.
    pub unreadable_entries: usize,
}

impl UnlockReport {
    /// "2 failed attempts to unlock since 2026-11-23 19:10 UTC (last 19:12 UTC)", if any.
    pub fn summary(&self) -> Option<String> {
        let first = self.failed_attempts.first();
        let last = self.failed_attempts.last();
        let mut text = match (first, last, self.failed_attempts.len()) {
            (Some(first), _, 1) => format!(
                "1 failed attempt to unlock this vault, at {}",
                first.at.to_local_display()
            ),
            (Some(first), Some(last), n) => format!(
                "{n} failed attempts to unlock this vault since {} (the last at {})",
                first.at.to_local_display(),
                last.at.to_local_display()
            ),
            _ => String::new(),
        };
        if self.unreadable_entries > 0 {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(&format!(
                "{} unreadable failed-attempt record(s) were found and discarded",
                self.unreadable_entries
            ));
        }
        (!text.is_empty()).then_some(text)
    }
}

/// An unlocked, open vault. Dropping it closes the database, then releases the lock.
pub struct Vault {
    pub(crate) paths: VaultPaths,
    pub(crate) manifest: VaultManifest,
    pub(crate) identity: VaultIdentity,
    pub(crate) records: Records,
    pub(crate) vault_key: DataKey,
    pub(crate) conversation_keys: RefCell<HashMap<ConversationId, DataKey>>,
    /// Replies being streamed by this process; any other reply still marked as
    /// streaming was cut off by a crash and reads as interrupted.
    pub(crate) streaming: HashSet<(ConversationId, u64)>,
    pub(crate) unlock_report: UnlockReport,
    // Declared last so it is dropped last: the database closes before the lock goes.
    _lock: VaultLock,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.paths.root())
            .finish_non_exhaustive()
    }
}

impl LockedVault {
    /// Takes the vault lock and reads the manifest. Changes nothing on disk.
    pub fn open(root: &Path) -> Result<Self, VaultError> {
        let paths = VaultPaths::new(root);
        if !paths.manifest().is_file() {
            return Err(VaultError::NoVault { path: root.to_owned() });
        }
        let lock = VaultLock::acquire(&paths.lock(), root)?;
        let manifest = VaultManifest::load(&paths.manifest())?;
        Ok(LockedVault { paths, manifest, lock })
    }

    pub fn manifest(&self) -> &VaultManifest {
        &self.manifest
    }

    pub fn root(&self) -> &Path {
        self.paths.root()
    }

    /// Whether [`LockedVault::unlock`] needs a passphrase: the vault's own, or
    /// the one protecting the user's identity file.
    pub fn needs_passphrase(&self) -> Result<bool, VaultError> {
        match &self.manifest.protection {
            Protection::Passphrase => Ok(true),
            Protection::IdentityFile { path } => Ok(user_identity::needs_passphrase(path)?),
        }
    }

    /// Recovers the vault identity. A wrong passphrase or identity is recorded
    /// in the side file and changes nothing else.
    pub fn unlock(&self, passphrase: Option<&SecretString>) -> Result<UnlockedIdentity, VaultError> {
        let identity_path = self.paths.identity();
        let sealed = fs::read(&identity_path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => VaultError::IdentityMissing {
                path: self.root().to_owned(),
                identity: identity_path.clone(),
            },
            _ => VaultError::Io {
                action: "read the vault identity",
                path: identity_path.clone(),
                source: e,
            },
        })?;
        let unreadable = |e: IdentityError| VaultError::IdentityUnreadable {
            identity: identity_path.clone(),
            reason: e.to_string(),
        };
        let identity = match &self.manifest.protection {
            Protection::Passphrase => {
                let passphrase = passphrase.ok_or_else(|| VaultError::PassphraseRequired {
                    path: self.root().to_owned(),
                })?;
                match VaultIdentity::open_with_passphrase(&sealed, passphrase) {
                    Ok(identity) => identity,
                    Err(IdentityError::WrongPassphrase) => {
                        self.record_failure(FailedUnlockReason::WrongPassphrase)?;
                        return Err(VaultError::WrongPassphrase {
                            path: self.root().to_owned(),
                        });
                    }
                    Err(e) => return Err(unreadable(e)),
                }
            }
            Protection::IdentityFile { path } => {
                let user = match UserIdentity::load(path, passphrase) {
                    Ok(user) => user,
                    Err(UserIdentityError::WrongPassphrase(_)) => {
                        self.record_failure(FailedUnlockReason::WrongPassphrase)?;
                        return Err(VaultError::WrongPassphrase {
                            path: self.root().to_owned(),
                        });
                    }
                    Err(UserIdentityError::PassphraseRequired(_)) => {
                        return Err(VaultError::PassphraseRequired {
                            path: self.root().to_owned(),
                        });
                    }
                    Err(e) => return Err(e.into()),
                };
                match VaultIdentity::open_with_identities(&sealed, &user.identities()?) {
                    Ok(identity) => identity,
                    Err(IdentityError::NoMatchingIdentity) => {
                        self.record_failure(FailedUnlockReason::WrongIdentity)?;
                        return Err(VaultError::WrongIdentity {
                            path: self.root().to_owned(),
                            identity: path.clone(),
                        });
                    }
                    Err(e) => return Err(unreadable(e)),
                }
            }
        };
        let actual = identity.recipient().to_string();
        if actual != self.manifest.recipient {
            return Err(VaultError::RecipientMismatch {
                path: self.root().to_owned(),
                manifest: self.manifest.recipient.clone(),
                actual,
            });
        }
        Ok(UnlockedIdentity(identity))
    }

    fn record_failure(&self, reason: FailedUnlockReason) -> Result<(), VaultError> {
        let recipient = self.manifest.recipient(&self.paths.manifest())?;
        let path = self.paths.failed_unlocks();
        failed_unlocks::record(&path, &recipient, reason).map_err(VaultError::io("record the failed attempt in", path))
    }

    /// Opens the database with an unlocked identity, then moves any recorded
    /// failed attempts into the audit log.
    pub fn open_unlocked(self, identity: UnlockedIdentity) -> Result<Vault, VaultError> {
        let UnlockedIdentity(identity) = identity;
        let db_path = self.paths.database();
        if !db_path.is_dir() {
            return Err(VaultError::Database {
                path: db_path,
                message: "the database directory is missing; restore the data directory from a backup".into(),
            });
        }
        let records = Records::open(&db_path)?;
        let wrapped = records
            .get(TreeId::Keys, VAULT_KEY_ID)?
            .ok_or_else(|| VaultError::VaultKeyDamaged {
                reason: "it is missing".into(),
            })?;
        let vault_key = keys::unwrap(&wrapped, KeyPurpose::Vault, &identity)
            .map_err(|e| VaultError::VaultKeyDamaged { reason: e.to_string() })?;
        let mut vault = Vault {
            paths: self.paths,
            manifest: self.manifest,
            identity,
            records,
            vault_key,
            conversation_keys: RefCell::new(HashMap::new()),
            streaming: HashSet::new(),
            unlock_report: UnlockReport::default(),
            _lock: self.lock,
        };
        vault.import_failed_unlocks()?;
        Ok(vault)
    }

    /// [`unlock`](Self::unlock) then [`open_unlocked`](Self::open_unlocked).
    pub fn unlock_and_open(self, passphrase: Option<&SecretString>) -> Result<Vault, VaultError> {
        let identity = self.unlock(passphrase)?;
        self.open_unlocked(identity)
    }
}

impl Vault {
    /// Creates a vault at `root`, which must not exist or be an empty directory.
    /// The vault is built in a private staging directory beside `root` and
    /// renamed into place, so a failure leaves nothing half-made behind.
    pub fn create(root: &Path, protection: NewProtection<'_>) -> Result<Vault, VaultError> {
        Self::check_creatable(root)?;
        let parent = root
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(VaultError::io("create the directory", parent))?;
        let mut suffix = [0u8; 6];
        rand::rngs::OsRng.fill_bytes(&mut suffix);
        let staging = parent.join(format!(".sotto-init-{}", fsutil::hex(&suffix)));
        fsutil::restrict_umask();
        fsutil::create_private_dir(&staging).map_err(VaultError::io("create the vault in", parent))?;
        let identity = VaultIdentity::generate();
        let built = build_vault(&staging, &identity, &protection).and_then(|()| {
            fs::rename(&staging, root).map_err(|e| match e.raw_os_error() {
                Some(libc::ENOTEMPTY) | Some(libc::EEXIST) => VaultError::AlreadyExists { path: root.to_owned() },
                _ => VaultError::Io {
                    action: "move the new vault into",
                    path: root.to_owned(),
                    source: e,
                },
            })
        });
        if let Err(e) = built {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        fsutil::sync_dir(parent).map_err(VaultError::io("sync the directory", parent))?;
        LockedVault::open(root)?.open_unlocked(UnlockedIdentity(identity))
    }

    pub fn root(&self) -> &Path {
        self.paths.root()
    }

    pub fn manifest(&self) -> &VaultManifest {
        &self.manifest
    }

    /// The vault identity's public recipient (`age1…`).
    pub fn recipient(&self) -> String {
        self.identity.recipient().to_string()
    }

    /// Failed unlock attempts reported by this unlock.
    pub fn unlock_report(&self) -> &UnlockReport {
        &self.unlock_report
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<(), VaultError> {
        self.records.flush()
    }

    fn import_failed_unlocks(&mut self) -> Result<(), VaultError> {
        let path = self.paths.failed_unlocks();
        let log = failed_unlocks::read(&path, &self.identity)
            .map_err(VaultError::io("read the failed-attempt records in", path.clone()))?;
        if log.attempts.is_empty() && log.unreadable == 0 {
            return Ok(());
        }
        let already: HashSet<String> = self.recent_failed_unlock_ids()?;
        for attempt in &log.attempts {
            if !already.contains(&attempt.id) {
                self.append_audit(
                    attempt.at,
                    AuditEvent::UnlockFailed {
                        attempt: attempt.id.clone(),
                        reason: attempt.reason,
                    },
                )?;
            }
        }
        self.records.flush()?;
        fs::remove_file(&path).map_err(VaultError::io("remove", path.clone()))?;
        fsutil::sync_dir(self.paths.root()).map_err(VaultError::io("sync the directory", self.paths.root()))?;
        self.unlock_report = UnlockReport {
            failed_attempts: log.attempts,
            unreadable_entries: log.unreadable,
        };
        Ok(())
    }
}

impl Vault {
    /// Whether a vault can be created at `root`: it must not exist, or be an
    /// empty directory. Checked before asking for a passphrase.
    pub fn check_creatable(root: &Path) -> Result<(), VaultError> {
        match fs::read_dir(root) {
            Ok(mut entries) => {
                if VaultPaths::new(root).manifest().exists() {
                    Err(VaultError::AlreadyExists { path: root.to_owned() })
                } else if entries.next().is_some() {
                    Err(VaultError::NotEmpty { path: root.to_owned() })
                } else {
                    Ok(())
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
                let blocker = root.ancestors().find(|p| p.is_file()).unwrap_or(root).to_owned();
                Err(VaultError::NotADirectory {
                    path: root.to_owned(),
                    blocker,
                })
            }
            Err(e) => Err(VaultError::Io {
                action: "inspect",
                path: root.to_owned(),
                source: e,
            }),
        }
    }
}

/// Writes every part of a new vault into `dir`.
fn build_vault(dir: &Path, identity: &VaultIdentity, protection: &NewProtection<'_>) -> Result<(), VaultError> {
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
            let path = absolute(user.path())?;
            (sealed, Protection::IdentityFile { path })
        }
    };
    let identity_path = paths.identity();
    fsutil::write_private_file_atomic(&identity_path, &sealed_identity)
        .map_err(VaultError::io("write the vault identity", identity_path))?;
    let manifest = VaultManifest {
        format: VAULT_FORMAT,
        created,
        recipient: identity.recipient().to_string(),
        protection: protection_record,
    };
    manifest.save(&paths.manifest())?;
    let lock_path = paths.lock();
    fsutil::append_private_file(&lock_path, b"").map_err(VaultError::io("create the vault lock", lock_path))?;

    let records = Records::open(&paths.database())?;
    let vault_key = DataKey::generate();
    records.put(
        TreeId::Keys,
        VAULT_KEY_ID,
        keys::wrap(&vault_key, KeyPurpose::Vault, &identity.recipient()),
    )?;
    let event = AuditEvent::VaultCreated {
        protection: protection_kind(&manifest.protection).to_owned(),
    };
    super::audit::append_sealed(&records, &vault_key, created, &event)?;
    records.flush()?;
    Ok(())
}

pub(crate) fn protection_kind(protection: &Protection) -> &'static str {
    match protection {
        Protection::Passphrase => "passphrase",
        Protection::IdentityFile { .. } => "identity-file",
    }
}

fn absolute(path: &Path) -> Result<PathBuf, VaultError> {
    std::path::absolute(path).map_err(VaultError::io("resolve", path))
}
