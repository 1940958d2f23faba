//! What a street address looks like after its cue: a house number and a
//! street in the orders different countries write them, on one line or a
//! few. Also the cues and field names that are addresses' alone.

use std::sync::LazyLock;

use regex::Regex;

/// Field names whose value is a street address.
pub(super) const ADDRESS_FIELDS: &[&str] = &[
    "address",
    "streetaddress",
    "street",
    "shippingaddress",
    "billingaddress",
    "homeaddress",
    "mailingaddress",
    "postaladdress",
    "deliveryaddress",
    "shipto",
    "billto",
    "addressline",
    "addressline1",
];

/// Prose cues after which an address follows, on the same line or the
/// next ones.
pub(super) static ADDRESS_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:my (?:new |home |old )?address is|i live at|i moved to|ship(?:ping)? to|deliver(?:y)? to|send it to|billing address|shipping address|delivery address|mailing address|home address|postal address)\b\**[ \t]*:?\**[ \t]*(?:\r?\n)*(?:```[a-z]*\r?\n)?",
    )
    .expect("the address cue pattern is valid (checked by tests)")
});

/// The street part of an address: a number and a street ("549 Maple Grove
/// Cres", "1015 W 34th Street"), a street word and a number ("Via Garibaldi
/// 216", "Calle del Sol 72"), or a compound street name and a number
/// ("Hauptstraße 202", "Prinsengracht 95b").
pub(super) static STREET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?:
          \d{1,5}[a-zA-Z]?,?\x20+(?:[NSEW]\.?\x20+)?[\p{L}\d][\p{L}\d'.\-]*(?:\x20+[\p{L}\d][\p{L}\d'.\-]*){0,5}
        | (?i:via|viale|calle|avenida|av\.|rua|rue|avenue|boulevard|bd|chemin|place|allée|piazza|plaza|carrer|paseo|am|an\x20der|auf\x20der|im|ul\.|ulica)\x20+[\p{L}\d'.\-]+(?:\x20+[\p{L}\d'.\-]+){0,5}?\x20+\d{1,5}[a-zA-Z]?
        | \p{Lu}[\p{L}\-]*(?i:straße|strasse|str\.|gasse|weg|allee|platz|ring|damm|gracht|plein|laan|straat|kade|vej|gade|gatan|vägen|veien|gata|katu|tie)\x20+\d{1,5}[a-zA-Z]?
        )",
    )
    .expect("the street pattern is valid (checked by tests)")
});

/// An address after a prose cue: the rest of the line, or the next lines
/// up to a blank line or a code fence (at most three).
pub(super) fn address_lines(text: &str, at: usize) -> Option<usize> {
    let mut end = at;
    let mut lines = 0;
    while lines < 3 && end < text.len() {
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
        let line = text[end..line_end].trim_end();
        if line.is_empty() || line.starts_with("```") {
            break;
        }
        if lines > 0 && !line.chars().any(|c| c.is_ascii_digit()) {
            break;
        }
        end += line.len();
        lines += 1;
        if line_end >= text.len() {
            break;
        }
        end = if lines < 3
            && !text[line_end + 1..]
                .trim_start_matches([' ', '\t'])
                .starts_with(['\n', '`'])
        {
            line_end + 1
        } else {
            break;
        };
    }
    let value = text[at..end].trim_end_matches(['\n', ' ', '.', ',']);
    (STREET.is_match(value) && value.chars().any(|c| c.is_ascii_digit())).then_some(at + value.len())
}
