//! Whole, small age files in memory: the one place sotto turns bytes into an
//! age file and back (wrapped keys, the vault identity, failed-attempt entries).

use std::io::{Read, Write};

use age::x25519;
use zeroize::Zeroizing;

/// Runs `encryptor` over `plaintext`, giving a binary age file.
pub(crate) fn encrypt(encryptor: age::Encryptor, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .expect("invariant: writing to a Vec cannot fail");
    writer
        .write_all(plaintext)
        .and_then(|()| writer.finish().map(|_| ()))
        .expect("invariant: writing to a Vec cannot fail");
    out
}

/// The encryptor for one X25519 recipient.
pub(crate) fn to_recipient(recipient: &x25519::Recipient) -> age::Encryptor {
    age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .expect("invariant: a single X25519 recipient is always a valid recipient set")
}

/// Decrypts a whole (small) age file with one identity.
pub(crate) fn decrypt(sealed: &[u8], identity: &dyn age::Identity) -> Result<Zeroizing<Vec<u8>>, age::DecryptError> {
    let decryptor = age::Decryptor::new_buffered(sealed)?;
    let mut reader = decryptor.decrypt(std::iter::once(identity))?;
    let mut plaintext = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plaintext)?;
    Ok(plaintext)
}
