//! People's names and street addresses, found only after a clear cue: no
//! list of names can tell "Rose" the person from "rose" the flower, but
//! "my name is", a signature after "Kind regards,", a `customer_name` field
//! or a "ship to" line can. What follows the cue must still look like one:
//! capitalised words for a name, a house number and a street for an
//! address.
//!
//! These two kinds are measured but not gated (their recall is the cues'
//! recall); SECURITY.md says what they do not catch.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::{Finding, Kind};

/// One capitalised name word (`Zoë`, `O'Neil`, `Nkosi-Parata`), an initial
/// (`D.`) or a lowercase particle between them (`de`, `van der`).
const NAME_WORD: &str = r"\p{Lu}[\p{Ll}\p{Lu}'’\-]*\p{Ll}[\p{Ll}'’\-]*|\p{Lu}\.";
const PARTICLE: &str = r"de|da|di|du|del|della|der|den|van|von|le|la|dos|das|bin|al|ter|ten|zu";

/// A full name: two to five words (one where the cue is explicit).
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:{NAME_WORD})(?:[ ]+(?:(?:{PARTICLE})[ ]+)*(?:{NAME_WORD})){{0,4}}"
    ))
    .expect("the name pattern is valid (checked by tests)")
});

/// Cues in prose after which a name follows.
static NAME_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:my name is|my name's|mein name ist|ich heiße|je m'appelle|mon nom est|me llamo|mi nombre es|mi chiamo|mijn naam is|jag heter|i am|i'm|this is|account holder is|the holder is|dear|signed,|sincerely,|attn:?|attention:|contact person:?|customer:|recipient:|addressee:)[ ]+",
    )
    .expect("the name cue pattern is valid (checked by tests)")
});

/// Field names whose value is a person's name (compared with letters only,
/// lower case: `customer_name`, `fullName`, `SHIP_TO_NAME`).
const NAME_FIELDS: &[&str] = &[
    "name",
    "fullname",
    "firstname",
    "lastname",
    "surname",
    "customername",
    "customer",
    "accountholder",
    "holder",
    "cardholder",
    "cardholdername",
    "shiptoname",
    "billingname",
    "contactname",
    "recipient",
    "recipientname",
    "displayname",
    "username_full",
    "patient",
    "patientname",
    "employee",
    "employeename",
    "author",
    "authors",
    "maintainer",
    "maintainers",
];

/// Field names whose value is a street address.
const ADDRESS_FIELDS: &[&str] = &[
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

/// Lines that close a letter; the next line holds the sender's name.
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?im)^[ \t]*(?:best|best regards|kind regards|regards|warm regards|many thanks|thanks|thank you|cheers|sincerely|yours sincerely|yours truly|all the best|mit freundlichen grüßen|viele grüße|cordialement|saludos|un saluto|met vriendelijke groet|groeten|hälsningar|med vennlig hilsen|venlig hilsen)[,!.]?[ \t]*\r?\n",
    )
    .expect("the closing pattern is valid (checked by tests)")
});

/// Prose cues after which an address follows, on the same line or the
/// next ones.
static ADDRESS_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:my (?:new |home |old )?address is|i live at|i moved to|ship(?:ping)? to|deliver(?:y)? to|send it to|billing address|shipping address|delivery address|mailing address|home address|postal address)\b\**[ \t]*:?\**[ \t]*(?:\r?\n)*(?:```[a-z]*\r?\n)?",
    )
    .expect("the address cue pattern is valid (checked by tests)")
});

/// The street part of an address: a number and a street ("549 Maple Grove
/// Cres", "1015 W 34th Street"), a street word and a number ("Via Garibaldi
/// 216", "Calle del Sol 72"), or a compound street name and a number
/// ("Hauptstraße 202", "Prinsengracht 95b").
static STREET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?:
          \d{1,5}[a-zA-Z]?,?\x20+(?:[NSEW]\.?\x20+)?[\p{L}\d][\p{L}\d'.\-]*(?:\x20+[\p{L}\d][\p{L}\d'.\-]*){0,5}
        | (?i:via|viale|calle|avenida|av\.|rua|rue|avenue|boulevard|bd|chemin|place|allée|piazza|plaza|carrer|paseo|am|an\x20der|auf\x20der|im|ul\.|ulica)\x20+[\p{L}\d'.\-]+(?:\x20+[\p{L}\d'.\-]+){0,5}?\x20+\d{1,5}[a-zA-Z]?
        | \p{Lu}[\p{L}\-]*(?i:straße|strasse|str\.|gasse|weg|allee|platz|ring|damm|gracht|plein|laan|straat|kade|vej|gade|gatan|vägen|veien|gata|katu|tie)\x20+\d{1,5}[a-zA-Z]?
        )",
    )
    .expect("the street pattern is valid (checked by tests)")
});

/// Which of the passes below can find anything: each needs one of its
/// words in the text, and one scan for all the words costs less than one
/// pattern's pass (most pasted text has none of them).
const NAME_CUES: u8 = 1;
const ADDRESS_CUES: u8 = 2;
const FIELDS: u8 = 4;

static TRIGGERS: LazyLock<(AhoCorasick, Vec<u8>)> = LazyLock::new(|| {
    let words: &[(&str, u8)] = &[
        ("name", NAME_CUES | FIELDS),
        ("nom est", NAME_CUES),
        ("i am", NAME_CUES),
        ("i'm", NAME_CUES),
        ("this is", NAME_CUES),
        ("holder", NAME_CUES | FIELDS),
        ("dear", NAME_CUES),
        ("signed", NAME_CUES),
        ("sincerely", NAME_CUES),
        ("attn", NAME_CUES),
        ("attention", NAME_CUES),
        ("contact person", NAME_CUES),
        ("customer", NAME_CUES | FIELDS),
        ("recipient", NAME_CUES | FIELDS),
        ("addressee", NAME_CUES),
        ("heiße", NAME_CUES),
        ("appelle", NAME_CUES),
        ("llamo", NAME_CUES),
        ("nombre", NAME_CUES),
        ("chiamo", NAME_CUES),
        ("naam", NAME_CUES),
        ("heter", NAME_CUES),
        ("address", ADDRESS_CUES | FIELDS),
        ("live at", ADDRESS_CUES),
        ("moved to", ADDRESS_CUES),
        ("ship", ADDRESS_CUES | FIELDS),
        ("deliver", ADDRESS_CUES),
        ("send it to", ADDRESS_CUES),
        ("patient", FIELDS),
        ("employee", FIELDS),
        ("author", FIELDS),
        ("maintainer", FIELDS),
        ("street", FIELDS),
        ("bill", FIELDS),
    ];
    let automaton = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(words.iter().map(|(w, _)| w))
        .expect("the trigger words build an automaton");
    (automaton, words.iter().map(|(_, passes)| *passes).collect())
});

/// The passes worth running on `text`.
fn passes_for(text: &str) -> u8 {
    let (automaton, passes) = &*TRIGGERS;
    let mut wanted = 0;
    for m in automaton.find_iter(text) {
        wanted |= passes[m.pattern().as_usize()];
        if wanted == NAME_CUES | ADDRESS_CUES | FIELDS {
            break;
        }
    }
    wanted
}

pub fn detect(text: &str, found: &mut Vec<Finding>) {
    let passes = passes_for(text);
    if passes & NAME_CUES != 0 {
        for m in NAME_CUE.find_iter(text) {
            let cue = m.as_str().trim().to_lowercase();
            // "I'm Kwame" is too weak ("I'm Italian"): after the weak cues a
            // name has two words or more.
            let weak = cue.starts_with("i am") || cue.starts_with("i'm") || cue.starts_with("this is");
            push_name(text, m.end(), if weak { 2 } else { 1 }, found);
        }
    }
    for m in CLOSING.find_iter(text) {
        signature(text, m.end(), found);
    }
    let has_field_words = passes & FIELDS != 0;
    let field_pairs = if has_field_words { Some(fields(text)) } else { None };
    for (name, value_start, value_end) in field_pairs.into_iter().flatten() {
        let key: String = name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        let value = &text[value_start..value_end];
        if NAME_FIELDS.contains(&key.as_str()) || key.ends_with("fullname") || key.ends_with("customername") {
            if let Some(end) = name_at(value, 2) {
                found.push(finding(Kind::PersonName, value_start, value_start + end));
            }
        } else if (ADDRESS_FIELDS.contains(&key.as_str()) || key.ends_with("address"))
            && STREET.is_match(value)
            && value.split_whitespace().count() >= 3
        {
            found.push(finding(Kind::StreetAddress, value_start, value_end));
        }
    }
    if passes & ADDRESS_CUES != 0 {
        for m in ADDRESS_CUE.find_iter(text) {
            if let Some(end) = address_lines(text, m.end()) {
                found.push(finding(Kind::StreetAddress, m.end(), end));
            }
        }
    }
    table_names(text, found);
}

fn finding(kind: Kind, start: usize, end: usize) -> Finding {
    Finding { kind, start, end }
}

/// The end of a name of at least `min_words` words starting at `at`.
fn name_at(text: &str, min_words: usize) -> Option<usize> {
    let m = NAME.find(text)?;
    let name = m.as_str();
    let words = name.split(' ').filter(|w| !w.is_empty()).count();
    let glued = text[m.end()..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '@');
    let company = name
        .rsplit(' ')
        .next()
        .is_some_and(|last| ORGANISATION_WORDS.contains(&last.trim_end_matches('.')));
    (words >= min_words && !glued && !name.ends_with('.') && !company).then_some(m.end())
}

/// Last words that make capitalised words a firm's name, not a person's
/// ("Quillon Labs", "Marrow Bakery", "Acme GmbH").
const ORGANISATION_WORDS: &[&str] = &[
    "Ltd",
    "Limited",
    "Inc",
    "Incorporated",
    "LLC",
    "LLP",
    "Corp",
    "Corporation",
    "Co",
    "Company",
    "GmbH",
    "AG",
    "SA",
    "SAS",
    "SARL",
    "BV",
    "NV",
    "AB",
    "AS",
    "Oy",
    "SpA",
    "Srl",
    "Pty",
    "PLC",
    "Plc",
    "KG",
    "Labs",
    "Lab",
    "Group",
    "Holdings",
    "Partners",
    "Studio",
    "Studios",
    "Bakery",
    "Cafe",
    "Café",
    "Restaurant",
    "Shop",
    "Store",
    "Bank",
    "Foundation",
    "Trust",
    "Association",
    "Society",
    "Club",
    "University",
    "College",
    "School",
    "Hospital",
    "Clinic",
    "Agency",
    "Consulting",
    "Solutions",
    "Systems",
    "Technologies",
    "Software",
    "Services",
    "Industries",
    "Media",
    "Logistics",
    "Ventures",
    "Capital",
    "Insurance",
    "Hotel",
    "Airlines",
    "Motors",
    "Foods",
    "Farms",
    "Works",
];

fn push_name(text: &str, at: usize, min_words: usize, found: &mut Vec<Finding>) {
    if let Some(end) = name_at(&text[at..], min_words) {
        found.push(finding(Kind::PersonName, at, at + end));
    }
}

/// The sender's name on the line after a closing, when that line is only
/// a name; and a street address on one of the next three lines.
fn signature(text: &str, line_start: usize, found: &mut Vec<Finding>) {
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

/// An address after a prose cue: the rest of the line, or the next lines
/// up to a blank line or a code fence (at most three).
fn address_lines(text: &str, at: usize) -> Option<usize> {
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

/// `"name": "value"`, `name = "value"`, `name="value"`, `Name: "value"`,
/// `authors = ["value"]`, `set("name", "value")`, and unquoted
/// `name: value` lines (YAML, TOML, .env): the name and the value's byte
/// range (without its quotes).
fn fields(text: &str) -> impl Iterator<Item = (&str, usize, usize)> {
    static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"([A-Za-z][A-Za-z0-9_\-]{1,40})["']?[ \t]*(?::=|[:=,])[ \t]*\[?[ \t]*(?:"([^"\n]{1,200})"|'([^'\n]{1,200})')"#)
            .expect("the quoted field pattern is valid (checked by tests)")
    });
    static LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?m)^[ \t\-]*([A-Za-z][A-Za-z0-9_\-]{1,40})[ \t]*[:=][ \t]*([^\s"'\[{][^\n]{0,200})$"#)
            .expect("the line field pattern is valid (checked by tests)")
    });
    let quoted = QUOTED.captures_iter(text).filter_map(|c| {
        let value = c.get(2).or(c.get(3))?;
        Some((c.get(1)?.as_str(), value.start(), value.end()))
    });
    let lines = LINE.captures_iter(text).filter_map(|c| {
        let value = c.get(2)?;
        let trimmed = value
            .as_str()
            .trim_end_matches(|ch: char| ch.is_whitespace() || matches!(ch, ',' | ';'));
        Some((c.get(1)?.as_str(), value.start(), value.start() + trimmed.len()))
    });
    quoted.chain(lines)
}

/// Cells of a Markdown table's Name column.
fn table_names(text: &str, found: &mut Vec<Finding>) {
    let mut column: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if !trimmed.starts_with('|') {
            column = None;
        } else if column.is_none() {
            let header: Vec<String> = trimmed.split('|').map(|c| c.trim().to_lowercase()).collect();
            column = header
                .iter()
                .position(|c| matches!(c.as_str(), "name" | "full name" | "customer" | "contact"));
            column = column.or(Some(usize::MAX));
        } else if let Some(i) = column.filter(|i| *i != usize::MAX)
            && !trimmed.contains("---")
        {
            let mut at = offset;
            for (n, cell) in line.split('|').enumerate() {
                if n == i {
                    let lead = cell.len() - cell.trim_start().len();
                    if let Some(end) = name_at(cell.trim(), 2) {
                        found.push(finding(Kind::PersonName, at + lead, at + lead + end));
                    }
                    break;
                }
                at += cell.len() + 1;
            }
        }
        offset += line.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Kind, String)> {
        crate::redact::found_by(detect, text)
    }

    #[test]
    fn names_after_a_cue_are_found() {
        assert_eq!(
            found("hi, my name is Kwame Haugen, please refund"),
            [(Kind::PersonName, "Kwame Haugen".into())]
        );
        assert_eq!(
            found("Thanks!\n\nKind regards,\nZoë van der Berg\nHead of Operations"),
            [(Kind::PersonName, "Zoë van der Berg".into())]
        );
        assert_eq!(
            found(r#"{"customer_name": "Aroha Fernández"}"#),
            [(Kind::PersonName, "Aroha Fernández".into())]
        );
        assert_eq!(
            found(r#"cfg := Config{AccountHolder: "Minh Thompson", Timeout: 5}"#),
            [(Kind::PersonName, "Minh Thompson".into())]
        );
        assert_eq!(
            found("Thanks!\n\nHaruto Mensah"),
            [(Kind::PersonName, "Haruto Mensah".into())]
        );
        assert_eq!(
            found("Mein Name ist Lars Korhonen."),
            [(Kind::PersonName, "Lars Korhonen".into())]
        );
        assert_eq!(
            found("| Name | Role |\n|---|---|\n| Olivia Sharma | Billing |\n"),
            [(Kind::PersonName, "Olivia Sharma".into())]
        );
    }

    #[test]
    fn capitalised_words_without_a_cue_or_after_a_weak_one_are_not_names() {
        for text in [
            "I'm on macOS 14.4 with an M2",
            "I'm Italian",
            "We met Kwame Haugen yesterday",
            "name: prod",
            "thanks, that fixed it!\nI'm getting a 502",
            r#"{"iban": "BE84 0043 6598 565", "holder": "Quillon Labs"}"#,
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn addresses_after_a_cue_are_found() {
        assert_eq!(
            found("my new address is 243 Maple Grove Cres, Halifax, NS B4H 4X7\n\nthanks"),
            [(Kind::StreetAddress, "243 Maple Grove Cres, Halifax, NS B4H 4X7".into())]
        );
        assert_eq!(
            found(r#""shipping_address": "Hauptstraße 202, 74973 Köln","#),
            [(Kind::StreetAddress, "Hauptstraße 202, 74973 Köln".into())]
        );
        assert_eq!(
            found("billing address:\n24 Station Approach\nLondon SE15 7FX\n\n(not the same)"),
            [(Kind::StreetAddress, "24 Station Approach\nLondon SE15 7FX".into())]
        );
        assert_eq!(found("it's on its way to the address on the account."), []);
        assert_eq!(found("address: 0.0.0.0"), []);
    }
}
