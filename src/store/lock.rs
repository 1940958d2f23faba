//! The vault lock: an exclusive advisory lock (`flock`) on `vault.lock`, taken
//! before anything else so a second process fails at once with a clear
//! "in use" error instead of waiting, prompting for a passphrase it cannot use,
//! or racing the first process's writes. Taking the lock never changes the
//! file's bytes, so a refused or failed unlock leaves the vault as it was.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::VaultError;
use super::fsutil::FILE_MODE;

/// How long a refused lock is retried before the vault counts as in use. A
/// lock can outlive its holder by moments: a process that is exiting, or a
/// child forked by the holder that has not reached `exec` yet (a forked child
/// shares the locked file until then). Well under the one second within which
/// a second process must be told the vault is in use.
const HANDOVER_PATIENCE: Duration = Duration::from_millis(300);

#[derive(Debug)]
pub(crate) struct VaultLock {
    // Held for its lock; the OS releases it when the file closes, even on SIGKILL.
    _file: File,
}

impl VaultLock {
    pub(crate) fn acquire(lock_path: &Path, vault_root: &Path) -> Result<Self, VaultError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            // A symlink planted as the lock must not make sotto create or
            // open whatever it points to.
            .custom_flags(libc::O_NOFOLLOW)
            .open(lock_path)
            .map_err(VaultError::io("open the vault lock", lock_path))?;
        let deadline = Instant::now() + HANDOVER_PATIENCE;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(VaultLock { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(VaultError::InUse {
                        path: vault_root.to_owned(),
                        holder: holder_pid(&file),
                    });
                }
                Err(TryLockError::Error(e)) => {
                    return Err(VaultError::from_io("lock the vault", lock_path.to_owned(), e));
                }
            }
        }
    }
}

/// Whether another process (or another open in this one) holds the lock at
/// `lock_path` now, e.g. an `init` still building the vault. A missing lock
/// file is not held; the file is never created here.
pub(crate) fn is_held(lock_path: &Path, vault_root: &Path) -> Result<bool, VaultError> {
    if !lock_path.exists() {
        return Ok(false);
    }
    match VaultLock::acquire(lock_path, vault_root) {
        Ok(_released_at_once) => Ok(false),
        Err(VaultError::InUse { .. }) => Ok(true),
        Err(other) => Err(other),
    }
}

/// The pid holding the lock, read from `/proc/locks` (Linux). Best effort: the
/// error message is better with it, and fine without.
fn holder_pid(file: &File) -> Option<u32> {
    let inode = file.metadata().ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        // "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF"
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (pid, device_inode) = (fields.get(4)?, fields.get(5)?);
        let lock_inode: u64 = device_inode.rsplit(':').next()?.parse().ok()?;
        (fields.get(1) == Some(&"FLOCK") && lock_inode == inode)
            .then(|| pid.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_while_the_first_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.lock");
        let first = VaultLock::acquire(&path, dir.path()).unwrap();
        match VaultLock::acquire(&path, dir.path()) {
            Err(VaultError::InUse { holder, .. }) => {
                if cfg!(target_os = "linux") {
                    assert_eq!(holder, Some(std::process::id()));
                }
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(first);
        VaultLock::acquire(&path, dir.path()).unwrap();
    }
}
