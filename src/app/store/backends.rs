//! Building a backend. It happens on the store thread because a backend's
//! API key may live in the vault, and only that thread holds the vault.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::{Backend, BackendError};
use crate::config::{self, Config};
use crate::store::Vault;

/// Resolves the named backend's key (from the vault when it is kept there)
/// and builds it; the message says what went wrong otherwise.
pub fn build_backend(
    config: &Config,
    knowledge: &[PathBuf],
    vault: Option<&Vault>,
    name: &str,
) -> Result<Arc<dyn Backend>, String> {
    let backend = config.backend(name).map_err(|e| e.to_string())?;
    let built: Result<Box<dyn Backend>, BackendError> =
        config::resolve_key(backend, vault).and_then(|key| backend.build(key, knowledge));
    built.map(Arc::from).map_err(|e| e.to_string())
}
