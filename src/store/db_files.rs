//! The files of the database directory, checked before sled opens them:
//! sled follows symlinks, so a planted link would make it overwrite what
//! the link points to. Also the names of the blob files, which sled never
//! syncs itself.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::error::VaultError;

/// sled opens and writes its files (`db`, `conf`, snapshots, blobs) by path,
/// following symlinks: one planted in `db/` would make sotto overwrite
/// whatever it points to. Before sled opens anything, every entry must be a
/// regular file (or the `blobs` directory of regular files), never a symlink.
pub(super) fn refuse_planted_entries(path: &Path) -> Result<(), VaultError> {
    let refuse = |entry: &Path| {
        VaultError::io("open the vault database", entry)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it is a symlink, a hard link or not a regular file, so sotto did not make it and will not open it (someone may \
             have tampered with the data directory; restore it from a backup)",
        ))
    };
    let list = |dir: &Path| -> Result<Vec<PathBuf>, VaultError> {
        match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .map_err(VaultError::io("list", dir)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(VaultError::io("list", dir)(e)),
        }
    };
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.is_dir()
    {
        return Err(refuse(path));
    }
    for entry in list(path)? {
        let meta = std::fs::symlink_metadata(&entry).map_err(VaultError::io("inspect", &entry))?;
        let is_blobs = entry.file_name().is_some_and(|n| n == "blobs");
        if is_blobs && meta.is_dir() {
            for blob in list(&entry)? {
                let meta = std::fs::symlink_metadata(&blob).map_err(VaultError::io("inspect", &blob))?;
                if !meta.is_file() {
                    return Err(refuse(&blob));
                }
            }
        } else if !meta.is_file() || std::os::unix::fs::MetadataExt::nlink(&meta) != 1 {
            return Err(refuse(&entry));
        }
    }
    Ok(())
}

pub(super) fn blob_names(dir: &Path) -> std::io::Result<HashSet<OsString>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.map(|e| e.file_name())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashSet::new()),
        Err(e) => Err(e),
    }
}

/// Copies the database at `from` to `to` (which must not exist) for
/// `sotto repair` to read, leaving out sled's page-table snapshots
/// (`snap.*`): without them sled rebuilds its tables from the log and stops
/// at the first damaged spot, where with them it refuses the whole database.
/// Only regular files are copied; the original is not changed.
pub(super) fn salvage_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    super::fsutil::create_private_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let meta = std::fs::symlink_metadata(entry.path())?;
        if meta.is_dir() && name == "blobs" {
            salvage_copy(&entry.path(), &to.join(&name))?;
        } else if meta.is_file() && !name.to_string_lossy().starts_with("snap.") {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}
