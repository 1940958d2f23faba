//! What ranking says of one section for a question (`Hit`), and how those
//! signals combine into the order the sections are listed in (`rank`).

/// How much a question that reads like one of a section's phrasings lifts it.
const PHRASING_BOOST: f64 = 1.0;

/// A ranked section with its score and how much of the question it covers.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    pub section: usize,
    pub score: f64,
    /// The share of the question's weight (by IDF) found in the section, 0 to 1.
    pub coverage: f64,
    /// The share found in its heading or "asked as" phrasings, 0 to 1: a
    /// section that only mentions the question's words in passing is not
    /// about them.
    pub topic_coverage: f64,
    /// How closely the question matches the nearest single phrasing (the
    /// heading, or one "asked as" line), as an IDF-weighted cosine, 0 to 1.
    pub phrasing: f64,
    /// How alike in meaning the question is to the nearest phrasing, -1 to
    /// 1: a cosine of whitened sentence meanings (`semantics`); 0 for a
    /// question, or a section's phrasings, of no word the table knows.
    pub meaning: f64,
    /// Whether every other section, ranked or not, is less near in meaning
    /// (a tie, as between two sections with the same heading, is no lead).
    pub nearest_in_meaning: bool,
    /// How strongly `meaning` lifts the rank: `exp(lift × meaning)`.
    pub lift: f64,
    /// Whether the question names a word that only the off-topic themes
    /// use ("keepass", "outlook"): something the sections never mention
    /// (never so for the user's own sections, which no theme rules out).
    pub names_off_topic: bool,
    /// The rank of the off-topic theme nearest the question (0 if none,
    /// and for the user's own sections): a built-in section that does not
    /// rank clearly above it is not what was asked.
    pub off_topic: f64,
    /// How alike in meaning the question is to the nearest off-topic
    /// theme's phrasing (-1 for the user's own sections, which no theme
    /// rules out).
    pub off_topic_meaning: f64,
    /// Whether the section is one of sotto's own: the off-topic themes
    /// rule out only those.
    pub built_in: bool,
}

impl Hit {
    /// The ordering key: BM25F scaled by how much of the question is
    /// covered, so a section that answers more of the question beats one
    /// that matches a single rare word many times.
    pub fn rank(&self) -> f64 {
        rank(self.score, self.coverage, self.phrasing, self.lift * self.meaning)
    }
}

/// BM25F `score` scaled by the share of the question covered, by how
/// closely its words match the nearest phrasing, and by how alike it is in
/// meaning to the nearest phrasing, `lifted` by how strongly that counts
/// (with the built-in base, a likeness of 0.24 more doubles it).
pub(super) fn rank(score: f64, coverage: f64, phrasing: f64, lifted: f64) -> f64 {
    score * (0.5 + coverage) * (1.0 + PHRASING_BOOST * phrasing) * lifted.exp()
}
