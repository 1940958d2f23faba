//! Link reference definitions across parts: a link may use a label defined
//! in another part (below it, even), so each part's definitions are kept,
//! the whole text's are handed to every part, and when they change the parts
//! that used a changed label are drawn again.

use std::collections::BTreeMap;

use zeroize::Zeroize;

use super::cache::HighlightCache;
use super::{MarkdownView, render};
use crate::theme::Theme;

impl MarkdownView {
    /// The definitions of the first `parts` finished parts, first of a label first.
    pub(super) fn earlier_definitions(&self, parts: usize) -> BTreeMap<String, String> {
        let mut earlier = BTreeMap::new();
        for (label, url) in self.parts[..parts].iter().flat_map(|p| &p.definitions) {
            earlier.entry(label.clone()).or_insert_with(|| url.clone());
        }
        earlier
    }

    /// Link definitions changed (`changed` labels): the finished parts that
    /// used one of those labels without defining it are rendered again.
    pub(super) fn render_again_where_used(&mut self, source: &str, theme: &Theme, changed: &[String]) {
        let mut start = 0;
        let mut first_code = self.first_code_number;
        // How far the blocks after a part rendered again moved.
        let mut shift = 0isize;
        let mut again = false;
        for k in 0..self.parts.len() {
            let old = self.parts[k].blocks.clone();
            let from = old.start.saturating_add_signed(shift);
            let mut len = old.len();
            let (end, codes) = (self.parts[k].end, self.parts[k].code_blocks);
            if self.parts[k].asked.iter().any(|label| changed.contains(label)) {
                let earlier = self.earlier_definitions(k);
                let context = self.context(theme, from > 0, first_code, &earlier);
                let rendered = render::render(&source[start..end], &context, &mut HighlightCache::default());
                zeroize_links(earlier);
                len = rendered.blocks.len();
                for mut block in self.done.splice(from..from + old.len(), rendered.blocks) {
                    block.zeroize();
                }
                for label in &mut self.parts[k].asked {
                    label.zeroize();
                }
                self.parts[k].asked = rendered.asked;
                again = true;
            }
            self.parts[k].blocks = from..from + len;
            shift += len as isize - old.len() as isize;
            first_code += codes;
            start = end;
        }
        if let Some(open) = &mut self.fence {
            open.first_block = open.first_block.saturating_add_signed(shift);
        }
        if again {
            self.epoch += 1;
        }
    }
}

pub(super) fn zeroize_links(links: BTreeMap<String, String>) {
    for (mut label, mut url) in links {
        label.zeroize();
        url.zeroize();
    }
}
