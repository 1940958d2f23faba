//! Email addresses and US social security numbers.

use std::sync::LazyLock;

use regex::Regex;

use super::{Finding, Kind, context_before, standalone};

/// Commands whose `user@host` argument is a login, not an address.
const LOGIN_COMMANDS: &[&str] = &["ssh", "scp", "sftp", "rsync", "mosh", "sshfs", "ssh-copy-id"];

static SSN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{3})([\-. ]?)(\d{2})([\-. ]?)(\d{4})\b").expect("the SSN pattern is valid (checked by tests)")
});

/// Words that name an SSN, compared with the context's letters, digits and
/// `#` only (so `social_security`, `socialSecurityNumber`, `SS_NUMBER` and
/// "SS #" all count).
const SSN_WORDS: &[&str] = &["ssn", "socialsecurity", "socsec", "ssnumber", "taxpayer", "ss#"];

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
        || ends_with_ignore_case(text[..at].trim_end(), "social")
}

/// The addresses in `text`, internationalised ones too (`zoë@bücher.example`),
/// read outwards from each `@` by hand: a local part of letters, digits and
/// `._%+-` (at most 64, starting with a letter or digit, not ending with a
/// dot), then labels of letters, digits and inner dashes joined by dots,
/// the last starting with two letters or more (its letters are the top
/// level domain). Each `@` costs its address's length, whatever is around.
fn emails(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut after = 0;
    text.match_indices('@').filter_map(move |(at, _)| {
        if at < after {
            return None;
        }
        let start = local_part_start(text, at)?;
        let end = at + 1 + domain_len(&text[at + 1..])?;
        after = end;
        Some((start, end))
    })
}

fn local_part_start(text: &str, at: usize) -> Option<usize> {
    let local_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let last = text[..at].chars().next_back()?;
    if !local_char(last) || last == '.' {
        return None;
    }
    let mut start = at;
    for (i, c) in text[..at].char_indices().rev().take(64) {
        if !local_char(c) {
            break;
        }
        start = i;
    }
    // It starts with a letter or digit.
    let offset = text[start..at].find(char::is_alphanumeric)?;
    Some(start + offset)
}

/// The length of the domain at the start of `rest`, if there is one.
fn domain_len(rest: &str) -> Option<usize> {
    let mut labels: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    loop {
        let label_len = rest[at..]
            .char_indices()
            .take(63)
            .take_while(|&(_, c)| c.is_alphanumeric() || c == '-')
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        let label = rest[at..at + label_len].trim_end_matches('-');
        if label.is_empty() || label.starts_with('-') {
            break;
        }
        labels.push((at, at + label.len()));
        at += label.len();
        if label.len() == label_len && rest[at..].starts_with('.') {
            at += 1;
        } else {
            break;
        }
    }
    // The last label that starts with two letters or more is the top level
    // domain; its leading letters (at most 24) end the address.
    labels.iter().enumerate().skip(1).rev().find_map(|(_, &(start, end))| {
        let letters = rest[start..end]
            .char_indices()
            .take(24)
            .take_while(|&(_, c)| c.is_alphabetic())
            .last()
            .map(|(i, c)| i + c.len_utf8())?;
        (rest[start..start + letters].chars().count() >= 2).then_some(start + letters)
    })
}

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    for (start, end) in emails(text) {
        let value = &text[start..end];
        let local = value.split('@').next().unwrap_or("");
        // A URL's `user:password@` or `//user@` (the URL detector's), a
        // login for ssh or git (`deploy@host`, `git@host:org/repo`), or a
        // local part with a doubled dot: not an address.
        let before = &text[..start];
        // `$DB_PASS@host`: a variable's name, not an address.
        let variable = before.ends_with('$') || before.ends_with("${");
        let userinfo = (before.ends_with(':') && !ends_with_ignore_case(before, "mailto:"))
            || before.ends_with("//")
            || (inside_url(text, start) && text[end..].starts_with(':'));
        let git_remote = text[end..].starts_with(':')
            && !text[end..][1..].starts_with(|c: char| c.is_ascii_digit() || c.is_whitespace());
        if local.contains("..") || variable || userinfo || git_remote || after_login_command(text, start) {
            continue;
        }
        if standalone(text, start, end) {
            found.push(Finding {
                kind: Kind::Email,
                start,
                end,
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

/// Whether `text` ends with `suffix` (ASCII, any case), reading only its
/// end: the text before a candidate can be the whole paste.
fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len() && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
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
        assert_eq!(
            found(r#"psql "postgres://$DB_USER:$DB_PASS@db.internal.example.com/app""#),
            []
        );
    }

    #[test]
    fn ssns_follow_the_rules_and_bare_digits_need_context() {
        assert_eq!(found("my SSN is 536-22-1234"), [(Kind::UsSsn, "536-22-1234".into())]);
        assert_eq!(found("ssn: 536221234"), [(Kind::UsSsn, "536221234".into())]);
        assert_eq!(found("order 536221234 shipped"), []);
        assert_eq!(
            found("my soc sec number 655050367 shows up"),
            [(Kind::UsSsn, "655050367".into())]
        );
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
