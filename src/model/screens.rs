//! The full screens and their forms: welcome (create a vault), unlock,
//! working, choosing a backend. Passphrase fields are zeroized when dropped
//! and never appear in `Debug` output.

use secrecy::SecretString;
use zeroize::Zeroize;

/// Wrong passphrases allowed at the unlock screen before sotto exits.
pub const MAX_UNLOCK_TRIES: u32 = 3;

/// Which full screen is shown.
#[derive(Debug)]
pub enum Screen {
    /// First run: what sotto stores and how, then a passphrase twice.
    Welcome(WelcomeForm),
    /// After the vault is created: pick the backend to talk to.
    ChooseBackend {
        selected: usize,
    },
    /// Later runs: the passphrase.
    Unlock(UnlockForm),
    /// Unlocking or creating: scrypt takes a moment. Creating cannot be
    /// interrupted (the vault would be half made); unlocking can.
    Working {
        text: String,
        can_cancel: bool,
    },
    Chat,
}

/// A masked text field for a passphrase.
#[derive(Default)]
pub struct SecretField {
    text: String,
}

impl std::fmt::Debug for SecretField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretField([{} chars])", self.text.chars().count())
    }
}

impl Drop for SecretField {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

impl SecretField {
    pub fn push(&mut self, c: char) {
        if !c.is_control() && self.text.len() < 1024 {
            self.text.push(c);
        }
    }

    pub fn pop(&mut self) {
        self.text.pop();
    }

    pub fn clear(&mut self) {
        self.text.zeroize();
        self.text.clear();
    }

    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn matches(&self, other: &SecretField) -> bool {
        self.text == other.text
    }

    /// A copy for the vault, in a type that zeroizes itself.
    pub fn secret(&self) -> SecretString {
        SecretString::from(self.text.clone())
    }
}

/// The first-run form.
#[derive(Debug, Default)]
pub struct WelcomeForm {
    pub passphrase: SecretField,
    pub confirm: SecretField,
    /// Which field has the cursor: 0 passphrase, 1 confirmation.
    pub focus: usize,
    /// The estimator's verdict on the passphrase as typed.
    pub strength: Option<crate::crypto::passphrase::Strength>,
    pub error: Option<String>,
}

/// The unlock form.
#[derive(Debug, Default)]
pub struct UnlockForm {
    pub passphrase: SecretField,
    pub failures: u32,
    pub error: Option<String>,
    /// Set when the identity is protected by the user's own identity file.
    pub prompt: String,
    /// The vault needs no passphrase (a plain identity file): Enter unlocks.
    pub no_passphrase: bool,
    /// The database is damaged: Enter repairs it (see `StoreJob::Repair`).
    pub repair: bool,
}
