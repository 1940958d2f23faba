//! The user's own age identity file, for vaults protected by a key the user
//! already has (`sotto init --identity FILE`) instead of a passphrase.
//!
//! Three shapes are accepted, as the `age` CLI accepts them: a plain file of
//! `AGE-SECRET-KEY-1…` lines, such a file encrypted with a passphrase (binary
//! or armored age), and plugin identities (`AGE-PLUGIN-…`, e.g. a YubiKey),
//! which run the plugin binary and talk to the user on the terminal.

use std::io::Read;
use std::path::{Path, PathBuf};

use age::cli_common::UiCallbacks;
use secrecy::SecretString;
use zeroize::Zeroizing;

/// Identity files larger than this are refused (age's own limit is 16 MiB;
/// a real identity file is a few hundred bytes).
const MAX_IDENTITY_FILE_BYTES: u64 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserIdentityKind {
    /// `AGE-SECRET-KEY-1…` lines in the clear.
    Plain,
    /// An age file encrypted with a passphrase, holding identity lines.
    PassphraseEncrypted,
    /// At least one `AGE-PLUGIN-…` identity, served by an age plugin binary.
    Plugin,
}

impl UserIdentityKind {
    pub fn describe(self) -> &'static str {
        match self {
            UserIdentityKind::Plain => "plain age key file",
            UserIdentityKind::PassphraseEncrypted => "passphrase-protected age key file",
            UserIdentityKind::Plugin => "age plugin identity",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserIdentityError {
    #[error("the identity file '{}' does not exist", .0.display())]
    Missing(PathBuf),
    #[error("the identity file '{}' cannot be read: {}", .0.display(), .1)]
    Unreadable(PathBuf, String),
    #[error("the identity file '{}' is not an age identity file: {}", .0.display(), .1)]
    Invalid(PathBuf, String),
    #[error("the identity file '{}' holds no identities", .0.display())]
    Empty(PathBuf),
    #[error("the identity file '{}' is passphrase-protected; a passphrase is needed", .0.display())]
    PassphraseRequired(PathBuf),
    #[error("the passphrase for the identity file '{}' is wrong", .0.display())]
    WrongPassphrase(PathBuf),
    #[error("the identity file '{}' cannot give its recipients: {}", .0.display(), .1)]
    Recipients(PathBuf, String),
}

/// A user identity file, read (and decrypted when it was encrypted), ready to
/// decrypt and to name its recipients. The identity text is kept zeroized and
/// parsed on demand because age's parsed form cannot be borrowed as identities.
pub struct UserIdentity {
    path: PathBuf,
    kind: UserIdentityKind,
    text: Zeroizing<Vec<u8>>,
}

fn read_bounded(path: &Path) -> Result<Zeroizing<Vec<u8>>, UserIdentityError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => UserIdentityError::Missing(path.to_owned()),
        _ => UserIdentityError::Unreadable(path.to_owned(), e.to_string()),
    })?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_IDENTITY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| UserIdentityError::Unreadable(path.to_owned(), e.to_string()))?;
    if bytes.len() as u64 > MAX_IDENTITY_FILE_BYTES {
        return Err(UserIdentityError::Invalid(
            path.to_owned(),
            "it is larger than 1 MiB".into(),
        ));
    }
    Ok(bytes)
}

fn is_age_file(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/") || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// Whether opening `path` needs a passphrase, without asking for one.
pub fn needs_passphrase(path: &Path) -> Result<bool, UserIdentityError> {
    Ok(is_age_file(&read_bounded(path)?))
}

impl UserIdentity {
    /// Reads and parses `path`, decrypting it with `passphrase` when it is an
    /// encrypted identity file.
    pub fn load(path: &Path, passphrase: Option<&SecretString>) -> Result<Self, UserIdentityError> {
        let bytes = read_bounded(path)?;
        let (kind, text) = if is_age_file(&bytes) {
            let passphrase = passphrase.ok_or_else(|| UserIdentityError::PassphraseRequired(path.to_owned()))?;
            (
                UserIdentityKind::PassphraseEncrypted,
                decrypt_with_passphrase(path, &bytes, passphrase)?,
            )
        } else {
            (UserIdentityKind::Plain, bytes)
        };
        let has_plugin = text.split(|b| *b == b'\n').any(|line| line.starts_with(b"AGE-PLUGIN-"));
        let kind = if has_plugin { UserIdentityKind::Plugin } else { kind };
        let identity = UserIdentity {
            path: path.to_owned(),
            kind,
            text,
        };
        // Parse once now so a malformed file is reported at load, not later.
        let file = identity.parse()?;
        let mut recipients = Vec::new();
        file.write_recipients_file(&mut recipients).or_else(|e| match e {
            age::IdentityFileConvertError::IdentityFileContainsPlugin { .. } => Ok(()),
            age::IdentityFileConvertError::NoIdentities { .. } => Err(UserIdentityError::Empty(path.to_owned())),
            other => Err(UserIdentityError::Invalid(path.to_owned(), other.to_string())),
        })?;
        Ok(identity)
    }

    fn parse(&self) -> Result<age::IdentityFile<UiCallbacks>, UserIdentityError> {
        age::IdentityFile::from_buffer(self.text.as_slice())
            .map(|file| file.with_callbacks(UiCallbacks))
            .map_err(|e| UserIdentityError::Invalid(self.path.clone(), e.to_string()))
    }

    pub fn kind(&self) -> UserIdentityKind {
        self.kind
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The identities to decrypt with. A plugin identity whose plugin binary is
    /// not installed is an error that names the plugin.
    pub fn identities(&self) -> Result<Vec<Box<dyn age::Identity>>, UserIdentityError> {
        self.parse()?.into_identities().map_err(|e| match e {
            age::DecryptError::MissingPlugin { binary_name } => UserIdentityError::Recipients(
                self.path.clone(),
                format!("the age plugin '{binary_name}' is not installed or not on PATH"),
            ),
            other => UserIdentityError::Invalid(self.path.clone(), other.to_string()),
        })
    }

    /// The recipients matching these identities (plugin recipients ask the plugin).
    pub fn recipients(&self) -> Result<Vec<Box<dyn age::Recipient + Send>>, UserIdentityError> {
        self.parse()?.to_recipients().map_err(|e| match e {
            age::EncryptError::MissingPlugin { binary_name } => UserIdentityError::Recipients(
                self.path.clone(),
                format!("the age plugin '{binary_name}' is not installed or not on PATH"),
            ),
            other => UserIdentityError::Recipients(self.path.clone(), other.to_string()),
        })
    }
}

fn decrypt_with_passphrase(
    path: &Path,
    bytes: &[u8],
    passphrase: &SecretString,
) -> Result<Zeroizing<Vec<u8>>, UserIdentityError> {
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    identity.set_max_work_factor(super::KdfCost::MAX_ACCEPTED_LOG_N);
    let armored = age::armor::ArmoredReader::new(bytes);
    let decryptor =
        age::Decryptor::new(armored).map_err(|e| UserIdentityError::Invalid(path.to_owned(), e.to_string()))?;
    if !decryptor.is_scrypt() {
        return Err(UserIdentityError::Invalid(
            path.to_owned(),
            "it is an age file encrypted to a recipient, not with a passphrase".into(),
        ));
    }
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                UserIdentityError::WrongPassphrase(path.to_owned())
            }
            other => UserIdentityError::Invalid(path.to_owned(), other.to_string()),
        })?;
    let mut text = Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut text)
        .map_err(|e| UserIdentityError::Invalid(path.to_owned(), e.to_string()))?;
    Ok(text)
}
