//! Which names are secrets' names: a name counts when it ends in a secret
//! word, so `POSTGRES_PASSWORD` is one and `password_min_length` is not.

/// Words that end a name as a secret: `…_password`, `…Token`, `…-secret`.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "passcode",
    "pwd",
    "pw",
    "pass",
    "pin",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
];

/// Secret words a single-part name may end in (`PGPASSWORD`, `dbsecret`);
/// shorter ones (`pin`, `pass`) end too many ordinary words.
const SECRET_SUFFIXES: &[&str] = &["password", "passwd", "passphrase", "secret", "token"];

/// Words before a final `key` that make it a secret key.
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "client",
    "auth",
    "app",
    "master",
    "signing",
    "encryption",
    "session",
    "account",
    "admin",
    "service",
    "license",
    "sas",
];

/// Whether `name` ends in a secret word: its last part, or its last two
/// parts for `…_key`. Parts split at `_`, `-`, `.`, spaces and camelCase.
pub fn is_secret_name(name: &str) -> bool {
    let parts = name_parts(name);
    let Some(last) = parts.last() else {
        return false;
    };
    if SECRET_WORDS.contains(&last.as_str()) {
        // "pass" alone is too common a word ("bypass", "pass: true" are
        // not); as a name's last part after another part it is a password.
        return last != "pass" || parts.len() > 1 || name.len() == 4;
    }
    if parts.len() == 1
        && SECRET_SUFFIXES
            .iter()
            .any(|s| last.len() > s.len() && last.ends_with(s))
    {
        return true;
    }
    if last == "key" || last == "keys" {
        return parts.len() >= 2 && KEY_QUALIFIERS.contains(&parts[parts.len() - 2].as_str());
    }
    false
}

fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '-' | '.' | ' ') {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// A name must start a word: `mypassword=` is one, `x.password` is one, but
/// the tail of a longer token inside a URL path or a base64 run is not.
pub(super) fn name_starts_a_word(text: &str, at: usize) -> bool {
    !text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '/')
}
