//! Cryptocurrency addresses: Bitcoin legacy and script addresses checked
//! with Base58Check, SegWit addresses checked with Bech32/Bech32m, and
//! Ethereum addresses (`0x` and 40 hex digits, their EIP-55 checksum checked
//! when they are written in mixed case).

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use super::{Finding, Kind, standalone};

static BASE58: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[13][1-9A-HJ-NP-Za-km-z]{25,34}\b").expect("valid pattern (checked by tests)"));
static BECH32: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:bc|tb)1[02-9ac-hj-np-z]{8,87}\b").expect("valid pattern (checked by tests)")
});
static ETHEREUM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b0x[0-9a-fA-F]{40}\b").expect("valid pattern (checked by tests)"));

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    let candidates = BASE58
        .find_iter(text)
        .filter(|m| base58check(m.as_str()))
        .chain(BECH32.find_iter(text).filter(|m| bech32(m.as_str())))
        .chain(ETHEREUM.find_iter(text).filter(|m| eip55(m.as_str())));
    for m in candidates {
        if standalone(text, m.start(), m.end()) {
            found.push(Finding {
                kind: Kind::CryptoWallet,
                start: m.start(),
                end: m.end(),
            });
        }
    }
}

/// An Ethereum address in one case carries no checksum; in mixed case each
/// letter's case must follow the Keccak-256 of the lower-case address
/// (EIP-55), so a mistyped one is not taken for an address.
fn eip55(value: &str) -> bool {
    use sha3::Digest as _;
    let hex = &value[2..];
    let has_upper = hex.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = hex.chars().any(|c| c.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return true;
    }
    let hash = sha3::Keccak256::digest(hex.to_ascii_lowercase().as_bytes());
    hex.chars().enumerate().all(|(i, c)| {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        !c.is_ascii_alphabetic() || c.is_ascii_uppercase() == (nibble >= 8)
    })
}

const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A Base58Check string of 25 bytes whose last 4 are the double SHA-256 of the rest.
fn base58check(value: &str) -> bool {
    let mut bytes: Vec<u8> = Vec::new();
    for c in value.bytes() {
        let Some(digit) = ALPHABET.iter().position(|&a| a == c) else {
            return false;
        };
        let mut carry = digit as u32;
        for b in bytes.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = value.bytes().take_while(|&c| c == b'1').count();
    let mut decoded = vec![0u8; zeros];
    decoded.extend(bytes);
    if decoded.len() != 25 {
        return false;
    }
    let (payload, checksum) = decoded.split_at(21);
    let digest = Sha256::digest(Sha256::digest(payload));
    &digest[..4] == checksum
}

/// A Bech32 (BIP 173) or Bech32m (BIP 350) string with a valid checksum.
fn bech32(value: &str) -> bool {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    if value.chars().any(|c| c.is_ascii_uppercase()) && value.chars().any(|c| c.is_ascii_lowercase()) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let Some(separator) = lower.rfind('1') else {
        return false;
    };
    let (hrp, data) = (&lower[..separator], &lower[separator + 1..]);
    if data.len() < 6 {
        return false;
    }
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    for c in data.bytes() {
        match CHARSET.iter().position(|&x| x == c) {
            Some(v) => values.push(v as u8),
            None => return false,
        }
    }
    let polymod = values.iter().fold(1u32, |chk, &v| {
        let top = chk >> 25;
        let mut chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, generator) in [0x3b6a_57b2u32, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
            .iter()
            .enumerate()
        {
            if (top >> i) & 1 == 1 {
                chk ^= generator;
            }
        }
        chk
    });
    polymod == 1 || polymod == 0x2bc8_30a3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        crate::redact::found_by(detect, text)
            .into_iter()
            .map(|(_, value)| value)
            .collect()
    }

    #[test]
    fn valid_addresses_of_each_kind_are_found() {
        for address in [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe",
        ] {
            assert_eq!(found(&format!("send to {address} now")), [address], "{address}");
        }
    }

    #[test]
    fn a_changed_character_breaks_the_checksum() {
        for text in [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr",
        ] {
            assert_eq!(found(text), Vec::<String>::new(), "{text}");
        }
    }
}
