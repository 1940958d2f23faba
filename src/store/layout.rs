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

    /// `db/`: the sled database of sealed records.
    pub fn database(&self) -> PathBuf {
        self.root.join("db")
    }
}
