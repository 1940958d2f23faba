//! The vault identity: a standard age X25519 identity that every data key is
//! wrapped to, and how it is protected at rest.
//!
//! On disk it is `identity.age`, an age file whose plaintext is exactly what
//! `age-keygen` writes. Protected by a passphrase it is an scrypt-encrypted age
//! file, so `age -d -i identity.age` works with the stock `age` CLI. Protected
//! by the user's own identity (a key file or a hardware plugin) it is an age
//! file encrypted to that identity's recipients. Either way the vault identity
//! can be rotated without the user's passphrase or key changing, which is what
//! makes wipe cryptographic.

use std::fmt;
use std::io::Read;

use age::x25519;
use hmac::Mac;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use zeroize::Zeroizing;

use super::keys::DataKey;
use crate::time::Timestamp;

/// The scrypt work factor (`N = 2^log_n`) that protects a passphrase-protected
/// identity. The library takes it as a parameter so tests can use a cheap one;
/// the command line always uses [`KdfCost::DEFAULT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfCost {
    log_n: u8,
}

impl KdfCost {
    /// What new vaults get: `N = 2^18`, 256 MiB of memory, measured at about
    /// 0.6 s to unlock on the reference machine (BENCHMARKS.md). Chosen
    /// explicitly, never by age's auto-calibration (which picked 2^20, 1 GiB
    /// and over 2 s there).
    pub const DEFAULT: KdfCost = KdfCost { log_n: 18 };

    /// The highest work factor accepted when opening an identity file. It bounds
    /// the memory and time a tampered file can demand (2^22 is 4 GiB), and
    /// matches the stock `age` CLI's own limit.
    pub const MAX_ACCEPTED_LOG_N: u8 = 22;

    pub fn from_log_n(log_n: u8) -> Result<Self, IdentityError> {
        if (1..=Self::MAX_ACCEPTED_LOG_N).contains(&log_n) {
            Ok(KdfCost { log_n })
        } else {
            Err(IdentityError::WorkFactorOutOfRange { log_n })
        }
    }

    pub fn log_n(self) -> u8 {
        self.log_n
    }

    /// Memory scrypt needs at this cost (128 · r · N bytes, r = 8).
    pub fn memory_bytes(self) -> u64 {
        128 * 8 * (1u64 << self.log_n)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    #[error("none of the given identities can open it")]
    NoMatchingIdentity,
    #[error("it is not passphrase-protected, but a passphrase was given")]
    NotPassphraseProtected,
    #[error("it is passphrase-protected; a passphrase is needed")]
    PassphraseRequired,
    #[error("its scrypt work factor 2^{log_n} is outside the accepted range 2^1..2^22")]
    WorkFactorOutOfRange { log_n: u8 },
    #[error("it is not a readable age file ({0})")]
    Unreadable(String),
    #[error("it does not hold exactly one age secret key (AGE-SECRET-KEY-1...)")]
    NoSecretKey,
    #[error("{0}")]
    Plugin(String),
}

/// The comment line that marks an identity whose vault authenticates every
/// wrapped key (format 2). It lives inside the encrypted identity file, the
/// one place an attacker who can write the data directory cannot edit, so a
/// wrapped key without a tag cannot be slipped in by claiming an older format.
const AUTHENTICATED_KEYS_MARK: &str = "# sotto vault format: 2 (wrapped keys authenticated)";

/// What the HMAC key for wrapped keys is derived for (HKDF info).
const WRAP_MAC_INFO: &[u8] = b"sotto/wrapped-key-mac/v1";

/// What the key of the startup record is derived for (HKDF info).
const STARTUP_RECORD_INFO: &[u8] = b"sotto/startup-record/v1";

/// The vault's own age X25519 identity. Zeroized on drop; never printed.
pub struct VaultIdentity {
    age: x25519::Identity,
    /// The key that authenticates wrapped data keys: derived from the secret
    /// key, so only the identity's holder can make a tag (the recipient is
    /// public, so anyone can make an age file to it).
    wrap_mac_key: SecretBox<[u8; 32]>,
    /// An identity from before wrapped keys were authenticated (format 1):
    /// its vault is migrated by a rotation at the next unlock that can make
    /// a new identity. It accepts only untagged wrapped keys.
    legacy: bool,
}

impl fmt::Debug for VaultIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VaultIdentity({} [secret redacted])", self.age.to_public())
    }
}

impl VaultIdentity {
    pub fn generate() -> Self {
        Self::from_age(x25519::Identity::generate(), false)
    }

    fn from_age(age: x25519::Identity, legacy: bool) -> Self {
        let secret = age.to_string();
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, secret.expose_secret().as_bytes());
        let wrap_mac_key = SecretBox::init_with_mut(|key: &mut [u8; 32]| {
            hkdf.expand(WRAP_MAC_INFO, key)
                .expect("invariant: 32 bytes is a valid HKDF-SHA256 output length")
        });
        VaultIdentity {
            age,
            wrap_mac_key,
            legacy,
        }
    }

    pub fn recipient(&self) -> x25519::Recipient {
        self.age.to_public()
    }

    pub(crate) fn age(&self) -> &x25519::Identity {
        &self.age
    }

    /// The same identity, marked as the current format (for tests).
    #[cfg(test)]
    pub(crate) fn current_format(&self) -> Self {
        VaultIdentity {
            age: self.age.clone(),
            wrap_mac_key: SecretBox::init_with_mut(|key: &mut [u8; 32]| {
                key.copy_from_slice(self.wrap_mac_key.expose_secret())
            }),
            legacy: false,
        }
    }

    /// The same identity as a format-1 one would be (for tests of migration).
    #[cfg(test)]
    pub(crate) fn into_legacy(mut self) -> Self {
        self.legacy = true;
        self
    }

    /// Whether this identity comes from a vault made before wrapped keys were
    /// authenticated (see `legacy`).
    pub fn is_legacy(&self) -> bool {
        self.legacy
    }

    /// The HMAC-SHA256 of `parts` under this identity's wrapped-key MAC key.
    pub(crate) fn wrap_mac(&self) -> hmac::Hmac<sha2::Sha256> {
        <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(self.wrap_mac_key.expose_secret())
            .expect("invariant: HMAC takes a key of any length")
    }

    /// The key that seals the startup record (`store::startup_record`): it
    /// must open before the database does, so it cannot be wrapped inside
    /// it. Derived from the secret key like the wrapped-key MAC key, so only
    /// the identity's holder can make a record that opens, and a rotation
    /// (rekey, wipe, new recovery key) leaves every older record unreadable.
    pub(crate) fn startup_record_key(&self) -> DataKey {
        let secret = self.age.to_string();
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, secret.expose_secret().as_bytes());
        DataKey::derived(|key| {
            hkdf.expand(STARTUP_RECORD_INFO, key)
                .expect("invariant: 32 bytes is a valid HKDF-SHA256 output length")
        })
    }

    /// The identity in the text format `age-keygen` writes, with the mark of
    /// the vault format it belongs to as a comment (which age ignores).
    fn to_identity_file_text(&self, created: Timestamp) -> Zeroizing<String> {
        let secret = self.age.to_string();
        let mark = if self.legacy {
            String::new()
        } else {
            format!("{AUTHENTICATED_KEYS_MARK}\n")
        };
        Zeroizing::new(format!(
            "# created: {}\n# public key: {}\n{mark}{}\n",
            created.to_rfc3339(),
            self.age.to_public(),
            secret.expose_secret()
        ))
    }

    /// Parses the text format `age-keygen` writes: comments and exactly one key.
    fn from_identity_file_text(text: &str) -> Result<Self, IdentityError> {
        let mut keys = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'));
        let key = keys.next().ok_or(IdentityError::NoSecretKey)?;
        if keys.next().is_some() {
            return Err(IdentityError::NoSecretKey);
        }
        let legacy = !text.lines().any(|line| line.trim() == AUTHENTICATED_KEYS_MARK);
        key.parse::<x25519::Identity>()
            .map(|age| Self::from_age(age, legacy))
            .map_err(|_| IdentityError::NoSecretKey)
    }

    /// `identity.age` protected by a passphrase at the given scrypt cost.
    pub fn seal_with_passphrase(&self, passphrase: &SecretString, cost: KdfCost, created: Timestamp) -> Vec<u8> {
        let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
        recipient.set_work_factor(cost.log_n);
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("invariant: a lone scrypt recipient is a valid recipient set");
        super::age_file::encrypt(encryptor, self.to_identity_file_text(created).as_bytes())
    }

    /// `identity.age` encrypted to the user's own identity's recipients.
    pub fn seal_to_recipients(
        &self,
        recipients: &[Box<dyn age::Recipient + Send>],
        created: Timestamp,
    ) -> Result<Vec<u8>, IdentityError> {
        let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient))
            .map_err(|e| IdentityError::Plugin(e.to_string()))?;
        Ok(super::age_file::encrypt(
            encryptor,
            self.to_identity_file_text(created).as_bytes(),
        ))
    }

    /// Opens a passphrase-protected `identity.age`.
    pub fn open_with_passphrase(sealed: &[u8], passphrase: &SecretString) -> Result<Self, IdentityError> {
        let log_n = scrypt_work_factor(sealed).ok_or(IdentityError::NotPassphraseProtected)?;
        KdfCost::from_log_n(log_n)?;
        let mut identity = age::scrypt::Identity::new(passphrase.clone());
        identity.set_max_work_factor(KdfCost::MAX_ACCEPTED_LOG_N);
        let text = super::age_file::decrypt(sealed, &identity).map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => IdentityError::WrongPassphrase,
            other => IdentityError::Unreadable(other.to_string()),
        })?;
        Self::from_utf8_identity_file(&text)
    }

    /// Opens an `identity.age` encrypted to the user's own identities.
    pub fn open_with_identities(sealed: &[u8], identities: &[Box<dyn age::Identity>]) -> Result<Self, IdentityError> {
        if scrypt_work_factor(sealed).is_some() {
            return Err(IdentityError::PassphraseRequired);
        }
        let decryptor = age::Decryptor::new_buffered(sealed).map_err(|e| IdentityError::Unreadable(e.to_string()))?;
        let mut reader = decryptor
            .decrypt(identities.iter().map(|i| i.as_ref()))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => IdentityError::NoMatchingIdentity,
                age::DecryptError::MissingPlugin { binary_name } => IdentityError::Plugin(format!(
                    "the age plugin '{binary_name}' is not installed or not on PATH"
                )),
                age::DecryptError::Plugin(errors) => {
                    IdentityError::Plugin(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
                }
                other => IdentityError::Unreadable(other.to_string()),
            })?;
        let mut text = Zeroizing::new(Vec::new());
        reader
            .read_to_end(&mut text)
            .map_err(|e| IdentityError::Unreadable(e.to_string()))?;
        Self::from_utf8_identity_file(&text)
    }

    fn from_utf8_identity_file(text: &[u8]) -> Result<Self, IdentityError> {
        let text = std::str::from_utf8(text).map_err(|_| IdentityError::NoSecretKey)?;
        Self::from_identity_file_text(text)
    }
}

/// The scrypt work factor of a passphrase-encrypted binary age file, read from
/// its header (`-> scrypt <salt> <log_n>`), or `None` when the file is not
/// passphrase-encrypted.
pub fn scrypt_work_factor(sealed: &[u8]) -> Option<u8> {
    let header_end = sealed
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(sealed.len().min(4096));
    let header = std::str::from_utf8(&sealed[..header_end]).ok()?;
    let mut lines = header.lines();
    if lines.next()? != "age-encryption.org/v1" {
        return None;
    }
    lines.find_map(|line| {
        let mut parts = line.split(' ');
        match (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("->"), Some("scrypt"), Some(_salt), Some(log_n), None) => log_n.parse().ok(),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> KdfCost {
        KdfCost::from_log_n(4).unwrap()
    }

    #[test]
    fn passphrase_protected_identity_opens_with_the_passphrase_only() {
        let identity = VaultIdentity::generate();
        let pass = SecretString::from("correct horse battery staple".to_owned());
        let sealed = identity.seal_with_passphrase(&pass, cheap(), Timestamp::now());
        assert_eq!(scrypt_work_factor(&sealed), Some(4));
        let opened = VaultIdentity::open_with_passphrase(&sealed, &pass).unwrap();
        assert_eq!(opened.recipient().to_string(), identity.recipient().to_string());
        let wrong = SecretString::from("incorrect horse".to_owned());
        assert!(matches!(
            VaultIdentity::open_with_passphrase(&sealed, &wrong),
            Err(IdentityError::WrongPassphrase)
        ));
    }

    #[test]
    fn identity_text_is_what_age_keygen_writes() {
        let identity = VaultIdentity::generate();
        let text = identity.to_identity_file_text(Timestamp::now());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("# created: "));
        assert_eq!(lines[1], format!("# public key: {}", identity.recipient()));
        assert_eq!(lines[2], AUTHENTICATED_KEYS_MARK);
        assert!(lines[3].starts_with("AGE-SECRET-KEY-1"));
        let back = VaultIdentity::from_identity_file_text(&text).unwrap();
        assert_eq!(back.recipient().to_string(), identity.recipient().to_string());
        assert!(!back.is_legacy());
    }

    #[test]
    fn an_identity_file_without_the_format_mark_is_legacy() {
        let identity = VaultIdentity::generate();
        let text = identity.to_identity_file_text(Timestamp::now());
        let old: String = text
            .lines()
            .filter(|l| *l != AUTHENTICATED_KEYS_MARK)
            .map(|l| format!("{l}\n"))
            .collect();
        let back = VaultIdentity::from_identity_file_text(&old).unwrap();
        assert!(back.is_legacy());
        // Same secret, same MAC key: the mark changes what is accepted, not the key.
        assert_eq!(
            back.wrap_mac().finalize().into_bytes(),
            identity.wrap_mac().finalize().into_bytes()
        );
    }

    #[test]
    fn a_work_factor_beyond_the_limit_is_refused_before_any_work() {
        let identity = VaultIdentity::generate();
        let pass = SecretString::from("pass".to_owned());
        let mut sealed = identity.seal_with_passphrase(&pass, cheap(), Timestamp::now());
        // Rewrite the header's work factor from 4 to 40: a hostile file asking for 2^40.
        let pos = sealed.windows(3).position(|w| w == b" 4\n").unwrap();
        sealed.splice(pos..pos + 3, b" 40\n".iter().copied());
        assert!(matches!(
            VaultIdentity::open_with_passphrase(&sealed, &pass),
            Err(IdentityError::WorkFactorOutOfRange { log_n: 40 })
        ));
    }

    #[test]
    fn debug_shows_only_the_public_key() {
        let identity = VaultIdentity::generate();
        let debug = format!("{identity:?}");
        assert!(debug.contains(&identity.recipient().to_string()));
        assert!(!debug.contains("AGE-SECRET-KEY"));
    }
}
