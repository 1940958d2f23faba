//! The `local` backend: sotto's built-in help-desk bot. Offline and
//! deterministic: it answers from a knowledge base of Markdown sections (the
//! one sotto ships, plus the user's own directories), ranked with BM25F, and
//! quotes the section it answered from. It answers when the best section
//! is likely enough the right one (a model learnt from labelled questions);
//! otherwise it asks which of the three nearest topics was meant. A short
//! follow-up ("and how do I undo that?") is read with the previous question
//! as context. Greetings, thanks and "help" get replies of their own; a
//! question the base does not cover gets an honest "I don't know" with the
//! nearest topics, or the topic list.

mod decision;
pub mod index;
pub mod knowledge;
mod semantics;
mod small_talk;
pub mod text;
mod typos;
mod vectors;
mod whitening;
mod wordlists;

use std::path::PathBuf;

use self::decision::{CONTEXT_WEIGHT, decide, fits_words, is_follow_up, leads_off_topic};
use self::index::{Hit, Index, QueryPart};
use self::knowledge::Section;
use super::{Backend, BackendError, BackendInfo, CancelToken, Channel, Completion, Finish};
use crate::redact::egress::EgressRequest;
use crate::request::ChatRole;

/// Replies stream in pieces of about this many bytes, split at spaces.
const PIECE: usize = 48;

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
    /// The best section, by index, and the runners-up close enough to be
    /// worth naming under the answer ("See also").
    Found {
        section: usize,
        related: Vec<usize>,
    },
    /// Several sections fit about equally well: the three nearest, by index.
    DidYouMean {
        nearest: Vec<usize>,
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

    /// A bot over exactly these sections, and the built-in off-topic themes
    /// (for benchmarks and tests).
    pub fn from_sections(name: String, sections: Vec<Section>, user_files: usize, skipped: Vec<String>) -> Self {
        LocalBot {
            info: BackendInfo {
                name,
                kind: "local",
                host: "built in".into(),
                channel: Channel::InProcess,
                model: Some("help-desk".into()),
            },
            index: Index::new(sections, knowledge::off_topic()),
            user_files,
            skipped,
        }
    }

    pub fn sections(&self) -> &[Section] {
        self.index.sections()
    }

    /// The best `limit` sections for `message` on its own, best first, with
    /// their scores (for evaluation and tuning).
    pub fn ranked(&self, message: &str, limit: usize) -> Vec<Hit> {
        self.index.search(message, limit)
    }

    /// Decides how to answer `message`.
    pub fn classify(&self, message: &str) -> Answer {
        self.classify_after(None, message)
    }

    /// Decides how to answer `message`, which follows the user's `previous`
    /// question in the conversation.
    pub fn classify_after(&self, previous: Option<&str>, message: &str) -> Answer {
        let words = text::words(message);
        if let Some(answer) = small_talk::answer(&words) {
            return answer;
        }
        let question = small_talk::without_greeting(&words);
        let length = text::words(&question).len();
        let alone_hits = self.index.search(&question, 3);
        let alone = decide(&alone_hits, length);
        let Some(previous) = previous else {
            return alone;
        };
        let follow_up = is_follow_up(&words);
        if !follow_up && matches!(alone, Answer::Found { .. }) {
            return alone;
        }
        let previous_alone = follow_up.then(|| decide(&self.index.search(previous, 3), text::words(previous).len()));
        // "And for OpenAI?" after a question about vLLM asks the same about
        // a sibling topic: its own words name the answer, however much the
        // previous question's words favour the section it was answered from,
        // and however few they are (too few, alone, to be likely).
        let named = match &alone {
            Answer::Found { .. } => Some(alone.clone()),
            _ => fits_words(&alone_hits),
        };
        if let Some(found @ Answer::Found { section, .. }) = named
            && let Some(Answer::Found { section: earlier, .. }) = previous_alone
            && self.sections()[section].is_sibling_of(&self.sections()[earlier])
        {
            return found;
        }
        let parts = [
            QueryPart {
                text: &question,
                weight: 1.0,
            },
            QueryPart {
                text: previous,
                weight: CONTEXT_WEIGHT,
            },
        ];
        let in_context_hits = self.index.search_parts(&parts, 3);
        // The model was learnt on single questions; the follow-up's own
        // length served the tuning part's follow-ups better (57 of 73) than
        // the two questions' together (56).
        let in_context = decide(&in_context_hits, length);
        match in_context {
            Answer::Found { .. } => in_context,
            // "And for WhatsApp?" after a question about exports asks about
            // another app, one only the off-topic themes name: no answer,
            // not the previous one. "Can I turn it off?" after a question
            // about disappearing messages names nothing of the kind, however
            // much it reads like "turn on Signal's disappearing messages".
            _ if leads_off_topic(&in_context_hits) && self.index.names_off_topic(&question) => in_context,
            // A follow-up the two questions together do not settle stays
            // with the previous question's topic ("and can I undo that?");
            // another question is answered as it reads alone.
            _ => match previous_alone {
                Some(found @ Answer::Found { .. }) => found,
                Some(_) => in_context,
                None => alone,
            },
        }
    }

    /// The full reply text for `message`. Personal data reaches this bot as
    /// placeholders like any other (redaction runs before every backend); it
    /// notes them for the ticket, and sotto shows the user's values in their
    /// place on screen.
    pub fn reply(&self, message: &str) -> String {
        self.reply_after(None, message)
    }

    /// The reply to `message`, which follows the user's `previous` question.
    pub fn reply_after(&self, previous: Option<&str>, message: &str) -> String {
        let answer = self.answer(previous, message);
        match crate::redact::mask::placeholders(message).as_slice() {
            [] => answer,
            [one] => format!("{answer}\n\nI have noted {one} for this ticket."),
            [rest @ .., last] => format!(
                "{answer}\n\nI have noted {} and {last} for this ticket.",
                rest.join(", ")
            ),
        }
    }

    fn answer(&self, previous: Option<&str>, message: &str) -> String {
        match self.classify_after(previous, message) {
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
            Answer::Found { section, related } => {
                let found = &self.sections()[section];
                let mut text = format!("{}\n\nSource: {} › {}", found.body, found.source, found.title());
                if !related.is_empty() {
                    let titles: Vec<String> = related.iter().map(|&i| self.sections()[i].title()).collect();
                    text.push_str(&format!("\nSee also: {}", titles.join("; ")));
                }
                text
            }
            Answer::DidYouMean { nearest } => {
                let mut text = "I'm not sure which of these you mean:\n".to_owned();
                for i in nearest {
                    text.push_str(&format!("\n- {}", self.sections()[i].title()));
                }
                text.push_str("\n\nAsk again with a few more words about the one you want.");
                text
            }
            Answer::Unknown { nearest } if nearest.is_empty() => {
                let mut text = "I don't know that one, and nothing in my knowledge base comes close. The topics I \
                                know are:\n"
                    .to_owned();
                for topic in self.topics() {
                    text.push_str(&format!("\n- {topic}"));
                }
                text.push_str(
                    "\n\nAsk about one of them in your own words, or add your own notes with --knowledge DIR.",
                );
                text
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

    /// The top-level headings of the base, in order.
    fn topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = Vec::new();
        for section in self.sections() {
            let top = section.headings.first().cloned().unwrap_or_default();
            if !topics.contains(&top) {
                topics.push(top);
            }
        }
        topics
    }

    fn help(&self) -> String {
        let topics = self.topics();
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

    fn warm(&self) {
        self.index.warm();
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
        let mut asked = request
            .messages()
            .iter()
            .rev()
            .filter(|m| m.role == ChatRole::User)
            .map(|m| m.content.as_str());
        let question = asked.next().unwrap_or("");
        let reply = self.reply_after(asked.next(), question);
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
