//! Email addresses and US social security numbers.

use std::sync::LazyLock;

use regex::Regex;

use super::{Finding, Kind, context_before, standalone};

/// An address, internationalised ones too (`zoë@bücher.example`).
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[\p{L}\p{N}](?:[\p{L}\p{N}._%+\-]{0,62}[\p{L}\p{N}_%+\-])?@(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,24}",
    )
    .expect("the email pattern is valid (checked by tests)")
});

/// Commands whose `user@host` argument is a login, not an address.
const LOGIN_COMMANDS: &[&str] = &["ssh", "scp", "sftp", "rsync", "mosh", "sshfs", "ssh-copy-id"];

static SSN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{3})([\-. ]?)(\d{2})([\-. ]?)(\d{4})\b").expect("the SSN pattern is valid (checked by tests)")
});

/// Words that name an SSN, compared with the context's letters, digits and
/// `#` only (so `social_security`, `socialSecurityNumber`, `SS_NUMBER` and
/// "SS #" all count).
const SSN_WORDS: &[&str] = &["ssn", "socialsecurity", "ssnumber", "taxpayer", "ss#"];

/// Whether something names an SSN within 40 characters before `at` or in
/// the header of the Markdown table it sits in, or "social" comes right
/// before it.
fn ssn_context(text: &str, at: usize) -> bool {
    let context: String = context_before(text, at, 40)
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '#')
        .collect();
    let line_start = super::after_last(&text[..at], |c| c == '\n');
    let header = super::table_header(text, line_start).map(|h| {
        h.chars()
            .filter(|c| c.is_alphanumeric() || *c == '#')
            .collect::<String>()
            .to_lowercase()
    });
    SSN_WORDS
        .iter()
        .any(|w| context.contains(w) || header.as_ref().is_some_and(|h| h.contains(w)))
        || text[..at].trim_end().to_ascii_lowercase().ends_with("social")
}

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    for m in EMAIL.find_iter(text) {
        let value = m.as_str();
        let local = value.split('@').next().unwrap_or("");
        // A URL's `user:password@` or `//user@` (the URL detector's), a
        // login for ssh or git (`deploy@host`, `git@host:org/repo`), or a
        // local part with a doubled dot: not an address.
        let before = &text[..m.start()];
        let userinfo = (before.ends_with(':') && !before.to_ascii_lowercase().ends_with("mailto:"))
            || before.ends_with("//")
            || (inside_url(text, m.start()) && text[m.end()..].starts_with(':'));
        let git_remote = text[m.end()..].starts_with(':')
            && !text[m.end()..][1..].starts_with(|c: char| c.is_ascii_digit() || c.is_whitespace());
        if local.contains("..") || userinfo || git_remote || after_login_command(text, m.start()) {
            continue;
        }
        if standalone(text, m.start(), m.end()) {
            found.push(Finding {
                kind: Kind::Email,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    for c in SSN.captures_iter(text) {
        let whole = c.get(0).expect("group 0 always matches");
        let (sep1, sep2) = (&c[2], &c[4]);
        // Separators must agree; dashes make the shape an SSN's, any other
        // spelling (dots, spaces, none) needs a context word.
        if sep1 != sep2 {
            continue;
        }
        if sep1 != "-" && !ssn_context(text, whole.start()) {
            continue;
        }
        if valid_ssn(&c[1], &c[3], &c[5]) && standalone(text, whole.start(), whole.end()) {
            found.push(Finding {
                kind: Kind::UsSsn,
                start: whole.start(),
                end: whole.end(),
            });
        }
    }
}

/// The SSA's rules: no area 000, 666 or 900-999, no group 00, no serial
/// 0000, and not the numbers famously printed in advertising.
pub fn valid_ssn(area: &str, group: &str, serial: &str) -> bool {
    let area_n: u32 = area.parse().unwrap_or(0);
    if area_n == 0 || area_n == 666 || area_n >= 900 || group == "00" || serial == "0000" {
        return false;
    }
    !matches!(
        (area, group, serial),
        ("078", "05", "1120") | ("219", "09", "9999") | ("123", "45", "6789")
    )
}

/// Whether a command that takes `user@host` comes earlier on the line.
fn after_login_command(text: &str, at: usize) -> bool {
    let line = &text[super::after_last(&text[..at], |c| c == '\n')..at];
    line.split_whitespace().any(|word| LOGIN_COMMANDS.contains(&word))
}

/// Whether byte `at` is inside a URL (its token has `://` before `at`):
/// then what looks like an address is the URL's `user:password@host`.
fn inside_url(text: &str, at: usize) -> bool {
    let token_start = super::after_last(&text[..at], char::is_whitespace);
    text[token_start..at].contains("://")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Kind, String)> {
        crate::redact::found_by(detect, text)
    }

    #[test]
    fn emails_are_found_whole() {
        assert_eq!(
            found("mail jane.doe+tag@mail.example.co.uk now"),
            [(Kind::Email, "jane.doe+tag@mail.example.co.uk".into())]
        );
        assert_eq!(found("not an address: a@b or @handle or x@y.z"), []);
    }

    #[test]
    fn ssns_follow_the_rules_and_bare_digits_need_context() {
        assert_eq!(found("my SSN is 536-22-1234"), [(Kind::UsSsn, "536-22-1234".into())]);
        assert_eq!(found("ssn: 536221234"), [(Kind::UsSsn, "536221234".into())]);
        assert_eq!(found("order 536221234 shipped"), []);
        assert_eq!(found("SS # 536.22.1234"), [(Kind::UsSsn, "536.22.1234".into())]);
        assert_eq!(
            found("socialSecurityNumber: 536 22 1234"),
            [(Kind::UsSsn, "536 22 1234".into())]
        );
        let table = "| Employee | SSN |\n|---|---|\n| E213 | 458 96 5464 |";
        assert_eq!(found(table), [(Kind::UsSsn, "458 96 5464".into())]);
        assert_eq!(found("room 536 22 1234"), []);
        for invalid in [
            "000-12-3456",
            "666-12-3456",
            "912-12-3456",
            "536-00-1234",
            "536-22-0000",
            "078-05-1120",
        ] {
            assert_eq!(found(&format!("ssn {invalid}")), [], "{invalid}");
        }
    }
}
