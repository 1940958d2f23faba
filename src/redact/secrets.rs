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

use std::sync::LazyLock;

use regex::Regex;

use super::placeholder::is_placeholder;
use super::{Finding, Kind};

/// A name, then an assignment; the value starts at the end of the match.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"[A-Za-z_][A-Za-z0-9_.\-]{0,63}["'`]?\]?[ \t]*(?::=|=>|=|:)[ \t]*"#)
        .expect("the assignment pattern is valid (checked by tests)")
});

/// A type annotation between a name and its value: `&str = `,
/// `&'static str = `, `Option<String> = `.
static TYPE_ANNOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^&?(?:'static[ \t]+)?[A-Za-z_][A-Za-z0-9_:<>]{0,40}[ \t]*=[ \t]*")
        .expect("the type annotation pattern is valid (checked by tests)")
});

/// A name, then a call or an argument list with the value quoted after it:
/// `sessionSecret("…")`, `Setenv("AWS_SECRET_ACCESS_KEY", "…")`,
/// `assert_eq!(config.auth_token, "…")`.
static CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_][A-Za-z0-9_.\-]{0,63})(?:\(\s*|["']?\s*,\s*)["']"#)
        .expect("the call pattern is valid (checked by tests)")
});

/// `--password X`, `--token=X`: the flag's name is group 1.
static LONG_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s)--([a-z][a-z0-9\-]{1,40})(?:=|\s+)").expect("the flag pattern is valid (checked by tests)")
});

/// Short flags and forms of common tools whose argument is a password: the
/// value is group 1.
static TOOL_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
          \b(?:mysql|mariadb|mysqldump|mysqladmin)\b[^\n]*?\s-p([^\s'"-][^\s'"]*)          # mysql -pSECRET
        | \b(?:(?:docker|podman|nerdctl|oras)\s+login|helm\s+(?:registry\s+)?login|sshpass|sqlcmd)\b[^\n]*?\s-[pP]\s+['"]?([^\s'"]+)  # docker login -p SECRET
        | \bredis-cli\b[^\n]*?\s-a\s+['"]?([^\s'"]+)                                  # redis-cli -a SECRET
        | \b(?:curl|wget|http)\b[^\n]*?\s(?:-u|--user)\s+['"]?[^\s:'"]+:([^\s'"@]+)  # curl -u user:SECRET
        | \s-pass(?:in|out)?\s+pass:([^\s'"]+)                                        # openssl -passout pass:SECRET
        | /user:\S+\s+([^\s/]+)                                                       # net use … /user:DOMAIN\me SECRET
        | \bgh\s+secret\s+set\s+\S+\s+(?:--body|-b)[=\s]\s*['"]?([^\s'"]+)               # gh secret set NAME --body SECRET
        "#,
    )
    .expect("the tool flag pattern is valid (checked by tests)")
});

/// `aws configure set aws_secret_access_key …`, `npm config set
/// //registry/:_authToken …`: the setting's name is group 1, its value
/// group 2.
static CONFIG_SET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u:\b)config(?:ure)?[ \t]+set[ \t]+([^\s='"]+)[ \t]+['"]?([^\s'"]+)"#)
        .expect("the config-set pattern is valid (checked by tests)")
});

/// `htpasswd` with its flags and arguments: with `-b` the password is the
/// last argument.
static HTPASSWD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)htpasswd((?:[ \t]+-[A-Za-z]+)+)((?:[ \t]+[^\s\-][^\s]*){2,3})")
        .expect("the htpasswd pattern is valid (checked by tests)")
});

/// A secret word in prose, then a few words, then the value: the value
/// starts at the end of the match.
static PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?ix)
        \b(?:password|passwort|kennwort|mot\ de\ passe|contrase[ñn]a|senha|wachtwoord|passwd|passphrase|passcode|pwd|pw|pass|pin|secret|token|api[\ _\-]?key|access[\ _\-]key|secret[\ _\-]key|client[\ _\-]secret|credentials?)
        (?P<for>\ (?:for|of|on)\ (?:[a-z0-9.\-]+\ ){0,2}[a-z0-9.\-]+)?         # the password for the radius server
        (?P<who>\ (?:they|we|you|i|he|she|it)\ [a-z]+(?:\ [a-z]+)?)?              # the key they gave us
        (?:\ (?:is|was|=|:|->|lautet|ist|est|es|é|now\ is|is\ now|should\ be|would\ be|will\ be|became|to))?
        \ +["'`]?"#,
    )
    .expect("the prose pattern is valid (checked by tests)")
});

/// A password named after its value: "hunter2 is my password", "it's
/// bramble6946 or something else, my password i mean".
static NAMED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:password|passphrase|passcode|pin)(?-u:\b)")
        .expect("the named-after pattern is valid (checked by tests)")
});

/// What comes between such a value and the words that name it.
const BETWEEN_VALUE_AND_NAME: &[&str] = &[
    " is",
    " was",
    " =",
    " or something else,",
    " or something else",
    " or so,",
];

/// A secret's *name* in prose, then "is": `aws_secret_access_key is …`.
static NAME_IS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_][A-Za-z0-9_.\-]{2,63})\ (?:is|was|lautet|est)\ +["'`]?"#)
        .expect("the name-is pattern is valid (checked by tests)")
});

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

/// Words that follow "password is" without being the password.
const NOT_VALUES: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "was",
    "wrong",
    "incorrect",
    "invalid",
    "correct",
    "right",
    "empty",
    "blank",
    "missing",
    "required",
    "not",
    "too",
    "same",
    "different",
    "expired",
    "reset",
    "changed",
    "set",
    "stored",
    "saved",
    "fine",
    "ok",
    "okay",
    "working",
    "broken",
    "short",
    "long",
    "weak",
    "strong",
    "case",
    "in",
    "on",
    "at",
    "for",
    "of",
    "to",
    "being",
    "still",
    "now",
    "also",
    "just",
    "my",
    "your",
    "our",
    "their",
    "his",
    "her",
    "this",
    "that",
    "it",
    "and",
    "or",
    "but",
    "because",
    "as",
    "what",
    "which",
    "who",
    "how",
    "when",
    "where",
    "why",
    "there",
    "here",
    "none",
    "null",
    "hidden",
    "encrypted",
    "masked",
    "redacted",
    "field",
    "manager",
    "policy",
    "rotation",
    "reset",
    "prompt",
    "dialog",
    "box",
    "change",
    "length",
    "requirements",
    "expires",
    "expiry",
    "stored",
    "sent",
    "used",
    "with",
    "by",
    "from",
    "into",
    "should",
    "would",
    "will",
    "can",
    "cannot",
    "can't",
    "doesn't",
    "does",
    "do",
    "did",
    "has",
    "have",
    "had",
    "be",
    "been",
    "if",
    "then",
    "so",
    "please",
    "thanks",
    "again",
    "anymore",
    "yet",
    "every",
    "each",
    "all",
    "any",
    "some",
    "no",
    "yes",
    "only",
    "first",
    "last",
    "next",
    "old",
    "new",
    "current",
    "temporary",
    "temp",
    "one",
    "two",
    "generated",
    "created",
    "rotated",
    "revoked",
    "leaked",
    "exposed",
    "compromised",
    "shared",
    "attached",
    "below",
    "above",
    "here's",
    "itself",
    "rejected",
    "accepted",
    "denied",
    "refused",
    "complexity",
    "strength",
    "hash",
    "history",
    "entry",
    "check",
    "validation",
    "update",
    "login",
    "attempt",
    "attempts",
    "input",
    "requirement",
    "too.",
    "again.",
    "expired.",
];

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
fn name_starts_a_word(text: &str, at: usize) -> bool {
    !text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '/')
}

/// How far ahead a value's end is looked for before its start has shown
/// it is a value: a run of matches inside one long token (`password=` ten
/// thousand times) would otherwise scan the rest of the text once each.
const SCAN_LIMIT: usize = 512;

/// Where the first `stop` character of `rest` is (or its end). Looks at
/// most [`SCAN_LIMIT`] bytes ahead, and further only when what it has seen
/// so far passes `worth_more` (a long value is still taken whole).
fn end_of_value(rest: &str, stop: impl Fn(char) -> bool, worth_more: impl Fn(&str) -> bool) -> Option<usize> {
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
fn value_at(text: &str, at: usize, separator: Option<char>) -> Option<(usize, usize)> {
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
fn quoted_at(text: &str, at: usize) -> Option<(usize, usize)> {
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
fn is_value(value: &str) -> bool {
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

/// The value after a secret word in prose, when the word is followed by a
/// value rather than more prose: right after "is"/":"/"=" anything but a
/// common word; with no such verb, only something secret-shaped.
fn prose_value_at(text: &str, word_start: usize, at: usize, filler: bool) -> Option<(usize, usize)> {
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
fn owner_before(text: &str, word: usize) -> Option<usize> {
    let mut at = word;
    for _ in 0..2 {
        let before = text[..at].strip_suffix([' ', '\t'])?.trim_end_matches([' ', '\t']);
        let start = super::after_last(before, |c| !c.is_ascii_alphabetic());
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
fn value_before(text: &str, name_start: usize) -> Option<(usize, usize)> {
    let line_start = super::after_last(&text[..name_start], |c| c == '\n');
    let before = text[line_start..name_start].trim_end();
    let link = BETWEEN_VALUE_AND_NAME.iter().find(|link| {
        before.len() >= link.len()
            && before.is_char_boundary(before.len() - link.len())
            && before[before.len() - link.len()..].eq_ignore_ascii_case(link)
    })?;
    let head = &before[..before.len() - link.len()];
    let quoted = &head[super::after_last(head, char::is_whitespace)..];
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

/// Looks like a secret on its own: a digit together with letters, or a
/// mix of cases or symbols, and no plain-word shape.
fn secret_shaped(token: &str) -> bool {
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

/// Cells of a Markdown table's column whose header is a secret's name.
fn markdown_table_values(text: &str, push: &mut impl FnMut(usize, usize)) {
    let mut offset = 0;
    let mut column: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('|') && trimmed.ends_with('|') {
            let cells = table_cells(line, offset);
            if trimmed.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
                // The separator row keeps the column found in the header.
            } else if column.is_none() {
                column = cells.iter().position(|(s, e)| is_secret_name(text[*s..*e].trim()));
                if column.is_none() {
                    column = Some(usize::MAX);
                }
            } else if let Some(i) = column.filter(|i| *i != usize::MAX)
                && let Some((s, e)) = cells.get(i)
            {
                let cell = &text[*s..*e];
                let value = cell.trim().trim_matches('`');
                if is_value(value) {
                    let start = s + cell.find(value).unwrap_or(0);
                    push(start, start + value.len());
                }
            }
        } else {
            column = None;
        }
        offset += line.len();
    }
}

/// The byte ranges of a table row's cells, between its pipes.
fn table_cells(line: &str, offset: usize) -> Vec<(usize, usize)> {
    let pipes: Vec<usize> = line.match_indices('|').map(|(i, _)| i).collect();
    pipes.windows(2).map(|w| (offset + w[0] + 1, offset + w[1])).collect()
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

    #[test]
    fn names_that_end_in_a_secret_word_are_secret_names() {
        for name in [
            "password",
            "POSTGRES_PASSWORD",
            "sessionSecret",
            "auth_token",
            "X-API-Key",
            "SMTP_PASS",
            "secret_access_key",
            "client_secret",
            "gpgPassphrase",
            "Pwd",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "password_min_length",
            "TOKEN_EXPIRY_MINUTES",
            "password_hash",
            "max_tokens",
            "key_prefix",
            "password-file",
            "bypass",
            "key",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn values_named_by_their_context_are_found_whatever_their_shape() {
        for (text, value) in [
            ("password=falcon8203 result=fail", "falcon8203"),
            ("  POSTGRES_PASSWORD: v#$fQ1Xl5ngkG&NZ\n", "v#$fQ1Xl5ngkG&NZ"),
            (r#"{"auth_token": "c824fd14-a458-416e"}"#, "c824fd14-a458-416e"),
            ("User ID=app;Password=HdOTvXOq0D;Encrypt=True", "HdOTvXOq0D"),
            ("https://x/feed?apikey=mvlcn/HrFI&format=rss", "mvlcn/HrFI"),
            ("pin: 818612", "818612"),
            ("passphrase: 1234", "1234"),
            (r#"builder.sessionSecret("j$N&O&Fiu$4I").build()"#, "j$N&O&Fiu$4I"),
            ("./deploy.sh --token 29dad3d24c67 --env prod", "29dad3d24c67"),
            ("mysql -u root -pS3cr3t! shop", "S3cr3t!"),
            ("docker login -u deploy -p a2bf98f0 registry", "a2bf98f0"),
            ("my password is changeme", "changeme"),
            ("the passphrase for the key is Pa55word.", "Pa55word"),
            ("username is frontdesk, password 'test123' (sorry)", "test123"),
            ("try logging in with admin / password 914970 lmk", "914970"),
            ("password pw was rejected as 'too weak'", "pw"),
            ("the database password pw doesn't work from the new server", "pw"),
            (
                "i can't remember if it's bramble6946 or something else, my password i mean",
                "bramble6946",
            ),
            ("hunter2! is my password", "hunter2!"),
            (
                "const SIGNING_SECRET: &str = \"qtWhbm7qV8oJjumlS\";",
                "qtWhbm7qV8oJjumlS",
            ),
            (
                "assert_eq!(cfg.twilio_auth_token, \"f7799f62f5a3dd5d426966a08ef906de\");",
                "f7799f62f5a3dd5d426966a08ef906de",
            ),
            (
                "aws configure set aws_secret_access_key oRI/ZabHYEhsuGB02PSOHj1ilbFXbuxTCzuzOwSj",
                "oRI/ZabHYEhsuGB02PSOHj1ilbFXbuxTCzuzOwSj",
            ),
            ("npm config set //registry.npmjs.org/:_authToken npm_Zr0x8", "npm_Zr0x8"),
            ("htpasswd -b -c .htpasswd admin violet2876", "violet2876"),
            ("htpasswd -nb admin violet2876", "violet2876"),
            ("gh secret set DEPLOY_KEY --body \"kP9x2mQ7\"", "kP9x2mQ7"),
            ("POSTGRES_PASSWORD: secret", "secret"),
        ] {
            assert_eq!(found(text), [value], "{text}");
        }
    }

    #[test]
    fn settings_empty_values_and_references_are_not_secrets() {
        for text in [
            "password_min_length: 9\ntoken_ttl: 86400",
            "PASSWORD_RESET_TIMEOUT=3600",
            r#"{"secret": "", "user": "admin"}"#,
            "db_password: ${API_KEY}",
            r#"password = os.environ["DB_PASSWORD"]"#,
            "const apiKey = process.env.API_KEY;",
            "backup --password-file /run/secrets/backup_pw",
            "the password field is empty in the config",
            "where do I find my API key in the dashboard?",
            "tokens used: 30953, remaining: 40732",
            "secret := os.Getenv(\"CLIENT_SECRET\")",
            r#"{"secret": "$TOKEN", "user": "app"}"#,
            r#"{"password": "\u2026", "user": "app"}"#,
            "passwd --expire bob",
            "card=5419 5375 9423 3475 token=tok_cvkw0Mf5xwo0TR",
            "log.warn(password, \"Enter your password again\")",
            "the password complexity is not met",
            "htpasswd -c .htpasswd admin",
        ] {
            assert_eq!(found(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn a_password_column_of_a_markdown_table_is_withheld() {
        let table = "| host | user | Password |\n|---|:---|---:|\n| nas | app | EA8uXaIQcn8s= |\n";
        assert_eq!(found(table), ["EA8uXaIQcn8s="]);
    }
}
