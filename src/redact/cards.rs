//! Payment card numbers (Luhn and plausible issuer ranges) and IBANs
//! (country length and mod-97).

use std::sync::LazyLock;

use regex::Regex;

use super::{Finding, Kind};

/// 12 to 19 digits, grouped by spaces, dashes or dots (one kind per number).
static CARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d(?:[ \-.]?\d){11,18}\b").expect("valid pattern (checked by tests)"));

static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b").expect("valid pattern (checked by tests)")
});

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    for m in CARD.find_iter(text) {
        if let Some((start, end)) = card_within(m.as_str()) {
            found.push(Finding {
                kind: Kind::CreditCard,
                start: m.start() + start,
                end: m.start() + end,
            });
        }
    }
    for m in IBAN.find_iter(text) {
        // The match may run into a following word when it is separated by a
        // space; find the longest prefix that is a valid IBAN.
        let value = m.as_str();
        if let Some(len) = longest_valid_iban(value) {
            found.push(Finding {
                kind: Kind::Iban,
                start: m.start(),
                end: m.start() + len,
            });
        }
    }
}

/// The longest run of whole digit groups in `value` that is a card number:
/// a card may sit next to other numbers ("ref 12 4111 1111 1111 1111 12/27").
fn card_within(value: &str) -> Option<(usize, usize)> {
    // Byte ranges of the digit groups.
    let mut groups = Vec::new();
    let mut start = None;
    for (i, c) in value.char_indices() {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                groups.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        groups.push((s, value.len()));
    }
    // Uniform groups of four ("5020 3428 1910 5808") are one number: taken
    // whole or not at all, never a shorter run inside it.
    let uniform = groups.len() >= 3 && groups[..groups.len() - 1].iter().all(|(s, e)| e - s == 4);
    // All digits once, and where each group's digits begin in them: every
    // run of groups is then a slice, checked without allocating.
    let digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    let mut digit_at = Vec::with_capacity(groups.len() + 1);
    let mut count = 0;
    for (s, e) in &groups {
        digit_at.push(count);
        count += e - s;
    }
    digit_at.push(count);
    let mut best: Option<(usize, usize)> = None;
    for first in 0..groups.len() {
        if uniform && first > 0 {
            break;
        }
        for last in (first..groups.len()).rev() {
            if uniform && last + 1 < groups.len() {
                break;
            }
            let (start, end) = (groups[first].0, groups[last].1);
            if best.is_some_and(|(s, e)| e - s >= end - start) {
                continue;
            }
            let run = &digits[digit_at[first]..digit_at[last + 1]];
            if !(12..=19).contains(&run.len()) {
                continue;
            }
            // One kind of separator, or none: "4111 1111-1111 1111" is not typed.
            let mut separators = value[start..end].chars().filter(|c| !c.is_ascii_digit());
            let first_separator = separators.next();
            if separators.any(|c| Some(c) != first_separator) {
                continue;
            }
            if plausible_issuer(run) && luhn(run) {
                best = Some((start, end));
            }
        }
    }
    best
}

/// The Luhn checksum over the digits.
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn prefix(digits: &[u8], n: usize) -> u32 {
    digits.iter().take(n).fold(0, |acc, &d| acc * 10 + u32::from(d))
}

/// Whether the number's first digits and length belong to a card network.
fn plausible_issuer(digits: &[u8]) -> bool {
    let len = digits.len();
    let p1 = prefix(digits, 1);
    let p2 = prefix(digits, 2);
    let p3 = prefix(digits, 3);
    let p4 = prefix(digits, 4);
    // Maestro: its documented ranges, 12 to 19 digits.
    if matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763) && (12..=19).contains(&len) {
        return true;
    }
    if len < 13 {
        return false;
    }
    match p1 {
        4 => matches!(len, 13 | 16 | 19), // Visa
        5 => (51..=55).contains(&p2) && len == 16 || (p2 == 50 || (56..=59).contains(&p2)) && (16..=19).contains(&len), // Mastercard, Maestro
        2 => (2221..=2720).contains(&p4) && len == 16, // Mastercard 2-series
        3 => {
            (p2 == 34 || p2 == 37) && len == 15 // Amex
                || (3528..=3589).contains(&p4) && (16..=19).contains(&len) // JCB
                || ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&len) // Diners
        }
        6 => {
            (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3)) && (16..=19).contains(&len) // Discover
                || p2 == 62 && (16..=19).contains(&len) // UnionPay
                || (p2 == 63 || p2 == 67 || p2 == 60 || p2 == 61 || p2 == 66 || p2 == 68 || p2 == 69) && (16..=19).contains(&len) // Maestro
        }
        _ => false,
    }
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// The byte length of the longest prefix of `value` that is a valid IBAN.
fn longest_valid_iban(value: &str) -> Option<usize> {
    let country = value.get(..2)?.to_ascii_uppercase();
    let &(_, length) = IBAN_LENGTHS.iter().find(|(c, _)| *c == country)?;
    // Walk the characters, skipping single spaces, until `length` counted.
    let mut compact = String::new();
    let mut end = 0;
    for (i, c) in value.char_indices() {
        if c == ' ' {
            continue;
        }
        compact.push(c.to_ascii_uppercase());
        end = i + 1;
        if compact.len() == length {
            break;
        }
    }
    if compact.len() != length || !standalone_end(value, end) {
        return None;
    }
    mod97(&compact).then_some(end)
}

fn standalone_end(value: &str, end: usize) -> bool {
    !value[end..].starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// ISO 7064 mod 97-10 over the rearranged IBAN.
fn mod97(iban: &str) -> bool {
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Kind, String)> {
        crate::redact::found_by(detect, text)
    }

    #[test]
    fn test_card_numbers_of_each_network_are_found() {
        for card in [
            "4111 1111 1111 1111",
            "5555-5555-5555-4444",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "30569309025904",
            "2223003122003222",
        ] {
            let text = format!("card {card}, exp 12/27");
            assert_eq!(found(&text), [(Kind::CreditCard, card.to_owned())], "{card}");
        }
    }

    #[test]
    fn luhn_failures_unknown_issuers_and_mixed_separators_are_not_cards() {
        for text in [
            "4111 1111 1111 1112",
            "1234 5678 9012 3456",
            "9111111111111111",
            "4111 1111-1111 1111",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn a_card_next_to_other_numbers_is_found_on_its_own() {
        let text = "ref 12 4111 1111 1111 1111 12 27";
        assert_eq!(found(text), [(Kind::CreditCard, "4111 1111 1111 1111".into())]);
    }

    #[test]
    fn ibans_need_their_country_length_and_checksum() {
        for iban in [
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
        ] {
            let text = format!("pay to {iban} by Friday");
            assert_eq!(found(&text), [(Kind::Iban, iban.to_owned())], "{iban}");
        }
        for text in [
            "GB82 WEST 1234 5698 7654 33",
            "DE8937040044053201300",
            "ZZ89370400440532013000",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }
}
