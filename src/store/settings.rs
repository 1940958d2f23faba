//! Settings: one sealed map under the vault key, holding plain values and
//! secrets (API keys). Secrets come back only as `SecretString`, and the map is
//! zeroized when dropped.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::error::VaultError;
use super::records::{SETTINGS_KEY, TreeId, open_value, seal_value};
use super::vault::Vault;

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

impl Drop for SettingsRecord {
    fn drop(&mut self) {
        for value in self.values.values_mut() {
            match value {
                SettingValue::Text(v) | SettingValue::Secret(v) => v.zeroize(),
            }
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
        let sealed = seal_value(&self.vault_key, TreeId::Settings, SETTINGS_KEY, settings);
        self.records.put(TreeId::Settings, SETTINGS_KEY, sealed)?;
        self.records.flush()
    }

    fn update_settings(&mut self, change: impl FnOnce(&mut SettingsRecord)) -> Result<(), VaultError> {
        let mut settings = self.load_settings()?;
        change(&mut settings);
        self.store_settings(&settings)
    }

    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<(), VaultError> {
        self.update_settings(|s| {
            s.values.insert(name.to_owned(), SettingValue::Text(value.to_owned()));
        })
    }

    /// A plain setting's value; `None` if unset or if it is a secret.
    pub fn setting(&self, name: &str) -> Result<Option<String>, VaultError> {
        Ok(match self.load_settings()?.values.get(name) {
            Some(SettingValue::Text(value)) => Some(value.clone()),
            _ => None,
        })
    }

    pub fn set_secret(&mut self, name: &str, value: &SecretString) -> Result<(), VaultError> {
        self.update_settings(|s| {
            s.values
                .insert(name.to_owned(), SettingValue::Secret(value.expose_secret().to_owned()));
        })
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
        self.update_settings(|s| existed = s.values.remove(name).is_some())?;
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
