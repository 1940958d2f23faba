//! Where sotto keeps things by default: the data directory (the vault) and the
//! config file, from the platform's conventions (XDG on Linux) via
//! `directories`. `--data-dir`/`SOTTO_DATA_DIR` and `--config`/`SOTTO_CONFIG`
//! override them.

use std::path::PathBuf;

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "sotto")
}

/// `~/.local/share/sotto` on Linux; `None` when no home directory is known.
pub fn default_data_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().to_owned())
}

/// Where an export goes when no file is named: the user's download directory
/// (XDG's `DOWNLOAD`, from `~/.config/user-dirs.dirs`) when it exists, else
/// the home directory; `None` when no home directory is known.
pub fn default_export_dir() -> Option<PathBuf> {
    let user = directories::UserDirs::new()?;
    Some(
        user.download_dir()
            .filter(|dir| dir.is_dir())
            .unwrap_or(user.home_dir())
            .to_owned(),
    )
}

/// `~/.config/sotto/config.toml` on Linux; `None` when no home directory is known.
pub fn default_config_file() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}
