//! Word vectors: what lets the built-in bot see that "notebook" is near
//! "laptop" and that "how do I get rid of a chat" reads like "delete a
//! conversation" when they share no word. A table of about 20,000 common
//! English words (and every word of the built-in base it knows), each a
//! 100-dimensional direction from GloVe, built into the binary
//! (`vectors/README.md` says where it comes from and how it is made). A
//! sentence's meaning is the mean of its words' directions, nearly every
//! word alike (`whitening` then weighs the directions); words the table
//! lacks are skipped.
//!
//! The table is read the first time it is needed, not at start.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Components per word.
pub const DIMS: usize = 100;

/// A direction in word space: unit length, or zero for nothing known.
pub type Meaning = [f32; DIMS];

const WORDS: &str = include_str!("vectors/words.txt");
const ROWS: &[u8] = include_bytes!("vectors/vectors.bin");

/// How frequent a word must be to weigh half as much as the rarest in a
/// sentence, `c` in the weight `r / (r + c)` for the word's frequency rank
/// `r`, when the whitening (`whitening`) has plenty to learn from: "the"
/// (rank 0) weighs 0.43 and "how" (rank 66) 0.85, so nearly every word
/// counts alike and the whitening tells which directions say little.
/// (Weighing common words down hard put 6 points fewer questions of the
/// tuning part nearest their section's phrasings.)
const LEARNT_COMMONNESS: f32 = 13.0;
/// The same with nothing learnt: "how" weighs almost nothing and "laptop"
/// (rank 10,224) 0.09, so a plain mean is about the rare words.
const UNLEARNT_COMMONNESS: f32 = 100_000.0;

/// The commonness for a whitening trusted `trust` (0 to 1): between the
/// two, on a log scale.
pub fn commonness(trust: f64) -> f32 {
    let t = trust.clamp(0.0, 1.0) as f32;
    LEARNT_COMMONNESS.powf(t) * UNLEARNT_COMMONNESS.powf(1.0 - t)
}

struct Table {
    /// (word, row, frequency rank in the source), sorted by word.
    words: Vec<(&'static str, u32, u32)>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut words: Vec<(&'static str, u32, u32)> = WORDS
        .lines()
        .enumerate()
        .filter_map(|(row, line)| {
            let (word, rank) = line.split_once(' ')?;
            Some((word, row as u32, rank.parse().ok()?))
        })
        .collect();
    words.sort_unstable_by(|a, b| a.0.cmp(b.0));
    Table { words }
});

impl Table {
    fn find(&self, word: &str) -> Option<(u32, u32)> {
        let at = self.words.binary_search_by(|(w, _, _)| (*w).cmp(word)).ok()?;
        let (_, row, rank) = self.words[at];
        Some((row, rank))
    }
}

fn row(row: u32) -> impl Iterator<Item = f32> {
    let start = row as usize * DIMS;
    ROWS[start..start + DIMS].iter().map(|&b| f32::from(b as i8))
}

/// The direction of one word (lower case), if the table has it.
pub fn word(word: &str) -> Option<Meaning> {
    lookup(word).map(|(meaning, _)| meaning)
}

/// The meaning of a sentence: the direction of the weighted mean of its
/// `words`' directions (lower case, as from `text::words`), each weighing
/// its own weight times `r / (r + commonness)` for its frequency rank `r`
/// (see [`commonness`]). Stop words count: "how do I" and "can someone"
/// say what kind of question it is, and the whitening learns how much that
/// matters. Words the table lacks are skipped; nothing known is zero.
///
/// A word the table lacks but `learnt` has (a name like "vllm", newer than
/// the table) counts as a rare word with that direction.
pub fn sentence<'a>(
    words: impl IntoIterator<Item = (&'a str, f32)>,
    commonness: f32,
    learnt: &HashMap<String, Meaning>,
) -> Meaning {
    let mut sum = [0.0; DIMS];
    for (word, weight) in words {
        let (meaning, scale) = match lookup(word) {
            Some((meaning, rank)) => (meaning, weight * weight_of(rank, commonness)),
            None => match learnt.get(word) {
                Some(meaning) => (*meaning, weight),
                None => continue,
            },
        };
        add(&mut sum, &meaning.map(|x| x * scale));
    }
    normalised(sum)
}

/// A word's direction and frequency rank, if the table has it.
pub fn lookup(word: &str) -> Option<(Meaning, u32)> {
    let (at, rank) = TABLE.find(word)?;
    let mut meaning = [0.0; DIMS];
    for (m, x) in meaning.iter_mut().zip(row(at)) {
        *m = x;
    }
    Some((normalised(meaning), rank))
}

/// How much a word of frequency rank `rank` weighs in a sentence (see
/// [`sentence`]): `r / (r + commonness)`.
pub fn weight_of(rank: u32, commonness: f32) -> f32 {
    let r = rank as f32 + 10.0;
    r / (r + commonness)
}

fn normalised(mut v: Meaning) -> Meaning {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}

/// How alike two meanings are: their cosine for unit directions, 0 when
/// either is nothing.
pub fn likeness(a: &Meaning, b: &Meaning) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Adds `b` into `a` (to average directions).
pub fn add(a: &mut Meaning, b: &Meaning) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// `v` at unit length (zero stays zero).
pub fn unit(v: Meaning) -> Meaning {
    normalised(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::local::text::words;

    fn meaning(text: &str) -> Meaning {
        sentence(
            words(text).iter().map(|w| (w.as_str(), 1.0)),
            UNLEARNT_COMMONNESS,
            &HashMap::new(),
        )
    }

    #[test]
    fn the_table_holds_everyday_words_and_the_bases_own() {
        for w in ["laptop", "notebook", "delete", "passphrase", "encrypted", "vault"] {
            assert!(word(w).is_some(), "{w}");
        }
        assert!(word("xqzvbnm").is_none());
    }

    #[test]
    fn related_words_are_nearer_than_unrelated_ones() {
        let near = likeness(&word("laptop").unwrap(), &word("notebook").unwrap());
        let far = likeness(&word("laptop").unwrap(), &word("banana").unwrap());
        assert!(near > 0.5 && far < 0.3 && near > far + 0.3, "{near} {far}");
    }

    #[test]
    fn a_phrase_is_near_its_rewording_and_far_from_another_topic() {
        let asked = meaning("how do I delete a conversation");
        let reworded = meaning("get rid of a chat");
        let other = meaning("what is the weather tomorrow");
        assert!(
            likeness(&asked, &reworded) > likeness(&asked, &other) + 0.2,
            "{} {}",
            likeness(&asked, &reworded),
            likeness(&asked, &other)
        );
    }

    #[test]
    fn words_the_table_lacks_are_skipped_and_weights_count() {
        let known = meaning("delete conversation");
        assert!((likeness(&known, &known) - 1.0).abs() < 1e-4);
        let padded = meaning("delete conversation xqzvbnm qwzxpl");
        assert!((likeness(&padded, &known) - 1.0).abs() < 1e-4);
        assert_eq!(meaning("xqzvbnm"), [0.0; DIMS]);
        let even = sentence(
            [("delete", 1.0), ("conversation", 1.0)],
            LEARNT_COMMONNESS,
            &HashMap::new(),
        );
        let leaning = sentence(
            [("delete", 4.0), ("conversation", 1.0)],
            LEARNT_COMMONNESS,
            &HashMap::new(),
        );
        let delete = word("delete").unwrap();
        assert!(likeness(&leaning, &delete) > likeness(&even, &delete) + 0.05);
        // Weighed by rarity when nothing is learnt, by weight alone nearly
        // when much is.
        let common = sentence([("the", 1.0), ("delete", 1.0)], UNLEARNT_COMMONNESS, &HashMap::new());
        assert!(likeness(&common, &delete) > 0.99);
        let alike = sentence([("the", 1.0), ("delete", 1.0)], commonness(1.0), &HashMap::new());
        assert!(likeness(&alike, &delete) < 0.95, "{}", likeness(&alike, &delete));
    }
}
