//! What a value is once its name has been found: where it ends (quoted,
//! bare, cut at its separator), whether it is a value at all (not empty, not
//! a stand-in, not a reference to where it comes from), and whether it looks
//! like a secret on its own.

use crate::redact::placeholder::is_placeholder;

/// How far ahead a value's end is looked for before its start has shown
/// it is a value: a run of matches inside one long token (`password=` ten
/// thousand times) would otherwise scan the rest of the text once each.
const SCAN_LIMIT: usize = 512;

/// Where the first `stop` character of `rest` is (or its end). Looks at
/// most [`SCAN_LIMIT`] bytes ahead, and further only when what it has seen
/// so far passes `worth_more` (a long value is still taken whole).
pub(super) fn end_of_value(
    rest: &str,
    stop: impl Fn(char) -> bool,
    worth_more: impl Fn(&str) -> bool,
) -> Option<usize> {
    let mut limit = SCAN_LIMIT.min(rest.len());
    while !rest.is_char_boundary(limit) {
        limit -= 1;
    }
    match rest[..limit].find(&stop) {
        Some(i) => Some(i),
        None if limit == rest.len() => Some(limit),
        None if worth_more(&rest[..limit]) => Some(rest[limit..].find(&stop).map_or(rest.len(), |i| limit + i)),
        None => None,
    }
}

/// The value starting at `at`: quoted (up to its closing quote) or bare (up
/// to whitespace, or to the separator that joined it to what came before:
/// `&` in a query string, `;` in a connection string). `None` when there is
/// no value there, or only a stand-in.
pub(super) fn value_at(text: &str, at: usize, separator: Option<char>) -> Option<(usize, usize)> {
    let rest = &text[at..];
    let first = rest.chars().next()?;
    if matches!(first, '"' | '\'' | '`') {
        return quoted_at(text, at);
    }
    let stop = |c: char| {
        c.is_whitespace()
            || (separator == Some('&') || separator == Some('?')) && matches!(c, '&' | '#')
            || separator == Some(';') && c == ';'
            || matches!(c, '"' | '\'' | '`' | '<' | '>')
    };
    let mut end = end_of_value(rest, stop, is_value)?;
    // A trailing comma or semicolon ends the statement, and a closing bracket
    // with no opening one in the value closes what is around it.
    loop {
        let value = &rest[..end];
        let unbalanced = |open: char, close: char| value.ends_with(close) && !value.contains(open);
        if end > 0
            && (value.ends_with([',', ';']) || unbalanced('(', ')') || unbalanced('[', ']') || unbalanced('{', '}'))
        {
            end -= 1;
        } else {
            break;
        }
    }
    let value = &rest[..end];
    // "credentials: user / password": the part after the slash.
    if let Some(after) = rest[end..].strip_prefix(" / ")
        && let Some((start, len)) = Some((at + end + 3, after.find(char::is_whitespace).unwrap_or(after.len())))
        && len > 0
        && is_value(&after[..len])
    {
        return Some((start, start + len));
    }
    is_value(value).then_some((at, at + end))
}

/// The value inside the quotes that start at `at`, on one line.
pub(super) fn quoted_at(text: &str, at: usize) -> Option<(usize, usize)> {
    let quote = text[at..].chars().next()?;
    let inner = &text[at + quote.len_utf8()..];
    let close = end_of_value(inner, |c| c == quote || c == '\n', is_value)?;
    if close == inner.len() {
        return None;
    }
    if !inner[close..].starts_with(quote) {
        return None;
    }
    let start = at + quote.len_utf8();
    is_value(&inner[..close]).then_some((start, start + close))
}

/// What may be a secret's value: not empty, not a stand-in, not a reference
/// to where the value comes from (a variable, a call, a file), not a state
/// or a type name, and not a private key block (its own detector takes it whole).
pub(super) fn is_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    !value.is_empty()
        && !is_placeholder(value)
        && !value.contains("-----BEGIN")
        && !value.starts_with("[]")
        && !value.ends_with('(')
        && !matches!(
            lower.as_str(),
            "expired"
                | "invalid"
                | "revoked"
                | "pending"
                | "required"
                | "optional"
                | "enabled"
                | "disabled"
                | "missing"
                | "unset"
                | "yes"
                | "no"
                | "on"
                | "off"
                | "valid"
                | "ok"
                | "blank"
                // A type in a signature (`token: str`), not a value.
                | "str"
                | "&str"
                | "string"
                | "bytes"
                | "int"
                | "bool"
                | "secretstr"
                | "secretstring"
        )
        && !lower.starts_with("os.")
        && !lower.starts_with("process.env")
        && !lower.starts_with("env(")
        && !lower.starts_with("$(")
        && !lower.starts_with("std::env")
        && !lower.starts_with("file:")
        && !lower.starts_with("secrets.")
        && !lower.starts_with('(')
        && !lower.starts_with('{')
        && !(value.contains('(') && value.ends_with(')'))
        && !lower.starts_with("string::")
        && !stripe_object_id(value)
}

/// A Stripe object's id (`tok_…`, `cus_…`, `pm_…`): it names a card token,
/// customer or payment method and is useless without the secret key, as a
/// publishable key is public by design.
fn stripe_object_id(value: &str) -> bool {
    value.split_once('_').is_some_and(|(prefix, id)| {
        matches!(prefix, "tok" | "cus" | "pm" | "card" | "ch" | "src" | "ba" | "btok")
            && (14..=32).contains(&id.len())
            && id.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// Looks like a secret on its own: a digit together with letters, or a
/// mix of cases or symbols, and no plain-word shape.
pub(super) fn secret_shaped(token: &str) -> bool {
    let letters = token.chars().any(|c| c.is_alphabetic());
    let digits = token.chars().any(|c| c.is_ascii_digit());
    let upper = token.chars().any(|c| c.is_uppercase());
    let lower = token.chars().any(|c| c.is_lowercase());
    let symbols = token.chars().any(|c| !c.is_alphanumeric()); // Three or more dotted words: a generated passphrase (walnut.rustic.yonder).
    let dotted_words = token.split('.').count() >= 3
        && token
            .split('.')
            .all(|w| !w.is_empty() && w.chars().all(char::is_alphabetic));
    token.chars().count() >= 6
        && ((letters && digits)
            || (upper && lower && token.chars().skip(1).any(char::is_uppercase))
            || (symbols && (digits || letters) && !token.contains('.'))
            || dotted_words)
}
