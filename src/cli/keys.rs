//! `sotto key set|remove|list`: API keys for `openai` backends, kept
//! encrypted in the vault instead of in the config file. A key is read
//! without echo at the terminal, or from the first line of stdin in scripts,
//! and is never printed back.

use std::io::{IsTerminal, Read};

use clap::Subcommand;
use secrecy::SecretString;

use super::unlock::open_vault;
use super::{CliError, Context, exit};
use crate::config::{self, BackendSpec, KeySource};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Store the API key of backend NAME in the vault (typed without echo, or read from stdin)
    Set { name: String },
    /// Remove the stored API key of backend NAME
    Remove { name: String },
    /// List the backends whose keys are stored (names only, never keys)
    List,
}

pub(crate) fn run(context: &Context, command: &KeyCommand) -> Result<u8, CliError> {
    let config = context.load_config()?;
    match command {
        KeyCommand::Set { name } => {
            let backend = config.backend(name)?;
            let BackendSpec::OpenAi(spec) = &backend.spec else {
                return Err(CliError::Input(format!(
                    "backend '{name}' is the built-in bot, which needs no API key"
                )));
            };
            if spec.key != KeySource::VaultOrNone {
                eprintln!(
                    "sotto: warning: backend '{name}' takes its key from api_key_env or api_key_command in the \
                     config, so the key stored now is used only once you remove that setting"
                );
            }
            let key = read_key(name)?;
            let mut vault = open_vault(context)?;
            vault.set_secret(&config::vault_key_name(name), &key)?;
            say!("Stored the API key of backend '{name}' in the vault, encrypted.");
            Ok(exit::OK)
        }
        KeyCommand::Remove { name } => {
            let mut vault = open_vault(context)?;
            if vault.remove_setting(&config::vault_key_name(name))? {
                say!("Removed the API key of backend '{name}' from the vault.");
                Ok(exit::OK)
            } else {
                Err(CliError::Input(format!(
                    "the vault holds no API key for backend '{name}'"
                )))
            }
        }
        KeyCommand::List => {
            let vault = open_vault(context)?;
            let names: Vec<String> = vault
                .setting_names()?
                .into_iter()
                .filter_map(|s| {
                    s.name
                        .strip_prefix("backend.")
                        .and_then(|rest| rest.strip_suffix(".api_key"))
                        .map(str::to_owned)
                })
                .collect();
            if names.is_empty() {
                say!("The vault holds no API keys.");
            }
            for name in names {
                say!("{name}");
            }
            Ok(exit::OK)
        }
    }
}

fn read_key(name: &str) -> Result<SecretString, CliError> {
    let key = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key of backend '{name}': "))
            .map_err(|e| CliError::Input(format!("cannot read the key: {e}")))?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .map_err(|e| CliError::Input(format!("cannot read the key from stdin: {e}")))?;
        text
    };
    let key = zeroize::Zeroizing::new(key);
    let line = key.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return Err(CliError::Input("the key is empty; nothing was stored".into()));
    }
    Ok(SecretString::from(line.to_owned()))
}
