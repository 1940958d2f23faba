//! Text analysis for the help-desk bot: Unicode normalisation (NFKD with
//! combining marks removed, so "naïve" matches "naive"), lower case, words of
//! letters and digits, English stop words dropped, Snowball stemming (so
//! "wiping" matches "wipe").

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Words too common to tell sections apart: English function words, the verbs
/// and fillers every question is built from ("how can I make…"), and the
/// product's own name, which every section could mention.
const STOP_WORDS: &[&str] = &[
    "a",
    "able",
    "about",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "anyone",
    "anything",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "being",
    "both",
    "but",
    "by",
    "can",
    "could",
    "d",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "each",
    "eight",
    "else",
    "even",
    "ever",
    "every",
    "everything",
    "five",
    "for",
    "four",
    "from",
    "get",
    "gets",
    "getting",
    "go",
    "goes",
    "going",
    "got",
    "had",
    "happen",
    "happens",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "know",
    "let",
    "like",
    "ll",
    "m",
    "make",
    "makes",
    "may",
    "me",
    "mean",
    "means",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "need",
    "needs",
    "not",
    "now",
    "of",
    "ok",
    "okay",
    "on",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "please",
    "put",
    "re",
    "really",
    "s",
    "said",
    "same",
    "say",
    "says",
    "seven",
    "she",
    "should",
    "six",
    "so",
    "some",
    "someone",
    "something",
    "sotto",
    "still",
    "sure",
    "t",
    "tell",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "think",
    "this",
    "those",
    "three",
    "to",
    "too",
    "try",
    "tried",
    "two",
    "up",
    "us",
    "use",
    "used",
    "using",
    "ve",
    "very",
    "want",
    "was",
    "way",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "won",
    "would",
    "yes",
    "yet",
    "you",
    "your",
    "yours",
];

/// Words people use for the same thing, folded onto one word so a question in
/// everyday words finds a section written in sotto's words. General domain
/// vocabulary, not tuned to particular questions.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "conversation",
        &[
            "chat",
            "chats",
            "conversations",
            "thread",
            "threads",
            "transcript",
            "transcripts",
        ],
    ),
    (
        "wipe",
        &[
            "delete", "deleting", "deleted", "erase", "erasing", "remove", "removing", "destroy", "shred", "purge",
        ],
    ),
    (
        "passphrase",
        &["password", "passwords", "passphrases", "passcode", "passwd"],
    ),
    (
        "damaged",
        &["corrupt", "corrupted", "corruption", "broken", "damage", "integrity"],
    ),
    (
        "compromise",
        &[
            "hacked",
            "hack",
            "hacker",
            "compromised",
            "breach",
            "breached",
            "intrusion",
        ],
    ),
    (
        "phishing",
        &["scam", "scams", "scammer", "fraud", "fraudulent", "spoofed", "spoof"],
    ),
    (
        "computer",
        &["laptop", "laptops", "pc", "desktop", "machine", "device", "devices"],
    ),
    ("directory", &["folder", "folders", "disk", "drive", "path"]),
    (
        "encrypted",
        &["encrypt", "encryption", "cipher", "ciphers", "crypto", "cryptography"],
    ),
    ("configuration", &["config", "settings", "toml"]),
    ("link", &["links", "url", "urls", "hyperlink"]),
    ("server", &["servers", "remote", "endpoint"]),
    ("key", &["keys", "token", "tokens", "credential", "credentials"]),
    ("bot", &["assistant", "chatbot", "ai", "human", "person"]),
    ("incognito", &["private", "privately", "anonymous"]),
    (
        "retention",
        &[
            "expire",
            "expiry",
            "expiration",
            "disappear",
            "disappearing",
            "autodelete",
        ],
    ),
    ("export", &["exporting", "exported", "download"]),
    ("backup", &["backups", "backing", "restore", "restoring"]),
    ("vault", &["vaults", "database", "databases", "db"]),
    ("strong", &["good", "secure", "solid", "robust"]),
    ("view", &["see", "seeing", "show", "showing", "inventory", "look"]),
    (
        "start",
        &[
            "setup",
            "install",
            "installing",
            "begin",
            "beginning",
            "init",
            "initialise",
            "initialize",
        ],
    ),
];

fn canonical(word: &str) -> &str {
    SYNONYMS
        .iter()
        .find(|(_, others)| others.contains(&word))
        .map_or(word, |(canonical, _)| canonical)
}

pub struct Analyzer {
    stemmer: Stemmer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

/// Lower-cased words of `text` with accents removed, stop words kept.
pub fn words(text: &str) -> Vec<String> {
    let folded: String = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Analyzer {
    /// The index terms of `text`: normalised, stop words dropped, stemmed.
    pub fn terms(&self, text: &str) -> Vec<String> {
        words(text)
            .into_iter()
            .filter(|w| !STOP_WORDS.contains(&w.as_str()))
            .map(|w| self.stemmer.stem(canonical(&w)).into_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_inflections_fold_together() {
        let analyzer = Analyzer::default();
        assert_eq!(analyzer.terms("Wiping"), analyzer.terms("wipe"));
        assert_eq!(analyzer.terms("Passphrases"), analyzer.terms("passphrase"));
        assert_eq!(words("Naïve CAFÉ"), ["naive", "cafe"]);
    }

    #[test]
    fn stop_words_do_not_count() {
        assert_eq!(
            Analyzer::default().terms("How do I export my data?"),
            ["export", "data"]
        );
    }
}
