//! The three fields of a section that ranking weighs apart: its own
//! heading, its "asked as" phrasings and its body; each has a weight and a
//! length normalisation of its own, and a section's terms are counted per
//! field before they are weighted.

use std::collections::HashMap;

use super::super::knowledge::Section;
use super::super::text::{CachedTerms, words};

/// A field of a section: its weight against a body word, and how strongly
/// its length is normalised (BM25's b).
pub(super) struct Field {
    pub(super) weight: f64,
    pub(super) b: f64,
}

/// The section's own (innermost) heading.
pub(super) const TITLE: Field = Field { weight: 3.0, b: 0.3 };
/// The "asked as" phrasings.
pub(super) const ASKED: Field = Field { weight: 2.0, b: 0.5 };
/// The body, with the outer headings (shared by every section of a file).
pub(super) const BODY: Field = Field { weight: 1.0, b: 0.75 };

/// Term counts of one section, per field, before weighting.
pub(super) struct FieldCounts {
    pub(super) counts: [HashMap<String, f64>; 3],
    pub(super) lengths: [f64; 3],
}

impl FieldCounts {
    /// The counts of `section`'s heading, "asked as" lines and body (with
    /// the outer headings).
    pub(super) fn of(section: &Section, cached: &mut CachedTerms) -> Self {
        let (outer, own) = section.headings.split_at(section.headings.len().saturating_sub(1));
        let texts = [
            own.join(" "),
            section.asked.join(" "),
            format!("{} {}", outer.join(" "), section.body),
        ];
        let mut counts: [HashMap<String, f64>; 3] = Default::default();
        let mut lengths = [0.0; 3];
        for (field, text) in texts.iter().enumerate() {
            for word in words(text) {
                if let Some(term) = cached.term(&word) {
                    *counts[field].entry(term).or_default() += 1.0;
                    lengths[field] += 1.0;
                }
            }
        }
        FieldCounts { counts, lengths }
    }
}
