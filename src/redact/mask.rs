//! Masking with stable placeholders: within one conversation the same value
//! always becomes the same `[KIND_N]`, so the bot can still follow who and
//! what is meant, and a reply that uses a placeholder is shown with the real
//! value put back locally. The map is conversation content: its values are
//! zeroized when dropped and it is never `Debug`-printed.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::{Finding, Kind, detect};

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[(EMAIL|PHONE|CREDIT_CARD|IBAN|US_SSN|IP_ADDRESS|URL_CREDENTIALS|API_KEY|CRYPTO_WALLET)_(\d{1,6})\]")
        .expect("the placeholder pattern is valid (checked by tests)")
});

/// The placeholders in `text` (`[EMAIL_1]`…), each once, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    for m in PLACEHOLDER.find_iter(text) {
        if !found.contains(&m.as_str()) {
            found.push(m.as_str());
        }
    }
    found
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
struct MapEntry {
    kind: String,
    number: u32,
    value: String,
}

impl Drop for MapEntry {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

/// Values withheld in a conversation and their placeholders.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RedactionMap {
    entries: Vec<MapEntry>,
}

impl std::fmt::Debug for RedactionMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedactionMap({} values)", self.entries.len())
    }
}

/// Text with its findings replaced by placeholders.
#[derive(Clone, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    /// The findings, with byte ranges in the original text.
    pub findings: Vec<Finding>,
}

impl std::fmt::Debug for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Masked([{} chars], {} findings)",
            self.text.chars().count(),
            self.findings.len()
        )
    }
}

impl RedactionMap {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries added after the first `from` (what one message added).
    pub fn entries_since(&self, from: usize) -> RedactionMap {
        RedactionMap {
            entries: self.entries[from.min(self.entries.len())..].to_vec(),
        }
    }

    /// Takes in the entries of `other` that this map does not have.
    pub fn absorb(&mut self, other: &RedactionMap) {
        for entry in &other.entries {
            if !self
                .entries
                .iter()
                .any(|e| e.kind == entry.kind && e.number == entry.number)
            {
                self.entries.push(entry.clone());
            }
        }
    }

    /// The placeholder for `value`, adding it if new.
    fn placeholder(&mut self, kind: Kind, value: &str) -> String {
        let name = kind.name();
        if let Some(e) = self.entries.iter().find(|e| e.kind == name && e.value == value) {
            return format!("[{}_{}]", e.kind, e.number);
        }
        let number = self.entries.iter().filter(|e| e.kind == name).count() as u32 + 1;
        self.entries.push(MapEntry {
            kind: name.to_owned(),
            number,
            value: value.to_owned(),
        });
        format!("[{name}_{number}]")
    }

    /// Replaces the given findings of `text` with placeholders.
    pub fn mask_findings(&mut self, text: &str, findings: &[Finding]) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in findings {
            out.push_str(&text[at..f.start]);
            out.push_str(&self.placeholder(f.kind, &text[f.start..f.end]));
            at = f.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// Detects and masks everything in `text`.
    pub fn mask(&mut self, text: &str) -> Masked {
        let findings = detect(text);
        Masked {
            text: self.mask_findings(text, &findings),
            findings,
        }
    }

    /// `text` with every placeholder this map knows put back to its value
    /// (for showing a reply locally). Unknown placeholders stay as they are.
    pub fn unmask(&self, text: &str) -> String {
        PLACEHOLDER
            .replace_all(text, |c: &regex::Captures<'_>| {
                let number: u32 = c[2].parse().unwrap_or(0);
                self.entries
                    .iter()
                    .find(|e| e.kind == c[1] && e.number == number)
                    .map_or_else(|| c[0].to_owned(), |e| e.value.clone())
            })
            .into_owned()
    }
}

/// Puts values back into a reply as it streams. A placeholder may be split
/// across deltas (`[EMA` + `IL_1]`), so a possible start of one is held back
/// until it is complete or cannot be one.
pub struct Unmasker<'a> {
    map: &'a RedactionMap,
    pending: String,
}

/// The longest placeholder: `[URL_CREDENTIALS_999999]`.
const MAX_PLACEHOLDER: usize = 24;

impl<'a> Unmasker<'a> {
    pub fn new(map: &'a RedactionMap) -> Self {
        Unmasker {
            map,
            pending: String::new(),
        }
    }

    /// The text of `delta` that can be shown now, values put back.
    pub fn push(&mut self, delta: &str) -> String {
        self.pending.push_str(delta);
        let hold_from = match self.pending.rfind('[') {
            Some(at) if !self.pending[at..].contains(']') && self.pending.len() - at < MAX_PLACEHOLDER => at,
            _ => self.pending.len(),
        };
        let ready: String = self.pending.drain(..hold_from).collect();
        self.map.unmask(&ready)
    }

    /// Whatever is still held back, at the end of the reply.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.map.unmask(&rest)
    }
}

/// Byte offset `at` of `text` as a count of Unicode scalar values.
pub fn char_offset(text: &str, at: usize) -> usize {
    text[..at].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_value_gets_the_same_placeholder_and_comes_back() {
        let mut map = RedactionMap::default();
        let first = map.mask("write to jane@example.org or bob@example.org");
        assert_eq!(first.text, "write to [EMAIL_1] or [EMAIL_2]");
        let again = map.mask("did jane@example.org answer?");
        assert_eq!(again.text, "did [EMAIL_1] answer?");
        assert_eq!(
            map.unmask("I emailed [EMAIL_1]; [EMAIL_9] is unknown"),
            "I emailed jane@example.org; [EMAIL_9] is unknown"
        );
    }

    #[test]
    fn the_map_round_trips_through_json_and_hides_in_debug() {
        let mut map = RedactionMap::default();
        map.mask("card 4111 1111 1111 1111");
        let json = serde_json::to_string(&map).unwrap();
        let back: RedactionMap = serde_json::from_str(&json).unwrap();
        assert_eq!(back, map);
        assert!(!format!("{map:?}").contains("4111"));
    }

    #[test]
    fn a_placeholder_split_across_deltas_is_put_back_whole() {
        let mut map = RedactionMap::default();
        map.mask("jane@example.org");
        let mut unmasker = Unmasker::new(&map);
        let mut shown = String::new();
        for delta in ["Write to [EMA", "IL_", "1] soon. [not a placeholder", "] done ["] {
            shown.push_str(&unmasker.push(delta));
        }
        shown.push_str(&unmasker.finish());
        assert_eq!(shown, "Write to jane@example.org soon. [not a placeholder] done [");
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let text = "héllo jane@example.org";
        let f = detect(text)[0];
        assert_eq!((char_offset(text, f.start), char_offset(text, f.end)), (6, 22));
    }
}
