//! Markdown for the chat pane: headings, emphasis, inline code, fenced code
//! blocks (numbered, so `/copy N` can name them), lists, block quotes, rules
//! and links shown with their URL. Every source line is sanitised first, so
//! nothing in a reply can reach the terminal as a control sequence.
//!
//! Rendering is line by line with a little block state (inside a fence or
//! not), so a streaming reply is rendered incrementally: [`MarkdownView`]
//! keeps the lines already rendered and only renders lines that completed
//! since the last delta, plus the unfinished last line. Emphasis does not span
//! source lines (chat replies put one thought per line; this keeps the
//! incremental rendering exact).

mod blocks;
mod inline;

use ratatui::text::Span;

use zeroize::Zeroize;

use crate::model::code_blocks::{closes, fence_open};
use crate::model::wrap::StyledLine;
use crate::sanitize;
use crate::theme::Theme;

use blocks::block_line;
pub use inline::inline;

/// Where the renderer is between lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct BlockState {
    /// Inside a fenced code block: its fence character and length.
    fence: Option<(char, usize)>,
    /// The open block's info string (its language), for highlighting.
    info: String,
    /// Code blocks opened so far in this text.
    code_blocks: usize,
}

/// The incrementally rendered form of one message's text.
#[derive(Clone, Debug, Default)]
pub struct MarkdownView {
    /// The first code block's number in this message.
    first_code_number: usize,
    /// Lines rendered from complete source lines.
    done: Vec<StyledLine>,
    /// Bytes of the source covered by `done` (always at a line end).
    consumed: usize,
    state: BlockState,
    /// The rendering of the unfinished last source line.
    tail: Vec<StyledLine>,
    /// What was rendered, to tell an append from a replacement.
    source_len: usize,
    theme: String,
    /// Counts renders from scratch, so a cache of wrapped lines knows when
    /// the done lines were replaced rather than extended.
    epoch: u64,
}

impl MarkdownView {
    /// Brings the rendering up to date with `source`. When `source` only grew
    /// since the last call, only the new part is rendered.
    pub fn update(&mut self, source: &str, theme: &Theme, first_code_number: usize) {
        let appended = source.len() >= self.source_len
            && self.consumed <= source.len()
            && self.theme == theme.name
            && self.first_code_number == first_code_number
            && source.is_char_boundary(self.consumed);
        if !appended {
            *self = MarkdownView {
                first_code_number,
                theme: theme.name.clone(),
                epoch: self.epoch + 1,
                ..Default::default()
            };
        }
        let rest = &source[self.consumed..];
        let mut offset = 0;
        while let Some(newline) = rest[offset..].find('\n') {
            let line = &rest[offset..offset + newline];
            render_line(line, &mut self.state, theme, first_code_number, &mut self.done);
            offset += newline + 1;
        }
        self.consumed += offset;
        self.tail.clear();
        let unfinished = &source[self.consumed..];
        if !unfinished.is_empty() {
            let mut state = self.state.clone();
            render_line(unfinished, &mut state, theme, first_code_number, &mut self.tail);
        }
        self.source_len = source.len();
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Overwrites every rendered line and starts again from nothing (the
    /// vault was locked: the text must not linger in freed memory).
    pub fn forget(&mut self) {
        for line in self.done.iter_mut().chain(self.tail.iter_mut()) {
            line.zeroize();
        }
        self.state.info.zeroize();
        *self = MarkdownView {
            epoch: self.epoch + 1,
            ..Default::default()
        };
    }

    /// Lines of complete source lines: once rendered, they never change
    /// while the text only grows.
    pub fn done_lines(&self) -> &[StyledLine] {
        &self.done
    }

    /// Lines of the unfinished last source line (re-rendered per update).
    pub fn tail_lines(&self) -> &[StyledLine] {
        &self.tail
    }

    pub fn lines(&self) -> impl Iterator<Item = &StyledLine> {
        self.done.iter().chain(self.tail.iter())
    }

    /// How many code blocks the text opens (complete or not).
    pub fn code_blocks(&self) -> usize {
        let tail_opens = self
            .tail
            .iter()
            .any(|l| l.first.iter().any(|s| s.content.starts_with("╭")));
        self.state.code_blocks + usize::from(tail_opens)
    }
}

/// Renders a whole text at once.
pub fn render(source: &str, theme: &Theme, first_code_number: usize) -> Vec<StyledLine> {
    let mut view = MarkdownView::default();
    view.update(source, theme, first_code_number);
    view.lines().cloned().collect()
}

fn clean(line: &str) -> String {
    let line = line.strip_suffix('\r').unwrap_or(line);
    sanitize::for_terminal(&line.replace('\t', "    ")).into_owned()
}

fn render_line(raw: &str, state: &mut BlockState, theme: &Theme, first_code: usize, out: &mut Vec<StyledLine>) {
    let bar = |text: &str| vec![Span::styled(text.to_owned(), theme.muted())];
    if let Some(fence) = state.fence {
        if closes(raw, fence) {
            state.fence = None;
            out.push(StyledLine::plain(bar("╰─")));
        } else {
            out.push(StyledLine {
                first: bar("│ "),
                rest: bar("│ "),
                spans: super::highlight::code_line(&clean(raw), &state.info, theme),
                hard: true,
                ..Default::default()
            });
        }
        return;
    }
    if let Some((fence, info)) = fence_open(raw) {
        state.fence = Some(fence);
        state.info = clean(info);
        let number = first_code + state.code_blocks;
        state.code_blocks += 1;
        let mut spans = vec![Span::styled(format!("[{number}]"), theme.accent())];
        let info = clean(info);
        if !info.is_empty() {
            spans.push(Span::styled(format!(" {info}"), theme.muted()));
        }
        out.push(StyledLine {
            first: bar("╭─ "),
            rest: bar("│ "),
            spans,
            ..Default::default()
        });
        return;
    }
    let line = clean(raw);
    out.push(block_line(&line, theme));
}

#[cfg(test)]
mod tests;
