//! What makes capitalised words a person's name once a cue has pointed at
//! them: their shape (two to five name words, particles between), and not a
//! firm's name. Also the cues that are names' alone: the phrases of prose,
//! the field names, a table's Name column.

use std::sync::LazyLock;

use regex::Regex;

use super::finding;
use crate::redact::{Finding, Kind};

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
pub(super) static NAME_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:my name is|my name's|mein name ist|ich heiße|je m'appelle|mon nom est|me llamo|mi nombre es|mi chiamo|mijn naam is|jag heter|i am|i'm|this is|account holder is|the holder is|dear|signed,|sincerely,|attn:?|attention:|contact person:?|customer:|recipient:|addressee:)[ ]+",
    )
    .expect("the name cue pattern is valid (checked by tests)")
});

/// Field names whose value is a person's name (compared with letters only,
/// lower case: `customer_name`, `fullName`, `SHIP_TO_NAME`).
pub(super) const NAME_FIELDS: &[&str] = &[
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

/// The end of a name of at least `min_words` words starting at `at`.
pub(super) fn name_at(text: &str, min_words: usize) -> Option<usize> {
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

pub(super) fn push_name(text: &str, at: usize, min_words: usize, found: &mut Vec<Finding>) {
    if let Some(end) = name_at(&text[at..], min_words) {
        found.push(finding(Kind::PersonName, at, at + end));
    }
}

/// Cells of a Markdown table's Name column.
pub(super) fn table_names(text: &str, found: &mut Vec<Finding>) {
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
