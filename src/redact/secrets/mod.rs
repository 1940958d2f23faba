//! Secrets named by their context (`SECRET`): a value whose shape says
//! nothing, but whose name does. `password=…`, `"auth_token": "…"`,
//! `DB_PASSWORD: …`, `--token …`, `Password=…;` in a connection string,
//! `setPassword("…")`, "my password is …", a Password column of a Markdown
//! table, and the short flags of the tools people paste (`mysql -p…`,
//! `docker login -p …`, `redis-cli -a …`, `curl -u user:…`, `pass:…`). The
//! value is withheld whatever its shape, short ones included: a user who
//! types a password means it. A name counts only when it *ends* in a secret
//! word (`POSTGRES_PASSWORD`, `client_secret`, `X-API-Key`), so
//! `password_min_length` and `TOKEN_EXPIRY_MINUTES` are settings, not
//! secrets; empty values, placeholders and references to a variable or a
//! file are not values.

mod markdown_table;
mod names;
mod not_values;
mod patterns;
mod prose;
mod values;

use super::placeholder::is_placeholder;
use super::{Finding, Kind};
use markdown_table::markdown_table_values;
pub use names::is_secret_name;
use names::name_starts_a_word;
use patterns::{
    ASSIGNMENT, CALL, CONFIG_SET, HTPASSWD, LONG_FLAG, NAME_IS, NAMED_AFTER, PROSE, TOOL_FLAG, TYPE_ANNOTATION,
};
use prose::{owner_before, prose_value_at, value_before};
use values::{is_value, quoted_at, secret_shaped, value_at};

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    // A match inside the value the same pattern took last (`password=` in
    // a long value) is part of that value, not one more to look at: every
    // pass skips it, so a long run costs one scan, not one per match.
    let mut mine: Vec<Finding> = Vec::new();
    let push = |mine: &mut Vec<Finding>, start: usize, end: usize| {
        if end > start {
            mine.push(Finding {
                kind: Kind::Secret,
                start,
                end,
            });
        }
    };
    let claimed = |mine: &[Finding], pass: usize| mine[pass..].last().map_or(0, |f| f.end);
    // Plain matches: assignments are everywhere in logs and configs, and
    // the name and separator are read back from the match itself.
    for whole in ASSIGNMENT.find_iter(text) {
        if whole.start() < claimed(&mine, 0) {
            continue;
        }
        let matched = whole.as_str();
        let name_len = matched
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .unwrap_or(matched.len());
        let name = &matched[..name_len];
        if !is_secret_name(name) || !name_starts_a_word(text, whole.start()) {
            continue;
        }
        // `key: value` in prose and YAML, `key=value` anywhere; a colon right
        // after a URL scheme or a Windows drive is not an assignment.
        let operator = matched[name_len..].trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | ']' | ' ' | '\t'));
        if operator == ":" && text[whole.end()..].starts_with("//") {
            continue;
        }
        let separator = text[..whole.start()].chars().next_back();
        if let Some((start, end)) = value_at(text, whole.end(), separator) {
            push(&mut mine, start, end);
        } else if operator == ":"
            && let Some(typed) = TYPE_ANNOTATION.find(&text[whole.end()..])
            && let Some((start, end)) = value_at(text, whole.end() + typed.end(), Some('='))
        {
            // `const SIGNING_SECRET: &str = "…"`: the value after the type.
            push(&mut mine, start, end);
        }
    }
    let pass = mine.len();
    for c in CALL.captures_iter(text) {
        if c.get(0).is_some_and(|m| m.start() < claimed(&mine, pass)) {
            continue;
        }
        let name = c.get(1).expect("group 1 always matches");
        let whole = c.get(0).expect("group 0 always matches");
        // After a bare name and a comma (`cfg.auth_token, "…"`) the
        // string may be anything, a message included: only a secret-shaped
        // one is the value.
        let call = text[name.end()..].starts_with('(');
        let quoted_name = text[..name.start()].ends_with(['"', '\'']);
        if is_secret_name(name.as_str())
            && name_starts_a_word(text, name.start())
            && let Some((start, end)) = quoted_at(text, whole.end() - 1)
            && (call || quoted_name || (secret_shaped(&text[start..end]) && !text[start..end].contains(' ')))
        {
            push(&mut mine, start, end);
        }
    }
    let pass = mine.len();
    for c in LONG_FLAG.captures_iter(text) {
        if c.get(0).is_some_and(|m| m.start() < claimed(&mine, pass)) {
            continue;
        }
        let name = c.get(1).expect("group 1 always matches");
        let whole = c.get(0).expect("group 0 always matches");
        if is_secret_name(name.as_str())
            && let Some((start, end)) = value_at(text, whole.end(), Some(' '))
            && !text[start..end].starts_with('-')
        {
            push(&mut mine, start, end);
        }
    }
    let pass = mine.len();
    for c in TOOL_FLAG.captures_iter(text) {
        if c.get(0).is_some_and(|m| m.start() < claimed(&mine, pass)) {
            continue;
        }
        if let Some(value) = c.iter().skip(1).flatten().next()
            && !is_placeholder(value.as_str())
        {
            push(&mut mine, value.start(), value.end());
        }
    }
    for c in CONFIG_SET.captures_iter(text) {
        let (name, value) = (c.get(1).expect("group 1"), c.get(2).expect("group 2"));
        let setting = name.as_str().rsplit([':', '/']).next().unwrap_or("");
        if is_secret_name(setting) && is_value(value.as_str()) {
            push(&mut mine, value.start(), value.end());
        }
    }
    for c in HTPASSWD.captures_iter(text) {
        let flags = &c[1];
        let arguments = c.get(2).expect("group 2 always matches");
        let batch = flags.split_whitespace().any(|f| f.contains('b'));
        // `-n` prints instead of writing a file: user and password only.
        let wanted = if flags.split_whitespace().any(|f| f.contains('n')) {
            2
        } else {
            3
        };
        let words: Vec<(usize, &str)> = arguments
            .as_str()
            .split_whitespace()
            .map(|w| (arguments.start() + arguments.as_str().find(w).unwrap_or(0), w))
            .collect();
        if batch
            && words.len() >= wanted
            && let Some(&(start, value)) = words.get(wanted - 1)
            && is_value(value)
        {
            push(&mut mine, start, start + value.len());
        }
    }
    let pass = mine.len();
    for c in PROSE.captures_iter(text) {
        if c.get(0).is_some_and(|m| m.start() < claimed(&mine, pass)) {
            continue;
        }
        let m = c.get(0).expect("group 0 always matches");
        let filler = c.name("for").is_some() || c.name("who").is_some();
        if let Some((start, end)) = prose_value_at(text, m.start(), m.end(), filler) {
            push(&mut mine, start, end);
        }
    }
    let pass = mine.len();
    for c in NAME_IS.captures_iter(text) {
        if c.get(0).is_some_and(|m| m.start() < claimed(&mine, pass)) {
            continue;
        }
        let name = c.get(1).expect("group 1 always matches");
        let whole = c.get(0).expect("group 0 always matches");
        if name.as_str().contains(['_', '-', '.'])
            && is_secret_name(name.as_str())
            && name_starts_a_word(text, name.start())
            && let Some((start, end)) = prose_value_at(text, whole.start(), whole.end(), false)
        {
            push(&mut mine, start, end);
        }
    }
    let pass = mine.len();
    for m in NAMED_AFTER.find_iter(text) {
        if let Some(owner) = owner_before(text, m.start())
            && let Some((start, end)) = value_before(text, owner)
            && start >= claimed(&mine, pass)
        {
            push(&mut mine, start, end);
        }
    }
    markdown_table_values(text, &mut |start, end| push(&mut mine, start, end));
    found.extend(mine);
}

#[cfg(test)]
mod tests;
