//! Text analysis for the help-desk bot: Unicode normalisation (NFKD with
//! combining marks removed, so "naïve" matches "naive"), lower case, words of
//! letters and digits, English stop words dropped, Snowball stemming (so
//! "wiping" matches "wipe").

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Words too common to tell sections apart: English function words, and the
/// verbs and fillers every question is built from ("how can I make…", "quick
/// question", "yesterday").
const STOP_WORDS: &[&str] = &[
    "a",
    "able",
    "about",
    "actually",
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
    "anyway",
    "are",
    "as",
    "at",
    "basically",
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
    "hello",
    "her",
    "here",
    "hey",
    "hi",
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
    "kind",
    "know",
    "lately",
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
    "o",
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
    "pls",
    "plz",
    "put",
    "q",
    "question",
    "quick",
    "re",
    "really",
    "right",
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
    "still",
    "stuff",
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
    "today",
    "tomorrow",
    "too",
    "tried",
    "try",
    "two",
    "uh",
    "um",
    "up",
    "us",
    "use",
    "used",
    "using",
    "ve",
    "very",
    "w",
    "want",
    "was",
    "way",
    "we",
    "week",
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
    "yesterday",
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
            "convo",
            "convos",
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
        &["password", "passwords", "passphrases", "passcode", "passwd", "pw"],
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
            "stolen",
            "stole",
            "theft",
            "lost",
            "lose",
            "losing",
        ],
    ),
    (
        "phishing",
        &["scam", "scams", "scammer", "fraud", "fraudulent", "spoofed", "spoof"],
    ),
    (
        "computer",
        &[
            "computers",
            "laptop",
            "laptops",
            "pc",
            "desktop",
            "machine",
            "machines",
            "device",
            "devices",
            "notebook",
        ],
    ),
    (
        "store",
        &[
            "stores", "stored", "storing", "keep", "keeps", "kept", "keeping", "save", "saves", "saved", "saving",
            "hold", "holds", "held", "holding",
        ],
    ),
    (
        "network",
        &[
            "internet", "online", "cloud", "send", "sends", "sent", "sending", "upload", "uploaded", "uploads", "web",
        ],
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

/// Every word the analyser knows without a knowledge base: stop words and
/// the synonym table. A misspelt word is corrected towards these too.
pub fn known_words() -> impl Iterator<Item = &'static str> {
    STOP_WORDS.iter().copied().chain(
        SYNONYMS
            .iter()
            .flat_map(|(canonical, others)| std::iter::once(*canonical).chain(others.iter().copied())),
    )
}

/// Whether `word` (already lower case) carries no topic.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

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
        words(text).iter().filter_map(|w| self.term(w)).collect()
    }

    /// The index term of one word from [`words`], or `None` for a stop word.
    pub fn term(&self, word: &str) -> Option<String> {
        (!is_stop_word(word)).then(|| self.stemmer.stem(canonical(word)).into_owned())
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
    fn everyday_words_fold_onto_the_bases_words() {
        let analyzer = Analyzer::default();
        for (everyday, base) in [
            ("kept", "stored"),
            ("laptop", "computer"),
            ("erase", "wipe"),
            ("cloud", "network"),
            ("stolen", "compromised"),
            ("password", "passphrase"),
        ] {
            assert_eq!(analyzer.terms(everyday), analyzer.terms(base), "{everyday}");
        }
    }

    #[test]
    fn stop_words_do_not_count() {
        assert_eq!(
            Analyzer::default().terms("How do I export my data?"),
            ["export", "data"]
        );
    }
}
