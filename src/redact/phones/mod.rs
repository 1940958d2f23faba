//! Phone numbers, validated against each country's numbering plan with
//! libphonenumber's metadata (the `phonenumber` crate).
//!
//! A candidate is any run of digits, brackets and single separators that
//! could be a number, with an extension when one follows (`ext. 204`, `x204`,
//! `#204`). What makes it a phone:
//! - written internationally (`+`, or the `00` prefix): valid for the country
//!   its code names;
//! - written nationally: valid for one of
//!   [`REGIONS`](numbering_plan::REGIONS) (plus the region of the user's
//!   locale) and shaped like a phone number (a trunk `0`, a North American
//!   3-3-4, three groups or more), or preceded by a word that names a phone
//!   ("tel.", "mobile", "numéro", a `phone` field).
//!
//! Validation is what keeps order numbers, dates, prices and counts out,
//! so a bare run of digits is never a phone without its context. Parsing
//! costs a few microseconds, so each distinct candidate is parsed once per
//! text, and only after the cheap shape checks pass.

mod numbering_plan;
mod shape;
mod words_before;

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{Finding, Kind};

use numbering_plan::{valid_international, valid_national};
use shape::{after_iban, national_shape, whole_token};
use words_before::named_as;

/// Digits with brackets and single separators between them, then an
/// optional extension. Bounded repetition keeps every match short, so the
/// scan stays linear on a wall of digits.
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?: \+\ ? )?
        (?: \(\d{1,5}\) | \d )
        (?: [\ .\-/]? (?: \(\d{1,5}\) | \d ) ){5,22}
        (?: ,?\ ?(?: (?i: ext\.? | extension | x ) \ ?\d{1,6} | \#\ ?\d{1,6} ) )?
        ",
    )
    .expect("the phone pattern is valid (checked by tests)")
});

/// The extension at the end of a candidate.
static EXTENSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:,? ?(?:(?i:ext\.?|extension|x) ?\d{1,6}|# ?\d{1,6}))$")
        .expect("the extension pattern is valid (checked by tests)")
});

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    let mut verdicts: HashMap<String, bool> = HashMap::new();
    // Plain matches (captures would make every match slower); the
    // extension, when there is one, is found again in the match alone.
    for whole in CANDIDATE.find_iter(text) {
        let (start, end) = (whole.start(), whole.end());
        let main_end = EXTENSION.find(whole.as_str()).map_or(end, |ext| start + ext.start());
        if !whole_token(text, start, end) {
            continue;
        }
        let number = &text[start..main_end];
        if is_phone(text, start, number, &mut verdicts) {
            found.push(Finding {
                kind: Kind::Phone,
                start,
                end,
            });
        }
    }
}

fn is_phone(text: &str, start: usize, number: &str, verdicts: &mut HashMap<String, bool>) -> bool {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let groups: Vec<&str> = number
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    if number.starts_with('+') {
        return (7..=15).contains(&digits.len()) && valid_international(&digits, verdicts);
    }
    if let Some(rest) = digits.strip_prefix("00")
        && !rest.starts_with('0')
        && groups.len() >= 2
    {
        return (7..=15).contains(&rest.len()) && valid_international(rest, verdicts);
    }
    if !(8..=12).contains(&digits.len()) || !national_shape(number, &groups) || after_iban(text, start) {
        return false;
    }
    let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    // Without a word that names a phone, only a phone's look will do: a
    // trunk 0 or an area code in brackets, or three groups or more; not a
    // ZIP+4 (`05811-4319`) or a compact run longer than national numbers.
    let shaped = (number.starts_with('(') || (number.starts_with('0') && groups.len() >= 2) || groups.len() >= 3)
        && sizes != [5, 4];
    let compact_length = groups.len() > 1 || digits.len() <= 11 || digits.starts_with('0');
    if !compact_length {
        return false;
    }
    match named_as(text, start) {
        Some(false) => return false,
        None if !shaped => return false,
        _ => {}
    }
    valid_national(&digits, verdicts)
}

#[cfg(test)]
mod tests;
