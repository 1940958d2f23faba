//! Secrets named in prose: the value after "my password is", the value
//! before "is my password", and the words around them that say whether what
//! follows is a value or more prose.

use super::names::name_starts_a_word;
use super::not_values::NOT_VALUES;
use super::values::{end_of_value, is_value, quoted_at, secret_shaped};
use crate::redact::after_last;

/// What comes between such a value and the words that name it.
const BETWEEN_VALUE_AND_NAME: &[&str] = &[
    " is",
    " was",
    " =",
    " or something else,",
    " or something else",
    " or so,",
];

/// The value after a secret word in prose, when the word is followed by a
/// value rather than more prose: right after "is"/":"/"=" anything but a
/// common word; with no such verb, only something secret-shaped.
pub(super) fn prose_value_at(text: &str, word_start: usize, at: usize, filler: bool) -> Option<(usize, usize)> {
    // Not when the word is part of a name (handled as an assignment), or
    // itself the value of one (`method=password`).
    if !name_starts_a_word(text, word_start) || text[..word_start].ends_with(['=', ':']) {
        return None;
    }
    let lead = &text[word_start..at];
    let quoted = lead.ends_with(['"', '\'', '`']);
    if quoted {
        return quoted_at(text, at - 1);
    }
    let rest = &text[at..];
    let end = end_of_value(
        rest,
        |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>'),
        is_value,
    )?;
    let mut token = &rest[..end];
    // Sentence punctuation after the value is not part of it.
    token = token.trim_end_matches(['.', ',', ';', '!', '?', ')', ':']);
    if token.is_empty()
        || NOT_VALUES.contains(&token.to_ascii_lowercase().as_str())
        || !is_value(token)
        || token.contains('=') && !token.ends_with('=')
        || looks_like_address(token)
    {
        return None;
    }
    // "user / password": the part after the slash is the secret.
    let after = &rest[token.len()..];
    if let Some(slashed) = after.strip_prefix(" / ").or_else(|| after.strip_prefix('/'))
        && let Some(end) = Some(slashed.find(char::is_whitespace).unwrap_or(slashed.len()))
        && end > 0
    {
        let start = at + token.len() + (after.len() - slashed.len());
        let value = slashed[..end].trim_end_matches(['.', ',', ';', '!', '?', ')']);
        if is_value(value) {
            return Some((start, start + value.len()));
        }
    }
    // A command's flag (`passwd --expire bob`) is not a value.
    if token.starts_with('-') && token.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        return None;
    }
    let words: Vec<String> = lead
        .to_ascii_lowercase()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    // A password or PIN of digits ("password 914970"); and whatever the
    // sentence goes on to judge ("password pw was rejected").
    let pin_word = words.first().is_some_and(|w| {
        !["token", "secret", "api", "access", "client", "credential"]
            .iter()
            .any(|word| w.starts_with(word))
    });
    let digits = (4..=12).contains(&token.len()) && token.chars().all(|c| c.is_ascii_digit());
    if (pin_word && digits) || judged(&rest[token.len()..]) {
        return Some((at, at + token.len()));
    }
    let verb = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "is" | "was" | "=" | ":" | "->" | "be" | "became" | "lautet" | "ist" | "est" | "es" | "é"
        )
    });
    // More than the word and its verb ("the key they gave us is …"): only
    // something secret-shaped.
    let ok = if verb && !filler { true } else { secret_shaped(token) };
    ok.then_some((at, at + token.len()))
}

/// Where "my", "the", "our" or "your" (and maybe "old", "new",
/// "current") starts right before the secret word at `word`.
pub(super) fn owner_before(text: &str, word: usize) -> Option<usize> {
    let mut at = word;
    for _ in 0..2 {
        let before = text[..at].strip_suffix([' ', '\t'])?.trim_end_matches([' ', '\t']);
        let start = after_last(before, |c| !c.is_ascii_alphabetic());
        let w = before[start..].to_ascii_lowercase();
        if matches!(w.as_str(), "my" | "the" | "our" | "your") {
            return Some(start);
        }
        if !matches!(w.as_str(), "old" | "new" | "current") {
            return None;
        }
        at = start;
    }
    None
}

/// The value right before "is my password" or "or something else, my
/// password": secret-shaped or a run of digits, on the same line.
pub(super) fn value_before(text: &str, name_start: usize) -> Option<(usize, usize)> {
    let line_start = after_last(&text[..name_start], |c| c == '\n');
    let before = text[line_start..name_start].trim_end();
    let link = BETWEEN_VALUE_AND_NAME.iter().find(|link| {
        before.len() >= link.len()
            && before.is_char_boundary(before.len() - link.len())
            && before[before.len() - link.len()..].eq_ignore_ascii_case(link)
    })?;
    let head = &before[..before.len() - link.len()];
    let quoted = &head[after_last(head, char::is_whitespace)..];
    let token = quoted.trim_matches(['"', '\'', '`']);
    let start = line_start + head.len() - quoted.trim_start_matches(['"', '\'', '`']).len();
    let digits = (4..=12).contains(&token.len()) && token.chars().all(|c| c.is_ascii_digit());
    ((secret_shaped(token) || digits) && is_value(token) && !NOT_VALUES.contains(&token.to_ascii_lowercase().as_str()))
        .then_some((start, start + token.len()))
}

/// Whether what follows a value judges it: " was rejected", " is too weak",
/// " isn't accepted", " doesn't work".
fn judged(after: &str) -> bool {
    // Only the next few words: the rest can be the whole paste.
    let after = after.trim_start();
    let mut near = after.len().min(40);
    while !after.is_char_boundary(near) {
        near -= 1;
    }
    let after = &after[..near];
    let lower = after.to_ascii_lowercase();
    if [
        "doesn't work",
        "does not work",
        "didn't work",
        "won't work",
        "stopped working",
        "no longer works",
    ]
    .iter()
    .any(|phrase| lower.starts_with(phrase))
    {
        return true;
    }
    let mut words = after
        .split_whitespace()
        .map(|w| w.trim_end_matches(['.', ',', '!', '?']).to_ascii_lowercase());
    let verb = words.next();
    let verdict = words.next();
    matches!(
        verb.as_deref(),
        Some("was" | "is" | "gets" | "got" | "isn't" | "wasn't")
    ) && matches!(
        verdict.as_deref(),
        Some(
            "rejected"
                | "refused"
                | "denied"
                | "accepted"
                | "wrong"
                | "invalid"
                | "incorrect"
                | "not"
                | "too"
                | "flagged"
                | "blocked"
                | "expired"
        )
    )
}

/// An e-mail address or a URL: another detector's business, not a password.
fn looks_like_address(token: &str) -> bool {
    token.contains("://")
        || token
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
}
