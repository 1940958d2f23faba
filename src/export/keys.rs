//! What an export is encrypted to: the vault owner's lasting key by default
//! (see `store::OwnerKey`), recipients the user names, or a passphrase of
//! its own; and the sentence that tells the user how to open the file.

use secrecy::SecretString;

use super::output::{Encryption, ExportError};
use crate::crypto::KdfCost;
use crate::store::{OwnerKey, Protection, Vault};

/// What protects an export, and how to open it, in a sentence.
pub fn protection_note(encryption: &Encryption, vault: &Vault) -> String {
    match encryption {
        Encryption::Plaintext => {
            "It is plaintext: anyone who can read the file can read your history. Delete it when done.".into()
        }
        Encryption::Passphrase(..) => "It is encrypted with its own passphrase: 'age -d FILE' asks for it.".into(),
        Encryption::Recipients(_) => "It is encrypted to the recipients you gave: 'age -d -i KEY FILE'.".into(),
        Encryption::Owner => match (vault.owner_key(), &vault.manifest().protection) {
            (Some(OwnerKey::Recipients(_)), Protection::IdentityFile { path }) => format!(
                "It is encrypted to your identity file{}: 'age -d -i {} FILE' opens it, also after wipes and rekeys.",
                if vault.has_recovery_key() {
                    " and your recovery key"
                } else {
                    ""
                },
                path.display()
            ),
            _ => "It is encrypted with your vault passphrase as it is now: 'age -d FILE' asks for it and \
                  'sotto import FILE' opens it, also after wipes, rekeys and passphrase changes."
                .into(),
        },
    }
}

/// The age recipients of an export: some made for it, some borrowed from
/// the unlocked vault (the recipients of the user's identity file).
pub(super) struct Keys<'v> {
    made: Vec<Box<dyn age::Recipient + Send>>,
    borrowed: &'v [Box<dyn age::Recipient + Send>],
}

impl Keys<'_> {
    pub(super) fn refs(&self) -> Vec<&dyn age::Recipient> {
        self.borrowed
            .iter()
            .chain(&self.made)
            .map(|r| r.as_ref() as &dyn age::Recipient)
            .collect()
    }
}

fn scrypt_recipient(passphrase: &SecretString, cost: KdfCost) -> Box<dyn age::Recipient + Send> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(cost.log_n());
    Box::new(recipient)
}

/// The age recipients, or `None` for plaintext; checked before anything is written.
pub(super) fn recipients<'v>(vault: &'v Vault, encryption: &Encryption) -> Result<Option<Keys<'v>>, ExportError> {
    let parse = |text: &str| -> Result<Box<dyn age::Recipient + Send>, ExportError> {
        let text = text.trim();
        if let Ok(r) = text.parse::<age::x25519::Recipient>() {
            return Ok(Box::new(r));
        }
        text.parse::<age::ssh::Recipient>()
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|_| ExportError::BadRecipient(text.to_owned()))
    };
    let made = |made| Keys { made, borrowed: &[] };
    Ok(Some(match encryption {
        Encryption::Plaintext => return Ok(None),
        Encryption::Owner => match vault.owner_key().ok_or(ExportError::NoOwnerKey)? {
            OwnerKey::Passphrase { passphrase, cost } => made(vec![scrypt_recipient(passphrase, cost)]),
            OwnerKey::Recipients(borrowed) => Keys {
                // The sealed recovery recipient, never vault.toml's (anyone
                // who can write the data directory could add theirs there).
                made: vault
                    .recovery_recipient()
                    .map(|r| parse(&r))
                    .transpose()?
                    .into_iter()
                    .collect(),
                borrowed,
            },
        },
        Encryption::Recipients(texts) => made(texts.iter().map(|t| parse(t)).collect::<Result<_, _>>()?),
        Encryption::Passphrase(passphrase, cost) => made(vec![scrypt_recipient(passphrase, *cost)]),
    }))
}
