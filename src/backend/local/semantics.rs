//! What the word vectors add to ranking: the base's terms and phrasings as
//! meanings, built once, when the app puts the bot to use (on its helper
//! thread, `Backend::warm`) or else at the first question. Two uses:
//! a word the base never uses stands for the base's term nearest to it in
//! meaning ("notebook" for "laptop"), and each section and off-topic theme
//! gets a likeness between the question and its nearest phrasing (its
//! heading or an "asked as" line), measured after whitening (`whitening`).
//! The likeness lifts a section's rank and lets the bot answer a question
//! worded unlike anything in the base when its meaning clearly points at
//! one section (`decision`).

use std::collections::{BTreeMap, HashMap};

use super::knowledge::Section;
use super::text::{Analyzer, words};
use super::vectors::{self, Meaning};
use super::whitening::{self, Whitening};

/// How near in meaning a base term must be to stand for an unseen word.
const STAND_IN_LIKENESS: f32 = 0.7;

pub(super) struct Semantics {
    /// The terms the table knows a word of, by id, each with the mean
    /// direction of the base's words that make it (a user's base may hold
    /// many more terms: identifiers, log tokens).
    terms: Vec<(u32, Meaning)>,
    /// Per section, then per off-topic theme: the whitened meaning of its
    /// own heading and of each "asked as" phrasing.
    phrasings: Vec<Vec<Meaning>>,
    whitening: Whitening,
    /// How much common words are weighed down in a sentence's meaning
    /// (`vectors::commonness`): less the more the whitening learnt.
    commonness: f32,
    /// Directions for the phrasings' words the table lacks (see
    /// `learn_missing_words`).
    learnt: HashMap<String, Meaning>,
    /// How far the likeness can be trusted, 0 to 1 (`whitening::trust`).
    trust: f64,
}

impl Semantics {
    /// The meanings of `sections` and then `themes` (the off-topic ones).
    pub fn new(sections: &[Section], themes: &[Section], analyzer: &Analyzer, terms: &HashMap<String, u32>) -> Self {
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
        let mut term_sums: BTreeMap<u32, Meaning> = BTreeMap::new();
        for (word, count) in &counts {
            let Some(&id) = analyzer.term(word).and_then(|t| terms.get(&t)) else {
                continue;
            };
            if let Some(mut meaning) = vectors::word(word) {
                meaning.iter_mut().for_each(|x| *x *= count);
                vectors::add(term_sums.entry(id).or_insert([0.0; vectors::DIMS]), &meaning);
            }
        }
        let tokenised: Vec<Vec<Vec<String>>> = sections
            .iter()
            .chain(themes)
            .map(|section| section.phrasings().map(|phrasing| words(phrasing)).collect())
            .collect();
        // Each distinct word looked up once.
        let mut table: HashMap<&str, Option<(Meaning, u32)>> = HashMap::new();
        for word in tokenised.iter().flatten().flatten() {
            table.entry(word).or_insert_with(|| vectors::lookup(word));
        }
        // What there is to learn from: the phrasings with a word the table
        // knows, in the topics that have one.
        let known = |phrasing: &Vec<String>| phrasing.iter().any(|w| table[w.as_str()].is_some());
        let phrasings_known = tokenised.iter().flatten().filter(|p| known(p)).count();
        let topics_known = tokenised.iter().filter(|group| group.iter().any(known)).count();
        let trust = whitening::trust(phrasings_known, topics_known);
        let commonness = vectors::commonness(trust);
        let part =
            |word: &str| table[word].map(|(meaning, rank)| meaning.map(|x| x * vectors::weight_of(rank, commonness)));
        let sums: Vec<Vec<Meaning>> = tokenised
            .iter()
            .map(|group| group.iter().map(|words| sum_of(words, part)).collect())
            .collect();
        let learnt = learn_missing_words(&tokenised, &sums, |w| table[w].is_some());
        // The same sums with the learnt words added: as `vectors::sentence`
        // makes a question's meaning.
        let phrasings: Vec<Vec<Meaning>> = tokenised
            .iter()
            .zip(&sums)
            .map(|(group, sums)| {
                group
                    .iter()
                    .zip(sums)
                    .map(|(words, sum)| {
                        let mut sum = *sum;
                        vectors::add(&mut sum, &sum_of(words, |w| learnt.get(w).copied()));
                        vectors::unit(sum)
                    })
                    // A phrasing of words the table lacks is near nothing.
                    .filter(|m| m.iter().any(|x| *x != 0.0))
                    .collect()
            })
            .collect();
        let whitening = Whitening::learn(&phrasings, trust);
        let phrasings = phrasings
            .iter()
            .map(|meanings| meanings.iter().map(|m| whitening.apply(m)).collect())
            .collect();
        Semantics {
            terms: term_sums
                .into_iter()
                .map(|(id, sum)| (id, vectors::unit(sum)))
                .collect(),
            phrasings,
            whitening,
            commonness,
            learnt,
            trust,
        }
    }

    /// How far the likeness can be trusted: how much the whitening learnt
    /// (`whitening::trust`), near 1 for the built-in base's thousands of
    /// phrasings, near 0 for a few sections compared by plain cosine.
    pub fn trust(&self) -> f64 {
        self.trust
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

    /// Per section, then per off-topic theme, how alike the question is to
    /// its nearest phrasing: a cosine after whitening, -1 to 1 (0 for a
    /// question of no known word). The question is made of `parts`' words
    /// (a follow-up and the question before it), and each part's meaning
    /// counts alike, however many words it has and however little its
    /// words count in matching: what "and what do they do with it?" means
    /// is as much the question before it. (On the tuning part's 49
    /// follow-ups: 39 right this way, 37 and 36 with the parts weighing by
    /// the root of their matching weight or by the weight itself.)
    pub fn likeness(&self, parts: &[Vec<String>]) -> Vec<f32> {
        let mut meaning = [0.0; vectors::DIMS];
        for words in parts {
            let part = vectors::sentence(words.iter().map(|w| (w.as_str(), 1.0)), self.commonness, &self.learnt);
            vectors::add(&mut meaning, &part);
        }
        // At unit length, as the phrasings are: the whitening subtracts a
        // mean, so a longer vector would lose less of it.
        let question = self.whitening.apply(&vectors::unit(meaning));
        self.phrasings
            .iter()
            .map(|phrasings| {
                // A section none of whose phrasings has a known word is
                // neither near nor far: 0, where unrelated phrasings are
                // mostly a little below.
                phrasings
                    .iter()
                    .map(|p| vectors::likeness(&question, p))
                    .reduce(f32::max)
                    .unwrap_or(0.0)
            })
            .collect()
    }
}

/// The sum of the words' parts in a meaning, as `part` gives them.
fn sum_of(words: &[String], part: impl Fn(&str) -> Option<Meaning>) -> Meaning {
    let mut sum = [0.0; vectors::DIMS];
    for meaning in words.iter().filter_map(|w| part(w)) {
        vectors::add(&mut sum, &meaning);
    }
    sum
}

/// A direction for each word of the phrasings the table lacks: the mean
/// meaning (from `sums`, the words the table has) of the phrasings it is
/// in. The table is older than the names sotto's questions turn on
/// ("vllm", "ollama", "sotto" itself); without this, "how do I set up
/// vllm" means "how do I set up" and reads like any other app's setup.
fn learn_missing_words(
    tokenised: &[Vec<Vec<String>>],
    sums: &[Vec<Meaning>],
    in_table: impl Fn(&str) -> bool,
) -> HashMap<String, Meaning> {
    let mut learnt: HashMap<String, Meaning> = HashMap::new();
    for (words, sum) in tokenised.iter().flatten().zip(sums.iter().flatten()) {
        if sum.iter().all(|x| *x == 0.0) {
            continue;
        }
        let meaning = vectors::unit(*sum);
        let mut missing: Vec<&String> = words.iter().filter(|w| !in_table(w)).collect();
        missing.sort_unstable();
        missing.dedup();
        for word in missing {
            vectors::add(learnt.entry(word.clone()).or_insert([0.0; vectors::DIMS]), &meaning);
        }
    }
    learnt
        .into_iter()
        .map(|(word, sum)| (word, vectors::unit(sum)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::knowledge::parse;
    use super::*;

    fn semantics(text: &str) -> (Vec<Section>, Semantics) {
        let sections = parse("t.md", "t.md", text);
        let semantics = Semantics::new(&sections, &[], &Analyzer::default(), &HashMap::new());
        (sections, semantics)
    }

    fn question(text: &str) -> Vec<Vec<String>> {
        vec![words(text)]
    }

    #[test]
    fn a_name_the_table_lacks_means_what_its_phrasings_mean() {
        let (_, semantics) = semantics(
            "## Linking the frobnitzer\n<!-- asked as: connect the frobnitzer to the network | frobnitzer server address -->\nText.\n\
             ## Baking bread\n<!-- asked as: flour and yeast for a loaf | how long to knead dough -->\nText.\n",
        );
        assert!(vectors::word("frobnitzer").is_none());
        assert!(semantics.learnt.contains_key("frobnitzer"));
        let likeness = semantics.likeness(&question("frobnitzer"));
        assert!(likeness[0] > 0.5 && likeness[0] > likeness[1] + 0.5, "{likeness:?}");
    }

    #[test]
    fn a_phrasing_asked_word_for_word_is_alike_to_itself() {
        // Phrasings' meanings are summed from a table of their words, a
        // question's by `vectors::sentence`: the two must agree.
        let sections = super::super::knowledge::built_in();
        let semantics = Semantics::new(&sections, &[], &Analyzer::default(), &HashMap::new());
        for (at, section) in sections.iter().enumerate().step_by(7) {
            for phrasing in section.phrasings().take(3) {
                let likeness = semantics.likeness(&question(phrasing));
                assert!((likeness[at] - 1.0).abs() < 1e-4, "{phrasing:?}: {}", likeness[at]);
            }
        }
    }

    #[test]
    fn a_follow_ups_own_words_are_not_drowned_by_a_long_previous_question() {
        let sections = super::super::knowledge::built_in();
        let semantics = Semantics::new(&sections, &[], &Analyzer::default(), &HashMap::new());
        let at = |id: &str| sections.iter().position(|s| s.id == id).unwrap();
        let (export, wipe) = (
            at("view-export-wipe#exporting-your-conversations"),
            at("view-export-wipe#wiping-a-conversation-for-good"),
        );
        let long_export = "how do i export all of my conversations to a file on my computer";
        let before = semantics.likeness(&question(long_export));
        let after = semantics.likeness(&[words("and delete it for good?"), words(long_export)]);
        let merged = semantics.likeness(&question(&format!("and delete it for good? {long_export}")));
        // The long previous question still counts, but does not drown the
        // follow-up's own few words, as it does when all the words are one
        // sentence.
        let alone = semantics.likeness(&question("and delete it for good?"));
        assert!(
            after[export] > alone[export] + 0.05,
            "{} {}",
            alone[export],
            after[export]
        );
        let (lift, merged_lift) = (after[wipe] - before[wipe], merged[wipe] - before[wipe]);
        assert!(lift > 0.1 && lift > merged_lift + 0.02, "{lift} {merged_lift}");
    }
}
