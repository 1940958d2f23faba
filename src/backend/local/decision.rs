//! When the bot answers: a section must cover enough of the question, part
//! of it in what the section is about (its heading and "asked as" lines),
//! read like one of its phrasings, score high enough, and clearly beat the
//! runner-up; closer than that, the bot asks which topic was meant. A
//! question that reads more like one of the off-topic themes (other apps,
//! general knowledge) than clearly like a section is declined. Also what
//! reads as a follow-up to the previous question. The figures were tuned on
//! the tuning part of the labelled question set (tests/data/kb_questions.toml).

use super::Answer;
use super::index::Hit;
use super::text;

/// The least share of a question's weight a section must cover to be the answer.
const MIN_COVERAGE: f64 = 0.45;
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
/// A runner-up within this factor of the answer's rank is named under it.
const RELATED_WITHIN: f64 = 2.0;
/// How much the previous question counts when reading a follow-up.
pub const CONTEXT_WEIGHT: f64 = 0.3;
/// Words that open a follow-up ("and for OpenAI?", "what about llama.cpp?").
const FOLLOW_UP_OPENERS: &[&str] = &["and", "also", "but", "so", "then", "or", "same"];
/// Words that point back at the previous question ("undo that").
const POINTERS: &[&str] = &["that", "it", "this", "those", "them", "there", "ones"];

/// A section the words alone do not settle is still the answer when the
/// question is this alike in meaning to one of its phrasings and no other
/// section is nearer: a rewording that shares few words with the base.
/// (A whitened likeness: the right section's median on the tuning part is
/// about 0.7.)
const MIN_MEANING: f64 = 0.6;
/// …and still covers this much of it: words the base knows nothing near
/// count against a question's meaning too, but a question that is mostly
/// about something else can still read like a phrasing ("block spam calls
/// on my phone" and recognising phishing).
const MEANT_MIN_COVERAGE: f64 = 0.2;

fn is_meant(hit: &Hit) -> bool {
    hit.nearest_in_meaning && hit.meaning >= MIN_MEANING && hit.coverage >= MEANT_MIN_COVERAGE
}

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

/// The answer the ranked `hits` (best first) support: the best section when
/// it is good enough and clearly ahead of the runner-up, or when its meaning
/// clearly is what was asked. A best built-in section that reads off topic
/// is no answer; the user's own sections below it still may be.
pub fn decide(hits: &[Hit]) -> Answer {
    if !leads_off_topic(hits) {
        return decide_among(hits);
    }
    // Only the user's own sections: a built-in section below one that reads
    // off topic shares its nearest theme, and answering from it would skip
    // the comparison the best one lost.
    let own: Vec<Hit> = hits.iter().filter(|h| !h.built_in).copied().collect();
    match decide_among(&own) {
        found @ Answer::Found { .. } => found,
        _ => Answer::Unknown {
            nearest: hits.iter().map(|h| h.section).collect(),
        },
    }
}

fn decide_among(hits: &[Hit]) -> Answer {
    let nearest = || hits.iter().map(|h| h.section).collect();
    match hits {
        [] => Answer::Unknown { nearest: Vec::new() },
        [best, rest @ ..]
            if is_meant(best)
                || (is_confident(best) && rest.first().is_none_or(|second| best.rank() >= MARGIN * second.rank())) =>
        {
            Answer::Found {
                section: best.section,
                related: rest
                    .iter()
                    .filter(|h| h.rank() * RELATED_WITHIN >= best.rank() && is_confident(h))
                    .map(|h| h.section)
                    .collect(),
            }
        }
        [best, ..] if !is_confident(best) => Answer::Unknown { nearest: nearest() },
        _ => Answer::DidYouMean { nearest: nearest() },
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
    use super::*;

    /// A hit the words alone settle, unless changed.
    fn hit(section: usize) -> Hit {
        Hit {
            section,
            score: 8.0,
            coverage: 0.9,
            topic_coverage: 0.9,
            phrasing: 0.8,
            meaning: 0.5,
            nearest_in_meaning: false,
            off_topic: 0.0,
            off_topic_meaning: -1.0,
            built_in: true,
        }
    }

    #[test]
    fn a_question_nearer_an_off_topic_theme_is_declined_however_meant() {
        let clear = hit(1);
        let meant = Hit {
            meaning: 0.95,
            nearest_in_meaning: true,
            ..clear
        };
        for best in [clear, meant] {
            let near_theme = Hit {
                off_topic: best.rank(),
                ..best
            };
            assert_eq!(decide(&[near_theme]), Answer::Unknown { nearest: vec![1] });
            let far_theme = Hit {
                off_topic: best.rank() / 2.0,
                ..best
            };
            assert!(matches!(decide(&[far_theme]), Answer::Found { section: 1, .. }));
        }
    }

    #[test]
    fn a_question_nearer_in_meaning_to_an_off_topic_theme_is_declined() {
        let best = Hit {
            meaning: MIN_OFF_TOPIC_MEANING,
            ..hit(1)
        };
        let theme_nearer = Hit {
            off_topic_meaning: best.meaning + 2.0 * OFF_TOPIC_MEANING_MARGIN,
            ..best
        };
        assert_eq!(decide(&[theme_nearer]), Answer::Unknown { nearest: vec![1] });
        let theme_about_as_near = Hit {
            off_topic_meaning: best.meaning + OFF_TOPIC_MEANING_MARGIN / 2.0,
            ..best
        };
        assert!(matches!(
            decide(&[theme_about_as_near]),
            Answer::Found { section: 1, .. }
        ));
        // Nearer, but itself barely alike: a question of little words.
        let faint = Hit {
            meaning: 0.1,
            off_topic_meaning: MIN_OFF_TOPIC_MEANING - 0.05,
            ..best
        };
        assert!(matches!(decide(&[faint]), Answer::Found { section: 1, .. }));
    }

    #[test]
    fn a_built_in_section_under_an_off_topic_best_is_no_answer_however_near_in_meaning() {
        // The best reads like the theme; the one below it reads less like
        // the theme than like itself, and would pass on its own.
        let best = Hit {
            meaning: 0.3,
            off_topic_meaning: 0.6,
            ..hit(1)
        };
        let below = Hit {
            score: 6.0,
            meaning: 0.9,
            nearest_in_meaning: true,
            off_topic_meaning: 0.6,
            ..hit(2)
        };
        assert!(reads_off_topic(&best) && !reads_off_topic(&below));
        assert!(matches!(decide(&[below]), Answer::Found { section: 2, .. }));
        assert_eq!(decide(&[best, below]), Answer::Unknown { nearest: vec![1, 2] });
    }

    #[test]
    fn the_users_own_section_under_an_off_topic_best_is_still_the_answer() {
        // A theme ranked as high as the built-in section.
        let theme = hit(1).rank();
        let built_in = Hit {
            off_topic: theme,
            ..hit(1)
        };
        let own = Hit {
            score: 6.0,
            built_in: false,
            ..hit(2)
        };
        assert!(built_in.rank() > own.rank() && built_in.rank() < OFF_TOPIC_MARGIN * theme);
        assert!(matches!(decide(&[built_in, own]), Answer::Found { section: 2, .. }));
        // Without a confident section of the user's, the offer lists both.
        let weak = Hit { coverage: 0.1, ..own };
        assert_eq!(decide(&[built_in, weak]), Answer::Unknown { nearest: vec![1, 2] });
    }

    #[test]
    fn a_clear_best_is_the_answer_and_a_close_runner_up_asks_which() {
        assert!(matches!(
            decide(&[hit(1), Hit { score: 4.0, ..hit(2) }]),
            Answer::Found { section: 1, .. }
        ));
        assert_eq!(decide(&[hit(1), hit(2)]), Answer::DidYouMean { nearest: vec![1, 2] });
        let weak = Hit {
            coverage: 0.2,
            ..hit(1)
        };
        assert_eq!(decide(&[weak]), Answer::Unknown { nearest: vec![1] });
    }

    #[test]
    fn a_question_clearly_meaning_one_section_is_answered_from_it() {
        let meant = |h: Hit| Hit {
            meaning: 0.9,
            nearest_in_meaning: true,
            ..h
        };
        // Too close to the runner-up in words, but nearest in meaning.
        assert!(matches!(
            decide(&[meant(hit(1)), hit(2)]),
            Answer::Found { section: 1, .. }
        ));
        // Covering too little in words for it.
        let sparse = Hit {
            coverage: 0.35,
            ..hit(1)
        };
        assert!(matches!(decide(&[meant(sparse)]), Answer::Found { section: 1, .. }));
        let mostly_else = Hit {
            coverage: 0.1,
            ..hit(1)
        };
        assert!(matches!(decide(&[meant(mostly_else)]), Answer::Unknown { .. }));
        // Near in meaning, but another section is nearer, or not near enough.
        // (The runner-up as near, so that meaning does not lift the best's
        // rank over it either.)
        let not_nearest = Hit { meaning: 0.9, ..hit(1) };
        let as_near = Hit { meaning: 0.9, ..hit(2) };
        assert!(matches!(decide(&[not_nearest, as_near]), Answer::DidYouMean { .. }));
        let vague = Hit {
            meaning: 0.5,
            ..meant(hit(1))
        };
        let as_vague = Hit { meaning: 0.5, ..hit(2) };
        assert!(matches!(decide(&[vague, as_vague]), Answer::DidYouMean { .. }));
    }
}
