//! What the word vectors add to ranking: the base's terms and phrasings as
//! meanings, built once at the first question (not at start). Two uses:
//! a word the base never uses stands for the base's term nearest to it in
//! meaning ("notebook" for "laptop"), and each section gets a likeness
//! between the question and its nearest phrasing (its heading or an "asked
//! as" line), which lets the bot answer a question worded unlike anything
//! in the base when its meaning clearly points at one section
//! (`decision`).

use std::collections::{BTreeMap, HashMap};

use super::knowledge::Section;
use super::text::{Analyzer, words};
use super::vectors::{self, Meaning};

/// How near in meaning a base term must be to stand for an unseen word.
const STAND_IN_LIKENESS: f32 = 0.7;

pub(super) struct Semantics {
    /// The terms the table knows a word of, by id, each with the mean
    /// direction of the base's words that make it (a user's base may hold
    /// many more terms: identifiers, log tokens).
    terms: Vec<(u32, Meaning)>,
    /// Per section: the meaning of its own heading and of each "asked as"
    /// phrasing.
    phrasings: Vec<Vec<Meaning>>,
}

impl Semantics {
    pub fn new(sections: &[Section], analyzer: &Analyzer, terms: &HashMap<String, u32>) -> Self {
        // Each distinct word once: stemming is the cost here.
        // In a fixed order, so that the sums are the same in every run.
        let mut counts: HashMap<String, f32> = HashMap::new();
        for section in sections {
            let text = [
                section.headings.join(" "),
                section.asked.join(" "),
                section.body.clone(),
            ];
            for word in text.iter().flat_map(|t| words(t)) {
                *counts.entry(word).or_default() += 1.0;
            }
        }
        let mut counts: Vec<(String, f32)> = counts.into_iter().collect();
        counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut sums: BTreeMap<u32, Meaning> = BTreeMap::new();
        for (word, count) in &counts {
            let Some(&id) = analyzer.term(word).and_then(|t| terms.get(&t)) else {
                continue;
            };
            if let Some(mut meaning) = vectors::word(word) {
                meaning.iter_mut().for_each(|x| *x *= count);
                vectors::add(sums.entry(id).or_insert([0.0; vectors::DIMS]), &meaning);
            }
        }
        let phrasings = sections
            .iter()
            .map(|section| {
                section
                    .phrasings()
                    .map(|phrasing| vectors::phrase(words(phrasing).iter().map(|w| (w.as_str(), 1.0)), 0.0))
                    // A phrasing of words the table lacks is near nothing.
                    .filter(|meaning| meaning.iter().any(|x| *x != 0.0))
                    .collect()
            })
            .collect();
        Semantics {
            terms: sums.into_iter().map(|(id, sum)| (id, vectors::unit(sum))).collect(),
            phrasings,
        }
    }

    /// The base's term nearest in meaning to `word` (one the base never
    /// uses), with how near it is, if near enough to stand for it.
    pub fn stand_in(&self, word: &str) -> Option<(u32, f32)> {
        // A word with digits in it is an identifier or an example, not a topic.
        if word.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let meaning = vectors::word(word)?;
        self.terms
            .iter()
            .map(|(id, term)| (*id, vectors::likeness(&meaning, term)))
            .filter(|(_, likeness)| *likeness >= STAND_IN_LIKENESS)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    }

    /// Per section, how alike `question` is to its nearest phrasing.
    pub fn likeness(&self, question: &Meaning) -> Vec<f32> {
        self.phrasings
            .iter()
            .map(|phrasings| {
                phrasings
                    .iter()
                    .map(|p| vectors::likeness(question, p))
                    .fold(0.0, f32::max)
            })
            .collect()
    }
}
