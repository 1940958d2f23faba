//! Text analysis for the help-desk bot: Unicode normalisation (NFKD with
//! combining marks removed, so "naïve" matches "naive"), lower case, words of
//! letters and digits, English stop words dropped, Snowball stemming (so
//! "wiping" matches "wipe").

use std::collections::HashMap;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::wordlists::{NEGATIONS, STOP_WORDS, SYNONYMS};

/// Every word the analyser knows without a knowledge base: stop words and
/// the synonym table. A misspelt word is corrected towards these too.
pub fn known_words() -> impl Iterator<Item = &'static str> {
    STOP_WORDS.iter().copied().chain(
        SYNONYMS
            .iter()
            .flat_map(|(canonical, others)| std::iter::once(*canonical).chain(others.iter().copied())),
    )
}

/// Whether `word` (already lower case) carries no topic.
pub fn is_stop_word(word: &str) -> bool {
    // Every word of a question and of the base is looked up: the list is
    // kept sorted (a test checks it) so that this is a binary search.
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Each everyday word of the synonym table, with the base's word for it
/// (the first group that lists it).
static CANONICAL: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (canonical, others) in SYNONYMS {
        for other in *others {
            map.entry(*other).or_insert(*canonical);
        }
    }
    map
});

fn canonical(word: &str) -> &str {
    CANONICAL.get(word).copied().unwrap_or(word)
}

pub struct Analyzer {
    stemmer: Stemmer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

/// Lower-cased words of `text` with accents removed, stop words kept. A
/// negation is a word of its own: "can't connect" is trouble, "how do I
/// connect" is set-up, so "can't", "cannot" and "cant" all read "can not".
pub fn words(text: &str) -> Vec<String> {
    // Only "n't" with its apostrophe: a lone "t" ("Win+T") is no negation.
    let spelt_out;
    let text = if text.contains(['\'', '\u{2019}']) {
        spelt_out = text
            .to_lowercase()
            .replace("n't", "n not")
            .replace("n\u{2019}t", "n not");
        spelt_out.as_str()
    } else {
        text
    };
    let mut words = Vec::new();
    for word in plain_words(text) {
        match NEGATIONS.iter().find(|(written, _)| *written == word) {
            Some((_, verb)) => words.extend([(*verb).to_owned(), "not".to_owned()]),
            None => words.push(word),
        }
    }
    words
}

/// Lower-cased words of `text` with accents removed, as written: what a
/// heading's id is made of (`knowledge`), which must not change with how
/// questions are read.
pub fn plain_words(text: &str) -> Vec<String> {
    // Plain ASCII, which nearly all of the base is, has nothing to
    // decompose: the same words, without NFKD's cost per character.
    let folded = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        folded(text)
    };
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `text` decomposed (NFKD), without combining marks, in lower case.
fn folded(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

impl Analyzer {
    /// The index terms of `text`: normalised, stop words dropped, stemmed.
    pub fn terms(&self, text: &str) -> Vec<String> {
        words(text).iter().filter_map(|w| self.term(w)).collect()
    }

    /// The index term of one word from [`words`], or `None` for a stop word.
    pub fn term(&self, word: &str) -> Option<String> {
        (!is_stop_word(word)).then(|| self.stemmer.stem(canonical(word)).into_owned())
    }
}

/// An analyser that remembers each word's term: building an index meets the
/// same few thousand words tens of thousands of times, and stemming them is
/// most of its cost.
pub(super) struct CachedTerms<'a> {
    analyzer: &'a Analyzer,
    terms: HashMap<String, Option<String>>,
}

impl<'a> CachedTerms<'a> {
    pub(super) fn new(analyzer: &'a Analyzer) -> Self {
        CachedTerms {
            analyzer,
            terms: HashMap::new(),
        }
    }

    /// [`Analyzer::term`] of `word`.
    pub(super) fn term(&mut self, word: &str) -> Option<String> {
        if let Some(term) = self.terms.get(word) {
            return term.clone();
        }
        let term = self.analyzer.term(word);
        self.terms.insert(word.to_owned(), term.clone());
        term
    }

    /// Every word met so far.
    pub(super) fn words(&self) -> impl Iterator<Item = &String> {
        self.terms.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_contraction_reads_as_not() {
        let analyzer = Analyzer::default();
        assert_eq!(words("Don't"), ["don", "not"]);
        assert_eq!(words("I CAN'T"), ["i", "can", "not"]);
        assert_eq!(words("it doesn\u{2019}t"), ["it", "doesn", "not"]);
        assert_eq!(words("cannot"), ["can", "not"]);
        assert_eq!(analyzer.terms("can't connect"), analyzer.terms("cannot connect"));
        assert_eq!(analyzer.terms("cant connect"), analyzer.terms("can not connect"));
        assert_eq!(analyzer.terms("it doesn't start"), analyzer.terms("it does not start"));
        assert_ne!(analyzer.terms("can't connect"), analyzer.terms("how do I connect"));
        // A "t" without the apostrophe of a contraction is left as it is.
        assert_eq!(words("press win+t, plan t"), ["press", "win", "t", "plan", "t"]);
    }

    #[test]
    fn accents_case_and_inflections_fold_together() {
        let analyzer = Analyzer::default();
        assert_eq!(analyzer.terms("Wiping"), analyzer.terms("wipe"));
        assert_eq!(analyzer.terms("Passphrases"), analyzer.terms("passphrase"));
        assert_eq!(words("Naïve CAFÉ"), ["naive", "cafe"]);
    }

    #[test]
    fn ascii_text_folds_as_the_unicode_path_would_fold_it() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        assert_eq!(every_ascii.to_ascii_lowercase(), folded(&every_ascii));
    }

    #[test]
    fn everyday_words_fold_onto_the_bases_words() {
        let analyzer = Analyzer::default();
        for (everyday, base) in [
            ("kept", "stored"),
            ("laptop", "computer"),
            ("erase", "wipe"),
            ("cloud", "network"),
            ("stolen", "compromised"),
            ("password", "passphrase"),
        ] {
            assert_eq!(analyzer.terms(everyday), analyzer.terms(base), "{everyday}");
        }
    }

    #[test]
    fn the_stop_word_list_is_sorted_for_its_binary_search() {
        assert!(
            STOP_WORDS.windows(2).all(|w| w[0] < w[1]),
            "STOP_WORDS must be sorted and unique"
        );
        assert!(is_stop_word("a") && is_stop_word("yours") && !is_stop_word("passphrase"));
    }

    #[test]
    fn stop_words_do_not_count() {
        assert_eq!(
            Analyzer::default().terms("How do I export my data?"),
            ["export", "data"]
        );
    }
}
