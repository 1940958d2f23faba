//! How likely the best-ranked section is the right answer: a logistic model
//! over what the ranking shows of it (how strongly it ranks, how far ahead
//! of the runner-up and of the nearest off-topic theme, how much of the
//! question it covers, how alike in meaning) and how long the question is.
//!
//! Thresholds chosen by hand, one signal at a time, fitted the wording of
//! the questions they were chosen on: asked by new writers, a long, chatty
//! question covers little of itself in any section, and most such questions
//! got "I don't know" with the right section first in the list. Weighed
//! together, each signal makes up for another. The weights are learnt from
//! the tuning part of the labelled question set (`fit`, whose test fails
//! when they are not what that part teaches).

use super::super::index::Hit;

/// How many pieces of evidence there are, the constant term included.
pub const EVIDENCE: usize = 10;

/// What a log-ratio counts for at most: a best section with no runner-up,
/// or no theme near it, is as clear as one far ahead.
const MAX_MARGIN: f64 = 3.0;
const MAX_OFF_TOPIC_MARGIN: f64 = 5.0;

/// How alike in meaning the nearest off-topic theme is taken to be for a
/// section of the user's own, which no theme rules out (the ranking gives it
/// none): the median for the questions the base answers in the tuning part
/// (0.36), so that a theme neither helps nor hurts it. Without it, the
/// lead in meaning over a theme of likeness -1 would make any note of the
/// user's look certain.
pub const TYPICAL_THEME_LIKENESS: f64 = 0.36;

/// The weight of each piece of evidence, in the order of [`evidence`]:
/// learnt from the tuning part (see `fit`).
pub const WEIGHTS: [f64; EVIDENCE] = [-6.922, 0.397, 0.896, 0.313, 0.947, 2.612, 2.597, 0.833, 1.827, 0.993];

/// The best section of `hits` (best first) is the answer when its
/// likelihood reaches this.
pub const ANSWER_AT: f64 = 0.5;

/// What the ranking shows of the best of `hits` (best first), for a
/// question of `words` words: the constant 1; the log of its rank; the log
/// of its lead over the runner-up and over the nearest off-topic theme
/// (capped); its likeness in meaning, and its lead in meaning over that
/// theme (over a typical one, for a section of the user's own); the share of the question it covers; whether it is the nearest
/// in meaning; its lead in meaning over the runner-up; and the log of the
/// question's length. `None` without hits.
pub fn evidence(hits: &[Hit], words: usize) -> Option<[f64; EVIDENCE]> {
    let best = hits.first()?;
    let runner_up = hits.get(1);
    let ln = |x: f64| x.max(1e-6).ln();
    let margin = runner_up.map_or(MAX_MARGIN, |r| ln(best.rank() / r.rank()).min(MAX_MARGIN));
    let off_topic_margin = if best.off_topic > 0.0 {
        ln(best.rank() / best.off_topic).min(MAX_OFF_TOPIC_MARGIN)
    } else {
        MAX_OFF_TOPIC_MARGIN
    };
    let theme_likeness = if best.built_in {
        best.off_topic_meaning
    } else {
        TYPICAL_THEME_LIKENESS
    };
    Some([
        1.0,
        ln(best.rank()),
        margin,
        off_topic_margin,
        best.meaning,
        best.meaning - theme_likeness,
        best.coverage,
        f64::from(u8::from(best.nearest_in_meaning)),
        best.meaning - runner_up.map_or(0.0, |r| r.meaning),
        ln(words.max(1) as f64),
    ])
}

/// How likely, 0 to 1, the best of `hits` is what a question of `words`
/// words asks for (0 without hits).
pub fn likelihood(hits: &[Hit], words: usize) -> f64 {
    evidence(hits, words).map_or(0.0, |e| logistic(&WEIGHTS, &e))
}

pub fn logistic(weights: &[f64; EVIDENCE], evidence: &[f64; EVIDENCE]) -> f64 {
    let z: f64 = weights.iter().zip(evidence).map(|(w, e)| w * e).sum();
    1.0 / (1.0 + (-z).exp())
}
