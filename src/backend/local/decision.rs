//! When the bot answers: when the best-ranked section is likely enough the
//! right one (`likelihood`, a model learnt from the tuning part of the
//! labelled question set, tests/data/kb_questions.toml). Otherwise it asks
//! which topic was meant when the best one fits the question's words well,
//! and says it does not know, naming the nearest topics, when not. A
//! built-in best that reads like one of the off-topic themes (other apps,
//! general knowledge) leaves the answer to the user's own sections. Also
//! what reads as a follow-up to the previous question.

use super::Answer;
use super::index::Hit;
use super::text;
use likelihood::{ANSWER_AT, likelihood};

#[cfg(test)]
mod fit;
mod likelihood;

/// What a section fits the question's words well with (`is_confident`):
/// such a best section that is not the answer makes the bot ask which topic
/// was meant, and such a runner-up is named under an answer.
///
/// The least share of a question's weight it covers.
const MIN_COVERAGE: f64 = 0.45;
/// The least share of it that must be in the section's heading or "asked
/// as" phrasings (what the section is about, not words it uses in passing).
const MIN_TOPIC_COVERAGE: f64 = 0.1;
/// The least likeness to one of the section's phrasings (its heading or an
/// "asked as" line).
const MIN_PHRASING: f64 = 0.3;
/// The least BM25F score.
const MIN_SCORE: f64 = 2.0;
/// How many times the nearest off-topic theme's rank the best section's
/// must reach: a question about exporting WhatsApp chats shares "export" and
/// "chats" with sotto's own export, but it is about WhatsApp.
const OFF_TOPIC_MARGIN: f64 = 1.25;
/// How much nearer in meaning (whitened likeness) to the best section's
/// phrasings than to the nearest off-topic theme's a question must not fall
/// short of: "keepass database forgot password" shares words with sotto's
/// forgotten passphrase, but it reads like the password-manager theme.
const OFF_TOPIC_MEANING_MARGIN: f64 = 0.1;
/// …when the theme is at least this alike: a short question ("and what
/// about ollama?") is mostly its little words, and reads a little like
/// everything.
const MIN_OFF_TOPIC_MEANING: f64 = 0.45;
/// How many times the runner-up's rank a best section taken on its words
/// alone (`fits_words`) must reach: a near tie is no lead.
const WORDS_LEAD: f64 = 1.05;
/// A runner-up within this factor of the answer's rank is named under it.
const RELATED_WITHIN: f64 = 2.0;
/// How much the previous question counts when reading a follow-up.
pub const CONTEXT_WEIGHT: f64 = 0.3;
/// Words that open a follow-up ("and for OpenAI?", "what about llama.cpp?").
const FOLLOW_UP_OPENERS: &[&str] = &["and", "also", "but", "so", "then", "or", "same"];
/// Words that point back at the previous question ("undo that").
const POINTERS: &[&str] = &["that", "it", "this", "those", "them", "there", "ones"];

/// Whether `hit` fits the question's words well (see [`MIN_COVERAGE`]).
fn is_confident(hit: &Hit) -> bool {
    hit.coverage >= MIN_COVERAGE
        && hit.topic_coverage >= MIN_TOPIC_COVERAGE
        && hit.phrasing >= MIN_PHRASING
        && hit.score >= MIN_SCORE
}

/// Whether `hit` does not rank clearly above the off-topic theme nearest
/// the question, or is clearly less alike in meaning than it (never so for
/// the user's own sections: the themes are what the built-in base does
/// not answer).
fn reads_off_topic(hit: &Hit) -> bool {
    hit.built_in
        && (hit.rank() < OFF_TOPIC_MARGIN * hit.off_topic
            || (hit.off_topic_meaning >= MIN_OFF_TOPIC_MEANING
                && hit.meaning + OFF_TOPIC_MEANING_MARGIN < hit.off_topic_meaning))
}

/// Whether the best of `hits` reads more like an off-topic theme than like
/// itself: what the built-in base does not answer.
pub fn leads_off_topic(hits: &[Hit]) -> bool {
    hits.first().is_some_and(reads_off_topic)
}

/// The answer the ranked `hits` (best first) support, for a question of
/// `word_count` words: the best section when it is likely enough the right
/// one. A best built-in section that reads off topic is no answer, however
/// likely; it leaves the answer to the user's own sections below it.
pub fn decide(hits: &[Hit], word_count: usize) -> Answer {
    if !leads_off_topic(hits) {
        return decide_among(hits, word_count);
    }
    // Only the user's own sections: a built-in section below one that reads
    // off topic shares its nearest theme, and answering from it would skip
    // the comparison the best one lost. One of them takes the best one's
    // place only when it also fits the question's words well: among the
    // user's sections alone it often has no runner-up, and the model, learnt
    // where a lone hit is rare, counts that as the clearest of leads.
    let own: Vec<Hit> = hits.iter().filter(|h| !h.built_in).copied().collect();
    match decide_among(&own, word_count) {
        found @ Answer::Found { .. } if own.first().is_some_and(is_confident) => found,
        _ => Answer::Unknown {
            nearest: hits.iter().map(|h| h.section).collect(),
        },
    }
}

/// The answer among `hits`. A best section no other one rivals in words is
/// rare where the model was learnt, which counts it as the clearest of
/// leads; it must also fit the question's words well: a lone note of the
/// user's that a question barely touches is no answer.
fn decide_among(hits: &[Hit], word_count: usize) -> Answer {
    let nearest = || hits.iter().map(|h| h.section).collect();
    match hits {
        [] => Answer::Unknown { nearest: Vec::new() },
        [best, rest @ ..]
            if likelihood(hits, word_count) >= ANSWER_AT
                && (rest.first().is_some_and(|second| second.rank() > 0.0) || is_confident(best)) =>
        {
            found(best, rest)
        }
        [best, ..] if !is_confident(best) => Answer::Unknown { nearest: nearest() },
        _ => Answer::DidYouMean { nearest: nearest() },
    }
}

/// `best` as the answer, naming the runners-up of `rest` that fit the
/// question's words well and rank near it.
fn found(best: &Hit, rest: &[Hit]) -> Answer {
    Answer::Found {
        section: best.section,
        related: rest
            .iter()
            .filter(|h| h.rank() * RELATED_WITHIN >= best.rank() && is_confident(h))
            .map(|h| h.section)
            .collect(),
    }
}

/// The best of `hits` as the answer when it fits the question's words well,
/// leads the runner-up and does not read off topic, however unlikely the
/// model finds it: for a follow-up whose one or two words name a sibling
/// topic ("and for OpenAI?"), too short to look likely on its own.
pub fn fits_words(hits: &[Hit]) -> Option<Answer> {
    match hits {
        [best, rest @ ..]
            if is_confident(best)
                && !reads_off_topic(best)
                && rest
                    .first()
                    .is_none_or(|second| best.rank() >= WORDS_LEAD * second.rank()) =>
        {
            Some(found(best, rest))
        }
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::likelihood::{TYPICAL_THEME_LEAD, TYPICAL_THEME_LIKENESS, likelihood};
    use super::*;

    /// A question of a few words.
    const WORDS: usize = 6;

    /// A built-in section the words settle, as the ranking shows it for a
    /// plainly worded question: most of it covered, alike in meaning, an
    /// off-topic theme far behind and less alike.
    fn hit(section: usize) -> Hit {
        let plain = Hit {
            section,
            score: 8.0,
            coverage: 0.9,
            topic_coverage: 0.9,
            phrasing: 0.8,
            meaning: 0.6,
            nearest_in_meaning: true,
            lift: 3.0,
            names_off_topic: false,
            off_topic: 0.0,
            off_topic_meaning: 0.3,
            built_in: true,
        };
        Hit {
            off_topic: plain.rank() / 8.0,
            ..plain
        }
    }

    /// A section that covers little of the question and reads little like
    /// it, with the theme as far behind as in `hit`.
    fn vague(section: usize) -> Hit {
        Hit {
            score: 3.0,
            coverage: 0.3,
            topic_coverage: 0.3,
            phrasing: 0.2,
            meaning: 0.3,
            nearest_in_meaning: false,
            ..hit(section)
        }
    }

    /// `section` as `hit` has it, but with a theme ranked as high and more
    /// alike in meaning: it reads off topic.
    fn like_a_theme(section: usize) -> Hit {
        Hit {
            off_topic: hit(section).rank(),
            off_topic_meaning: 0.8,
            ..hit(section)
        }
    }

    /// `hit` as one of the user's own sections, which the ranking gives no
    /// theme (rank 0, likeness -1).
    fn users_own(hit: Hit) -> Hit {
        Hit {
            off_topic: 0.0,
            off_topic_meaning: -1.0,
            built_in: false,
            ..hit
        }
    }

    #[test]
    fn a_likely_best_is_the_answer_and_runners_up_that_fit_are_named() {
        let runner_up = Hit {
            score: 5.0,
            nearest_in_meaning: false,
            ..hit(2)
        };
        assert_eq!(
            decide(&[hit(1), runner_up, vague(3)], WORDS),
            Answer::Found {
                section: 1,
                related: vec![2]
            }
        );
    }

    #[test]
    fn an_unlikely_best_asks_which_if_it_fits_the_words_and_says_unknown_if_not() {
        // Two sections that fit the words about as well as each other, and
        // no better than middling: neither is likely the one.
        let middling = Hit {
            score: 5.0,
            coverage: 0.5,
            topic_coverage: 0.5,
            phrasing: 0.35,
            meaning: 0.45,
            nearest_in_meaning: false,
            off_topic_meaning: 0.4,
            ..hit(1)
        };
        let tie = Hit {
            off_topic: middling.rank() / 2.0,
            ..middling
        };
        let twin = Hit { section: 2, ..tie };
        assert!(is_confident(&tie) && likelihood(&[tie, twin], WORDS) < ANSWER_AT);
        assert_eq!(decide(&[tie, twin], WORDS), Answer::DidYouMean { nearest: vec![1, 2] });
        assert!(likelihood(&[vague(1)], WORDS) < ANSWER_AT);
        assert_eq!(decide(&[vague(1)], WORDS), Answer::Unknown { nearest: vec![1] });
        assert_eq!(decide(&[], WORDS), Answer::Unknown { nearest: Vec::new() });
        // Two that both fit well: the answer names the other under it.
        let strong_twin = Hit {
            section: 2,
            nearest_in_meaning: false,
            ..hit(1)
        };
        assert_eq!(
            decide(
                &[
                    Hit {
                        nearest_in_meaning: false,
                        ..hit(1)
                    },
                    strong_twin
                ],
                WORDS
            ),
            Answer::Found {
                section: 1,
                related: vec![2]
            }
        );
    }

    #[test]
    fn the_learnt_weights_count_each_piece_of_evidence_the_sensible_way() {
        // A middling best, then the same with one thing better: each must be
        // more likely the answer. A refit that weighed any of them the other
        // way would have learnt something about the set, not about answers.
        let middling = Hit {
            score: 5.0,
            coverage: 0.5,
            meaning: 0.5,
            nearest_in_meaning: false,
            off_topic_meaning: 0.45,
            ..hit(1)
        };
        let theme = middling.rank() / 2.0;
        let middling = Hit {
            off_topic: theme,
            ..middling
        };
        let runner_up = Hit {
            score: 4.0,
            meaning: 0.45,
            ..vague(2)
        };
        let p = |best: Hit| likelihood(&[best, runner_up], WORDS);
        let base = p(middling);
        let better = [
            ("ranks higher", Hit { score: 8.0, ..middling }),
            (
                "covers more",
                Hit {
                    coverage: 0.8,
                    ..middling
                },
            ),
            (
                "nearest in meaning",
                Hit {
                    nearest_in_meaning: true,
                    ..middling
                },
            ),
            (
                "more alike",
                Hit {
                    meaning: 0.7,
                    ..middling
                },
            ),
            (
                "theme further behind",
                Hit {
                    off_topic: theme / 4.0,
                    ..middling
                },
            ),
            (
                "theme less alike",
                Hit {
                    off_topic_meaning: 0.2,
                    ..middling
                },
            ),
        ];
        for (what, best) in better {
            assert!(p(best) > base, "{what}: {} is not above {base}", p(best));
        }
        let closer_runner_up = Hit {
            score: 6.0,
            ..runner_up
        };
        assert!(likelihood(&[middling, closer_runner_up], WORDS) < base);
        // Naming what only the themes name ("keepass") makes it less likely.
        let naming_a_theme = Hit {
            names_off_topic: true,
            ..middling
        };
        assert!(p(naming_a_theme) < base);
    }

    #[test]
    fn a_question_that_reads_like_an_off_topic_theme_is_declined() {
        // "keepass database forgot password": the words of sotto's forgotten
        // passphrase, the meaning of the password-manager theme.
        let like_the_theme = like_a_theme(1);
        assert!(reads_off_topic(&like_the_theme));
        assert_eq!(decide(&[like_the_theme], WORDS), Answer::Unknown { nearest: vec![1] });
        assert!(matches!(decide(&[hit(1)], WORDS), Answer::Found { section: 1, .. }));
    }

    #[test]
    fn a_built_in_section_under_an_off_topic_best_is_no_answer_however_near_in_meaning() {
        // The best reads like the theme; the one below it reads less like
        // the theme than like itself, and would be the answer on its own.
        let best = Hit {
            meaning: 0.3,
            off_topic_meaning: 0.7,
            ..hit(1)
        };
        let below = Hit {
            score: 6.0,
            meaning: 0.9,
            off_topic_meaning: 0.7,
            ..hit(2)
        };
        assert!(reads_off_topic(&best) && !reads_off_topic(&below));
        assert!(matches!(decide(&[below], WORDS), Answer::Found { section: 2, .. }));
        assert_eq!(decide(&[best, below], WORDS), Answer::Unknown { nearest: vec![1, 2] });
    }

    #[test]
    fn a_users_own_section_is_weighed_as_if_a_typical_theme_were_near() {
        // The ranking gives the user's sections no theme (rank 0, likeness
        // -1): read as it stands, that would make any note look certain.
        let own = users_own(vague(1));
        let against_typical_theme = Hit {
            off_topic: own.rank() / TYPICAL_THEME_LEAD.exp(),
            off_topic_meaning: TYPICAL_THEME_LIKENESS,
            built_in: true,
            ..own
        };
        let (p, q) = (likelihood(&[own], WORDS), likelihood(&[against_typical_theme], WORDS));
        assert!((p - q).abs() < 1e-9, "{p} and {q}");
        // A lone note the question barely touches is no answer, however its
        // lead counts; with a rival in words the model alone decides.
        assert_eq!(decide(&[own], WORDS), Answer::Unknown { nearest: vec![1] });
        let rival = Hit {
            score: 2.0,
            built_in: false,
            ..vague(2)
        };
        assert!(likelihood(&[own, rival], WORDS) < ANSWER_AT);
        let no_theme_at_all = Hit { built_in: true, ..own };
        assert!(likelihood(&[no_theme_at_all], WORDS) > p + 0.1);
    }

    #[test]
    fn the_users_own_section_under_an_off_topic_best_is_still_the_answer() {
        // A theme ranked as high, and as alike, as the built-in best.
        let built_in = like_a_theme(1);
        let own = users_own(Hit { score: 6.0, ..hit(2) });
        assert!(built_in.rank() > own.rank() && reads_off_topic(&built_in));
        assert!(matches!(
            decide(&[built_in, own], WORDS),
            Answer::Found { section: 2, .. }
        ));
        // Without a likely section of the user's, the offer lists both.
        let weak = users_own(vague(2));
        assert_eq!(
            decide(&[built_in, weak], WORDS),
            Answer::Unknown { nearest: vec![1, 2] }
        );
    }
}
