//! Reading a question into what ranking needs: its terms weighted by IDF
//! and by the part of the question they come from, a typo corrected to the
//! nearest word the base knows, a word the base never uses counted as
//! unseen (and given a stand-in near it in meaning, if there is one).

use std::collections::HashMap;

use super::super::text::{is_stop_word, words};
use super::super::typos::edit_distance;
use super::{Index, QueryPart, STAND_IN_WEIGHT, UNSEEN_WEIGHT};

/// How many unseen words of a question are looked up for a stand-in: each
/// lookup compares the word with every term the table knows (a pasted log
/// line is full of unseen words).
const MAX_STAND_IN_LOOKUPS: usize = 8;

/// What a question's words amount to.
pub(super) struct Query {
    /// Its terms with their weights (IDF times the part's weight); `None`
    /// for a word the base does not use.
    pub terms: Vec<(Option<u32>, f64)>,
    /// Terms standing in for words the base does not use, with their
    /// weights: they add to a section's score, not to what it covers.
    pub stand_ins: Vec<(u32, f64)>,
    /// Per part, every word (stop words too, a typo replaced by its
    /// correction): what the question's meaning is made of.
    pub words: Vec<Vec<String>>,
    /// Whether the first part (the question itself, not the one a
    /// follow-up follows) has a word only the off-topic themes use, as
    /// `Index::names_off_topic` reads it.
    pub names_off_topic: bool,
}

impl Index {
    /// What the question's words amount to (see [`Query`]).
    pub(super) fn query(&self, parts: &[QueryPart]) -> Query {
        // Words the base has never seen count against coverage like an
        // ordinary word: a question about something else is mostly unseen.
        let unseen_weight = UNSEEN_WEIGHT * self.idf.iter().sum::<f64>() / self.idf.len().max(1) as f64;
        let mut known: HashMap<u32, f64> = HashMap::new();
        let mut unseen: HashMap<String, f64> = HashMap::new();
        let mut stand_ins: HashMap<u32, f64> = HashMap::new();
        let mut looked_up = 0;
        let mut all_words = Vec::new();
        let mut names_off_topic = false;
        for (index, part) in parts.iter().enumerate() {
            let mut part_words = Vec::new();
            for word in words(part.text) {
                let Some(term) = self.analyzer.term(&word) else {
                    part_words.push(word);
                    continue;
                };
                let direct = self.terms.get(&term).copied();
                names_off_topic |= index == 0 && direct.is_some_and(|id| self.only_themes_use(id));
                let corrected = if direct.is_none() { self.correct(&word) } else { None };
                part_words.push(corrected.unwrap_or(&word).to_owned());
                // A misspelt stop word ("wher") is still a stop word.
                if corrected.is_some_and(is_stop_word) {
                    continue;
                }
                let id = direct.or_else(|| self.terms.get(&self.analyzer.term(corrected?)?).copied());
                let stand_in = if id.is_none() && corrected.is_none() && looked_up < MAX_STAND_IN_LOOKUPS {
                    looked_up += 1;
                    self.semantics().stand_in(&word)
                } else {
                    None
                };
                match (id, stand_in) {
                    (Some(id), _) => {
                        let weight = self.idf[id as usize] * part.weight;
                        let entry = known.entry(id).or_default();
                        *entry = entry.max(weight);
                    }
                    (None, Some((id, likeness))) => {
                        let likeness = f64::from(likeness);
                        let weight = self.idf[id as usize] * part.weight * STAND_IN_WEIGHT * likeness;
                        let entry = stand_ins.entry(id).or_default();
                        *entry = entry.max(weight);
                        let entry = unseen.entry(term).or_default();
                        *entry = entry.max(unseen_weight * part.weight);
                    }
                    (None, None) => {
                        // An unseen word with digits in it is an identifier, a
                        // date or an example ("Summer2024"): it says little
                        // about the topic.
                        let base = if word.chars().any(|c| c.is_ascii_digit()) {
                            unseen_weight / 4.0
                        } else {
                            unseen_weight
                        };
                        let entry = unseen.entry(term).or_default();
                        *entry = entry.max(base * part.weight);
                    }
                }
            }
            all_words.push(part_words);
        }
        // A term the question holds itself needs no stand-in.
        stand_ins.retain(|id, _| !known.contains_key(id));
        let mut query: Vec<(Option<u32>, f64)> = known.into_iter().map(|(id, w)| (Some(id), w)).collect();
        query.extend(unseen.into_values().map(|w| (None, w)));
        query.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut stand_ins: Vec<(u32, f64)> = stand_ins.into_iter().collect();
        stand_ins.sort_by_key(|(id, _)| *id);
        Query {
            terms: query,
            stand_ins,
            words: all_words,
            names_off_topic,
        }
    }

    /// The known word one typo away from `word` (two for words of eight
    /// letters or more) with the same first letter, if there is one; the
    /// first in order on a tie.
    fn correct(&self, word: &str) -> Option<&str> {
        let length = word.chars().count();
        if length < 4 || !word.chars().all(char::is_alphabetic) {
            return None;
        }
        let limit = if length >= 8 { 2 } else { 1 };
        let mut best: Option<(usize, &str)> = None;
        for bucket in self
            .vocabulary
            .get(length - limit..=length + limit)
            .into_iter()
            .flatten()
        {
            // People rarely mistype a word's first letter, and a different
            // first letter makes another word ("flight" is not "light").
            for candidate in bucket.iter().filter(|c| c.chars().next() == word.chars().next()) {
                let ceiling = best.map_or(limit, |(d, _)| d.saturating_sub(1));
                if let Some(d) = edit_distance(word, candidate, ceiling)
                    && best.is_none_or(|(b, _)| d < b)
                {
                    best = Some((d, candidate));
                }
            }
        }
        best.filter(|(d, _)| *d > 0).map(|(_, w)| w)
    }
}
