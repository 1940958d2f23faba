//! How likely the best-ranked section is the right answer: a logistic model
//! over what the ranking shows of it (how strongly it ranks, how far ahead
//! of the runner-up and of the nearest off-topic theme, how much of the
//! question it covers, how alike in meaning) and how long the question is.
//!
//! Thresholds chosen by hand, one signal at a time, fitted the wording of
//! the questions they were chosen on: asked by new writers, a long, chatty
//! question covers little of itself in any section, and most such questions
//! got "I don't know" with the right section first in the list. Weighed
//! together, each signal makes up for another. The weights, and the typical
//! theme a section of the user's own is weighed against, are learnt from
//! the tuning part of the labelled question set (`fit`, whose test fails
//! when they are not what that part teaches).

use super::super::index::Hit;

/// How many pieces of evidence there are, the constant term included.
pub const EVIDENCE: usize = 11;

/// What the log of the best section's lead over the runner-up counts for
/// at most: a best section with no runner-up (or one the words did not
/// rank) is as clear as one far ahead.
const MAX_MARGIN: f64 = 3.0;
/// What the log of its lead over the nearest off-topic theme counts for at
/// most, and counts when no theme shares a word with the question.
const MAX_OFF_TOPIC_MARGIN: f64 = 5.0;

/// The theme a section of the user's own is weighed against. No theme rules
/// such a section out, so the ranking gives it none (rank 0, likeness -1);
/// read as they stand, those would make any note of the user's look
/// certain. Instead it is weighed against a typical theme: the medians, for
/// the questions of the tuning part the base answers right, of the log of
/// the best section's lead over the nearest theme (capped as above) and of
/// that theme's likeness in meaning. Learnt with the weights (see `fit`).
pub const TYPICAL_THEME_LEAD: f64 = 2.883;
pub const TYPICAL_THEME_LIKENESS: f64 = 0.351;

/// The weight of each piece of evidence, in the order of [`evidence`]:
/// learnt from the tuning part (see `fit`).
pub const WEIGHTS: [f64; EVIDENCE] = [
    -8.363, 0.422, 0.717, 0.210, 2.025, 2.813, 3.458, 0.832, 1.587, 0.984, -0.816,
];

/// The best section of `hits` (best first) is the answer when its
/// likelihood reaches this: more likely right than not.
pub const ANSWER_AT: f64 = 0.5;

/// What the ranking shows of the best of `hits` (best first), for a
/// question of `word_count` words: the constant 1; the log of its rank;
/// the log of its lead over the runner-up and over the nearest off-topic
/// theme (each capped); its likeness in meaning, and its lead in meaning
/// over that theme; the share of the question it covers; whether it is
/// the nearest in meaning; its lead in meaning over the runner-up (its
/// likeness itself when alone, as in the fit); the log of the question's
/// length; and whether it names a word only the off-topic themes use. A section of the user's own is weighed against a
/// typical theme ([`TYPICAL_THEME_LEAD`]). `None` without hits.
pub(super) fn evidence(hits: &[Hit], word_count: usize) -> Option<[f64; EVIDENCE]> {
    let best = hits.first()?;
    let runner_up = hits.get(1);
    let ln = |x: f64| x.max(1e-6).ln();
    let margin = match runner_up {
        Some(r) if r.rank() > 0.0 => ln(best.rank() / r.rank()).min(MAX_MARGIN),
        _ => MAX_MARGIN,
    };
    let (theme_lead, theme_likeness) = if !best.built_in {
        (TYPICAL_THEME_LEAD, TYPICAL_THEME_LIKENESS)
    } else if best.off_topic > 0.0 {
        (
            ln(best.rank() / best.off_topic).min(MAX_OFF_TOPIC_MARGIN),
            best.off_topic_meaning,
        )
    } else {
        (MAX_OFF_TOPIC_MARGIN, best.off_topic_meaning)
    };
    Some([
        1.0,
        ln(best.rank()),
        margin,
        theme_lead,
        best.meaning,
        best.meaning - theme_likeness,
        best.coverage,
        f64::from(u8::from(best.nearest_in_meaning)),
        best.meaning - runner_up.map_or(0.0, |r| r.meaning),
        ln(word_count.max(1) as f64),
        f64::from(u8::from(best.names_off_topic)),
    ])
}

/// How likely, 0 to 1, the best of `hits` is what a question of
/// `word_count` words asks for (0 without hits).
pub(super) fn likelihood(hits: &[Hit], word_count: usize) -> f64 {
    evidence(hits, word_count).map_or(0.0, |e| logistic(&WEIGHTS, &e))
}

/// The logistic function of the weighted sum of `evidence`.
pub(super) fn logistic(weights: &[f64; EVIDENCE], evidence: &[f64; EVIDENCE]) -> f64 {
    let z: f64 = weights.iter().zip(evidence).map(|(w, e)| w * e).sum();
    1.0 / (1.0 + (-z).exp())
}
