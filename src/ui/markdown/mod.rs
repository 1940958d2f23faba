//! Markdown for the chat pane: CommonMark and GitHub's tables,
//! strikethrough, task lists and footnotes, parsed by pulldown-cmark and
//! drawn as styled lines and tables. Code blocks are numbered (so `/copy N`
//! can name them) and highlighted by syntect. Every piece of text passes the
//! sanitiser, so nothing in a reply can reach the terminal as a control
//! sequence.
//!
//! Rendering stays incremental while a reply streams: [`MarkdownView`] cuts
//! the text into parts at stable block boundaries (`parts`), keeps what the
//! finished parts rendered, and at each delta parses only the part still
//! growing, whose finished code lines come highlighted from a cache. The
//! cuts depend only on the text before them, so rendering in pieces gives
//! exactly what rendering the whole text at once gives.

mod block;
mod cache;
mod fence;
mod links;
mod parts;
mod render;
mod table;

use std::collections::BTreeMap;

use zeroize::Zeroize;

use crate::theme::Theme;

pub use block::Block;
use cache::HighlightCache;
use fence::OpenFence;
use links::zeroize_links;
use parts::Cuts;
use render::Context;
pub use table::Table;

/// A finished part of the text.
struct Part {
    /// Where it ends in the text (it starts where the one before ended).
    end: usize,
    code_blocks: usize,
    /// Its blocks among the view's finished blocks.
    blocks: std::ops::Range<usize>,
    /// The link reference definitions it holds, and the labels it used
    /// without defining them (normalised).
    definitions: Vec<(String, String)>,
    asked: Vec<String>,
}

impl Part {
    fn zeroize(&mut self) {
        for (label, url) in &mut self.definitions {
            label.zeroize();
            url.zeroize();
        }
        for label in &mut self.asked {
            label.zeroize();
        }
    }
}

/// The incrementally rendered form of one message's text.
#[derive(Default)]
pub struct MarkdownView {
    first_code_number: usize,
    theme: String,
    /// The highlighter's generation the blocks were drawn with: code drawn
    /// plain while its language was not ready is drawn again once it is.
    colours: u64,
    /// Counts renders from scratch, so a cache of wrapped lines knows when
    /// the done blocks were replaced rather than extended.
    epoch: u64,
    /// Length of the text last rendered, to tell an append from a change.
    source_len: usize,
    /// Blocks of the finished parts: they never change while the text only
    /// grows (and no link definition arrives).
    done: Vec<Block>,
    /// The finished parts, in order.
    parts: Vec<Part>,
    /// Where the growing part starts.
    stable: usize,
    /// Complete lines up to here have been read by `cuts`.
    scanned: usize,
    cuts: Cuts,
    /// The definitions of the whole text, first of a label first, which
    /// every part was rendered with (a link may use one defined below it).
    done_links: BTreeMap<String, String>,
    /// A top-level fenced code block still open at the end of the text.
    fence: Option<OpenFence>,
    tail: Vec<Block>,
    tail_code_blocks: usize,
    cache: HighlightCache,
}

impl MarkdownView {
    /// Brings the rendering up to date with `source`. When `source` only grew
    /// since the last call, only the growing part is parsed again.
    pub fn update(&mut self, source: &str, theme: &Theme, first_code_number: usize) {
        // A lone carriage return ends a line for the parser; as a newline it
        // does for the cuts too. The result only grows as `source` does.
        let normalised = newlines(source);
        let source = &*normalised;
        let appended = source.len() >= self.source_len
            && self.scanned <= source.len()
            && source.is_char_boundary(self.scanned)
            && self.theme == theme.name
            && self.first_code_number == first_code_number
            && self.colours == crate::ui::highlight::generation();
        if !appended {
            let epoch = self.epoch + 1;
            self.forget();
            self.epoch = epoch;
            self.first_code_number = first_code_number;
            self.theme = theme.name.clone();
            self.colours = crate::ui::highlight::generation();
        }
        while let Some(newline) = source[self.scanned..].find('\n') {
            let start = self.scanned;
            let end = start + newline + 1;
            let line = &source[start..start + newline];
            if self.fence.is_some() {
                self.fence_line(line, end, theme);
            } else {
                if start - self.stable >= parts::MAX_PART {
                    self.finish_part(source, start, theme);
                    self.cuts.cut(start);
                } else if self.cuts.candidate(line, self.stable, start) {
                    self.cuts.asked(end - self.stable);
                    if parts::starts_top_level_block(&source[self.stable..end], start - self.stable) {
                        self.finish_part(source, start, theme);
                        self.cuts.cut(start);
                    } else {
                        self.cuts.refused(self.stable, start);
                    }
                }
                if start == self.stable
                    && let Some(opening) = fence::opens(line)
                {
                    let number = self.next_code_number();
                    let (open, blocks) = OpenFence::new(opening, theme, number, self.done.len());
                    self.done.extend(blocks);
                    self.fence = Some(open);
                }
            }
            self.cuts.advance(line);
            self.scanned = end;
        }
        let mut tail_links = self.render_tail(source, theme);
        let mut links = BTreeMap::new();
        for (label, url) in self.parts.iter().flat_map(|p| &p.definitions).chain(&tail_links) {
            links.entry(label.clone()).or_insert_with(|| url.clone());
        }
        for (label, url) in &mut tail_links {
            label.zeroize();
            url.zeroize();
        }
        if links != self.done_links {
            // Rare: a definition arrived (or changes as it streams in).
            let old = std::mem::replace(&mut self.done_links, links);
            let mut changed: Vec<String> = old
                .iter()
                .filter(|(label, url)| self.done_links.get(*label) != Some(*url))
                .map(|(label, _)| label.clone())
                .chain(
                    self.done_links
                        .keys()
                        .filter(|label| !old.contains_key(*label))
                        .cloned(),
                )
                .collect();
            self.render_again_where_used(source, theme, &changed);
            zeroize_links(old);
            for label in &mut changed {
                label.zeroize();
            }
            self.render_tail(source, theme);
        } else {
            zeroize_links(links);
        }
        self.source_len = source.len();
        if let std::borrow::Cow::Owned(mut copy) = normalised {
            copy.zeroize();
        }
    }

    /// What a part's render needs; `separated` when blocks come before it,
    /// `earlier` the definitions of the parts before it.
    fn context<'a>(
        &'a self,
        theme: &'a Theme,
        separated: bool,
        first_code: usize,
        earlier: &'a BTreeMap<String, String>,
    ) -> Context<'a> {
        Context {
            theme,
            first_code,
            separated,
            links: &self.done_links,
            earlier,
        }
    }

    fn next_code_number(&self) -> usize {
        self.first_code_number + self.parts.iter().map(|p| p.code_blocks).sum::<usize>()
    }

    /// The growing part ends at `end`: render it a last time and keep it.
    fn finish_part(&mut self, source: &str, end: usize, theme: &Theme) {
        let mut cache = std::mem::take(&mut self.cache);
        cache.begin();
        let earlier = self.earlier_definitions(self.parts.len());
        let context = self.context(theme, !self.done.is_empty(), self.next_code_number(), &earlier);
        let rendered = render::render(&source[self.stable..end], &context, &mut cache);
        zeroize_links(earlier);
        cache.clear();
        self.cache = cache;
        let first = self.done.len();
        self.done.extend(rendered.blocks);
        self.parts.push(Part {
            end,
            code_blocks: rendered.code_blocks,
            blocks: first..self.done.len(),
            definitions: rendered.definitions,
            asked: rendered.asked,
        });
        self.stable = end;
    }

    /// A finished line of the open fence: a code line, or its end (the
    /// block is then a part like any other).
    fn fence_line(&mut self, line: &str, end: usize, theme: &Theme) {
        let Some(open) = &mut self.fence else { return };
        if open.closed_by(line) {
            self.done.push(render::code::footer(theme, Vec::new()));
            self.parts.push(Part {
                end,
                code_blocks: 1,
                blocks: open.first_block..self.done.len(),
                definitions: Vec::new(),
                asked: Vec::new(),
            });
            self.fence = None;
            self.stable = end;
        } else {
            let block = open.line(line, theme);
            self.done.push(block);
        }
    }

    /// Renders the growing part; returns the link definitions it holds.
    fn render_tail(&mut self, source: &str, theme: &Theme) -> Vec<(String, String)> {
        for block in &mut self.tail {
            block.zeroize();
        }
        if let Some(open) = &self.fence {
            self.tail = open.tail(&source[self.scanned..], theme);
            self.tail_code_blocks = 1;
            return Vec::new();
        }
        let mut cache = std::mem::take(&mut self.cache);
        cache.begin();
        let earlier = self.earlier_definitions(self.parts.len());
        let context = self.context(theme, !self.done.is_empty(), self.next_code_number(), &earlier);
        let rendered = render::render(&source[self.stable..], &context, &mut cache);
        zeroize_links(earlier);
        self.cache = cache;
        self.tail = rendered.blocks;
        self.tail_code_blocks = rendered.code_blocks;
        rendered.definitions
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Overwrites every rendered block and starts again from nothing (the
    /// vault was locked: the text must not linger in freed memory).
    pub fn forget(&mut self) {
        for block in self.done.iter_mut().chain(self.tail.iter_mut()) {
            block.zeroize();
        }
        zeroize_links(std::mem::take(&mut self.done_links));
        for part in &mut self.parts {
            part.zeroize();
        }
        self.cache.clear();
        *self = MarkdownView {
            epoch: self.epoch + 1,
            ..Default::default()
        };
    }

    /// Blocks of the finished parts: once rendered, they never change while
    /// the epoch stays the same.
    pub fn done_blocks(&self) -> &[Block] {
        &self.done
    }

    /// Blocks of the part still growing (rendered again at each update).
    pub fn tail_blocks(&self) -> &[Block] {
        &self.tail
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.done.iter().chain(self.tail.iter())
    }

    /// How many code blocks the text opens (complete or not).
    pub fn code_blocks(&self) -> usize {
        self.parts.iter().map(|p| p.code_blocks).sum::<usize>() + self.tail_code_blocks
    }
}

fn newlines(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') {
        let mut crlf = text.replace("\r\n", "\n");
        let lone = crlf.replace('\r', "\n");
        crlf.zeroize();
        std::borrow::Cow::Owned(lone)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Renders a whole text at once.
pub fn render(source: &str, theme: &Theme, first_code_number: usize) -> Vec<Block> {
    let mut view = MarkdownView::default();
    view.update(source, theme, first_code_number);
    view.blocks().cloned().collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod snapshots;
