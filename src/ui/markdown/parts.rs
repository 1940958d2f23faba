//! Where a streaming reply can be cut into parts that render alone, so a
//! delta re-parses only the part still growing.
//!
//! A part may end before a complete line that begins at column 0 when the
//! parser, given the text up to and including that line, starts a top-level
//! block exactly there. Then every block above has ended, and nothing below
//! can reach back past the line: a setext underline or a table's delimiter
//! row reaches back one line only (into the new block), a lazy continuation
//! line continues the block it follows (so none starts), and a list item
//! further down starts a list of its own. Fenced code and HTML blocks that
//! run on are the parser's to know, which is why it is asked. The one thing
//! that does reach back, a link reference definition below its use, is
//! taken from each part's parse and handed to every part; and no cut is
//! made right after a definition's line, whose title may go on below.

use pulldown_cmark::{Event, Parser};

use crate::model::code_blocks::MARKDOWN;

/// A part grows to at most this many bytes. Past it (a list or a quote of
/// thousands of lines: no model writes that, a hostile server might) the
/// part is cut at the next line end, parser or not, so a delta never parses
/// more than this. The price, only there: a list split there shows as two.
pub(super) const MAX_PART: usize = 32 * 1024;

/// The line-by-line state of the cut finder.
#[derive(Clone, Debug, Default)]
pub(super) struct Cuts {
    /// A cut is not tried before this offset: each failed try parses the
    /// whole growing part, so after one the next waits until the part has
    /// grown by a quarter (the tries then cost a few times the part's size
    /// in all, not its size times its lines).
    next_try: usize,
    /// The line before could be a link reference definition, whose title
    /// may continue on the next lines: no cut right after it.
    after_definition: bool,
    /// Bytes the parser has read to decide cuts (for the tests).
    pub(super) parsed: usize,
}

impl Cuts {
    /// Whether a part starting at `stable` could end before the line at
    /// `start`, pending the parser's word.
    pub fn candidate(&self, line: &str, stable: usize, start: usize) -> bool {
        start > stable
            && start >= self.next_try
            && !self.after_definition
            && line.chars().next().is_some_and(|c| !c.is_whitespace())
    }

    /// The parser was asked about `bytes` of text.
    pub fn asked(&mut self, bytes: usize) {
        self.parsed += bytes;
    }

    /// The parser refused a cut at `start` in a part from `stable`.
    pub fn refused(&mut self, stable: usize, start: usize) {
        self.next_try = start + (start - stable) / 4;
    }

    /// A part ended at `start`.
    pub fn cut(&mut self, start: usize) {
        self.next_try = start;
    }

    /// Takes a complete line.
    pub fn advance(&mut self, line: &str) {
        let body = line.trim_start_matches(' ');
        self.after_definition = line.len() - body.len() <= 3 && body.starts_with('[') && body.contains("]:");
    }
}

/// A fence opening: its character, length and info string.
pub(super) fn fence_open(line: &str) -> Option<((char, usize), &str)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|x| *x == c).count();
    if len < 3 {
        return None;
    }
    let info = trimmed[len..].trim();
    if c == '`' && info.contains('`') {
        return None;
    }
    Some(((c, len), info))
}

/// Whether the parser, reading `text`, starts a top-level block at `at`.
pub(super) fn starts_top_level_block(text: &str, at: usize) -> bool {
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(text, MARKDOWN).into_offset_iter() {
        if depth == 0 && range.start >= at {
            return range.start == at && matches!(event, Event::Start(_) | Event::Rule);
        }
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_confirms_a_cut_only_where_a_block_starts() {
        let text = "para\n\nnext\n";
        assert!(starts_top_level_block(text, 6));
        // Inside a fenced code block, or an HTML comment, no block starts.
        assert!(!starts_top_level_block("```\ncode\n\nmore\n", 10));
        assert!(!starts_top_level_block("<!--\nx\n\ny\n", 8));
        // A definition makes no block.
        assert!(!starts_top_level_block("a\n\n[x]: /u\n", 3));
        assert!(starts_top_level_block("a\n\n---\n", 3));
        // Without a blank line: a heading or a fence ends the paragraph; a
        // lazy continuation, a setext underline or a table row does not.
        assert!(starts_top_level_block("a\n# H\n", 2));
        assert!(starts_top_level_block("- a\n```\n", 4));
        assert!(!starts_top_level_block("- a\nlazy\n", 4));
        assert!(!starts_top_level_block("> a\nlazy\n", 4));
        assert!(!starts_top_level_block("a\n---\n", 2));
        assert!(!starts_top_level_block("| a |\n|---|\n| 1 |\nrow\n", 18));
        // A list item that continues the list above starts no top-level block.
        assert!(!starts_top_level_block("- a\n\n- b\n", 5));
    }
}
