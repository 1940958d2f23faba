//! Where each part of a vault lives inside its data directory.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct VaultPaths {
    root: PathBuf,
}

impl VaultPaths {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        VaultPaths { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `vault.toml`: format, recipient, protection. No secrets.
    pub fn manifest(&self) -> PathBuf {
        self.root.join("vault.toml")
    }

    /// `identity.age`: the vault identity, encrypted.
    pub fn identity(&self) -> PathBuf {
        self.root.join("identity.age")
    }

    /// `rotation.pending`: the old and new recipients of a rotation in
    /// progress (public keys only). Written first, removed last; see `rotate`.
    pub fn rotation_marker(&self) -> PathBuf {
        self.root.join("rotation.pending")
    }

    /// `identity.next.age`: the new identity of a rotation in progress.
    pub fn identity_next(&self) -> PathBuf {
        self.root.join("identity.next.age")
    }

    /// `recovery.age`: the vault identity a second time, encrypted to the
    /// offline recovery key (only if the user made one).
    pub fn recovery(&self) -> PathBuf {
        self.root.join("recovery.age")
    }

    /// `recovery.next.age`: the new identity for the recovery key, during a rotation.
    pub fn recovery_next(&self) -> PathBuf {
        self.root.join("recovery.next.age")
    }

    /// `failed-unlocks.age`: failed unlock attempts, each an armored age file
    /// encrypted to the vault recipient, appended one after another.
    pub fn failed_unlocks(&self) -> PathBuf {
        self.root.join("failed-unlocks.age")
    }

    /// `vault.lock`: held with an exclusive advisory lock while a process uses the vault.
    pub fn lock(&self) -> PathBuf {
        self.root.join("vault.lock")
    }

    /// `watermark.sealed`: what the database held at the last clean close.
    pub fn watermark(&self) -> PathBuf {
        self.root.join("watermark.sealed")
    }

    /// `watermark.next.sealed`: the watermark under the new vault key, during a rotation.
    pub fn watermark_next(&self) -> PathBuf {
        self.root.join("watermark.next.sealed")
    }

    /// `db/`: the sled database of sealed records.
    pub fn database(&self) -> PathBuf {
        self.root.join("db")
    }

    /// `snapshots/`: rolling sealed copies of every record (see `snapshot`).
    pub fn snapshots(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// `db.rebuilt/`: the database `sotto repair` is building, until it
    /// takes the place of `db/`.
    pub fn database_rebuilt(&self) -> PathBuf {
        self.root.join("db.rebuilt")
    }

    /// `db.salvage/`: a copy of a damaged database that `sotto repair` reads
    /// (the storage engine may change what it opens; the original is kept
    /// as it was found).
    pub fn database_salvage(&self) -> PathBuf {
        self.root.join("db.salvage")
    }

    /// `db.damaged-<time>/`: where `sotto repair` moves a damaged database.
    pub fn database_damaged(&self, at: crate::time::Timestamp) -> PathBuf {
        self.root.join(format!("db.damaged-{}", at.as_unix_ms()))
    }
}
