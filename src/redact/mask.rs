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

use std::sync::{Arc, LazyLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use regex::Regex;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::url_context::UrlContext;
use super::{Finding, Kind, detect};

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

    /// `text` with every placeholder this map knows put back to its value
    /// (for showing a reply locally), except inside URLs, link targets and
    /// image sources, where the placeholder stays. Unknown placeholders stay
    /// as they are.
    pub fn unmask(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.unmask_into(text, &mut UrlContext::default(), &mut out);
        out
    }

    /// Unmasks `text`, which continues a text whose URL context so far is
    /// `context`, into `out`.
    fn unmask_into(&self, text: &str, context: &mut UrlContext, out: &mut String) {
        let mut at = 0;
        for c in PLACEHOLDER.captures_iter(text) {
            let whole = c.get(0).map_or(0..0, |m| m.range());
            context.feed(&text[at..whole.start]);
            out.push_str(&text[at..whole.start]);
            let value = if context.in_url() {
                None
            } else {
                let number: u32 = c[2].parse().unwrap_or(0);
                self.entries.iter().find(|e| e.kind == c[1] && e.number == number)
            };
            out.push_str(value.map_or(&text[whole.clone()], |e| e.value.as_str()));
            context.feed(&text[whole.clone()]);
            at = whole.end;
        }
        context.feed(&text[at..]);
        out.push_str(&text[at..]);
    }

    /// `text` with every placeholder put back, URLs or not: what masking
    /// must give back exactly, for the round-trip tests.
    #[cfg(test)]
    pub(crate) fn unmask_everywhere(&self, text: &str) -> String {
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

    /// The searcher for the values long enough to be masked wherever they
    /// appear (`None`: there are none).
    fn known_values(&mut self) -> Option<Arc<KnownValues>> {
        if self.known.is_none() {
            self.known = KnownValues::of(&self.entries).map(Arc::new);
        }
        self.known.clone()
    }
}

/// Finds the values of a map that are masked wherever they appear.
struct KnownValues {
    /// `None` only if the automaton could not be built (limits far beyond
    /// any conversation); the slow search then does the same job.
    searcher: Option<AhoCorasick>,
    /// The entry of each pattern.
    entries: Vec<usize>,
}

impl KnownValues {
    fn of(map: &[MapEntry]) -> Option<KnownValues> {
        let (patterns, entries): (Vec<&str>, Vec<usize>) = map
            .iter()
            .enumerate()
            .filter(|(_, e)| e.value.chars().count() >= MIN_REPEAT_CHARS)
            .map(|(i, e)| (e.value.as_str(), i))
            .unzip();
        if patterns.is_empty() {
            return None;
        }
        // A contiguous NFA builds fast; a DFA would search a little faster
        // but takes several times as long to build.
        let searcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
            .ok();
        Some(KnownValues { searcher, entries })
    }

    /// Non-overlapping occurrences in `text[range]`, leftmost first, the
    /// longest value where several start at the same place: (start, end,
    /// entry of `map`).
    fn find(&self, map: &[MapEntry], text: &str, range: std::ops::Range<usize>) -> Vec<(usize, usize, usize)> {
        match &self.searcher {
            Some(searcher) => searcher
                .find_iter(Input::new(text).range(range))
                .map(|m| (m.start(), m.end(), self.entries[m.pattern().as_usize()]))
                .collect(),
            None => self.find_slowly(map, text, range),
        }
    }

    /// The same as [`KnownValues::find`], one value at a time.
    fn find_slowly(&self, map: &[MapEntry], text: &str, range: std::ops::Range<usize>) -> Vec<(usize, usize, usize)> {
        let mut found = Vec::new();
        let mut at = range.start;
        loop {
            let next = self
                .entries
                .iter()
                .filter_map(|&entry| {
                    let value = map[entry].value.as_str();
                    text[at..range.end]
                        .find(value)
                        .map(|p| (at + p, at + p + value.len(), entry))
                })
                .min_by_key(|&(start, end, entry)| (start, std::cmp::Reverse(end), entry));
            let Some(next) = next else {
                return found;
            };
            at = next.1;
            found.push(next);
        }
    }
}

/// Whether the occurrence at `start..end` of a number-like value is only the
/// start or the end of a longer number, and so another value.
fn inside_longer_number(kind: Kind, text: &str, start: usize, end: usize) -> bool {
    if !matches!(
        kind,
        Kind::Phone | Kind::CreditCard | Kind::Iban | Kind::UsSsn | Kind::IpAddress
    ) {
        return false;
    }
    let digit = |c: char| c.is_ascii_digit();
    let value = &text[start..end];
    (value.starts_with(digit) && text[..start].ends_with(digit))
        || (value.ends_with(digit) && text[end..].starts_with(digit))
}

/// Puts values back into a reply as it streams. A placeholder may be split
/// across deltas (`[EMA` + `IL_1]`), so a possible start of one is held back
/// until it is complete or cannot be one.
pub struct Unmasker<'a> {
    map: &'a RedactionMap,
    pending: String,
    /// Where the text shown so far ends: inside a URL or not.
    context: UrlContext,
}

/// The longest placeholder: `[URL_CREDENTIALS_999999]`.
const MAX_PLACEHOLDER: usize = 24;

impl<'a> Unmasker<'a> {
    pub fn new(map: &'a RedactionMap) -> Self {
        Unmasker {
            map,
            pending: String::new(),
            context: UrlContext::default(),
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
        let mut out = String::with_capacity(ready.len());
        self.map.unmask_into(&ready, &mut self.context, &mut out);
        out
    }

    /// Whatever is still held back, at the end of the reply.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        let mut out = String::with_capacity(rest.len());
        self.map.unmask_into(&rest, &mut self.context, &mut out);
        out
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

    /// A map holding `entries` (kind, value), numbered in order per kind.
    fn map_of(entries: &[(&str, &str)]) -> RedactionMap {
        let mut map = RedactionMap::default();
        for (kind, value) in entries {
            let kind = Kind::from_name(kind).unwrap();
            map.entry_for(kind, value);
        }
        map
    }

    #[test]
    fn every_occurrence_of_a_known_value_is_masked_even_glued_to_other_text() {
        let mut map = map_of(&[("API_KEY", "Zq8vLp2xR4wT")]);
        let masked = map.mask("use Zq8vLp2xR4wT, or Zq8vLp2xR4wT2024 or xZq8vLp2xR4wT");
        assert_eq!(masked.text, "use [API_KEY_1], or [API_KEY_1]2024 or x[API_KEY_1]");
        assert_eq!(masked.findings.len(), 3);
        assert_eq!(masked.items.len(), 1, "three occurrences of one value are one item");
    }

    #[test]
    fn a_number_that_only_starts_with_a_known_number_is_another_value() {
        let mut map = map_of(&[("IP_ADDRESS", "10.0.0.1"), ("CREDIT_CARD", "4111 1111 1111 1111")]);
        // Only the repeat rule, no detectors (they find every address anyway).
        let text = "hosts 10.0.0.12 and 110.0.0.1 differ from 10.0.0.1; card 4111 1111 1111 1111.";
        let masked = map.mask_findings(text, &[], &[]);
        assert_eq!(
            masked.text,
            "hosts 10.0.0.12 and 110.0.0.1 differ from [IP_ADDRESS_1]; card [CREDIT_CARD_1]."
        );
    }

    #[test]
    fn a_short_value_is_masked_only_where_it_was_found() {
        let mut map = RedactionMap::default();
        let text = "pw ab1 then ab1 and cab1e";
        let own = Finding {
            kind: Kind::ApiKey,
            start: 3,
            end: 6,
        };
        let masked = map.mask_findings(text, &[own], &[]);
        assert_eq!(masked.text, "pw [API_KEY_1] then ab1 and cab1e");
        assert!("ab1".len() < MIN_REPEAT_CHARS);
    }

    #[test]
    fn placeholders_already_in_the_text_are_not_masked_again() {
        // A value that is also the text of a placeholder (impossible from the
        // detectors, possible from a map written by a later version).
        let mut map = map_of(&[("API_KEY", "EMAIL_1]")]);
        assert_eq!(map.mask("as sent: [EMAIL_1]").text, "as sent: [EMAIL_1]");
    }

    #[test]
    fn the_slow_search_finds_what_the_automaton_finds() {
        let map = map_of(&[
            ("API_KEY", "Zq8vLp2xR4wT"),
            ("API_KEY", "Zq8vLp2xR4wT99"),
            ("EMAIL", "jane@example.org"),
            ("IP_ADDRESS", "10.0.0.1"),
        ]);
        let mut map = map;
        let known = map.known_values().unwrap();
        let text = "Zq8vLp2xR4wT99 jane@example.orgZq8vLp2xR4wT 10.0.0.10.0.0.1 Zq8vLp2xR4w";
        for range in [0..text.len(), 3..text.len(), 0..40, 15..31] {
            let fast = known.find(&map.entries, text, range.clone());
            assert_eq!(fast, known.find_slowly(&map.entries, text, range));
            assert!(!fast.is_empty());
        }
    }

    #[test]
    fn a_value_is_never_put_back_inside_a_url_link_target_or_image_source() {
        let mut map = RedactionMap::default();
        map.mask("jane@example.org");
        let reply = "Write to [EMAIL_1].\n\
                     ![s](https://host/p.png?u=[EMAIL_1]) [link](/p?e=[EMAIL_1]) \
                     <mailto:[EMAIL_1]> https://h/?u=[EMAIL_1] www.h.example/[EMAIL_1]\n\
                     [r]: /track?u=[EMAIL_1]\n\
                     Done, [EMAIL_1]: (that is [EMAIL_1])";
        assert_eq!(
            map.unmask(reply),
            "Write to jane@example.org.\n\
             ![s](https://host/p.png?u=[EMAIL_1]) [link](/p?e=[EMAIL_1]) \
             <mailto:[EMAIL_1]> https://h/?u=[EMAIL_1] www.h.example/[EMAIL_1]\n\
             [r]: /track?u=[EMAIL_1]\n\
             Done, jane@example.org: (that is jane@example.org)"
        );
    }

    #[test]
    fn streamed_unmasking_keeps_placeholders_in_urls_as_the_whole_text_does() {
        let mut map = RedactionMap::default();
        map.mask("jane@example.org");
        let reply = "Hi [EMAIL_1]! ![s](https://h/p.png?u=[EMAIL_1]) and [EMAIL_1]";
        let whole = map.unmask(reply);
        for cut in (1..reply.len()).filter(|&i| reply.is_char_boundary(i)) {
            let mut unmasker = Unmasker::new(&map);
            let mut shown = unmasker.push(&reply[..cut]);
            shown.push_str(&unmasker.push(&reply[cut..]));
            shown.push_str(&unmasker.finish());
            assert_eq!(shown, whole, "cut at {cut}");
        }
        assert_eq!(
            whole,
            "Hi jane@example.org! ![s](https://h/p.png?u=[EMAIL_1]) and jane@example.org"
        );
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let text = "héllo jane@example.org";
        let f = detect(text)[0];
        assert_eq!((char_offset(text, f.start), char_offset(text, f.end)), (6, 22));
    }
}
