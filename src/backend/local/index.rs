//! Ranking sections for a question: BM25 over normalised, stemmed terms, with
//! heading words counting several times over body words (a BM25F-style field
//! weight), because a section's headings say what it is about.

use std::collections::HashMap;

use super::knowledge::Section;
use super::text::Analyzer;

const K1: f64 = 1.2;
const B: f64 = 0.75;
/// How much a heading word counts against a body word.
const HEADING_WEIGHT: f64 = 3.0;

struct Doc {
    /// Weighted term frequencies.
    tf: HashMap<u32, f64>,
    length: f64,
}

pub struct Index {
    analyzer: Analyzer,
    sections: Vec<Section>,
    docs: Vec<Doc>,
    terms: HashMap<String, u32>,
    /// Inverse document frequency per term id.
    idf: Vec<f64>,
    average_length: f64,
}

/// A ranked section with its score and how much of the question it covers.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    pub section: usize,
    pub score: f64,
    /// The share of the question's weight (by IDF) found in the section, 0 to 1.
    pub coverage: f64,
}

impl Index {
    pub fn new(sections: Vec<Section>) -> Self {
        let analyzer = Analyzer::default();
        let mut terms: HashMap<String, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        let mut docs = Vec::with_capacity(sections.len());
        for section in &sections {
            let mut tf: HashMap<u32, f64> = HashMap::new();
            let mut length = 0.0;
            let fields = [
                (section.headings.join(" "), HEADING_WEIGHT),
                (section.body.clone(), 1.0),
            ];
            for (text, weight) in fields {
                for term in analyzer.terms(&text) {
                    let next = terms.len() as u32;
                    let id = *terms.entry(term).or_insert(next);
                    if id as usize == df.len() {
                        df.push(0);
                    }
                    *tf.entry(id).or_default() += weight;
                    length += weight;
                }
            }
            for id in tf.keys() {
                df[*id as usize] += 1;
            }
            docs.push(Doc { tf, length });
        }
        let n = docs.len().max(1) as f64;
        let idf = df
            .iter()
            .map(|&d| (1.0 + (n - d as f64 + 0.5) / (d as f64 + 0.5)).ln())
            .collect();
        let average_length = docs.iter().map(|d| d.length).sum::<f64>() / n;
        Index {
            analyzer,
            sections,
            docs,
            terms,
            idf,
            average_length: average_length.max(1.0),
        }
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The best `limit` sections for `question`, best first; empty if no word matches.
    pub fn search(&self, question: &str, limit: usize) -> Vec<Hit> {
        let mut query: Vec<String> = self.analyzer.terms(question);
        query.sort();
        query.dedup();
        // Words the base has never seen count against coverage like an
        // ordinary word: a question about something else is mostly unseen.
        let unseen_weight = self.idf.iter().sum::<f64>() / self.idf.len().max(1) as f64;
        let weights: Vec<(Option<u32>, f64)> = query
            .iter()
            .map(|t| match self.terms.get(t) {
                Some(&id) => (Some(id), self.idf[id as usize]),
                // An unseen word with digits in it is an identifier, a date or
                // an example ("Summer2024"): it says little about the topic.
                None if t.chars().any(|c| c.is_ascii_digit()) => (None, unseen_weight / 4.0),
                None => (None, unseen_weight),
            })
            .collect();
        let total_weight: f64 = weights.iter().map(|(_, w)| w).sum();
        if total_weight == 0.0 {
            return Vec::new();
        }
        let mut hits: Vec<Hit> = self
            .docs
            .iter()
            .enumerate()
            .filter_map(|(i, doc)| {
                let mut score = 0.0;
                let mut covered = 0.0;
                for (id, weight) in &weights {
                    let Some(tf) = id.and_then(|id| doc.tf.get(&id)) else {
                        continue;
                    };
                    let norm = K1 * (1.0 - B + B * doc.length / self.average_length);
                    score += weight * tf * (K1 + 1.0) / (tf + norm);
                    covered += weight;
                }
                (score > 0.0).then_some(Hit {
                    section: i,
                    score,
                    coverage: covered / total_weight,
                })
            })
            .collect();
        // A section that answers more of the question beats one that matches
        // a single rare word many times.
        hits.sort_by(|a, b| rank(b).total_cmp(&rank(a)).then(a.section.cmp(&b.section)));
        hits.truncate(limit);
        hits
    }
}

/// The ordering key: BM25 scaled by how much of the question is covered.
fn rank(hit: &Hit) -> f64 {
    hit.score * (0.5 + hit.coverage)
}

#[cfg(test)]
mod tests {
    use super::super::knowledge::parse;
    use super::*;

    fn index() -> Index {
        Index::new(parse(
            "t.md",
            "t.md",
            "## Wiping a conversation\nWipe removes it for good.\n\
             ## Exporting\nExport writes a file with your conversations.\n\
             ## Passphrases\nA strong passphrase has several random words.\n",
        ))
    }

    #[test]
    fn the_section_about_the_question_ranks_first() {
        let index = index();
        let hit = index.search("how can I wipe a conversation?", 3)[0];
        assert_eq!(
            index.sections()[hit.section].headings.last().unwrap(),
            "Wiping a conversation"
        );
        let hit = index.search("choosing a good passphrase", 3)[0];
        assert_eq!(index.sections()[hit.section].headings.last().unwrap(), "Passphrases");
    }

    #[test]
    fn heading_words_weigh_more_than_body_words() {
        // "conversations" is in the export body and the wipe heading.
        let index = index();
        let hit = index.search("conversation", 1)[0];
        assert_eq!(
            index.sections()[hit.section].headings.last().unwrap(),
            "Wiping a conversation"
        );
    }

    #[test]
    fn unrelated_questions_match_nothing() {
        assert!(index().search("banana bread recipe", 3).is_empty());
    }
}
