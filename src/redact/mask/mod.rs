//! Masking with stable placeholders: within one conversation the same value
//! always becomes the same `[KIND_N]`, so the bot can still follow who and
//! what is meant, and a reply that uses a placeholder is shown with the real
//! value put back locally. The map is conversation content: its values are
//! zeroized when dropped and it is never `Debug`-printed.
//!
//! A value, once withheld, is withheld wherever it appears again: a detector
//! fires on `password: X`, not on the `X` two words later or in the next
//! message, so every literal occurrence of every value the map knows is
//! masked too (one Aho-Corasick pass, linear in the text). Values are put
//! back only where they cannot leave the screen: never inside a URL, a link
//! target or an image source, where a viewer or a click would send them to
//! whoever wrote the reply (see `url_context`).

mod known_values;
mod unmask;

use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::{Finding, Kind, detect};

use known_values::{KnownValues, inside_longer_number};
pub use unmask::Unmasker;

/// Values shorter than this (in characters) are masked only where a detector
/// finds them: masking every other occurrence of a two-character password
/// would rewrite ordinary words. No detector today finds anything shorter.
pub const MIN_REPEAT_CHARS: usize = 6;

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    Regex::new(&format!(r"\[({})_(\d{{1,6}})\]", kinds.join("|")))
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

impl MapEntry {
    /// Its kind; a name this version does not know counts as a secret.
    fn kind(&self) -> Kind {
        Kind::from_name(&self.kind).unwrap_or(Kind::ApiKey)
    }
}

impl Drop for MapEntry {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

/// Values withheld in a conversation and their placeholders.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct RedactionMap {
    entries: Vec<MapEntry>,
    /// The searcher for the values, built when first needed after the
    /// entries changed (building costs more than a message takes to search).
    #[serde(skip)]
    known: Option<Arc<KnownValues>>,
}

impl PartialEq for RedactionMap {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Eq for RedactionMap {}

impl std::fmt::Debug for RedactionMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedactionMap({} values)", self.entries.len())
    }
}

/// Text with what must not leave replaced by placeholders.
#[derive(Clone, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    /// Every span that was replaced, in order, with byte ranges in the
    /// original text: the findings, and the other occurrences of values the
    /// map knows (with their kind).
    pub findings: Vec<Finding>,
    /// What was withheld, one finding per distinct value (its first
    /// occurrence): repeats are the same item behind the same placeholder.
    pub items: Vec<Finding>,
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
            known: None,
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
                self.known = None;
            }
        }
    }

    /// The index of the entry for `value`, adding it if new.
    fn entry_for(&mut self, kind: Kind, value: &str) -> usize {
        let name = kind.name();
        if let Some(i) = self.entries.iter().position(|e| e.kind == name && e.value == value) {
            return i;
        }
        let number = self.entries.iter().filter(|e| e.kind == name).count() as u32 + 1;
        self.entries.push(MapEntry {
            kind: name.to_owned(),
            number,
            value: value.to_owned(),
        });
        self.known = None;
        self.entries.len() - 1
    }

    /// Adds the values the detectors find in `text` to the map, masking
    /// nothing (history about to be sent: its values must be known before
    /// the new message is masked).
    pub fn learn(&mut self, text: &str) {
        self.learn_findings(text, &detect(text));
    }

    /// Adds the values of `findings` (in `text`) to the map.
    pub fn learn_findings(&mut self, text: &str, findings: &[Finding]) {
        for f in findings {
            self.entry_for(f.kind, &text[f.start..f.end]);
        }
    }

    /// Replaces the `withheld` findings of `text` with placeholders, and every
    /// other literal occurrence of a value the map knows (including the ones
    /// just withheld). Left alone: the `as_written` findings (the user chose
    /// to send them), placeholders already in the text, values shorter than
    /// [`MIN_REPEAT_CHARS`] outside their own finding, and a number-like value
    /// that is only the start or end of a longer number (`10.0.0.1` in
    /// `10.0.0.12` is another address). Inside a longer word a value is
    /// masked all the same: a password with something glued to it is still
    /// the password.
    pub fn mask_findings(&mut self, text: &str, withheld: &[Finding], as_written: &[Finding]) -> Masked {
        let mut spans: Vec<(Finding, usize)> = withheld
            .iter()
            .map(|f| (*f, self.entry_for(f.kind, &text[f.start..f.end])))
            .collect();
        let mut protected: Vec<(usize, usize)> = withheld
            .iter()
            .chain(as_written)
            .map(|f| (f.start, f.end))
            .chain(PLACEHOLDER.find_iter(text).map(|m| (m.start(), m.end())))
            .collect();
        protected.sort_unstable();
        if let Some(known) = self.known_values() {
            let mut at = 0;
            for (start, end) in protected.into_iter().chain([(text.len(), text.len())]) {
                if start > at {
                    for (s, e, entry) in known.find(&self.entries, text, at..start) {
                        let kind = self.entries[entry].kind();
                        if !inside_longer_number(kind, text, s, e) {
                            spans.push((Finding { kind, start: s, end: e }, entry));
                        }
                    }
                }
                at = at.max(end);
            }
        }
        spans.sort_unstable_by_key(|(f, _)| f.start);
        let mut out = String::with_capacity(text.len());
        let mut items: Vec<(Finding, usize)> = Vec::new();
        let mut at = 0;
        for (f, entry) in &spans {
            out.push_str(&text[at..f.start]);
            let e = &self.entries[*entry];
            out.push_str(&format!("[{}_{}]", e.kind, e.number));
            at = f.end;
            if !items.iter().any(|(_, seen)| seen == entry) {
                items.push((*f, *entry));
            }
        }
        out.push_str(&text[at..]);
        Masked {
            text: out,
            findings: spans.into_iter().map(|(f, _)| f).collect(),
            items: items.into_iter().map(|(f, _)| f).collect(),
        }
    }

    /// Detects and masks everything in `text`, and every value the map
    /// already knows.
    pub fn mask(&mut self, text: &str) -> Masked {
        let findings = detect(text);
        self.mask_findings(text, &findings, &[])
    }

    /// The searcher for the values long enough to be masked wherever they
    /// appear (`None`: there are none).
    fn known_values(&mut self) -> Option<Arc<KnownValues>> {
        if self.known.is_none() {
            self.known = KnownValues::of(&self.entries).map(Arc::new);
        }
        self.known.clone()
    }
}

/// Byte offset `at` of `text` as a count of Unicode scalar values.
pub fn char_offset(text: &str, at: usize) -> usize {
    text[..at].chars().count()
}

#[cfg(test)]
mod tests;
