//! The built-in help-desk bot: the labelled question set, small talk, honest
//! "I don't know", the user's own knowledge, streaming and cancellation.

use serde::Deserialize;
use sotto::backend::local::knowledge::{self, Section};
use sotto::backend::local::{Answer, LocalBot, LocalSettings};

use super::*;

/// A labelled question set: questions on their own, and follow-ups read
/// after a previous question. `expect` is the section id that should answer
/// (`file-stem#heading-slug`), "unknown" for a question the base does not
/// cover, or one of "greeting", "thanks", "help", "goodbye".
#[derive(Deserialize)]
struct QuestionSet {
    question: Vec<Labelled>,
    #[serde(default)]
    followup: Vec<FollowUp>,
}

#[derive(Deserialize)]
struct Labelled {
    text: String,
    expect: String,
}

#[derive(Deserialize)]
struct FollowUp {
    previous: String,
    text: String,
    expect: String,
}

fn built_in_bot() -> LocalBot {
    LocalBot::new(LocalSettings {
        name: "local".into(),
        knowledge_dirs: Vec::new(),
    })
    .unwrap()
}

/// The set tuned on (the knowledge base's wording, its "asked as" lines, the
/// synonyms, the thresholds and the answer model's weights), and the parts
/// of it kept out of all tuning. The tuning part's questions in scope are
/// "asked as" lines of the base too, so it is scored in folds (`folds`).
pub const TUNING_SET: &str = include_str!("../data/kb_questions.toml");
pub const HELD_OUT_SET: &str = include_str!("../data/kb_questions_holdout.toml");
/// A second held-out part, written later by a helper that saw only the
/// sections' texts (the file's header says how); never tuned on.
pub const FRESH_SET: &str = include_str!("../data/kb_questions_fresh.toml");
/// A third, written after the learnt answer model was chosen (its header
/// says how); never tuned on.
pub const LATE_SET: &str = include_str!("../data/kb_questions_late.toml");
/// Every held-out part, by name.
const HELD_OUT_PARTS: [(&str, &str); 3] = [("held-out", HELD_OUT_SET), ("fresh", FRESH_SET), ("late", LATE_SET)];

const SMALL_TALK: [&str; 4] = ["greeting", "thanks", "help", "goodbye"];

/// How a bot did on a question set.
#[derive(Default, Debug)]
pub struct Scores {
    /// Questions the base covers.
    pub in_scope: usize,
    /// …answered from the right section.
    pub top1: usize,
    /// …with the right section on screen: the answer, or among the topics offered.
    pub top3: usize,
    /// Questions the base does not cover.
    pub out_of_scope: usize,
    /// …that got no answer (an "I don't know" or a "did you mean").
    pub declined: usize,
    pub follow_ups: usize,
    pub follow_ups_right: usize,
    pub misses: Vec<String>,
}

impl Scores {
    pub fn top1_rate(&self) -> f64 {
        self.top1 as f64 / self.in_scope.max(1) as f64
    }

    pub fn top3_rate(&self) -> f64 {
        self.top3 as f64 / self.in_scope.max(1) as f64
    }

    pub fn follow_up_rate(&self) -> f64 {
        self.follow_ups_right as f64 / self.follow_ups.max(1) as f64
    }

    pub fn summary(&self) -> String {
        format!(
            "top-1 {:.1} %, top-3 {:.1} % of {} questions; {} of {} out-of-scope declined; {} of {} follow-ups ({:.1} %)",
            self.top1_rate() * 100.0,
            self.top3_rate() * 100.0,
            self.in_scope,
            self.declined,
            self.out_of_scope,
            self.follow_ups_right,
            self.follow_ups,
            self.follow_up_rate() * 100.0
        )
    }
}

/// What the bot shows for `answer`, as labels: the small-talk kind, or
/// the sections it answers from or offers.
fn shown(bot: &LocalBot, answer: &Answer) -> (Option<String>, Vec<String>) {
    let id = |i: &usize| bot.sections()[*i].id.clone();
    match answer {
        Answer::Greeting => (Some("greeting".into()), Vec::new()),
        Answer::Thanks => (Some("thanks".into()), Vec::new()),
        Answer::Goodbye => (Some("goodbye".into()), Vec::new()),
        Answer::Help => (Some("help".into()), Vec::new()),
        Answer::Found { section, related } => (
            Some(id(section)),
            std::iter::once(section).chain(related).map(id).collect(),
        ),
        Answer::DidYouMean { nearest } | Answer::Unknown { nearest } => (None, nearest.iter().map(id).collect()),
    }
}

/// Scores `bot` on one question (after `previous`, for a follow-up).
fn score(bot: &LocalBot, scores: &mut Scores, previous: Option<&str>, text: &str, expect: &str) {
    let answer = bot.classify_after(previous, text);
    let (answered, offered) = shown(bot, &answer);
    let right = if expect == "unknown" {
        scores.out_of_scope += 1;
        let declined = matches!(answer, Answer::Unknown { .. } | Answer::DidYouMean { .. });
        scores.declined += usize::from(declined);
        declined
    } else if SMALL_TALK.contains(&expect) || previous.is_some() {
        answered.as_deref() == Some(expect)
    } else {
        scores.in_scope += 1;
        let top1 = answered.as_deref() == Some(expect);
        let top3 = offered.iter().any(|o| o == expect);
        scores.top1 += usize::from(top1);
        scores.top3 += usize::from(top3);
        top1
    };
    if previous.is_some() {
        scores.follow_ups += 1;
        scores.follow_ups_right += usize::from(right);
    }
    if !right {
        let context = previous.map_or(String::new(), |p| format!("(after {p:?}) "));
        scores.misses.push(format!(
            "{context}{text:?}: expected {expect}, got {answer:?} {offered:?}"
        ));
    }
}

/// Scores `bot` on a whole question set.
pub fn evaluate(bot: &LocalBot, set: &str) -> Scores {
    let set: QuestionSet = toml::from_str(set).unwrap();
    let mut scores = Scores::default();
    score_all(bot, &mut scores, set.question.iter(), set.followup.iter());
    scores
}

/// Adds `bot`'s scores on `questions` and `followups` to `scores`.
fn score_all<'a>(
    bot: &LocalBot,
    scores: &mut Scores,
    questions: impl Iterator<Item = &'a Labelled>,
    followups: impl Iterator<Item = &'a FollowUp>,
) {
    for q in questions {
        score(bot, scores, None, &q.text, &q.expect);
    }
    for f in followups {
        score(bot, scores, Some(&f.previous), &f.text, &f.expect);
    }
}

/// The tuning part's questions in scope are the base's "asked as" lines
/// too, so it is read in folds (`knowledge::FOLDS`): per fold, a bot whose
/// base lacks the fold's questions, and its follow-ups' questions, among
/// its phrasings (`knowledge::held_in_fold`), with the questions and
/// follow-ups it reads as new.
fn folds(set: &QuestionSet) -> impl Iterator<Item = (LocalBot, Vec<&Labelled>, Vec<&FollowUp>)> {
    (0..knowledge::FOLDS).map(move |fold| {
        let questions = set.question.iter().map(|q| q.text.as_str());
        let followups = set.followup.iter().map(|f| (f.previous.as_str(), f.text.as_str()));
        let held = knowledge::held_in_fold(fold, questions, followups);
        let bot = LocalBot::from_sections("local".into(), knowledge::built_in_without(&held), 0, Vec::new());
        let questions = set.question.iter().skip(fold).step_by(knowledge::FOLDS).collect();
        let followups = set.followup.iter().skip(fold).step_by(knowledge::FOLDS).collect();
        (bot, questions, followups)
    })
}

/// Scores the tuning part fold by fold (`folds`).
fn evaluate_tuning() -> Scores {
    let set: QuestionSet = toml::from_str(TUNING_SET).unwrap();
    let mut scores = Scores::default();
    for (bot, questions, followups) in folds(&set) {
        score_all(&bot, &mut scores, questions.into_iter(), followups.into_iter());
    }
    scores
}

/// The least figures a part of the set must keep: what the bot reaches now,
/// so that no change makes it worse. They are regression floors, not the
/// goal: issue 15 asks for top-1 >= 90 %, top-3 >= 97 % and every
/// out-of-scope question declined on both parts, which is not reached yet
/// (BENCHMARKS.md has the figures).
struct Floors {
    top1: f64,
    top3: f64,
    declined: f64,
    follow_ups: f64,
}

/// Declined: 99 of 101 until 81 near misses (other apps' passwords,
/// backups, certificates, terminals) joined the part, 173 of 182 since.
/// Then (2026-12-07) two batches of helper-written "asked as" lines, the
/// off-topic themes and a validation part of 195 questions joined: 88.0 %,
/// 96.6 % of 852, 202 of 217 declined (93.1 %), 37 of 49 follow-ups. The
/// themes' misspellings corrected (a review's finding): 201 of 217.
/// Sentence meanings whitened by the base's own phrasings (2026-12-07,
/// evening), their constants chosen on this part: 788 (92.5 %), 826
/// (96.9 %), 201 of 217 declined, 39 of 49 follow-ups. Then (2026-12-07,
/// late) 406 questions and 24 follow-ups by three new writers joined, on
/// which the hand-set thresholds answered 71.3 % (they chose the learnt
/// answer model over them, so they are tuned on); with the model, learnt
/// from this part: 1,063 of 1,184 (89.8 %), 1,140 (96.3 %), 266 of 291
/// declined, 57 of 73 follow-ups; 268 declined once a lone hit had to fit
/// the question's words too (a review's finding). With 582 more "asked
/// as" lines from helpers that saw only the sections' texts (this part
/// measured them blind), the model refitted: 1,066 (90.0 %), 1,153
/// (97.4 %), 271 of 291 declined, 58 of 73 follow-ups. With the word
/// table made again for the base's new words: 1,068 (90.2 %), 1,152
/// (97.3 %), 271, 58. Then (2026-12-08) this part's questions in scope
/// joined the base as "asked as" lines, and it is read in folds, each
/// fold by a base without its questions (`folds`): 1,088 (91.9 %), 1,159
/// (97.9 %), 270 of 291 declined, 62 of 73 follow-ups. Without the lines
/// the folds read 90.2 % / 97.3 % / 271 / 58 as before; with them but
/// without the negation a contraction stands for ("can't connect"), 92.1 %
/// / 97.9 % / 272 / 63, which answered "how do I connect to ollama?" from
/// the troubleshooting section ("can't connect to ollama" was the same
/// words). With likeness in meaning lifting a rank more (`MEANING_BOOST`
/// 3, not 2; chosen on these folds, and on ten folds: 91.9 % → 92.6 %):
/// 1,095 (92.5 %), 1,158 (97.8 %), 270, 63; with the lift scaled by how
/// far the likeness can be trusted (0.98 for the built-in base; flat, it
/// let a plain cosine misrank a base of three sections): 1,094 (92.4 %),
/// 1,158, 270, 63. With whether the question names a word only the
/// off-topic themes use ("keepass") as evidence of the answer model: 1,096
/// (92.6 %), 1,158, 272 of 291 declined, 62 of 73 follow-ups. Then a
/// review's fixes: a fold holds out a phrasing that is the same question
/// in other case or punctuation too ("Where is the config file?"), the
/// fit's folds hold out what the scoring's do, a lone "t" is no negation,
/// and a follow-up's previous question no longer counts as naming a
/// theme's word: 1,097 (92.7 %), 1,156 (97.6 %), 272, 60.
const TUNING_FLOORS: Floors = Floors {
    top1: 0.926,
    top3: 0.976,
    declined: 0.934,
    follow_ups: 0.821,
};

/// Top-3 was 171 of 185 (92.4 %) until the export sections were rewritten to
/// say what is true of exports now (issue 19); that cost one question, 170
/// (91.9 %), and the wording was not tuned back against this part. The
/// section on `sotto repair` (issue 20) cost one more, 169 (91.4 %); it was
/// written once as its own section and not tuned against this part either.
/// Top-1 rose from 68.6 % to 73.5 % with the word vectors (issue 15; how
/// often this part was looked at on the way is in BENCHMARKS.md); a tie in
/// meaning no longer counts as a lead, the term meanings are summed in a
/// fixed order and the section nearest in meaning is offered (a review's
/// fixes, chosen on the tuning part): 73.0 % and top-3 90.8 %. Then 21
/// questions that were also in the tuning part, word for word, or twice in
/// this one left it (2026-12-07): 121 of 169 (71.6 %), top-3 152 (89.9 %),
/// 21 of 21 declined. With the helper-written "asked as" lines and the
/// off-topic themes (chosen on the tuning part and its validation part):
/// 133 (78.7 %), 156 (92.3 %), but 19 of 21 declined, 9 of 13 follow-ups.
/// With whitened sentence meanings (chosen on the tuning part alone, this
/// part looked at once after): 139 (82.2 %), 158 (93.5 %), 18 of 21
/// declined, 9 of 13 follow-ups. The decline floor came down from 19 to 18
/// with it rather than tune against this part; the fresh part declined one
/// more, so the two held-out parts decline 43 of 48 as before. With the
/// learnt answer model (2026-12-07, late; chosen on the tuning part and its
/// new validation part, then this part looked at twice: 142 (84.0 %), 159,
/// 20 of 21 declined with the model's first version, and 140 (82.8 %), 158
/// (93.5 %), 18 of 21 declined, 10 of 13 follow-ups with the one shipped,
/// which also keeps the off-topic rule's veto (chosen on the tuning part)).
/// With 582 more helper-written "asked as" lines (584 written, kept for
/// the tuning part's figures; one, word for word a question here, and one
/// naming three backends' sections, were dropped): 145
/// (85.8 %), 161 (95.3 %), 18 of 21 declined, 9 of 13 follow-ups; the
/// same with the word table made again. With the tuning part's questions
/// as "asked as" lines (2026-12-08; chosen on the tuning part's folds,
/// kept whatever this part showed): 151 (89.3 %), 164 (97.0 %), 19 of 21
/// declined, 9 of 13 follow-ups. With `MEANING_BOOST` 3 (chosen on the
/// tuning part's folds, kept whatever this part showed): 153 (90.5 %), 163
/// (96.4 %), 18 of 21 declined, 10 of 13 follow-ups; the same with the
/// lift scaled by trust. With a theme's word as evidence (chosen on the
/// tuning part; this part run once after): 152 (89.9 %), 163, 19 of 21
/// declined, 10 of 13; the same after the review's fixes that followed.
const HELD_OUT_FLOORS: Floors = Floors {
    top1: 0.899,
    top3: 0.964,
    declined: 0.904,
    follow_ups: 0.769,
};

/// The fresh part's figures at its first look (2026-12-07): 99 of 150
/// (66.0 %) answered from the right section, 135 (90.0 %) with it on
/// screen, 27 of 30 out-of-scope questions declined. Then the 12 questions
/// it shared word for word with the other parts left it: 91 of 141
/// (64.5 %), 126 (89.4 %), 24 of 27 declined. With the helper-written
/// "asked as" lines and the off-topic themes: 107 (75.9 %), 133 (94.3 %),
/// 24 of 27 declined. With whitened sentence meanings (the same single
/// look as the held-out part's): 121 (85.8 %), 134 (95.0 %), 25 of 27
/// declined. With the learnt answer model (looked at as the held-out part
/// was): 122 (86.5 %), 135, 23 of 27 declined, then 123 (87.2 %), 135
/// (95.7 %), 23 of 27 with the one shipped. With the 582 more "asked as"
/// lines: 120 (85.1 %), 139 (98.6 %), 23 of 27; with the word table made
/// again: 121 (85.8 %), 139, 23. With the tuning part's questions as
/// "asked as" lines (looked at as the held-out part was): 129 (91.5 %),
/// 140 (99.3 %), 24 of 27; the same with `MEANING_BOOST` 3; with a
/// theme's word as evidence, 25 of 27 declined; with the review's fixes
/// that followed, 26 of 27. Every question declined is not met on it. It
/// has no follow-ups.
const FRESH_FLOORS: Floors = Floors {
    top1: 0.914,
    top3: 0.992,
    declined: 0.962,
    follow_ups: 0.0,
};

/// The late part's figures at its first look (2026-12-07, late), with the
/// learnt answer model: 123 of 150 (82.0 %) answered from the right
/// section, 144 (96.0 %) with it on screen, 26 of 28 out-of-scope questions
/// declined, 3 of 8 follow-ups. The hand-set thresholds it replaced,
/// run on it once after: 81 (54.0 %), 144, 26 of 28, 3 of 8. With the 583
/// more "asked as" lines: 127 (84.7 %), 146 (97.3 %), 27 of 28, 5 of 8;
/// with the word table made again: 130 (86.7 %), 145 (96.7 %), 27, 5;
/// with the tuning part's questions as "asked as" lines: 133 (88.7 %),
/// 149 (99.3 %), 27, 5; with `MEANING_BOOST` 3: 134 (89.3 %), 148
/// (98.7 %), 27, 5; with the lift scaled by trust: 135 (90.0 %), 148, 27,
/// 5; with a theme's word as evidence: 134 (89.3 %), 148, 27, 5; the same
/// after the review's fixes that followed.
const LATE_FLOORS: Floors = Floors {
    top1: 0.893,
    top3: 0.986,
    declined: 0.964,
    follow_ups: 0.625,
};

/// Checks one part of the set against its floors.
fn assert_gates(part: &str, scores: &Scores, floors: &Floors) {
    println!("{part}: {}", scores.summary());
    for miss in &scores.misses {
        println!("miss: {miss}");
    }
    assert!(scores.in_scope >= 50, "{part} has only {} questions", scores.in_scope);
    let declined = scores.declined as f64 / scores.out_of_scope.max(1) as f64;
    assert!(
        scores.top1_rate() >= floors.top1
            && scores.top3_rate() >= floors.top3
            && declined >= floors.declined
            && scores.follow_up_rate() >= floors.follow_ups,
        "{part} fell below its floors: {}: {:#?}",
        scores.summary(),
        scores.misses
    );
}

#[test]
fn plain_questions_reach_the_right_section_in_the_tuning_set() {
    assert_gates("tuning set", &evaluate_tuning(), &TUNING_FLOORS);
}

#[test]
fn plain_questions_reach_the_right_section_in_the_held_out_set() {
    // Never tuned on: the honest figure for new phrasings (BENCHMARKS.md).
    assert_gates(
        "held-out set",
        &evaluate(&built_in_bot(), HELD_OUT_SET),
        &HELD_OUT_FLOORS,
    );
}

#[test]
fn plain_questions_reach_the_right_section_in_the_late_held_out_set() {
    assert_gates("late held-out set", &evaluate(&built_in_bot(), LATE_SET), &LATE_FLOORS);
}

#[test]
fn plain_questions_reach_the_right_section_in_the_fresh_held_out_set() {
    assert_gates(
        "fresh held-out set",
        &evaluate(&built_in_bot(), FRESH_SET),
        &FRESH_FLOORS,
    );
}

#[test]
fn the_sets_are_big_enough_and_every_expected_section_exists() {
    let bot = built_in_bot();
    let sets: Vec<QuestionSet> = std::iter::once(TUNING_SET)
        .chain(HELD_OUT_PARTS.map(|(_, set)| set))
        .map(|s| toml::from_str(s).unwrap())
        .collect();
    let labels_of = |set: &QuestionSet| -> Vec<String> {
        set.question
            .iter()
            .map(|q| q.expect.clone())
            .chain(set.followup.iter().map(|f| f.expect.clone()))
            .collect()
    };
    let labels: Vec<String> = sets.iter().flat_map(labels_of).collect();
    for label in &labels {
        assert!(
            label == "unknown" || SMALL_TALK.contains(&label.as_str()) || bot.sections().iter().any(|s| s.id == *label),
            "no section '{label}'"
        );
    }
    let out_of_scope = labels.iter().filter(|l| *l == "unknown").count();
    assert!(
        labels.len() - out_of_scope >= 300,
        "{} labelled questions",
        labels.len() - out_of_scope
    );
    assert!(out_of_scope >= 40, "{out_of_scope} out-of-scope questions");
    // At least a fifth of the whole is held out.
    let held_out: usize = sets[1..].iter().map(|set| labels_of(set).len()).sum();
    let share = held_out as f64 / labels.len() as f64;
    assert!(share >= 0.2, "the held-out parts are {:.0} %", share * 100.0);
}

/// A question in two parts would be tuned on and count as held out; one
/// twice in a held-out part would count twice. Compared as lower-case
/// words, so "Export?" and "export" are the same question.
#[test]
fn no_question_is_in_two_parts_or_twice_in_a_held_out_part() {
    let words = |text: &str| sotto::backend::local::text::words(text).join(" ");
    let parts: Vec<(&str, Vec<String>)> = std::iter::once(("tuning", TUNING_SET))
        .chain(HELD_OUT_PARTS)
        .map(|(name, set)| {
            let set: QuestionSet = toml::from_str(set).unwrap();
            (name, set.question.iter().map(|q| words(&q.text)).collect())
        })
        .collect();
    let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut repeated = Vec::new();
    for (name, questions) in &parts {
        let mut here = std::collections::HashSet::new();
        for question in questions {
            let again_here = !here.insert(question.as_str());
            match seen.get(question.as_str()) {
                Some(earlier) if earlier != name => repeated.push(format!("'{question}' in {earlier} and {name}")),
                _ if again_here && *name != "tuning" => repeated.push(format!("'{question}' twice in {name}")),
                _ => {}
            }
            seen.entry(question.as_str()).or_insert(name);
        }
    }
    assert!(repeated.is_empty(), "{repeated:#?}");
}

/// A held-out question that is word for word one of the base's headings or
/// "asked as" phrasings would be answered from memory, not understood, and
/// its part would no longer measure new wordings. The off-topic themes'
/// questions are kept apart from every part, the tuning one too: an
/// out-of-scope question declined because it is listed word for word would
/// say nothing of how the bot declines the others.
#[test]
fn no_held_out_question_is_a_phrasing_of_the_base_nor_any_question_off_topic() {
    let words = |text: &str| sotto::backend::local::text::words(text).join(" ");
    let phrasings = |sections: &[Section]| -> std::collections::HashSet<String> {
        sections.iter().flat_map(|s| s.phrasings()).map(|p| words(p)).collect()
    };
    let answered = phrasings(built_in_bot().sections());
    let off_topic = phrasings(&sotto::backend::local::knowledge::off_topic());
    assert!(off_topic.len() > 250, "{} off-topic phrasings", off_topic.len());
    let mut copied = Vec::new();
    for (name, set) in std::iter::once(("tuning", TUNING_SET)).chain(HELD_OUT_PARTS) {
        let set: QuestionSet = toml::from_str(set).unwrap();
        let questions = set
            .question
            .iter()
            .map(|q| &q.text)
            .chain(set.followup.iter().map(|f| &f.text));
        for question in questions {
            let question_words = words(question);
            if off_topic.contains(&question_words) {
                copied.push(format!("{name}: '{question}' is off-topic word for word"));
            }
            if name != "tuning" && answered.contains(&question_words) {
                copied.push(format!("{name}: '{question}' is a phrasing word for word"));
            }
        }
    }
    assert!(copied.is_empty(), "{copied:#?}");
}

/// The tasks README names, by the section that covers each.
const README_TASKS: &[(&str, &str)] = &[
    ("what is stored and where", "storage#what-is-stored-and-where"),
    (
        "moving chats to another computer",
        "view-export-wipe#moving-your-chats-to-another-computer",
    ),
    ("export", "view-export-wipe#exporting-your-conversations"),
    ("import", "view-export-wipe#importing-an-export"),
    (
        "what leaves the machine, and when",
        "backends-and-consent#what-leaves-the-machine-and-when",
    ),
    (
        "after a lost or stolen device",
        "privacy-practices#after-a-lost-or-stolen-computer",
    ),
    ("Ollama", "backends-and-consent#connecting-to-ollama"),
    ("llama.cpp", "backends-and-consent#connecting-to-llama-cpp"),
    ("vLLM", "backends-and-consent#connecting-to-vllm"),
    ("OpenAI", "backends-and-consent#connecting-to-openai"),
    ("API keys", "keys-and-passphrases#api-keys-for-a-backend"),
    ("retention", "view-export-wipe#disappearing-messages-and-retention"),
    ("incognito", "using-sotto#incognito-mode"),
    ("lock", "keys-and-passphrases#locking-the-vault"),
    ("verify", "storage#checking-the-vault-for-damage"),
    ("audit", "view-export-wipe#the-audit-log"),
    ("recovery key", "keys-and-passphrases#the-recovery-key"),
    ("wipe", "view-export-wipe#wiping-a-conversation-for-good"),
    ("wipe everything", "view-export-wipe#deleting-everything"),
    ("redaction", "redaction#redaction-modes"),
];

/// The sections some labelled plain question (the tuning part, read in
/// its folds, or the held-out part) is answered from by `bot`'s base.
fn reached_sections(bot: &LocalBot) -> std::collections::BTreeSet<String> {
    let answers = |bot: &LocalBot, q: &Labelled| matches!(bot.classify(&q.text), Answer::Found { section, .. } if bot.sections()[section].id == q.expect);
    let tuning: QuestionSet = toml::from_str(TUNING_SET).unwrap();
    let held_out: QuestionSet = toml::from_str(HELD_OUT_SET).unwrap();
    let mut reached: std::collections::BTreeSet<String> = held_out
        .question
        .iter()
        .filter(|q| answers(bot, q))
        .map(|q| q.expect.clone())
        .collect();
    for (fold_bot, questions, _) in folds(&tuning) {
        reached.extend(
            questions
                .into_iter()
                .filter(|q| answers(&fold_bot, q))
                .map(|q| q.expect.clone()),
        );
    }
    reached
}

#[test]
fn every_task_in_readme_and_help_has_a_section_a_plain_question_reaches() {
    let bot = built_in_bot();
    let reached = reached_sections(&bot);
    let mut missing: Vec<String> = README_TASKS
        .iter()
        .filter(|(_, id)| !reached.contains(*id))
        .map(|(task, id)| format!("{task} ({id})"))
        .collect();
    // Every command of `sotto --help`: some section names it and is reached.
    use clap::CommandFactory;
    for command in sotto::cli::Cli::command().get_subcommands() {
        let name = command.get_name();
        let naming = format!("`sotto {name}");
        let covered = bot
            .sections()
            .iter()
            .any(|s| s.body.contains(&naming) && reached.contains(&s.id));
        if !covered && name != "help" {
            missing.push(format!("'sotto {name}'"));
        }
    }
    assert!(
        missing.is_empty(),
        "no plain question reaches a section about: {missing:#?}"
    );
}

#[test]
fn an_answer_quotes_its_source_and_an_unknown_question_names_the_nearest_topics() {
    let bot = built_in_bot();
    let answer = bot.reply("How do I permanently delete one conversation?");
    assert!(answer.contains("crypto-shredding"), "{answer}");
    assert!(answer.ends_with("Source: sotto: view-export-wipe.md › Seeing, exporting and wiping your data › Wiping a conversation for good"), "{answer}");

    let unknown = bot.reply("Which passphrase does my router use for its web console?");
    assert!(unknown.starts_with("I don't know that one"), "{unknown}");
    assert!(unknown.contains("nearest topics"), "{unknown}");

    let nothing = bot.reply("zzxqv plorp");
    assert!(
        nothing.contains("nothing in my knowledge base comes close"),
        "{nothing}"
    );
}

#[test]
fn greetings_thanks_and_help_get_their_own_replies() {
    let bot = built_in_bot();
    assert!(bot.reply("Hello").contains("automated assistant"));
    assert!(bot.reply("thank you!").contains("You're welcome"));
    let help = bot.reply("help");
    assert!(
        help.contains("Privacy practices") && help.contains("Keys and passphrases"),
        "{help}"
    );
    // A greeting in front of a question does not hide the question.
    assert!(matches!(
        bot.classify("hi, how do I export my chat history?"),
        Answer::Found { .. }
    ));
}

#[test]
fn the_users_own_knowledge_is_searched_and_cited() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("network")).unwrap();
    std::fs::write(
        dir.path().join("network/vpn.md"),
        "# VPN\n## Reconnecting the office VPN\nRun `vpnctl restart`, then sign in with your badge PIN.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("ignored.txt"), "not markdown").unwrap();
    let bot = LocalBot::new(LocalSettings {
        name: "runbooks".into(),
        knowledge_dirs: vec![dir.path().to_owned()],
    })
    .unwrap();
    let answer = bot.reply("my office vpn keeps disconnecting, how do I reconnect?");
    assert!(answer.contains("vpnctl restart"), "{answer}");
    assert!(
        answer.contains("Source: network/vpn.md › VPN › Reconnecting the office VPN"),
        "{answer}"
    );
    assert!(bot.reply("hello").contains("your own notes (1 file)"));
}

/// "Export my WhatsApp chats" shares "export" and "chats" with sotto's own
/// export, but it is about another app: the built-in bot declines it. A
/// user whose notes cover WhatsApp still gets their answer.
#[test]
fn a_question_about_another_app_is_declined_unless_the_users_notes_cover_it() {
    let question = "how can i export all my whatsapp chats to a file";
    let built_in = built_in_bot();
    assert!(
        matches!(built_in.classify(question), Answer::Unknown { .. }),
        "{:?}",
        built_in.classify(question)
    );
    // Declined for the theme, not for want of words about exports.
    let best = built_in.ranked(question, 3)[0];
    assert!(best.off_topic > best.rank(), "{best:?}");
    // Nor is it answered as a follow-up to a question about sotto's export.
    let previous = Some("how can i export all my chats to a file");
    assert!(
        matches!(
            built_in.classify_after(previous, "and for whatsapp?"),
            Answer::Unknown { .. }
        ),
        "{:?}",
        built_in.classify_after(previous, "and for whatsapp?")
    );
    assert!(matches!(
        built_in.classify("how can i export all my chats to a file"),
        Answer::Found { .. }
    ));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("apps.md"),
        "# Team apps\n## Exporting WhatsApp chats\nIn WhatsApp open the chat, then More › Export chat.\n",
    )
    .unwrap();
    let bot = LocalBot::new(LocalSettings {
        name: "runbooks".into(),
        knowledge_dirs: vec![dir.path().to_owned()],
    })
    .unwrap();
    let answer = bot.reply(question);
    assert!(answer.contains("More › Export chat"), "{answer}");
}

#[test]
fn skipped_knowledge_files_are_told_in_one_line() {
    let bot = LocalBot::from_sections(
        "runbooks".into(),
        Vec::new(),
        0,
        vec![
            "'big.md' is larger than 2 MiB".into(),
            "'other.md' is larger than 2 MiB".into(),
        ],
    );
    assert_eq!(
        bot.setup_note().as_deref(),
        Some("2 knowledge file(s) not loaded: 'big.md' is larger than 2 MiB (and 1 more)")
    );
    assert_eq!(built_in_bot().setup_note(), None);
}

#[test]
fn a_missing_knowledge_directory_is_a_clear_error() {
    let err = LocalBot::new(LocalSettings {
        name: "local".into(),
        knowledge_dirs: vec!["/nonexistent/runbooks".into()],
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("'/nonexistent/runbooks'"), "{err}");
}

#[test]
fn the_reply_streams_in_pieces_and_stops_when_cancelled() {
    let bot = built_in_bot();
    let request = ask("What makes a good passphrase?");
    let mut pieces = Vec::new();
    let done = bot
        .stream(&request, &CancelToken::new(), &mut |d| pieces.push(d.to_owned()))
        .unwrap();
    assert_eq!(done.finish, sotto::backend::Finish::Stop);
    assert!(pieces.len() > 3);
    assert_eq!(pieces.concat(), bot.reply("What makes a good passphrase?"));

    let cancel = CancelToken::new();
    let mut received = 0;
    let done = bot
        .stream(&request, &cancel, &mut |_| {
            received += 1;
            cancel.cancel();
        })
        .unwrap();
    assert_eq!(done.finish, sotto::backend::Finish::Cancelled);
    assert_eq!(received, 1);
}

/// "And for OpenAI?" after a vLLM question: the vLLM section mentions
/// OpenAI too, and the previous question's words favour it, but the
/// follow-up asks the same thing about a sibling topic.
#[test]
fn a_follow_up_about_a_sibling_topic_is_answered_from_that_topic() {
    let bot = built_in_bot();
    let answered = |previous: &str, text: &str| match bot.classify_after(Some(previous), text) {
        Answer::Found { section, .. } => bot.sections()[section].id.clone(),
        other => format!("{other:?}"),
    };
    assert_eq!(
        answered("how do i set up vllm with sotto", "and for openai?"),
        "backends-and-consent#connecting-to-openai"
    );
    assert_eq!(
        answered("how do I connect to llama.cpp", "and what about ollama?"),
        "backends-and-consent#connecting-to-ollama"
    );
    // A follow-up about another side of the same topic stays with it.
    assert_eq!(
        answered("my laptop got stolen", "what about my api keys?"),
        "privacy-practices#after-a-lost-or-stolen-computer"
    );
}

#[test]
fn a_follow_up_in_a_conversation_is_read_with_the_previous_question() {
    let bot = built_in_bot();
    let message = |role, content: &str| ChatMessage {
        role,
        content: content.into(),
    };
    let request = outgoing_request(
        ChatRequest {
            messages: vec![
                message(ChatRole::User, "how do I connect to ollama?"),
                message(ChatRole::Assistant, &bot.reply("how do I connect to ollama?")),
                message(ChatRole::User, "what about llama.cpp?"),
            ],
            ..Default::default()
        },
        Mode::Off,
        &mut RedactionMap::default(),
        true,
    );
    let mut reply = String::new();
    bot.stream(&request, &CancelToken::new(), &mut |d| reply.push_str(d))
        .unwrap();
    assert!(reply.ends_with("› Connecting to llama.cpp"), "{reply}");
    // A follow-up that names nothing stays with the previous question's topic.
    assert!(!matches!(bot.classify("and what about that?"), Answer::Found { .. }));
    let same = bot.classify_after(Some("how do I connect to ollama?"), "and what about that?");
    assert!(
        matches!(same, Answer::Found { section, .. } if bot.sections()[section].id == "backends-and-consent#connecting-to-ollama"),
        "{same:?}"
    );
    let undo = bot.classify_after(Some("how do I wipe one conversation?"), "and can I undo that?");
    assert!(
        matches!(undo, Answer::Found { section, .. } if bot.sections()[section].id == "view-export-wipe#wiping-a-conversation-for-good"),
        "{undo:?}"
    );
}

#[test]
fn withheld_items_are_noted_by_their_placeholders_and_nothing_else_changes() {
    let bot = built_in_bot();
    let plain = bot.reply("how do I export my data?");
    assert!(!plain.contains("I have noted"));
    let one = bot.reply("how do I export my data? write to [EMAIL_1]");
    assert!(one.ends_with("I have noted [EMAIL_1] for this ticket."), "{one}");
    let three = bot.reply("[EMAIL_1] [CREDIT_CARD_1] [EMAIL_1] [PHONE_2] help");
    assert!(
        three.ends_with("I have noted [EMAIL_1], [CREDIT_CARD_1] and [PHONE_2] for this ticket."),
        "{three}"
    );
    // Brackets that are not placeholders are not noted.
    assert!(!bot.reply("what is [NOTHING_1]?").contains("I have noted"));
}

/// Writes every labelled question's ranking to the file named by
/// SOTTO_KB_DUMP, for tuning by hand (ignored: run it on purpose).
#[test]
#[ignore]
fn dump_rankings_for_tuning() {
    let Some(path) = std::env::var_os("SOTTO_KB_DUMP") else {
        return;
    };
    // Only the tuning part, read in its folds, unless another file is named
    // (a set being written, before it joins a part).
    let other = std::env::var_os("SOTTO_KB_SET").map(|file| std::fs::read_to_string(file).unwrap());
    let set: QuestionSet = toml::from_str(other.as_deref().unwrap_or(TUNING_SET)).unwrap();
    let read: Vec<(LocalBot, Vec<&Labelled>)> = match other {
        Some(_) => vec![(built_in_bot(), set.question.iter().collect())],
        None => folds(&set).map(|(bot, questions, _)| (bot, questions)).collect(),
    };
    let mut out = Vec::new();
    for (bot, q) in read
        .iter()
        .flat_map(|(bot, questions)| questions.iter().map(move |q| (bot, q)))
    {
        let hits: Vec<serde_json::Value> = bot
            .ranked(&q.text, hits_to_dump())
            .iter()
            .map(|h| serde_json::json!({"id": bot.sections()[h.section].id, "score": h.score, "coverage": h.coverage, "topic": h.topic_coverage, "rank": h.rank(), "phrasing": h.phrasing, "meaning": h.meaning, "nearest_in_meaning": h.nearest_in_meaning, "off_topic": h.off_topic, "off_topic_meaning": h.off_topic_meaning}))
            .collect();
        out.push(serde_json::json!({"text": q.text, "expect": q.expect, "hits": hits}));
    }
    std::fs::write(path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
}

/// How many hits a dump keeps per question (`SOTTO_KB_DUMP_HITS`, 5 unless
/// told): a reranking experiment needs more than the decision looks at.
fn hits_to_dump() -> usize {
    std::env::var("SOTTO_KB_DUMP_HITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5)
}
