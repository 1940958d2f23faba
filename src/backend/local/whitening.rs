//! Learning which directions of sentence meaning tell the base's topics
//! apart. A plain mean of word vectors is dominated by what every question
//! shares ("how do I", "can someone", "my"): two questions about different
//! topics look alike, and two phrasings of one topic can look different.
//! The phrasings of each section (and of each off-topic theme) are
//! rewordings of one question, so how they spread around their own
//! section's mean is the variation that says nothing about the topic.
//! Whitening by that within-topic spread (a Mahalanobis likeness) shrinks
//! those directions and stretches the ones that separate topics. It is
//! learnt from the base itself when the meanings are built, so the user's
//! own sections count too, and it never sees a question it is judged on.
//!
//! Measured on the tuning part (852 questions), the section of the nearest
//! phrasing was the right one for 69 % of questions with plain means and
//! 87 % after whitening.

use super::vectors::{DIMS, Meaning};

/// How many phrasings' worth of doubt the learnt spread and mean start
/// with: learnt from `n` rewordings (beyond one per topic), they count
/// `n / (n + PRIOR)` and a plain sphere the rest. Some directions barely
/// vary among the phrasings, and inverting them unshrunk would make noise
/// decide; a base of a few sections has too few rewordings to learn from at
/// all, and is compared by plain cosine. The built-in base's 3,000 or so
/// phrasings count 0.97.
const PRIOR: f64 = DIMS as f64;

/// The learnt whitening: subtract the mean, then multiply by the inverse
/// of the Cholesky factor `L` of the shrunk within-topic spread (`L Lᵀ =
/// S`), so that the dot product of two whitened vectors is `xᵀ S⁻¹ y`.
pub(super) struct Whitening {
    mean: [f32; DIMS],
    /// `L⁻¹`, lower triangular, column after column from the diagonal
    /// down: the product is a sum of scaled columns, which the compiler
    /// turns into vector instructions (a row-by-row dot product it cannot,
    /// and the base's 3,000 phrasings are whitened at the first question).
    inverse: Vec<f32>,
}

impl Whitening {
    /// Learns the whitening from `groups`, each a topic's phrasings'
    /// meanings (zero meanings, phrasings of no known word, are left out),
    /// trusting what it learns as much as `trust` says (see [`trust`]).
    pub fn learn(groups: &[Vec<Meaning>], trust: f64) -> Self {
        let known = |g: &Vec<Meaning>| {
            g.iter()
                .filter(|m| m.iter().any(|x| *x != 0.0))
                .copied()
                .collect::<Vec<_>>()
        };
        let groups: Vec<Vec<Meaning>> = groups.iter().map(known).collect();
        let count: usize = groups.iter().map(Vec::len).sum();
        let mut mean = [0.0; DIMS];
        let mut spread = vec![0.0; DIMS * DIMS];
        for group in groups.iter().filter(|g| !g.is_empty()) {
            let mut centre = [0.0; DIMS];
            for m in group {
                for (c, x) in centre.iter_mut().zip(m) {
                    *c += f64::from(*x);
                }
            }
            for (total, c) in mean.iter_mut().zip(&mut centre) {
                *total += *c;
                *c /= group.len() as f64;
            }
            for m in group {
                let d: Vec<f64> = m.iter().zip(&centre).map(|(x, c)| f64::from(*x) - c).collect();
                // Lower triangle only: the spread is symmetric.
                for i in 0..DIMS {
                    let row = &mut spread[i * DIMS..i * DIMS + i + 1];
                    for (s, dj) in row.iter_mut().zip(&d) {
                        *s += d[i] * dj;
                    }
                }
            }
        }
        let n = count.max(1) as f64;
        mean.iter_mut().for_each(|m| *m *= trust / n);
        spread.iter_mut().for_each(|s| *s /= n);
        let trace: f64 = (0..DIMS).map(|i| spread[i * DIMS + i]).sum();
        let sphere = if trace > 0.0 { trace / DIMS as f64 } else { 1.0 };
        for i in 0..DIMS {
            for j in 0..=i {
                let s = &mut spread[i * DIMS + j];
                *s *= trust;
                if i == j {
                    *s += (1.0 - trust) * sphere;
                }
            }
        }
        Whitening {
            mean: mean.map(|m| m as f32),
            inverse: inverse_by_columns(&cholesky(spread)),
        }
    }

    /// `meaning` whitened, at unit length (zero stays zero: a phrase of no
    /// known word is near nothing, not near the mean).
    pub fn apply(&self, meaning: &Meaning) -> Meaning {
        if meaning.iter().all(|x| *x == 0.0) {
            return [0.0; DIMS];
        }
        let mut y = [0.0f32; DIMS];
        let mut columns = self.inverse.as_slice();
        for j in 0..DIMS {
            let (column, rest) = columns.split_at(DIMS - j);
            columns = rest;
            let x = meaning[j] - self.mean[j];
            for (y, l) in y[j..].iter_mut().zip(column) {
                *y += x * l;
            }
        }
        let norm = y.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            y.iter_mut().for_each(|x| *x /= norm);
        }
        y
    }
}

/// How much a whitening learnt from these phrasings is to be trusted, 0 to
/// 1: `groups` topics with `phrasings` phrasings in all have `phrasings -
/// groups` rewordings to learn from.
pub(super) fn trust(phrasings: usize, groups: usize) -> f64 {
    let rewordings = phrasings.saturating_sub(groups) as f64;
    rewordings / (rewordings + PRIOR)
}

/// The inverse of the lower triangular `l` (row-major), column after column
/// from the diagonal down (see `Whitening::inverse`).
fn inverse_by_columns(l: &[f64]) -> Vec<f32> {
    // Row-major inverse by forward substitution, one column of the
    // identity at a time.
    let mut inverse = vec![0.0; DIMS * DIMS];
    for j in 0..DIMS {
        for i in j..DIMS {
            let known: f64 = (j..i).map(|k| l[i * DIMS + k] * inverse[k * DIMS + j]).sum();
            let identity = if i == j { 1.0 } else { 0.0 };
            inverse[i * DIMS + j] = (identity - known) / l[i * DIMS + i];
        }
    }
    (0..DIMS)
        .flat_map(|j| (j..DIMS).map(move |i| (i, j)))
        .map(|(i, j)| inverse[i * DIMS + j] as f32)
        .collect()
}

/// The Cholesky factor of a symmetric positive definite matrix given by its
/// lower triangle (row-major, `DIMS` by `DIMS`). The shrinking keeps the
/// matrix positive definite; a pivot that still comes out non-positive
/// (rounding) is held at a tiny positive value rather than dividing by it.
fn cholesky(mut a: Vec<f64>) -> Vec<f64> {
    for j in 0..DIMS {
        let head: f64 = (0..j).map(|k| a[j * DIMS + k].powi(2)).sum();
        let pivot = (a[j * DIMS + j] - head).max(1e-12).sqrt();
        a[j * DIMS + j] = pivot;
        for i in j + 1..DIMS {
            let dot: f64 = (0..j).map(|k| a[i * DIMS + k] * a[j * DIMS + k]).sum();
            a[i * DIMS + j] = (a[i * DIMS + j] - dot) / pivot;
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &Meaning, b: &Meaning) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn direction(parts: &[(usize, f32)]) -> Meaning {
        let mut m = [0.0; DIMS];
        for &(i, x) in parts {
            m[i] = x;
        }
        let norm = m.iter().map(|x| x * x).sum::<f32>().sqrt();
        m.map(|x| x / norm)
    }

    #[test]
    fn a_direction_phrasings_of_one_topic_vary_in_stops_counting() {
        // Two topics told apart by direction 1; within each, the phrasings
        // vary a lot along direction 0 (the "how do I" kind of noise).
        let topic = |side: f32| {
            (0..200)
                .map(|k| direction(&[(0, if k % 2 == 0 { 1.0 } else { -1.0 }), (1, side), (2, 0.3)]))
                .collect::<Vec<_>>()
        };
        let whitening = Whitening::learn(&[topic(0.4), topic(-0.4)], trust(400, 2));
        // Same topic, opposite noise: far apart raw, alike once whitened.
        let a = direction(&[(0, 1.0), (1, 0.4), (2, 0.3)]);
        let b = direction(&[(0, -1.0), (1, 0.4), (2, 0.3)]);
        let other = direction(&[(0, 1.0), (1, -0.4), (2, 0.3)]);
        assert!(dot(&a, &b) < dot(&a, &other), "raw: the noise decides");
        let (a, b, other) = (whitening.apply(&a), whitening.apply(&b), whitening.apply(&other));
        assert!(
            dot(&a, &b) > 0.9 && dot(&a, &other) < 0.0,
            "{} {}",
            dot(&a, &b),
            dot(&a, &other)
        );
    }

    #[test]
    fn nothing_known_stays_nothing_and_meanings_stay_unit() {
        let groups = vec![
            vec![direction(&[(0, 1.0)]), direction(&[(0, 1.0), (3, 0.2)])],
            vec![direction(&[(1, 1.0)])],
        ];
        let whitening = Whitening::learn(&groups, trust(3, 2));
        assert_eq!(whitening.apply(&[0.0; DIMS]), [0.0; DIMS]);
        let m = whitening.apply(&direction(&[(0, 0.5), (5, 0.5)]));
        assert!((dot(&m, &m) - 1.0).abs() < 1e-4);
        // Nothing to learn from: plain cosines.
        let empty = Whitening::learn(&[], trust(0, 0));
        let m = empty.apply(&direction(&[(7, 1.0)]));
        assert!((m[7] - 1.0).abs() < 1e-4);
    }

    /// A lower triangle (row-major), `diagonal(i)` on the diagonal and
    /// `off / (1 + i - j)` below it: well conditioned, with every entry used.
    fn lower(diagonal: impl Fn(usize) -> f64, off: f64) -> Vec<f64> {
        let mut m = vec![0.0; DIMS * DIMS];
        for i in 0..DIMS {
            m[i * DIMS + i] = diagonal(i);
            for j in 0..i {
                m[i * DIMS + j] = off / (1 + i - j) as f64;
            }
        }
        m
    }

    #[test]
    fn the_inverse_undoes_the_factor() {
        let l = lower(|i| 1.5 + (i % 7) as f64 / 10.0, 0.3);
        let columns = inverse_by_columns(&l);
        let mut at = 0;
        let mut inverse = vec![0.0f64; DIMS * DIMS];
        for j in 0..DIMS {
            for i in j..DIMS {
                inverse[i * DIMS + j] = f64::from(columns[at]);
                at += 1;
            }
        }
        for i in 0..DIMS {
            for j in 0..DIMS {
                let product: f64 = (0..DIMS).map(|k| l[i * DIMS + k] * inverse[k * DIMS + j]).sum();
                let identity = if i == j { 1.0 } else { 0.0 };
                assert!((product - identity).abs() < 1e-5, "{i} {j} {product}");
            }
        }
    }

    #[test]
    fn the_factor_reproduces_the_matrix() {
        let a = lower(|i| 2.0 + i as f64 / 10.0, 0.5);
        let l = cholesky(a.clone());
        for i in 0..DIMS {
            for j in 0..=i {
                let product: f64 = (0..=j).map(|k| l[i * DIMS + k] * l[j * DIMS + k]).sum();
                assert!((product - a[i * DIMS + j]).abs() < 1e-9, "{i} {j}");
            }
        }
    }
}
