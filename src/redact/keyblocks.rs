//! Private keys (`PRIVATE_KEY`): PEM blocks (RSA, EC, DSA, PKCS#8,
//! encrypted, OpenSSH) and PGP private key blocks, from the BEGIN line to the
//! matching END line, also when pasted inside JSON with `\n` escapes or
//! indented in YAML; and age secret keys (`AGE-SECRET-KEY-1…`). A BEGIN
//! line with no key body after it is a mention, not a key; a block cut off
//! before its END line is still withheld, up to where its body ends. Public
//! keys and certificates are not secrets.

use std::sync::LazyLock;

use regex::Regex;

use super::{Finding, Kind, standalone};

static BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
        .expect("the BEGIN pattern is valid (checked by tests)")
});

static END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----END ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
        .expect("the END pattern is valid (checked by tests)")
});

/// An age X25519 secret key: Bech32, human part `AGE-SECRET-KEY-`.
static AGE_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}")
        .expect("the age secret key pattern is valid (checked by tests)")
});

/// The fewest base64 characters a key body has (the smallest, an Ed25519
/// PKCS#8 key, has 64).
const MIN_BODY: usize = 40;
/// The longest line a key body has (PEM wraps at 64, OpenSSH at 70).
const MAX_BODY_LINE: usize = 1024;

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    // Every END line once, so that many BEGIN lines do not each scan the
    // rest of the text (linear time whatever the input).
    let ends: Vec<(usize, usize, String)> = END
        .captures_iter(text)
        .map(|c| {
            let whole = c.get(0).expect("group 0 always matches");
            (whole.start(), whole.end(), c[1].to_owned())
        })
        .collect();
    for c in BEGIN.captures_iter(text) {
        let whole = c.get(0).expect("group 0 always matches");
        let label = &c[1];
        let next = ends.partition_point(|(start, _, _)| *start < whole.end());
        let matching = ends.get(next).filter(|(_, _, l)| l == label);
        let (body_end, end) = match matching {
            Some((start, end, _)) => (*start, *end),
            None => {
                let body = body_length(&text[whole.end()..]);
                (whole.end() + body, whole.end() + body)
            }
        };
        let body = &text[whole.end()..body_end];
        if base64_chars(body) >= MIN_BODY {
            found.push(Finding {
                kind: Kind::PrivateKey,
                start: whole.start(),
                end,
            });
        }
    }
    for m in AGE_SECRET.find_iter(text) {
        if standalone(text, m.start(), m.end()) {
            found.push(Finding {
                kind: Kind::PrivateKey,
                start: m.start(),
                end: m.end(),
            });
        }
    }
}

fn base64_chars(body: &str) -> usize {
    body.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .count()
}

/// How far a key body runs with no END line: lines of base64 (with header
/// lines such as `Proc-Type:`), as written, also with `\n` escapes, until
/// the first line that is something else. Each line is looked for within
/// `MAX_BODY_LINE` bytes, so the cost is that of the body, not of the text.
fn body_length(rest: &str) -> usize {
    let mut at = 0;
    let mut end = 0;
    while at < rest.len() {
        let window_end = floor_char_boundary(rest, (at + MAX_BODY_LINE + 2).min(rest.len()));
        let window = &rest[at..window_end];
        let (content_len, step) = match (window.find('\n'), window.find("\\n")) {
            (Some(n), Some(e)) if e < n => (e, e + 2),
            (Some(n), _) => (n, n + 1),
            (None, Some(e)) => (e, e + 2),
            (None, None) if window_end == rest.len() => (window.len(), window.len()),
            (None, None) => return end,
        };
        let content = window[..content_len].trim();
        let is_body = content.is_empty()
            || (content.contains(':') && content.len() < 128)
            || content
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='));
        if !is_body {
            return end;
        }
        if !content.is_empty() {
            end = at + window[..content_len].trim_end().len();
        }
        at += step;
    }
    end
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut values: Vec<String> = crate::redact::found_by(detect, text)
            .into_iter()
            .map(|(_, value)| value)
            .collect();
        values.dedup();
        values
    }

    const BODY: &str = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";

    #[test]
    fn a_private_key_block_is_taken_from_begin_to_end() {
        let block = format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{BODY}\n-----END OPENSSH PRIVATE KEY-----");
        assert_eq!(found(&format!("here:\n{block}\nthanks")), std::slice::from_ref(&block));
        let escaped = block.replace('\n', "\\n");
        assert_eq!(found(&format!(r#"{{"key": "{escaped}"}}"#)), [escaped]);
    }

    #[test]
    fn a_block_cut_off_is_withheld_to_the_end_of_its_body() {
        let cut = format!("-----BEGIN RSA PRIVATE KEY-----\n{BODY}\n{BODY}");
        assert_eq!(found(&format!("pasted {cut}\nis that enough?")), [cut]);
    }

    #[test]
    fn a_begin_line_alone_public_keys_and_recipients_are_not_private_keys() {
        for text in [
            "does the file need the -----BEGIN PRIVATE KEY----- line or just the base64?",
            "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
            "my age recipient is age1fyxdrrnhwsktjjt305kc7h62gs7zazdhz209antcurt8yltw3nls020hrt",
        ] {
            assert_eq!(found(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn age_secret_keys_are_private_keys() {
        let key = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
        assert_eq!(found(&format!("identity: {key}")), [key]);
    }
}
