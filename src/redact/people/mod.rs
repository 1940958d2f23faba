//! People's names and street addresses, found only after a clear cue: no
//! list of names can tell "Rose" the person from "rose" the flower, but
//! "my name is", a signature after "Kind regards,", a `customer_name` field
//! or a "ship to" line can. What follows the cue must still look like one:
//! capitalised words for a name, a house number and a street for an
//! address.
//!
//! These two kinds are measured but not gated (their recall is the cues'
//! recall); SECURITY.md says what they do not catch.

mod addresses;
mod fields;
mod names;
mod signature;

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::{Finding, Kind};

use addresses::{ADDRESS_CUE, ADDRESS_FIELDS, STREET, address_lines};
use fields::fields;
use names::{NAME_CUE, NAME_FIELDS, name_at, push_name, table_names};
use signature::{CLOSING, signature};

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

#[cfg(test)]
mod tests;
