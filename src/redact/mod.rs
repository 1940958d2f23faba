//! Data minimisation: finding personal data and secrets in text before it
//! leaves the machine. [`detect`] is pure: it returns typed spans and never
//! sees anything but the text. Detectors favour validated shapes (Luhn and
//! issuer ranges for cards, mod-97 for IBANs, Base58Check and Bech32 for
//! wallets, `std::net` parsing for IPs, JSON inside JWTs, fixed vendor
//! prefixes for keys) so that ordinary prose (prices, dates, versions, order
//! numbers, UUIDs, hashes, ISBNs, arithmetic) stays untouched.
//!
//! Every pattern is a `regex` (linear time, no backtracking), so no input can
//! make detection run long.

mod cards;
mod contact;
pub mod egress;
#[cfg(test)]
mod evaluation;
mod keyblocks;
pub mod mask;
mod network;
mod people;
mod phones;
mod placeholder;
mod secrets;
mod tokens;
mod url_context;
mod wallets;

use std::fmt;

/// What kind of data a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Email,
    Phone,
    CreditCard,
    Iban,
    UsSsn,
    IpAddress,
    UrlCredentials,
    /// A value identified by its own shape: a provider's token prefix, a
    /// JWT, an `Authorization` header's value.
    ApiKey,
    /// A value identified only by its context: `password=…`, `--token …`,
    /// "my password is …", whatever its shape.
    Secret,
    /// A private key block (PEM, OpenSSH, PGP) or an age secret key.
    PrivateKey,
    CryptoWallet,
    /// A person's name after a clear cue ("my name is", "Dear", a signature).
    PersonName,
    /// A street address after a clear cue ("ship to", "I live at", …).
    StreetAddress,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Email,
        Kind::Phone,
        Kind::CreditCard,
        Kind::Iban,
        Kind::UsSsn,
        Kind::IpAddress,
        Kind::UrlCredentials,
        Kind::ApiKey,
        Kind::Secret,
        Kind::PrivateKey,
        Kind::CryptoWallet,
        Kind::PersonName,
        Kind::StreetAddress,
    ];

    /// The name used in placeholders, JSON and reports (`EMAIL`, `API_KEY`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::CreditCard => "CREDIT_CARD",
            Kind::Iban => "IBAN",
            Kind::UsSsn => "US_SSN",
            Kind::IpAddress => "IP_ADDRESS",
            Kind::UrlCredentials => "URL_CREDENTIALS",
            Kind::ApiKey => "API_KEY",
            Kind::Secret => "SECRET",
            Kind::PrivateKey => "PRIVATE_KEY",
            Kind::PersonName => "PERSON_NAME",
            Kind::StreetAddress => "STREET_ADDRESS",
            Kind::CryptoWallet => "CRYPTO_WALLET",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding: its kind and its byte range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Everything in `text` that should not leave the machine, in order, without
/// overlaps (where two detectors claim the same text, the longer finding
/// wins, then the one that starts first).
pub fn detect(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    keyblocks::detect(text, &mut found);
    tokens::detect(text, &mut found);
    secrets::detect(text, &mut found);
    network::detect(text, &mut found);
    contact::detect(text, &mut found);
    // Cards before phones: a 12-digit Maestro number is both shapes, and of
    // two findings of one length the earlier-detected wins.
    cards::detect(text, &mut found);
    phones::detect(text, &mut found);
    wallets::detect(text, &mut found);
    people::detect(text, &mut found);
    resolve_overlaps(found)
}

/// Compiles every detector's patterns and loads the phone numbering plans
/// (about 80 ms, once per process), so that the first message checked does
/// not wait for them. The TUI calls it on a background thread at start.
pub fn warm_up() {
    let sample = "call +44 20 7946 0958 or 020 7946 0958, mail jane@example.org, token=abc123def, \
                  my name is Jane Doe, ship to 10 Downing Street, London";
    let _ = detect(sample);
}

/// How far back a detector looks for the start of a line, field or token.
/// Every finding's context is read within this window: without it, one
/// megabyte on a single line made each candidate scan back to the start.
const LOOK_BEHIND: usize = 1024;

/// The byte just after the last character of `text` that `pred` accepts,
/// looking at most [`LOOK_BEHIND`] bytes back (where the window starts when
/// none does, 0 for a shorter text): a character boundary even when that
/// character is wider than one byte (U+00A0, U+3000, U+FFFD).
fn after_last(text: &str, pred: impl Fn(char) -> bool) -> usize {
    let mut floor = text.len().saturating_sub(LOOK_BEHIND);
    while !text.is_char_boundary(floor) {
        floor += 1;
    }
    text[floor..]
        .char_indices()
        .rev()
        .find(|&(_, c)| pred(c))
        .map_or(floor, |(i, c)| floor + i + c.len_utf8())
}

fn resolve_overlaps(mut found: Vec<Finding>) -> Vec<Finding> {
    found.sort_by(|a, b| (b.end - b.start).cmp(&(a.end - a.start)).then(a.start.cmp(&b.start)));
    // Kept findings by start; they never overlap, so the one starting last
    // before a candidate's end is the only one that can overlap it.
    let mut kept: std::collections::BTreeMap<usize, Finding> = std::collections::BTreeMap::new();
    for finding in found {
        let overlaps = kept
            .range(..finding.end)
            .next_back()
            .is_some_and(|(_, k)| k.end > finding.start);
        if !overlaps {
            kept.insert(finding.start, finding);
        }
    }
    kept.into_values().collect()
}

/// What one detector finds in `text`, as kinds and values (for its tests).
#[cfg(test)]
pub(crate) fn found_by(detector: fn(&str, &mut Vec<Finding>), text: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    detector(text, &mut out);
    out.into_iter()
        .map(|f| (f.kind, text[f.start..f.end].to_owned()))
        .collect()
}

/// Whether the bytes around `start..end` are not letters or digits, so a
/// match is a whole token and not part of a longer word.
pub(crate) fn standalone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The header line of the Markdown table whose row starts at `line_start`,
/// if that line is a table row.
pub(crate) fn table_header(text: &str, line_start: usize) -> Option<&str> {
    if !text[line_start..].starts_with('|') {
        return None;
    }
    text[..line_start]
        .lines()
        .rev()
        .take_while(|l| l.trim_start().starts_with('|'))
        .last()
}

/// The lowercase text of up to `chars` characters before byte `at`, for
/// context words ("ssn", "call me").
pub(crate) fn context_before(text: &str, at: usize, chars: usize) -> String {
    let before = &text[..at];
    let start = before
        .char_indices()
        .rev()
        .nth(chars.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    before[start..].to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        detect(text)
            .into_iter()
            .map(|f| (f.kind, &text[f.start..f.end]))
            .collect()
    }

    #[test]
    fn overlapping_claims_keep_the_longest() {
        // The URL credentials contain something email-like; one finding remains.
        let text = "clone https://alice:s3cr3t-Pa55@git.example.com/repo";
        assert_eq!(kinds(text), [(Kind::UrlCredentials, "alice:s3cr3t-Pa55")]);
    }

    #[test]
    fn ordinary_prose_is_left_alone() {
        for text in [
            "The order #100234567 shipped on 2024-03-15 at 14:30 for $1,299.99.",
            "Upgrade from v1.2.3 to version 2.10.0; see commit 3f2a9c1e8b7d6f5a4c3b2a1908f7e6d5c4b3a291.",
            "Ticket INC0012345, ISBN 978-3-16-148410-0, id 123e4567-e89b-12d3-a456-426614174000.",
            "1234 + 5678 = 6912, and 12 * 12 = 144. Call extension 4021 at 9:45.",
        ] {
            assert_eq!(kinds(text), [], "{text}");
        }
    }

    #[test]
    fn a_wide_separator_right_before_a_finding_is_a_boundary_not_a_panic() {
        // Found by the fuzz target: the byte after a three-byte dash or space
        // was taken as the start of the next word.
        for text in [
            "—192.168.1.20",
            "v\u{3000}192.168.1.20",
            "mail\u{3000}jane.doe@example.org",
            "\u{FFFD}jane.doe@example.org",
        ] {
            let found = detect(text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
        }
    }

    #[test]
    fn every_kind_has_a_name_that_round_trips() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
    }
}

#[cfg(test)]
mod properties {
    //! No input makes detection panic or return a bad span: random mixes of
    //! the characters detectors care about, at random lengths.

    use rand::{Rng, SeedableRng};

    use super::*;

    const PIECES: &[&str] = &[
        "@",
        ".",
        ":",
        "-",
        " ",
        "+",
        "(",
        ")",
        "/",
        "0",
        "1",
        "4",
        "9",
        "a",
        "Z",
        "x",
        "é",
        "漢",
        "👨‍👩‍👧",
        "\n",
        "-----BEGIN RSA PRIVATE KEY-----",
        "eyJ",
        "sk-",
        "AKIA",
        "ghp_",
        "bc1",
        "0x",
        "GB82",
        "://",
        "[EMAIL_1]",
        "=",
        "password=",
        "\u{0}",
        "\u{1b}",
        "\u{202e}",
    ];

    #[test]
    fn random_text_never_panics_and_spans_are_ordered_char_boundaries() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..3_000 {
            let len = rng.gen_range(0..120);
            let text: String = (0..len).map(|_| PIECES[rng.gen_range(0..PIECES.len())]).collect();
            let findings = detect(&text);
            let mut last_end = 0;
            for f in &findings {
                assert!(f.start < f.end && f.start >= last_end, "{f:?} in {text:?}");
                assert!(
                    text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
                    "{f:?} in {text:?}"
                );
                last_end = f.end;
            }
        }
    }

    #[test]
    fn masking_then_unmasking_gives_the_text_back() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..1_000 {
            let len = rng.gen_range(0..60);
            let text: String = (0..len).map(|_| PIECES[rng.gen_range(0..PIECES.len())]).collect();
            // Text that already holds a placeholder-looking string cannot
            // round-trip by design (it would be read as a placeholder).
            if text.contains("[EMAIL_") {
                continue;
            }
            let mut map = mask::RedactionMap::default();
            let masked = map.mask(&text);
            // Replies leave placeholders inside URLs; masking itself gives
            // everything back.
            assert_eq!(map.unmask_everywhere(&masked.text), text);
        }
    }

    #[test]
    fn a_megabyte_of_adversarial_input_is_handled() {
        // Long runs of what patterns start with: linear-time regexes make
        // these as cheap as any text (the benchmark has the figures).
        for piece in [
            "a@",
            "1 ",
            "0x",
            "-----BEGIN RSA PRIVATE KEY-----",
            "eyJ.",
            "+1 ",
            "::",
            "sk-",
        ] {
            let text = piece.repeat(1_000_000 / piece.len());
            let _ = detect(&text);
        }
    }
}
