//! A letter's signature: the closing line ("Kind regards,") is the cue, the
//! line after it the sender's name, and a line with a street and a comma
//! soon after that the sender's address.

use std::sync::LazyLock;

use regex::Regex;

use super::addresses::STREET;
use super::finding;
use super::names::name_at;
use crate::redact::{Finding, Kind};

/// Lines that close a letter; the next line holds the sender's name.
pub(super) static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?im)^[ \t]*(?:best|best regards|kind regards|regards|warm regards|many thanks|thanks|thank you|cheers|sincerely|yours sincerely|yours truly|all the best|mit freundlichen grüßen|viele grüße|cordialement|saludos|un saluto|met vriendelijke groet|groeten|hälsningar|med vennlig hilsen|venlig hilsen)[,!.]?[ \t]*\r?\n",
    )
    .expect("the closing pattern is valid (checked by tests)")
});

/// The sender's name on the line after a closing, when that line is only
/// a name; and a street address on one of the next three lines.
pub(super) fn signature(text: &str, line_start: usize, found: &mut Vec<Finding>) {
    // One blank line may come between the closing and the name.
    let line_start = if text[line_start..].starts_with('\n') {
        line_start + 1
    } else {
        line_start
    };
    let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
    let line = text[line_start..line_end].trim_end();
    if let Some(end) = name_at(line, 2)
        && end == line.len()
    {
        found.push(finding(Kind::PersonName, line_start, line_start + end));
    }
    let mut at = line_end + 1;
    for _ in 0..3 {
        if at >= text.len() {
            break;
        }
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = text[at..end].trim_end();
        if line.is_empty() {
            break;
        }
        if STREET.is_match(line) && line.contains(',') {
            found.push(finding(Kind::StreetAddress, at, at + line.len()));
            break;
        }
        at = end + 1;
    }
}
