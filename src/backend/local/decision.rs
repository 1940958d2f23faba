//! When the bot answers: a section must cover enough of the question, part
//! of it in what the section is about (its heading and "asked as" lines),
//! read like one of its phrasings, score high enough, and clearly beat the
//! runner-up; closer than that, the bot asks which topic was meant. Also what
//! reads as a follow-up to the previous question. The figures were tuned on
//! the tuning part of the labelled question set (tests/data/kb_questions.toml).

use super::Answer;
use super::index::Hit;
use super::text;

/// The least share of a question's weight a section must cover to be the answer.
const MIN_COVERAGE: f64 = 0.4;
/// The least share of it that must be in the section's heading or "asked
/// as" phrasings (what the section is about, not words it uses in passing).
const MIN_TOPIC_COVERAGE: f64 = 0.1;
/// The least likeness to one of the section's phrasings (its heading or an
/// "asked as" line) an answer must reach.
const MIN_PHRASING: f64 = 0.3;
/// The least BM25F score an answer must reach.
const MIN_SCORE: f64 = 2.0;
/// How many times the runner-up's rank the best section's must reach to be
/// the answer; closer than that, the bot asks which topic was meant.
const MARGIN: f64 = 1.05;
/// A runner-up within this factor of the answer's rank is named under it.
const RELATED_WITHIN: f64 = 2.0;
/// How much the previous question counts when reading a follow-up.
pub const CONTEXT_WEIGHT: f64 = 0.3;
/// Words that open a follow-up ("and for OpenAI?", "what about llama.cpp?").
const FOLLOW_UP_OPENERS: &[&str] = &["and", "also", "but", "so", "then", "or", "same"];
/// Words that point back at the previous question ("undo that").
const POINTERS: &[&str] = &["that", "it", "this", "those", "them", "there", "ones"];

fn is_confident(hit: &Hit) -> bool {
    hit.coverage >= MIN_COVERAGE
        && hit.topic_coverage >= MIN_TOPIC_COVERAGE
        && hit.phrasing >= MIN_PHRASING
        && hit.score >= MIN_SCORE
}

/// The answer the ranked `hits` (best first) support: the best section when
/// it is good enough and clearly ahead of the runner-up.
pub fn decide(hits: &[Hit]) -> Answer {
    let nearest = || hits.iter().map(|h| h.section).collect();
    match hits {
        [best, ..] if !is_confident(best) => Answer::Unknown { nearest: nearest() },
        [best] => Answer::Found {
            section: best.section,
            related: Vec::new(),
        },
        [best, second, ..] if best.rank() >= MARGIN * second.rank() => Answer::Found {
            section: best.section,
            related: hits[1..]
                .iter()
                .filter(|h| h.rank() * RELATED_WITHIN >= best.rank() && is_confident(h))
                .map(|h| h.section)
                .collect(),
        },
        [_, _, ..] => Answer::DidYouMean { nearest: nearest() },
        [] => Answer::Unknown { nearest: Vec::new() },
    }
}

/// Whether `words` (lower case, stop words kept) read as a follow-up: they
/// open with "and", "what about" and the like, or are a short question that
/// points back ("how do I undo that?", "does it do that on its own?").
pub fn is_follow_up(words: &[String]) -> bool {
    let word = |i: usize| words.get(i).map_or("", String::as_str);
    let opens = FOLLOW_UP_OPENERS.contains(&word(0)) || (matches!(word(0), "what" | "how") && word(1) == "about");
    let content = words.iter().filter(|w| !text::is_stop_word(w)).count();
    opens || (content <= 4 && words.iter().any(|w| POINTERS.contains(&w.as_str())))
}
