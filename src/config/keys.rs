//! Where a backend's API key and the user's consent to it are kept: the
//! names of their vault settings, and the key resolved from the source the
//! configuration names (a variable, a command, or the vault).

use secrecy::SecretString;

use super::{BackendSpec, KeySource, NamedBackend};
use crate::backend::BackendError;

/// The vault setting that holds a backend's API key (`sotto key set NAME`).
pub fn vault_key_name(backend: &str) -> String {
    format!("backend.{backend}.api_key")
}

/// The vault setting that records consent to send conversations to a backend:
/// its value is the host consented to, so a changed address asks again.
pub fn consent_setting(backend: &str) -> String {
    format!("consent.{backend}")
}

/// The API key for `backend`, from its configured source. `vault` is `None`
/// in incognito mode, which never opens the vault.
pub fn resolve_key(
    backend: &NamedBackend,
    vault: Option<&crate::store::Vault>,
) -> Result<Option<SecretString>, BackendError> {
    let BackendSpec::OpenAi(spec) = &backend.spec else {
        return Ok(None);
    };
    let missing = |hint: String| BackendError::MissingKey {
        backend: backend.name.clone(),
        hint,
    };
    match &spec.key {
        KeySource::Env(var) => match std::env::var(var) {
            Ok(value) if !value.is_empty() => Ok(Some(SecretString::from(value))),
            _ => Err(missing(format!(
                "the environment variable '{var}' (its api_key_env) is not set"
            ))),
        },
        KeySource::Command(command) => {
            let what = format!("the api_key_command of backend '{}'", backend.name);
            crate::secret_source::from_command(command, &what)
                .map(Some)
                .map_err(|e| missing(e.to_string()))
        }
        KeySource::VaultOrNone => match vault {
            Some(vault) => vault
                .secret(&vault_key_name(&backend.name))
                .map_err(|e| BackendError::Unavailable(e.to_string())),
            None => Ok(None),
        },
    }
}
