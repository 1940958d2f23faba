//! Finding every other occurrence of the values a map knows, in one pass
//! however many there are, and telling a real repeat from a number that
//! only starts or ends like a known one.

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use super::{MIN_REPEAT_CHARS, MapEntry};
use crate::redact::Kind;

/// Finds the values of a map that are masked wherever they appear.
pub(super) struct KnownValues {
    /// `None` only if the automaton could not be built (limits far beyond
    /// any conversation); the slow search then does the same job.
    searcher: Option<AhoCorasick>,
    /// The entry of each pattern.
    entries: Vec<usize>,
}

impl KnownValues {
    pub(super) fn of(map: &[MapEntry]) -> Option<KnownValues> {
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
    pub(super) fn find(
        &self,
        map: &[MapEntry],
        text: &str,
        range: std::ops::Range<usize>,
    ) -> Vec<(usize, usize, usize)> {
        match &self.searcher {
            Some(searcher) => searcher
                .find_iter(Input::new(text).range(range))
                .map(|m| (m.start(), m.end(), self.entries[m.pattern().as_usize()]))
                .collect(),
            None => self.find_slowly(map, text, range),
        }
    }

    /// The same as [`KnownValues::find`], one value at a time.
    pub(super) fn find_slowly(
        &self,
        map: &[MapEntry],
        text: &str,
        range: std::ops::Range<usize>,
    ) -> Vec<(usize, usize, usize)> {
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
pub(super) fn inside_longer_number(kind: Kind, text: &str, start: usize, end: usize) -> bool {
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
