//! Ranking sections for a question: BM25F over normalised, stemmed terms in
//! three fields of each section. A section's own heading and the phrasings
//! people use to ask for it ("asked as") say what it is about, so they weigh
//! more than its body; each field has its own length normalisation. A word
//! the base has never seen is corrected to the nearest known word when it is
//! one typo away (two for long words) and starts with the same letter, so
//! "delet my convresation" still finds the wipe section. A word the base
//! never uses, spelt right, stands for the base's term nearest to it in
//! meaning, at a discount; and every section is scored for how alike the
//! question is in meaning to its nearest phrasing (`semantics`), which
//! lifts its rank. Off-topic themes, questions the built-in base does not
//! answer, are ranked beside the sections by their "asked as" lines alone
//! and never returned: each hit carries the nearest theme's rank and
//! likeness for the decision. Their words are
//! the base's words (in IDF and the fields' average lengths too), but no
//! typo is corrected towards a word only they use.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::knowledge::Section;
use super::semantics::Semantics;
use super::text::{Analyzer, CachedTerms, known_words, words};
use fields::{ASKED, BODY, FieldCounts, TITLE};
pub use hit::Hit;
use hit::rank;
use query::Query;

mod fields;
mod hit;
mod query;

const K1: f64 = 1.2;
/// How much a word the base has never seen weighs, against the average known
/// word: a question full of words about something else is about something else.
const UNSEEN_WEIGHT: f64 = 2.0;
/// How strongly likeness in meaning lifts a section's rank (`rank`), times
/// how far the likeness can be trusted (`Semantics::trust`: near 1 for the
/// built-in base, near 0 for a base of a few sections, whose likeness is a
/// plain cosine, high for nearly any two sentences). 3 since the tuning
/// part's questions joined the phrasings (2 before; BENCHMARKS.md).
const MEANING_BOOST: f64 = 3.0;
/// How alike in meaning the nearest section must be to a question to be
/// offered among its topics when its words do not rank it.
const OFFER_MEANING: f64 = 0.5;
/// How much a term standing in for an unseen word adds to a section's
/// score, against the term itself (times how near in meaning it is). It
/// adds nothing to what the section covers: the word stays unseen there.
const STAND_IN_WEIGHT: f64 = 0.5;

/// One weighted piece of a question: the words, and how much they count
/// (a follow-up's previous question counts less than the follow-up).
#[derive(Clone, Copy, Debug)]
pub struct QueryPart<'a> {
    pub text: &'a str,
    pub weight: f64,
}

pub struct Index {
    analyzer: Analyzer,
    sections: Vec<Section>,
    /// The off-topic themes, after the sections in the postings and
    /// phrasings: ranked like sections, never a hit (see `Hit::off_topic`).
    themes: Vec<Section>,
    terms: HashMap<String, u32>,
    /// Per term: the sections holding it, with the field-weighted,
    /// length-normalised term frequency.
    postings: Vec<Vec<Posting>>,
    /// Inverse document frequency per term id.
    idf: Vec<f64>,
    /// Words known to the base, by length in characters, for typo correction.
    vocabulary: Vec<Vec<String>>,
    /// Per section: its own heading and each "asked as" phrasing, as term
    /// ids with the phrasing's norm (the root of its terms' squared IDFs).
    phrasings: Vec<Vec<(Vec<u32>, f64)>>,
    /// Built at the first question, or before it when the app warms the
    /// bot (`warm`): it costs tens of milliseconds, which the start of a
    /// session need not pay.
    semantics: OnceLock<Semantics>,
}

/// One section holding a term.
#[derive(Clone, Copy)]
struct Posting {
    section: u32,
    /// The field-weighted, length-normalised term frequency.
    tf: f64,
    /// Whether the term is in the section's heading or "asked as" phrasings,
    /// the fields that say what the section is about.
    in_topic: bool,
}

impl Index {
    /// An index of `sections`, with `off_topic` themes ranked beside them:
    /// questions the sections do not answer, never themselves a hit.
    pub fn new(sections: Vec<Section>, off_topic: Vec<Section>) -> Self {
        let analyzer = Analyzer::default();
        let mut vocabulary: std::collections::BTreeSet<String> = known_words().map(str::to_owned).collect();
        // A theme counts by its questions alone: its heading ("Other apps'
        // chat history and exports") names what the questions share, and
        // would weigh a heading's worth against sotto's own "export my chat
        // history".
        let themes: Vec<Section> = off_topic
            .into_iter()
            .map(|theme| Section {
                headings: Vec::new(),
                body: String::new(),
                ..theme
            })
            .collect();
        let documents: Vec<&Section> = sections.iter().chain(&themes).collect();
        let mut cached = CachedTerms::new(&analyzer);
        let mut counted: Vec<FieldCounts> = sections.iter().map(|s| FieldCounts::of(s, &mut cached)).collect();
        // A misspelt word is corrected towards the sections' words only: one
        // corrected to a theme's word would be taken from the sections.
        vocabulary.extend(cached.words().cloned());
        counted.extend(themes.iter().map(|theme| FieldCounts::of(theme, &mut cached)));
        let n = documents.len().max(1) as f64;
        let mut average = [0.0; 3];
        for doc in &counted {
            for (field, length) in doc.lengths.iter().enumerate() {
                average[field] += length / n;
            }
        }
        let fields = [TITLE, ASKED, BODY];
        let mut terms: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<Posting>> = Vec::new();
        for (doc, counts) in counted.iter().enumerate() {
            let mut weighted: HashMap<&str, f64> = HashMap::new();
            for (field, spec) in fields.iter().enumerate() {
                let norm = 1.0 - spec.b + spec.b * counts.lengths[field] / average[field].max(1.0);
                for (term, tf) in &counts.counts[field] {
                    *weighted.entry(term).or_default() += spec.weight * tf / norm;
                }
            }
            let mut weighted: Vec<(&str, f64)> = weighted.into_iter().collect();
            weighted.sort_by(|a, b| a.0.cmp(b.0));
            for (term, tf) in weighted {
                let next = terms.len() as u32;
                let id = *terms.entry(term.to_owned()).or_insert(next);
                if id as usize == postings.len() {
                    postings.push(Vec::new());
                }
                let in_topic = counts.counts[..2].iter().any(|field| field.contains_key(term));
                postings[id as usize].push(Posting {
                    section: doc as u32,
                    tf,
                    in_topic,
                });
            }
        }
        let idf: Vec<f64> = postings
            .iter()
            .map(|list| {
                let d = list.len() as f64;
                (1.0 + (n - d + 0.5) / (d + 0.5)).ln()
            })
            .collect();
        let phrasings = documents
            .iter()
            .map(|section| {
                section
                    .phrasings()
                    .map(|phrasing| {
                        let mut ids: Vec<u32> = words(phrasing)
                            .iter()
                            .filter_map(|word| terms.get(&cached.term(word)?).copied())
                            .collect();
                        ids.sort_unstable();
                        ids.dedup();
                        let norm = ids.iter().map(|&id| idf[id as usize].powi(2)).sum::<f64>().sqrt();
                        (ids, norm)
                    })
                    .filter(|(ids, _)| !ids.is_empty())
                    .collect()
            })
            .collect();
        let mut by_length: Vec<Vec<String>> = Vec::new();
        for word in vocabulary {
            let length = word.chars().count();
            if by_length.len() <= length {
                by_length.resize(length + 1, Vec::new());
            }
            by_length[length].push(word);
        }
        Index {
            analyzer,
            sections,
            themes,
            terms,
            postings,
            idf,
            vocabulary: by_length,
            phrasings,
            semantics: OnceLock::new(),
        }
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// Builds what the first question would otherwise wait for.
    pub fn warm(&self) {
        self.semantics();
    }

    fn semantics(&self) -> &Semantics {
        self.semantics
            .get_or_init(|| Semantics::new(&self.sections, &self.themes, &self.analyzer, &self.terms))
    }

    /// Whether `text` has a word that only the off-topic themes use ("and
    /// for WhatsApp?"): it names something the sections never mention.
    pub fn names_off_topic(&self, text: &str) -> bool {
        words(text).iter().any(|word| {
            self.analyzer
                .term(word)
                .and_then(|term| self.terms.get(&term))
                .is_some_and(|&id| self.only_themes_use(id))
        })
    }

    /// Whether the term `id` is used by the off-topic themes alone.
    fn only_themes_use(&self, id: u32) -> bool {
        let sections = self.sections.len() as u32;
        self.postings[id as usize].iter().all(|p| p.section >= sections)
    }

    /// The best `limit` sections for `question`, best first; empty if no word matches.
    pub fn search(&self, question: &str, limit: usize) -> Vec<Hit> {
        self.search_parts(
            &[QueryPart {
                text: question,
                weight: 1.0,
            }],
            limit,
        )
    }

    /// The best `limit` sections for a question made of weighted parts.
    pub fn search_parts(&self, parts: &[QueryPart], limit: usize) -> Vec<Hit> {
        let Query {
            terms: query,
            stand_ins,
            words: question_words,
            names_off_topic,
        } = self.query(parts);
        let total_weight: f64 = query.iter().map(|(_, w)| w).sum();
        if total_weight == 0.0 {
            return Vec::new();
        }
        let documents = self.sections.len() + self.themes.len();
        let mut score = vec![0.0; documents];
        let mut covered = vec![0.0; documents];
        let mut on_topic = vec![0.0; documents];
        for (id, weight) in &query {
            let Some(id) = id else { continue };
            for posting in &self.postings[*id as usize] {
                let doc = posting.section as usize;
                score[doc] += weight * posting.tf * (K1 + 1.0) / (posting.tf + K1);
                covered[doc] += weight;
                if posting.in_topic {
                    on_topic[doc] += weight;
                }
            }
        }
        for (id, weight) in &stand_ins {
            for posting in &self.postings[*id as usize] {
                let doc = posting.section as usize;
                score[doc] += weight * posting.tf * (K1 + 1.0) / (posting.tf + K1);
            }
        }
        let query_norm = query.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        let weights: HashMap<u32, f64> = query.iter().filter_map(|(id, w)| Some(((*id)?, *w))).collect();
        let phrasing = |section: usize| {
            self.phrasings[section]
                .iter()
                .map(|(ids, norm)| {
                    let dot: f64 = ids
                        .iter()
                        .filter_map(|id| Some(weights.get(id)? * self.idf[*id as usize]))
                        .sum();
                    dot / (norm * query_norm)
                })
                .fold(0.0, f64::max)
        };
        let meanings = self.semantics().likeness(&question_words);
        let lift = MEANING_BOOST * self.semantics().trust();
        let (meaning, theme_meaning) = meanings.split_at(self.sections.len());
        let nearest = meaning.iter().copied().fold(f32::MIN, f32::max);
        let alone = meaning.iter().filter(|&&m| m >= nearest).count() == 1;
        let off_topic = (self.sections.len()..documents)
            .filter(|&theme| score[theme] > 0.0)
            .map(|theme| {
                let coverage = covered[theme] / total_weight;
                let meaning = f64::from(theme_meaning[theme - self.sections.len()]);
                rank(score[theme], coverage, phrasing(theme), lift * meaning)
            })
            .fold(0.0, f64::max);
        let off_topic_meaning = theme_meaning.iter().copied().fold(-1.0, f32::max);
        let hit = |section: usize| Hit {
            section,
            score: score[section],
            coverage: covered[section] / total_weight,
            topic_coverage: on_topic[section] / total_weight,
            phrasing: phrasing(section),
            meaning: f64::from(meaning[section]),
            nearest_in_meaning: alone && meaning[section] >= nearest && nearest > 0.0,
            lift,
            names_off_topic: names_off_topic && self.sections[section].is_built_in(),
            // The themes are what the built-in base does not answer; the
            // user's own notes may well cover them.
            off_topic: if self.sections[section].is_built_in() {
                off_topic
            } else {
                0.0
            },
            off_topic_meaning: if self.sections[section].is_built_in() {
                f64::from(off_topic_meaning)
            } else {
                -1.0
            },
            built_in: self.sections[section].is_built_in(),
        };
        let mut hits: Vec<Hit> = (0..self.sections.len())
            .filter(|&section| score[section] > 0.0)
            .map(hit)
            .collect();
        hits.sort_by(|a, b| b.rank().total_cmp(&a.rank()).then(a.section.cmp(&b.section)));
        hits.truncate(limit);
        // The section nearest in meaning is offered even when the words
        // alone rank it lower: it takes the last of three places. After a
        // lone hit it comes second, but a section the words did not rank
        // has no score (rank 0), so it takes nothing from the best one's
        // lead in rank; it does narrow its lead in meaning, as a rival in
        // meaning should.
        let offered = meaning
            .iter()
            .position(|&m| alone && m >= nearest && f64::from(m) >= OFFER_MEANING);
        if let Some(section) = offered
            && limit >= 3
            && !hits.iter().any(|h| h.section == section)
        {
            hits.truncate(limit - 1);
            hits.push(hit(section));
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::super::knowledge::parse;
    use super::*;

    fn index() -> Index {
        Index::new(
            parse(
                "t.md",
                "t.md",
                "## Wiping a conversation\nWipe removes it for good.\n\
             ## Exporting\n<!-- asked as: download my history -->\nExport writes a file with your conversations.\n\
             ## Passphrases\nA strong passphrase has several random words.\n",
            ),
            Vec::new(),
        )
    }

    fn top(index: &Index, question: &str) -> String {
        let hit = index.search(question, 3)[0];
        index.sections()[hit.section].headings.last().unwrap().clone()
    }

    #[test]
    fn warming_builds_the_meanings_the_first_question_would_wait_for() {
        let index = index();
        assert!(index.semantics.get().is_none());
        index.warm();
        assert!(index.semantics.get().is_some());
    }

    #[test]
    fn the_section_about_the_question_ranks_first() {
        let index = index();
        assert_eq!(top(&index, "how can I wipe a conversation?"), "Wiping a conversation");
        assert_eq!(top(&index, "choosing a good passphrase"), "Passphrases");
    }

    #[test]
    fn heading_words_weigh_more_than_body_words() {
        // "conversations" is in the export body and the wipe heading.
        assert_eq!(top(&index(), "conversation"), "Wiping a conversation");
    }

    #[test]
    fn asked_as_phrasings_lead_to_their_section() {
        assert_eq!(top(&index(), "can I download all my history?"), "Exporting");
    }

    #[test]
    fn a_typo_is_corrected_to_a_known_word() {
        assert_eq!(top(&index(), "how do I exprot?"), "Exporting");
        assert_eq!(top(&index(), "pasphrase"), "Passphrases");
        // A misspelt stop word is not an unknown topic word.
        let hit = index().search("wher passphrase", 1)[0];
        assert!((hit.coverage - 1.0).abs() < 1e-9, "{hit:?}");
    }

    #[test]
    fn unrelated_questions_match_nothing() {
        assert!(index().search("banana bread recipe", 3).is_empty());
    }

    #[test]
    fn a_weaker_part_of_the_question_counts_less() {
        let index = index();
        let parts = [
            QueryPart {
                text: "passphrase",
                weight: 1.0,
            },
            QueryPart {
                text: "export",
                weight: 0.3,
            },
        ];
        let hit = index.search_parts(&parts, 1)[0];
        assert_eq!(index.sections()[hit.section].headings.last().unwrap(), "Passphrases");
    }

    #[test]
    fn a_word_the_base_never_uses_finds_the_term_nearest_in_meaning_without_covering_it() {
        let index = Index::new(
            parse(
                "t.md",
                "t.md",
                "## Riding a bicycle\nKeep the chain oiled.\n## Passphrases\nA strong passphrase has several random words.\n",
            ),
            Vec::new(),
        );
        let hits = index.search("bike", 3);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(index.sections()[hits[0].section].headings[0], "Riding a bicycle");
        // It ranks the section, but the question's word is still unseen there.
        assert!(hits[0].score > 0.0 && hits[0].coverage == 0.0, "{:?}", hits[0]);
    }

    #[test]
    fn a_rewording_is_nearest_in_meaning_to_its_sections_phrasing() {
        let index = index();
        let hits = index.search("how do I get rid of a conversation", 3);
        let nearest: Vec<&str> = hits
            .iter()
            .filter(|h| h.nearest_in_meaning)
            .map(|h| index.sections()[h.section].headings[0].as_str())
            .collect();
        assert_eq!(nearest, ["Wiping a conversation"], "{hits:?}");
        assert!(hits.iter().all(|h| (-1.0..=1.0).contains(&h.meaning)));
    }

    #[test]
    fn an_off_topic_theme_is_ranked_but_never_a_hit() {
        let exporting = "## Exporting\nExport writes a file with your conversations.\n";
        let theme = || {
            parse(
                "o.md",
                "o.md",
                "## Other apps\n<!-- asked as: export my whatsapp chats -->\nOff topic.\n",
            )
        };
        let index = Index::new(parse("sotto: t.md", "t.md", exporting), theme());
        let hits = index.search("export whatsapp chats", 3);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(index.sections().len(), 1);
        assert!(hits[0].off_topic > hits[0].rank(), "{hits:?}");
        assert!(index.names_off_topic("and for whatsapp?") && !index.names_off_topic("and for exports?"));
        // A question the theme does not touch leaves it at nothing.
        assert_eq!(index.search("writes a file", 3)[0].off_topic, 0.0);
        // The user's own sections are not weighed against the themes.
        let users = Index::new(parse("notes/t.md", "t.md", exporting), theme());
        assert_eq!(users.search("export whatsapp chats", 3)[0].off_topic, 0.0);
    }

    #[test]
    fn no_typo_is_corrected_towards_a_word_only_the_themes_use() {
        let index = Index::new(
            parse(
                "sotto: t.md",
                "t.md",
                "## Encrypting the vault\nThe vault is encrypted.\n",
            ),
            parse(
                "o.md",
                "o.md",
                "## Disks\n<!-- asked as: encrypt my disk with bitlocker -->\nOff topic.\n",
            ),
        );
        // Spelt right, the theme's word is the theme's.
        assert!(index.search("vault and bitlocker", 3)[0].off_topic > 0.0);
        // Misspelt, it is no word of the base's sections: left unseen.
        let hits = index.search("vault and bitlockr", 3);
        assert_eq!(hits[0].off_topic, 0.0, "{hits:?}");
    }

    #[test]
    fn two_sections_equally_near_in_meaning_give_neither_the_lead() {
        let index = Index::new(
            parse(
                "t.md",
                "t.md",
                "# Printer\n## Installing\nRun the installer.\n# Scanner\n## Installing\nCopy the driver.\n",
            ),
            Vec::new(),
        );
        let hits = index.search("installing", 3);
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert!(
            hits.iter().all(|h| h.meaning > 0.9 && !h.nearest_in_meaning),
            "{hits:?}"
        );
    }

    #[test]
    fn the_section_nearest_in_meaning_is_offered_when_the_words_do_not_rank_it() {
        let index = Index::new(
            parse(
                "t.md",
                "t.md",
                "## Cleaning knives\nBoil water, italian style.\n## Storing jars\nBoil water, italian style.\n\
             ## Labelling shelves\nBoil water, italian style.\n## Baking bread\nFlour and yeast.\n",
            ),
            Vec::new(),
        );
        let hits = index.search("boil water italian", 3);
        let titles: Vec<&str> = hits
            .iter()
            .map(|h| index.sections()[h.section].headings[0].as_str())
            .collect();
        assert_eq!(titles.len(), 3, "{hits:?}");
        // The words rank the first three; the last place goes to meaning.
        assert_eq!(titles[2], "Baking bread", "{hits:?}");
        assert!(hits[2].score == 0.0 && hits[2].nearest_in_meaning, "{hits:?}");
    }
}
