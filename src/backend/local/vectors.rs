//! Word vectors: what lets the built-in bot see that "notebook" is near
//! "laptop" and that "how do I get rid of a chat" reads like "delete a
//! conversation" when they share no word. A table of about 20,000 common
//! English words (and every word of the built-in base it knows), each a
//! 100-dimensional direction from GloVe, built into the binary
//! (`vectors/README.md` says where it comes from and how it is made). A
//! phrase's meaning is the weighted mean of its words' directions, rare
//! words weighing more than common ones; words the table lacks count as
//! missing meaning, so a phrase made mostly of them is near nothing.
//!
//! The table is read the first time it is needed, not at start.

use std::sync::LazyLock;

use super::text::is_stop_word;

/// Components per word.
pub const DIMS: usize = 100;

/// A direction in word space: unit length, or zero for nothing known.
pub type Meaning = [f32; DIMS];

const WORDS: &str = include_str!("vectors/words.txt");
const ROWS: &[u8] = include_bytes!("vectors/vectors.bin");

/// How frequent a word must be to weigh half as much as the rarest: with
/// the weight `r / (r + COMMONNESS)` for the word's frequency rank `r`,
/// "the" and "how" weigh almost nothing, "laptop" (rank 10,224) 0.09 and
/// "passphrase" (rank 232,504) 0.70.
const COMMONNESS: f32 = 100_000.0;

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
    let (at, _) = TABLE.find(word)?;
    let mut meaning = [0.0; DIMS];
    for (m, x) in meaning.iter_mut().zip(row(at)) {
        *m = x;
    }
    Some(normalised(meaning))
}

/// The meaning of a phrase: the direction of the weighted mean of its
/// `words` (lower case, as from `text::words`; stop words skipped), each
/// weighing its own weight times how rare it is, shortened by the share of
/// words missing: those the table lacks, plus `unknown` more.
pub fn phrase<'a>(words: impl IntoIterator<Item = (&'a str, f32)>, unknown: f32) -> Meaning {
    let mut sum = [0.0; DIMS];
    let (mut found, mut missing) = (0.0, unknown);
    for (word, weight) in words.into_iter().filter(|(w, _)| !is_stop_word(w)) {
        let Some((at, rank)) = TABLE.find(word) else {
            missing += weight;
            continue;
        };
        let r = rank as f32 + 10.0;
        let scale = weight * r / (r + COMMONNESS) / row(at).map(|x| x * x).sum::<f32>().sqrt().max(1.0);
        for (s, x) in sum.iter_mut().zip(row(at)) {
            *s += scale * x;
        }
        found += weight;
    }
    if found == 0.0 {
        return [0.0; DIMS];
    }
    let known = found / (found + missing);
    let mut meaning = normalised(sum);
    for m in &mut meaning {
        *m *= known;
    }
    meaning
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

/// How alike two meanings are: their cosine for unit directions, less for
/// a phrase shortened by missing words, 0 when either is nothing.
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
        phrase(words(text).iter().map(|w| (w.as_str(), 1.0)), 0.0)
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
    fn words_the_table_lacks_shorten_a_phrase() {
        let full = meaning("delete conversation");
        let half = meaning("delete conversation xqzvbnm qwzxpl");
        assert!((likeness(&full, &full) - 1.0).abs() < 1e-4);
        assert!(
            (likeness(&half, &full) - 0.5).abs() < 1e-3,
            "{}",
            likeness(&half, &full)
        );
        assert_eq!(meaning("xqzvbnm"), [0.0; DIMS]);
        let told = phrase([("delete", 1.0), ("conversation", 1.0)], 2.0);
        assert!((likeness(&told, &full) - 0.5).abs() < 1e-3);
    }
}
