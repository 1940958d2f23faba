//! Highlighted lines of the code blocks of the part of a reply still
//! streaming. That part is parsed again at every delta; its finished code
//! lines are highlighted once and taken from here after, and the parser's
//! state after the last of them is kept, so a delta costs the new line only.

use ratatui::text::Span;
use zeroize::Zeroize;

use crate::model::wrap::zeroize_spans;
use crate::theme::Theme;
use crate::ui::highlight::CodeHighlighter;

struct CachedBlock {
    info: String,
    /// Each finished line and its spans.
    lines: Vec<(String, Vec<Span<'static>>)>,
    /// The state at the start of the block, to replay from if a line changed.
    initial: CodeHighlighter,
    /// The state after the last cached line.
    state: CodeHighlighter,
}

#[derive(Default)]
pub(super) struct HighlightCache {
    blocks: Vec<CachedBlock>,
    /// Code blocks seen in the render under way.
    seen: usize,
}

impl HighlightCache {
    /// A render of the part starts: code blocks are counted from the first.
    pub fn begin(&mut self) {
        self.seen = 0;
    }

    /// Code block number `seen` of the part starts, with info string `info`.
    pub fn block_starts(&mut self, info: &str, theme: &Theme) {
        let k = self.seen;
        self.seen += 1;
        if self.blocks.get(k).is_some_and(|b| b.info == info) {
            return;
        }
        self.forget_from(k);
        let initial = CodeHighlighter::new(info, theme);
        self.blocks.push(CachedBlock {
            info: info.to_owned(),
            lines: Vec::new(),
            state: initial.clone(),
            initial,
        });
    }

    /// The spans of line `index` of the current block. A finished line is
    /// highlighted once; an unfinished one from a copy of the state.
    pub fn line(&mut self, index: usize, line: &str, finished: bool) -> Vec<Span<'static>> {
        let Some(block) = self.seen.checked_sub(1).and_then(|k| self.blocks.get_mut(k)) else {
            return vec![Span::raw(line.to_owned())];
        };
        if let Some((cached, spans)) = block.lines.get(index) {
            if cached == line && finished {
                return spans.clone();
            }
            // The text changed under the cache (not an append): replay the
            // lines before this one from the block's start.
            let mut state = block.initial.clone();
            for (text, _) in &block.lines[..index] {
                state.line(text);
            }
            for (mut text, mut spans) in block.lines.drain(index..) {
                text.zeroize();
                zeroize_spans(&mut spans);
            }
            block.state = state;
        }
        if !finished || index != block.lines.len() {
            return block.state.clone().line(line);
        }
        let spans = block.state.line(line);
        block.lines.push((line.to_owned(), spans.clone()));
        spans
    }

    fn forget_from(&mut self, k: usize) {
        for mut block in self.blocks.drain(k.min(self.blocks.len())..) {
            block.info.zeroize();
            for (text, spans) in &mut block.lines {
                text.zeroize();
                zeroize_spans(spans);
            }
        }
    }

    /// Drops every cached line, overwriting its text.
    pub fn clear(&mut self) {
        self.forget_from(0);
        self.seen = 0;
    }
}
