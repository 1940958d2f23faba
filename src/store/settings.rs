//! Settings: one sealed map under the vault key, holding plain values and
//! secrets (API keys). Secrets come back only as `SecretString`, and the map is
//! zeroized when dropped.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::error::VaultError;
use super::records::{Change, SETTINGS_KEY, TreeId, open_value, seal_value};
use super::vault::Vault;

/// Settings that protect the user: a copy is kept in the integrity state, so
/// that discarding a settings record that cannot be trusted never loosens
/// them (see `integrity_check`). The redaction mode's name is the one
/// `redact::egress::MODE_SETTING` uses (the store does not depend on redact).
pub(crate) const PROTECTIVE_SETTINGS: [&str; 2] = [super::retention::DEFAULT_SETTING, "redaction.mode"];

#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
enum SettingValue {
    Text(String),
    Secret(String),
}

#[derive(Default, Serialize, Deserialize)]
struct SettingsRecord {
    values: BTreeMap<String, SettingValue>,
}

impl SettingsRecord {
    fn protective(&self) -> BTreeMap<String, String> {
        PROTECTIVE_SETTINGS
            .iter()
            .filter_map(|name| match self.values.get(*name) {
                Some(SettingValue::Text(value)) => Some(((*name).to_owned(), value.clone())),
                _ => None,
            })
            .collect()
    }

    /// Sets `name`, zeroizing the value it replaces.
    fn insert(&mut self, name: &str, value: SettingValue) {
        if let Some(mut old) = self.values.insert(name.to_owned(), value) {
            old.zeroize();
        }
    }
}

impl SettingValue {
    fn zeroize(&mut self) {
        match self {
            SettingValue::Text(v) | SettingValue::Secret(v) => v.zeroize(),
        }
    }
}

impl Drop for SettingsRecord {
    fn drop(&mut self) {
        for value in self.values.values_mut() {
            value.zeroize();
        }
    }
}

/// A setting's name and whether it holds a secret; never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingName {
    pub name: String,
    pub secret: bool,
}

impl Vault {
    fn load_settings(&self) -> Result<SettingsRecord, VaultError> {
        match self.records.get(TreeId::Settings, SETTINGS_KEY)? {
            None => Ok(SettingsRecord::default()),
            Some(sealed) => open_value(&self.vault_key, TreeId::Settings, SETTINGS_KEY, &sealed)
                .map_err(|e| VaultError::SettingsDamaged { reason: e.to_string() }),
        }
    }

    fn store_settings(&self, settings: &SettingsRecord) -> Result<(), VaultError> {
        let change = Change::Put {
            tree: TreeId::Settings,
            key: SETTINGS_KEY.to_vec(),
            value: seal_value(&self.vault_key, TreeId::Settings, SETTINGS_KEY, settings),
        };
        let protective = settings.protective();
        self.records
            .commit_with_state(&[change], |state| state.protective = protective)?;
        self.records.flush()
    }

    /// The protective settings as the current record holds them.
    pub(crate) fn protective_settings(&self) -> Result<BTreeMap<String, String>, VaultError> {
        Ok(self.load_settings()?.protective())
    }

    /// The change that replaces the settings record with one holding only
    /// `values` (plain settings).
    pub(crate) fn settings_record_change(&self, values: &BTreeMap<String, String>) -> Change {
        let record = SettingsRecord {
            values: values
                .iter()
                .map(|(name, value)| (name.clone(), SettingValue::Text(value.clone())))
                .collect(),
        };
        Change::Put {
            tree: TreeId::Settings,
            key: SETTINGS_KEY.to_vec(),
            value: seal_value(&self.vault_key, TreeId::Settings, SETTINGS_KEY, &record),
        }
    }

    fn update_settings(&mut self, change: impl FnOnce(&mut SettingsRecord)) -> Result<(), VaultError> {
        let mut settings = self.load_settings()?;
        change(&mut settings);
        self.store_settings(&settings)
    }

    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<(), VaultError> {
        self.update_settings(|s| s.insert(name, SettingValue::Text(value.to_owned())))
    }

    /// A plain setting's value; `None` if unset or if it is a secret.
    pub fn setting(&self, name: &str) -> Result<Option<String>, VaultError> {
        Ok(match self.load_settings()?.values.get(name) {
            Some(SettingValue::Text(value)) => Some(value.clone()),
            _ => None,
        })
    }

    pub fn set_secret(&mut self, name: &str, value: &SecretString) -> Result<(), VaultError> {
        self.update_settings(|s| s.insert(name, SettingValue::Secret(value.expose_secret().to_owned())))
    }

    /// A secret setting's value; `None` if unset or if it is a plain setting.
    pub fn secret(&self, name: &str) -> Result<Option<SecretString>, VaultError> {
        Ok(match self.load_settings()?.values.get(name) {
            Some(SettingValue::Secret(value)) => Some(SecretString::from(value.clone())),
            _ => None,
        })
    }

    /// Removes a setting; returns whether it existed.
    pub fn remove_setting(&mut self, name: &str) -> Result<bool, VaultError> {
        let mut existed = false;
        self.update_settings(|s| {
            if let Some(mut old) = s.values.remove(name) {
                old.zeroize();
                existed = true;
            }
        })?;
        Ok(existed)
    }

    /// Names of all settings, in order, with whether each is a secret.
    pub fn setting_names(&self) -> Result<Vec<SettingName>, VaultError> {
        Ok(self
            .load_settings()?
            .values
            .iter()
            .map(|(name, value)| SettingName {
                name: name.clone(),
                secret: matches!(value, SettingValue::Secret(_)),
            })
            .collect())
    }
}

impl Vault {
    /// The settings names the current record holds (if it opens), and the
    /// change that replaces it with the protective settings kept in the
    /// state. `None` when there is nothing to replace.
    pub(crate) fn settings_fallback(&self) -> Result<Option<(Vec<String>, Change)>, VaultError> {
        let exists = self
            .records
            .get(TreeId::Settings, super::records::SETTINGS_KEY)?
            .is_some();
        let protective = self.records.state().map(|s| s.protective).unwrap_or_default();
        if !exists && protective.is_empty() {
            return Ok(None);
        }
        let names = self
            .setting_names()
            .map(|names| names.into_iter().map(|n| n.name).collect())
            .unwrap_or_default();
        Ok(Some((names, self.settings_record_change(&protective))))
    }
}
