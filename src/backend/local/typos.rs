//! How far apart two words are, so that a misspelt word in a question
//! ("delet", "convresation") can be corrected to a word the base knows.

/// The edit distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbours), or `None` once it passes `limit`.
pub fn edit_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // Three rows of the optimal-string-alignment table.
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > limit {
            return None;
        }
        before = std::mem::replace(&mut previous, std::mem::take(&mut current));
        current = vec![0; b.len() + 1];
    }
    let distance = previous[b.len()];
    (distance <= limit).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_typos_and_gives_up_past_the_limit() {
        assert_eq!(edit_distance("delet", "delete", 2), Some(1));
        assert_eq!(edit_distance("convresation", "conversation", 2), Some(1));
        assert_eq!(edit_distance("pasword", "password", 1), Some(1));
        assert_eq!(edit_distance("export", "import", 1), None);
        assert_eq!(edit_distance("vault", "vault", 0), Some(0));
    }
}
