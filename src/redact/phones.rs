//! Phone numbers, validated against each country's numbering plan with
//! libphonenumber's metadata (the `phonenumber` crate).
//!
//! A candidate is any run of digits, brackets and single separators that
//! could be a number, with an extension when one follows (`ext. 204`, `x204`,
//! `#204`). What makes it a phone:
//! - written internationally (`+`, or the `00` prefix): valid for the country
//!   its code names;
//! - written nationally: valid for one of [`REGIONS`] (plus the region of
//!   the user's locale) and shaped like a phone number (a trunk `0`, a North
//!   American 3-3-4, three groups or more), or preceded by a word that
//!   names a phone ("tel.", "mobile", "numéro", a `phone` field).
//!
//! Validation is what keeps order numbers, dates, prices and counts out,
//! so a bare run of digits is never a phone without its context. Parsing
//! costs a few microseconds, so each distinct candidate is parsed once per
//! text, and only after the cheap shape checks pass.

use std::collections::HashMap;
use std::sync::LazyLock;

use phonenumber::country::Id;
use regex::Regex;

use super::{Finding, Kind};

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

/// The countries tried for a number written without its country code: the
/// ones whose national formats sotto's users paste most (Europe, the
/// Americas, Asia-Pacific, South Africa), plus the locale's own.
const REGIONS: [Id; 26] = [
    Id::US,
    Id::CA,
    Id::GB,
    Id::DE,
    Id::FR,
    Id::IT,
    Id::ES,
    Id::NL,
    Id::BE,
    Id::CH,
    Id::AT,
    Id::SE,
    Id::NO,
    Id::DK,
    Id::PL,
    Id::IE,
    Id::PT,
    Id::AU,
    Id::NZ,
    Id::IN,
    Id::JP,
    Id::BR,
    Id::MX,
    Id::ZA,
    Id::SG,
    Id::FI,
];

/// The region of the user's locale (`LC_ALL`, `LC_CTYPE`, `LANG`:
/// `de_AT.UTF-8` → AT), tried first for national numbers.
static LOCALE_REGION: LazyLock<Option<Id>> = LazyLock::new(|| {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .and_then(|value| {
            let region = value.split(['.', '@']).next()?.split('_').nth(1)?.to_owned();
            region.parse::<Id>().ok()
        })
});

/// Words (lower case) that name a phone number, in the languages of
/// [`REGIONS`], and the labels of signatures and forms. A word that
/// contains "phone" (`cellphone`, `phoneNumber`) counts too.
const PHONE_WORDS: &[&str] = &[
    "tel",
    "mobile",
    "mob",
    "cell",
    "call",
    "ring",
    "reach",
    "sms",
    "whatsapp",
    "signal",
    "fax",
    "contact",
    "hotline",
    "dial",
    "number",
    "nr",
    "nummer",
    "numéro",
    "numero",
    "número",
    "telefon",
    "téléphone",
    "telefono",
    "teléfono",
    "telefone",
    "celular",
    "móvil",
    "movil",
    "handy",
    "rappeler",
    "puhelin",
    "matkapuhelin",
    "otp",
    "callerid",
    "caller",
    "twilio",
    "tried",
    "電話",
    "携帯",
];

/// Words that make a following "number" some other number.
const OTHER_NUMBERS: &[&str] = &[
    "order",
    "block",
    "invoice",
    "ticket",
    "account",
    "serial",
    "customer",
    "tracking",
    "case",
    "reference",
    "ref",
    "build",
    "version",
    "line",
    "port",
    "item",
    "part",
    "model",
    "batch",
    "lot",
    "policy",
    "member",
    "id",
    "card",
    "phase",
    "page",
    "issue",
    "job",
    "room",
    "flight",
    "seat",
    "table",
    "routing",
    "aba",
    "sort",
    "bank",
    "tax",
    "vat",
    "registration",
    "license",
    "licence",
    "passport",
    "social",
    "security",
    "sec",
    "ssn",
    "employer",
    "ein",
];

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

/// Whether the candidate is not part of a longer word, number or value
/// (`v1.2.3456789`, `id-12345678`, `0x1234567`, a decimal's digits).
fn whole_token(text: &str, start: usize, end: usize) -> bool {
    let mut before = text[..start].chars().rev();
    let (previous, second) = (before.next(), before.next());
    let after = text[end..].chars().next();
    // `#123…` is a reference; `v1.2`, `10.0.1`, `id-…` and `12:30` are parts
    // of something longer; `tel:+…` and `=+…` are not.
    let international = text[start..].starts_with('+');
    let glued_before = previous.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '#'))
        || (previous.is_some_and(|c| matches!(c, '.' | '-' | '/' | ':' | '+' | ','))
            && second.is_some_and(|c| c.is_alphanumeric())
            && !(international && matches!(previous, Some(':' | '/'))));
    let glued_after = after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        || (matches!(after, Some('.' | '-' | '/' | ':' | ','))
            && text[end..].chars().nth(1).is_some_and(|c| c.is_ascii_digit()));
    !glued_before && !glued_after
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

/// Whether the candidate continues an IBAN's groups (`NL27 ABNA 7022 …`).
fn after_iban(text: &str, start: usize) -> bool {
    let line_start = super::after_last(&text[..start], |c| c == '\n');
    let before: Vec<&str> = text[line_start..start].split_whitespace().rev().take(3).collect();
    // A token's tail counts: `validate_iban("LV16 HABA 9767 …`.
    before.iter().any(|token| {
        let b = &token.as_bytes()[super::after_last(token, |c| !c.is_ascii_alphanumeric())..];
        b.len() == 4 && b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit)
    }) || before.iter().any(|t| t.to_ascii_lowercase().contains("iban"))
}

/// Shapes that are something else: dates and times, ISBNs, the SSN's 3-2-4
/// with dashes (the SSN detector's), mixed separators (`01.02-2024`),
/// decimals and a lone leading group of zeros.
fn national_shape(number: &str, groups: &[&str]) -> bool {
    // A separator next to a bracket ("(201) 555-0123") is the bracket's.
    let chars: Vec<char> = number.chars().collect();
    let separators: Vec<char> = (0..chars.len())
        .filter(|&i| {
            let c = chars[i];
            let by_bracket = (i > 0 && chars[i - 1] == ')') || chars.get(i + 1) == Some(&'(');
            !c.is_ascii_digit() && !matches!(c, '(' | ')') && !by_bracket
        })
        .map(|i| chars[i])
        .collect();
    // After an area code the separators must agree (`070-185 90 87`,
    // not `01.02-2024`).
    let rest = separators.get(1..).unwrap_or_default();
    if !rest.windows(2).all(|w| w[0] == w[1]) || separators.contains(&'/') {
        return false;
    }
    let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let dashed_or_dotted = separators.first().is_some_and(|s| matches!(s, '-' | '.'));
    let year_first = groups
        .first()
        .is_some_and(|g| g.len() == 4 && (g.starts_with("19") || g.starts_with("20")));
    // A date has its year last (`15.03.2024`) or first (`2024-03-15`); a
    // Belgian `0450.94.47.53` has four digits first that are no year.
    let date = dashed_or_dotted && (matches!(sizes.as_slice(), [2, 2, 4] | [2, 2, 4, ..]) || year_first);
    let isbn = groups.first().is_some_and(|g| matches!(*g, "978" | "979")) && number.len() > 13;
    // The SSN's 3-2-4 is the SSN detector's, whatever its separator.
    let ssn = sizes == [3, 2, 4];
    let zeros = groups.first().is_some_and(|g| g.chars().all(|c| c == '0'));
    // Dotted groups are a phone's only when each has two digits or more
    // (`810.88.08.38`); versions, OIDs and prices have shorter ones.
    let dotted_short = separators.contains(&'.') && (sizes.iter().any(|&n| n < 2) || groups.len() < 3);
    !(date || isbn || ssn || zeros || dotted_short)
}

fn valid_international(digits: &str, verdicts: &mut HashMap<String, bool>) -> bool {
    let key = format!("+{digits}");
    if let Some(&known) = verdicts.get(&key) {
        return known;
    }
    let valid = phonenumber::parse(None, &key).is_ok_and(|n| phonenumber::is_valid(&n));
    verdicts.insert(key, valid);
    valid
}

fn valid_national(digits: &str, verdicts: &mut HashMap<String, bool>) -> bool {
    if let Some(&known) = verdicts.get(digits) {
        return known;
    }
    let valid = LOCALE_REGION
        .iter()
        .chain(REGIONS.iter())
        .any(|region| phonenumber::parse(Some(*region), digits).is_ok_and(|n| phonenumber::is_valid(&n)));
    verdicts.insert(digits.to_owned(), valid);
    valid
}

/// What the words before `start` say the number is: `Some(true)` when a
/// word names a phone, `Some(false)` when one names another number ("case
/// number", "order", "invoice"), `None` when they say nothing. Words count
/// on the number's line, after the last number before it and within 40
/// characters, or as the header of the Markdown table it sits in.
fn named_as(text: &str, start: usize) -> Option<bool> {
    let line_start = super::after_last(&text[..start], |c| c == '\n');
    if super::table_header(text, line_start).is_some_and(|h| h.to_lowercase().contains("phone")) {
        return Some(true);
    }
    let line = &text[line_start..start];
    let near = line.char_indices().rev().nth(39).map_or(0, |(i, _)| i);
    let context = &line[near..];
    let near = words(&context[super::after_last(context, |c| c.is_ascii_digit())..]);
    let phone = near.iter().any(|word| {
        word.contains("phone") || word.contains("sms") || PHONE_WORDS.contains(&word.as_str()) && word != "number"
    }) || near
        .windows(2)
        .any(|w| w[1] == "number" && !OTHER_NUMBERS.contains(&w[0].as_str()))
        || near.first().is_some_and(|w| w == "number");
    if phone {
        Some(true)
    } else if near.iter().any(|w| OTHER_NUMBERS.contains(&w.as_str())) {
        Some(false)
    } else if words(&super::context_before(line, line.len(), 80))
        .iter()
        .any(|w| MESSAGING_WORDS.contains(&w.as_str()))
    {
        // `twilio … --from "+1…" --to "912696194"`: the line is about
        // calls or messages, and only a flag's name is nearer.
        Some(true)
    } else {
        None
    }
}

/// Words that make a whole line about calls or messages, so a number on
/// it is a phone even past another number.
const MESSAGING_WORDS: &[&str] = &[
    "twilio", "sms", "whatsapp", "messages", "callerid", "dial", "dialed", "call",
];

/// The lowercase words of `text`, `snake_case`, `kebab-case` and
/// `camelCase` names split into their parts.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower && !word.is_empty() {
                out.push(std::mem::take(&mut word).to_lowercase());
            }
            previous_lower = c.is_lowercase();
            word.push(c);
        } else {
            previous_lower = false;
            if !word.is_empty() {
                out.push(std::mem::take(&mut word).to_lowercase());
            }
        }
    }
    if !word.is_empty() {
        out.push(word.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Kind, String)> {
        crate::redact::found_by(detect, text)
    }

    #[test]
    fn numbers_valid_for_their_country_are_found_with_their_extension() {
        for phone in [
            "+44 20 7946 0958",
            "+1 (201) 555-0123",
            "(201) 555-0123",
            "201-555-0123",
            "06 12 34 56 78",
            "+33612345678",
            "+15005550006",
            "0033 6 12 99 75 55",
            "+44 (0)20 7946 0958",
            "+64-21-139-4174 ext. 12",
            "0450 10 21 48 x 1203",
            "+12012784415 #55",
        ] {
            let text = format!("ring me on {phone} please");
            assert_eq!(found(&text), [(Kind::Phone, phone.to_owned())], "{phone}");
        }
    }

    #[test]
    fn a_bare_run_of_digits_is_a_phone_only_where_words_name_one() {
        assert_eq!(found("mobile: 0701559972"), [(Kind::Phone, "0701559972".into())]);
        assert_eq!(found("order 0701559972 shipped"), []);
        assert_eq!(
            found(r#"{"smsTo": "0218619954"}"#),
            [(Kind::Phone, "0218619954".into())]
        );
        assert_eq!(found("the case number is 366 940 794"), []);
        assert_eq!(found("routing number 058729994 for the wire"), []);
        assert_eq!(
            found(r#"twilio api:core:messages:create --from "+15005550006" --to "912696194""#),
            [(Kind::Phone, "+15005550006".into()), (Kind::Phone, "912696194".into())]
        );
        assert_eq!(
            found("CALLERID(num)=8129 2335 dialed ext 4102"),
            [(Kind::Phone, "8129 2335".into())]
        );
        assert_eq!(
            found(r#"{"emergencyContact": "0450.94.47.53"}"#),
            [(Kind::Phone, "0450.94.47.53".into())]
        );
        assert_eq!(found(r#"validate_iban("LV16 HABA 9767 7057 3920") failed"#), []);
        assert_eq!(
            found("| Site | Phone |\n|---|---|\n| HQ | 0212436549 |"),
            [(Kind::Phone, "0212436549".into())]
        );
    }

    #[test]
    fn numbers_no_country_issues_dates_isbns_and_counts_are_not_phones() {
        for text in [
            "on 2024-03-15",
            "ISBN 978-3-16-148410-0",
            "the year 2019 had 365 days",
            "01.02-2024",
            "version 1.2.3",
            "+999 289 5657",
            "+1-555-5487",
            "at 12:30:45.123456",
            "id-1234567890",
            "pi is 3.14159265358",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }
}
