//! The files of a rotation in flight, on either side of its commit: the
//! marker and the new files written durably before it (step 1), put in
//! place after it (step 3), or removed when it never landed. Each step can
//! be run again after a kill.

use std::fs;
use std::path::Path;

use crate::store::error::VaultError;
use crate::store::fsutil;
use crate::store::layout::VaultPaths;
use crate::store::manifest::VaultManifest;

/// `rotation.pending`: which recipient a rotation goes from and to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotationMarker {
    pub from: String,
    pub to: String,
    /// Whether the rotation wrote a recovery copy (`recovery.next.age`). If
    /// not, the old `recovery.age` is destroyed with the old identity it
    /// holds. Markers from before this field always renamed a copy if any.
    #[serde(default = "wrote_recovery_copy_by_default")]
    pub recovery: bool,
}

fn wrote_recovery_copy_by_default() -> bool {
    true
}

impl RotationMarker {
    /// The marker of an interrupted rotation, if there is one.
    pub fn load(paths: &VaultPaths) -> Result<Option<Self>, VaultError> {
        let path = paths.rotation_marker();
        let text = match fsutil::read_regular(&path, fsutil::SMALL_FILE_CAP) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(VaultError::io("read", path)(e)),
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| VaultError::ManifestInvalid {
                path,
                reason: e.message().to_owned(),
            })
    }

    fn save(&self, paths: &VaultPaths) -> Result<(), VaultError> {
        let body = toml::to_string(self).expect("invariant: two strings serialize to TOML");
        let path = paths.rotation_marker();
        fsutil::write_private_file_atomic(&path, body.as_bytes()).map_err(VaultError::io("write", path))
    }
}

/// Step 1: the new files, durable before the commit.
pub(super) fn write_pending(
    paths: &VaultPaths,
    marker: &RotationMarker,
    identity: &[u8],
    recovery: Option<&[u8]>,
    watermark: &[u8],
) -> Result<(), VaultError> {
    let written = (|| {
        marker.save(paths)?;
        fsutil::write_private_file_atomic(&paths.watermark_next(), watermark)
            .map_err(VaultError::io("write", paths.watermark_next()))?;
        if let Some(recovery) = recovery {
            fsutil::write_private_file_atomic(&paths.recovery_next(), recovery)
                .map_err(VaultError::io("write", paths.recovery_next()))?;
        }
        fsutil::write_private_file_atomic(&paths.identity_next(), identity)
            .map_err(VaultError::io("write", paths.identity_next()))
    })();
    if written.is_err() {
        let _ = discard_pending(paths);
    }
    written
}

/// Step 3, also run at unlock after an interrupted rotation whose commit
/// landed: destroy the old identity, put the new files in place. Idempotent.
pub(crate) fn finish_pending(
    paths: &VaultPaths,
    manifest: &VaultManifest,
    marker: &RotationMarker,
) -> Result<(), VaultError> {
    let root = paths.root();
    // The manifest first: from here it names the identity that opens the
    // vault key, whichever copy (identity or recovery) the next unlock uses.
    manifest.save(&paths.manifest())?;
    if paths.identity_next().exists() {
        shred_file(&paths.identity())?;
    }
    if !marker.recovery {
        // No recovery copy of the new identity: the old one holds the
        // identity this rotation destroys, so it goes too.
        shred_file(&paths.recovery())?;
        remove_if_present(&paths.recovery())?;
    } else if paths.recovery_next().exists() {
        shred_file(&paths.recovery())?;
        rename(&paths.recovery_next(), &paths.recovery())?;
    }
    if paths.watermark_next().exists() {
        rename(&paths.watermark_next(), &paths.watermark())?;
    }
    if paths.identity_next().exists() {
        rename(&paths.identity_next(), &paths.identity())?;
    }
    fsutil::sync_dir(root).map_err(VaultError::io("sync the directory", root))?;
    remove_if_present(&paths.rotation_marker())?;
    fsutil::sync_dir(root).map_err(VaultError::io("sync the directory", root))
}

/// Rolls back a rotation whose commit never landed: the new files go, the
/// marker last.
pub(crate) fn discard_pending(paths: &VaultPaths) -> Result<(), VaultError> {
    for path in [paths.watermark_next(), paths.recovery_next(), paths.identity_next()] {
        remove_if_present(&path)?;
    }
    fsutil::sync_dir(paths.root()).map_err(VaultError::io("sync the directory", paths.root()))?;
    remove_if_present(&paths.rotation_marker())?;
    fsutil::sync_dir(paths.root()).map_err(VaultError::io("sync the directory", paths.root()))
}

fn remove_if_present(path: &Path) -> Result<(), VaultError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(VaultError::io("remove", path)(e)),
    }
}

fn rename(from: &Path, to: &Path) -> Result<(), VaultError> {
    fs::rename(from, to).map_err(VaultError::io("move into place", to))
}

/// Overwrites a file's bytes in place with random data and syncs them, so the
/// old contents are gone from the file (not only unlinked) before it is
/// replaced. The file is opened relative to its directory without following
/// a symlink: whatever someone planted under the name is never written
/// through. What a copy-on-write filesystem or an SSD keeps of the old blocks
/// is beyond a program's reach; SECURITY.md says so.
pub(crate) fn shred_file(path: &Path) -> Result<(), VaultError> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Ok(());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match fsutil::DirHandle::open(dir) {
        Ok(handle) => handle.shred(name).map_err(VaultError::io("overwrite", path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(VaultError::io("overwrite", path)(e)),
    }
}
