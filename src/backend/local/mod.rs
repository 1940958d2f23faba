//! The `local` backend: sotto's built-in help-desk bot. Offline and
//! deterministic: it answers from a knowledge base of Markdown sections (the
//! one sotto ships, plus the user's own directories), ranked with BM25, and
//! quotes the section it answered from. Greetings, thanks and "help" get
//! replies of their own; a question the base does not cover gets an honest
//! "I don't know" with the nearest topics.

pub mod index;
pub mod knowledge;
pub mod text;

use std::path::PathBuf;

use self::index::{Hit, Index};
use self::knowledge::Section;
use super::{Backend, BackendError, BackendInfo, CancelToken, Channel, Completion, Finish};
use crate::redact::egress::EgressRequest;
use crate::request::ChatRole;

/// The least share of a question's weight a section must cover to be the answer.
const MIN_COVERAGE: f64 = 0.35;
/// The least BM25 score an answer must reach.
const MIN_SCORE: f64 = 1.5;
/// Replies stream in pieces of about this many bytes, split at spaces.
const PIECE: usize = 48;

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

pub struct LocalSettings {
    pub name: String,
    /// The user's own knowledge directories, searched with the built-in base.
    pub knowledge_dirs: Vec<PathBuf>,
}

/// What the bot makes of a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Greeting,
    Thanks,
    Goodbye,
    Help,
    /// The best section, by index.
    Found {
        section: usize,
    },
    /// Nothing good enough; the nearest sections, by index.
    Unknown {
        nearest: Vec<usize>,
    },
}

pub struct LocalBot {
    info: BackendInfo,
    index: Index,
    user_files: usize,
    /// Files of the user's knowledge that were skipped, and why.
    pub skipped: Vec<String>,
}

impl LocalBot {
    pub fn new(settings: LocalSettings) -> Result<Self, BackendError> {
        let mut sections = knowledge::built_in();
        let mut skipped = Vec::new();
        let mut budget = knowledge::Budget::default();
        let mut user_sources = std::collections::HashSet::new();
        for dir in &settings.knowledge_dirs {
            let own = knowledge::load_dir(dir, &mut budget, &mut skipped)
                .map_err(|e| BackendError::Unavailable(e.to_string()))?;
            user_sources.extend(own.iter().map(|s| s.source.clone()));
            sections.extend(own);
        }
        Ok(Self::from_sections(
            settings.name,
            sections,
            user_sources.len(),
            skipped,
        ))
    }

    /// A bot over exactly these sections (for benchmarks and tests).
    pub fn from_sections(name: String, sections: Vec<Section>, user_files: usize, skipped: Vec<String>) -> Self {
        LocalBot {
            info: BackendInfo {
                name,
                kind: "local",
                host: "built in".into(),
                channel: Channel::InProcess,
                model: Some("help-desk".into()),
            },
            index: Index::new(sections),
            user_files,
            skipped,
        }
    }

    pub fn sections(&self) -> &[Section] {
        self.index.sections()
    }

    /// Decides how to answer `message`.
    pub fn classify(&self, message: &str) -> Answer {
        let words = text::words(message);
        let joined = words.join(" ");
        let only = |set: &[&str]| {
            !words.is_empty()
                && words.iter().any(|w| set.contains(&w.as_str()))
                && words
                    .iter()
                    .all(|w| set.contains(&w.as_str()) || FILLER.contains(&w.as_str()))
        };
        if HELP_PHRASES.contains(&joined.as_str()) {
            return Answer::Help;
        }
        if only(GREETINGS) {
            return Answer::Greeting;
        }
        if only(THANKS) {
            return Answer::Thanks;
        }
        if only(BYES) {
            return Answer::Goodbye;
        }
        // "Hi, how do I export?" is a question with a greeting in front.
        let question: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .skip_while(|w| GREETINGS.contains(w))
            .collect();
        let hits = self.index.search(&question.join(" "), 3);
        match hits.first() {
            Some(best) if is_confident(best) => Answer::Found { section: best.section },
            _ => Answer::Unknown {
                nearest: hits.iter().map(|h| h.section).collect(),
            },
        }
    }

    /// The full reply text for `message`. Personal data reaches this bot as
    /// placeholders like any other (redaction runs before every backend); it
    /// notes them for the ticket, and sotto shows the user's values in their
    /// place on screen.
    pub fn reply(&self, message: &str) -> String {
        let answer = self.answer(message);
        match crate::redact::mask::placeholders(message).as_slice() {
            [] => answer,
            [one] => format!("{answer}\n\nI have noted {one} for this ticket."),
            [rest @ .., last] => format!(
                "{answer}\n\nI have noted {} and {last} for this ticket.",
                rest.join(", ")
            ),
        }
    }

    fn answer(&self, message: &str) -> String {
        match self.classify(message) {
            Answer::Greeting => format!(
                "Hello! I'm sotto's built-in help-desk bot, an automated assistant that runs on this machine: \
                 nothing you type here leaves it. I answer from a knowledge base about sotto and privacy \
                 practice{}. Ask me something, for example \"how do I change where my data is stored?\", or \
                 type \"help\" for the topics I know.",
                self.own_notes()
            ),
            Answer::Thanks => "You're welcome. Anything else I can help with?".into(),
            Answer::Goodbye => "Goodbye. Your conversation stays encrypted on this machine.".into(),
            Answer::Help => self.help(),
            Answer::Found { section } => {
                let section = &self.sections()[section];
                format!("{}\n\nSource: {} › {}", section.body, section.source, section.title())
            }
            Answer::Unknown { nearest } if nearest.is_empty() => {
                "I don't know that one, and nothing in my knowledge base comes close. Type \"help\" to see the \
                 topics I can answer, or add your own notes with --knowledge DIR."
                    .into()
            }
            Answer::Unknown { nearest } => {
                let mut text = "I don't know that one: nothing in my knowledge base answers it well enough. \
                                The nearest topics I have are:\n"
                    .to_owned();
                for i in nearest {
                    text.push_str(&format!("\n- {}", self.sections()[i].title()));
                }
                text.push_str("\n\nAsk again in other words, or add your own notes with --knowledge DIR.");
                text
            }
        }
    }

    fn own_notes(&self) -> String {
        match self.user_files {
            0 => String::new(),
            1 => ", and from your own notes (1 file)".into(),
            n => format!(", and from your own notes ({n} files)"),
        }
    }

    fn help(&self) -> String {
        let mut topics: Vec<String> = Vec::new();
        for section in self.sections() {
            let top = section.headings.first().cloned().unwrap_or_default();
            if !topics.contains(&top) {
                topics.push(top);
            }
        }
        let mut text = format!(
            "I'm sotto's built-in help-desk bot (automated, offline). I answer from a knowledge base{}. \
             Topics I know:\n",
            self.own_notes()
        );
        for topic in topics {
            text.push_str(&format!("\n- {topic}"));
        }
        text.push_str("\n\nAsk in your own words; I quote the section each answer comes from.");
        text
    }
}

fn is_confident(hit: &Hit) -> bool {
    hit.coverage >= MIN_COVERAGE && hit.score >= MIN_SCORE
}

/// Splits `text` into pieces of about `PIECE` bytes at spaces, keeping every byte.
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.len().min(PIECE);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        if end < rest.len() {
            if let Some(space) = rest[end..].find(' ') {
                end += space + 1;
            } else {
                end = rest.len();
            }
        }
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

impl Backend for LocalBot {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    fn setup_note(&self) -> Option<String> {
        let (first, rest) = self.skipped.split_first()?;
        let more = match rest.len() {
            0 => String::new(),
            n => format!(" (and {n} more)"),
        };
        Some(format!(
            "{} knowledge file(s) not loaded: {first}{more}",
            self.skipped.len()
        ))
    }

    fn stream(
        &self,
        request: &EgressRequest,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        let question = request
            .messages()
            .iter()
            .rev()
            .find(|m| m.role == ChatRole::User)
            .map_or("", |m| m.content.as_str());
        let reply = self.reply(question);
        for piece in pieces(&reply) {
            if cancel.is_cancelled() {
                return Ok(Completion {
                    finish: Finish::Cancelled,
                    usage: None,
                    model: self.info.model.clone(),
                });
            }
            on_delta(piece);
        }
        Ok(Completion {
            finish: Finish::Stop,
            usage: None,
            model: self.info.model.clone(),
        })
    }

    fn health(&self) -> Result<(), BackendError> {
        Ok(())
    }

    fn list_models(&self) -> Result<Option<Vec<String>>, BackendError> {
        Ok(Some(vec!["help-desk".into()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_keep_every_byte_and_split_at_spaces() {
        let text = "word ".repeat(40) + "ünïcødé end";
        let parts: Vec<&str> = pieces(&text).collect();
        assert_eq!(parts.concat(), text);
        assert!(parts.len() > 3);
        assert!(parts[..parts.len() - 1].iter().all(|p| p.ends_with(' ')));
    }
}
