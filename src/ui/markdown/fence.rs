//! A top-level fenced code block while it streams. A reply that is one long
//! code block would otherwise be one part, parsed and drawn again at every
//! delta. Its lines are stable once finished (a code line's look depends
//! only on the lines above it), so from the fence's opening line on, each
//! finished line is highlighted once and kept with the finished blocks, and
//! a delta draws only the unfinished line. At the closing fence the block
//! becomes a part like any other. The blocks are built by the same functions
//! the parser's path uses, so the two cannot draw a block differently.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};

use super::Block;
use super::parts::fence_open;
use super::render::{clean, code};
use crate::model::code_blocks::MARKDOWN;
use crate::model::wrap::StyledLine;
use crate::theme::Theme;
use crate::ui::highlight::CodeHighlighter;

pub(super) struct OpenFence {
    fence: (char, usize),
    highlighter: CodeHighlighter,
    /// Where its blocks begin among the view's finished blocks.
    pub first_block: usize,
}

/// The fence `line` opens at column 0, with its info string as the parser
/// reads it (escapes and entities resolved).
pub(super) fn opens(line: &str) -> Option<((char, usize), String)> {
    if !(line.starts_with("```") || line.starts_with("~~~")) {
        return None;
    }
    let (fence, _) = fence_open(line)?;
    match Parser::new_ext(line, MARKDOWN).next() {
        Some(Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))) => Some((fence, clean(&info))),
        _ => None,
    }
}

/// Whether `line` closes a fence of `c` at least `len` long: at most three
/// spaces, the run, then only spaces or tabs.
pub(super) fn closes(line: &str, (c, len): (char, usize)) -> bool {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let body = line.trim_start_matches(' ');
    if line.len() - body.len() > 3 {
        return false;
    }
    let run = body.chars().take_while(|x| *x == c).count();
    run >= len && body[run * c.len_utf8()..].chars().all(|x| x == ' ' || x == '\t')
}

impl OpenFence {
    /// Opens the block: returns it and its first blocks (a blank line when
    /// blocks come before it, and the header).
    pub fn new(
        (fence, info): ((char, usize), String),
        theme: &Theme,
        number: usize,
        first_block: usize,
    ) -> (Self, Vec<Block>) {
        let mut blocks = Vec::new();
        if first_block > 0 {
            blocks.push(Block::Line(StyledLine::plain(Vec::new())));
        }
        blocks.push(code::header(theme, number, &info, Vec::new()));
        let open = OpenFence {
            fence,
            highlighter: CodeHighlighter::new(&info, theme),
            first_block,
        };
        (open, blocks)
    }

    pub fn closed_by(&self, line: &str) -> bool {
        closes(line, self.fence)
    }

    /// A finished line of the block.
    pub fn line(&mut self, raw: &str, theme: &Theme) -> Block {
        let spans = self.highlighter.line(&clean(raw));
        code::line(theme, spans, Vec::new())
    }

    /// What follows the finished lines: the unfinished line (unless it
    /// closes the block, as a last line may without its newline) and the
    /// closing corner, which the parser draws at the end of the text too.
    pub fn tail(&self, unfinished: &str, theme: &Theme) -> Vec<Block> {
        let mut blocks = Vec::new();
        if !unfinished.is_empty() && !self.closed_by(unfinished) {
            let spans = self.highlighter.clone().line(&clean(unfinished));
            blocks.push(code::line(theme, spans, Vec::new()));
        }
        blocks.push(code::footer(theme, Vec::new()));
        blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_fence_is_read_as_commonmark_reads_it() {
        assert!(closes("```", ('`', 3)));
        assert!(closes("   `````  ", ('`', 3)));
        assert!(closes("~~~~\r", ('~', 4)));
        assert!(!closes("    ```", ('`', 3)), "four spaces make it content");
        assert!(!closes("``", ('`', 3)));
        assert!(!closes("``` x", ('`', 3)));
        assert!(!closes("~~~", ('`', 3)));
        assert!(!closes("```", ('`', 4)));
    }

    #[test]
    fn an_opening_fence_at_column_zero_gives_the_parsers_info_string() {
        assert_eq!(opens("```rust"), Some((('`', 3), "rust".into())));
        assert_eq!(opens("~~~~ py \\_x"), Some((('~', 4), "py _x".into())));
        assert_eq!(opens(" ```"), None);
        assert_eq!(opens("```a`b"), None);
    }
}
