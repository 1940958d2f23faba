//! Email addresses, phone numbers and US social security numbers.

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

/// International numbers (`+` and 7 to 15 digits), North American numbers,
/// and national numbers with a trunk `0` in groups.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \+\d{1,3}(?:[\ .\-]?\(?\d{1,4}\)?){2,6}      # +44 20 7946 0958, +1 (201) 555-0123
        | \(\d{3}\)\ ?\d{3}[\ .\-]\d{4}              # (201) 555-0123
        | \b\d{3}[.\-\ ]\d{3}[.\-\ ]\d{4}\b          # 201-555-0123, 201.555.0123
        | \b0\d{1,4}(?:[\ .\-]\d{2,6}){1,4}\b        # 020 7946 0958, 06 12 34 56 78, 07700 900123
        ",
    )
    .expect("the phone pattern is valid (checked by tests)")
});

static SSN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{3})([\-. ]?)(\d{2})([\-. ]?)(\d{4})\b").expect("the SSN pattern is valid (checked by tests)")
});

const PHONE_WORDS: &[&str] = &[
    "phone", "call", "tel", "mobile", "cell", "number", "reach", "text me", "whatsapp", "fax", "ring", "contact",
];
/// Words that name an SSN, compared with the context's letters, digits and
/// `#` only (so `social_security`, `socialSecurityNumber`, `SS_NUMBER` and
/// "SS #" all count).
const SSN_WORDS: &[&str] = &["ssn", "socialsecurity", "ssnumber", "taxpayer", "ss#"];

/// Whether something names an SSN within 40 characters before `at`, or
/// "social" comes right before it.
fn ssn_context(text: &str, at: usize) -> bool {
    let context: String = context_before(text, at, 40)
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '#')
        .collect();
    SSN_WORDS.iter().any(|w| context.contains(w)) || text[..at].trim_end().to_ascii_lowercase().ends_with("social")
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
    for m in PHONE.find_iter(text) {
        if is_phone(text, m.start(), m.as_str()) {
            found.push(Finding {
                kind: Kind::Phone,
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

fn is_phone(text: &str, start: usize, value: &str) -> bool {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if value.starts_with('+') {
        // E.164: a country code and at most 15 digits in all.
        return (8..=15).contains(&digits) && standalone_start(text, start);
    }
    if value.starts_with("00") && !value.starts_with("000") {
        // The international prefix written as 00 (0031 20 555 0100).
        return (10..=15).contains(&digits) && value.contains([' ', '-', '.']);
    }
    if !(9..=12).contains(&digits) {
        return false;
    }
    let groups: Vec<&str> = value
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    // ISBN-13 (978/979-…) and dates written with separators are not phones.
    if groups.first().is_some_and(|g| *g == "978" || *g == "979") && digits == 13 {
        return false;
    }
    if groups.len() == 3 && groups[0].len() == 3 && groups[1].len() == 3 && groups[2].len() == 4 {
        // North American: area and exchange codes start with 2-9; 555-01xx
        // is reserved for fiction but still a phone shape people type.
        let nanp = groups[0].starts_with(|c: char| ('2'..='9').contains(&c))
            && groups[1].starts_with(|c: char| ('2'..='9').contains(&c));
        return nanp || has_phone_word(text, start);
    }
    // The shape of a social security number (3-2-4) is not a phone.
    let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if sizes == [3, 2, 4] || groups.first().is_some_and(|g| g.chars().all(|c| c == '0')) {
        return false;
    }
    if value.starts_with('0') {
        // A trunk prefix and grouped digits: national format. Mixed
        // separators ("01.02-2024") are not.
        let separators: Vec<char> = value.chars().filter(|c| !c.is_ascii_digit()).collect();
        let consistent = separators.windows(2).all(|w| w[0] == w[1]);
        return consistent && (groups.len() >= 3 || has_phone_word(text, start));
    }
    false
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

fn standalone_start(text: &str, start: usize) -> bool {
    !text[..start].chars().next_back().is_some_and(|c| c.is_alphanumeric())
}

fn has_phone_word(text: &str, start: usize) -> bool {
    let context = context_before(text, start, 40);
    PHONE_WORDS.iter().any(|w| context.contains(w))
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
    fn phone_numbers_in_common_formats() {
        for phone in [
            "+44 20 7946 0958",
            "+1 (201) 555-0123",
            "(201) 555-0123",
            "201-555-0123",
            "06 12 34 56 78",
            "+33612345678",
        ] {
            let text = format!("ring me on {phone} please");
            assert_eq!(found(&text), [(Kind::Phone, phone.to_owned())], "{phone}");
        }
    }

    #[test]
    fn dates_isbns_and_counts_are_not_phones() {
        for text in [
            "on 2024-03-15",
            "ISBN 978-3-16-148410-0",
            "the year 2019 had 365 days",
            "01.02-2024",
            "version 1.2.3",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn ssns_follow_the_rules_and_bare_digits_need_context() {
        assert_eq!(found("my SSN is 536-22-1234"), [(Kind::UsSsn, "536-22-1234".into())]);
        assert_eq!(found("ssn: 536221234"), [(Kind::UsSsn, "536221234".into())]);
        assert_eq!(found("order 536221234 shipped"), []);
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
