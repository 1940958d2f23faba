//! Small talk: greetings, thanks, goodbyes and requests for help get
//! replies of their own instead of a knowledge-base search, and a greeting
//! in front of a question ("hi, how do I export?") is set aside.

use super::Answer;

const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "howdy",
    "greetings",
    "hallo",
    "morning",
    "evening",
    "afternoon",
    "good",
    "yo",
];
const THANKS: &[&str] = &[
    "thanks",
    "thank",
    "thx",
    "ty",
    "cheers",
    "appreciated",
    "great",
    "perfect",
    "ok",
    "okay",
    "cool",
    "nice",
];
const BYES: &[&str] = &["bye", "goodbye", "later", "cya", "ciao", "farewell", "quit", "exit"];
const FILLER: &[&str] = &[
    "there", "bot", "sotto", "again", "all", "you", "very", "much", "so", "a", "lot", "lots", "for", "that", "the",
    "help", "see", "now",
];
const HELP_PHRASES: &[&str] = &[
    "help",
    "help me",
    "what can you do",
    "what do you know",
    "what can i ask",
    "what can i ask you",
    "topics",
    "menu",
    "who are you",
    "what are you",
];

/// The small-talk answer for `words` (lower case, from `text::words`), if
/// the message is nothing but small talk.
pub fn answer(words: &[String]) -> Option<Answer> {
    let joined = words.join(" ");
    let only = |set: &[&str]| {
        !words.is_empty()
            && words.iter().any(|w| set.contains(&w.as_str()))
            && words
                .iter()
                .all(|w| set.contains(&w.as_str()) || FILLER.contains(&w.as_str()))
    };
    if HELP_PHRASES.contains(&joined.as_str()) {
        Some(Answer::Help)
    } else if only(GREETINGS) {
        Some(Answer::Greeting)
    } else if only(THANKS) {
        Some(Answer::Thanks)
    } else if only(BYES) {
        Some(Answer::Goodbye)
    } else {
        None
    }
}

/// The question in `words` without the greeting in front of it.
pub fn without_greeting(words: &[String]) -> String {
    let question: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .skip_while(|w| GREETINGS.contains(w))
        .collect();
    question.join(" ")
}
