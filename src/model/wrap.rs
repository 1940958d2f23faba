//! Word wrapping by grapheme cluster and display width: the one algorithm
//! behind the chat pane's line heights, the input box and the cursor. Because
//! heights come from the same function that produces the rows that are drawn,
//! scroll positions cannot drift from what is on screen at any width.
//!
//! Widths follow `unicode-width` per grapheme cluster, as ratatui's buffer
//! does, capped at 2 (a ZWJ emoji sequence or a flag occupies one wide cell).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;
use zeroize::Zeroize;

/// Columns a grapheme cluster occupies.
pub fn grapheme_width(g: &str) -> usize {
    UnicodeWidthStr::width(g).min(2)
}

/// Columns a string occupies on one row.
pub fn display_width(text: &str) -> usize {
    text.graphemes(true).map(grapheme_width).sum()
}

/// One grapheme as the breaker sees it. Two bytes: a reply can be a
/// megabyte in one paragraph, and this is held for each of its graphemes.
#[derive(Clone, Copy)]
struct Cell {
    width: u8,
    space: bool,
}

impl Cell {
    fn of(g: &str, space: bool) -> Self {
        Cell {
            // At most 2, see `grapheme_width`.
            width: grapheme_width(g) as u8,
            space,
        }
    }

    fn columns(self) -> usize {
        usize::from(self.width)
    }
}

/// Greedy word wrap of `cells` into rows of at most `width` columns. Returns
/// each row's range of cell indices; spaces at a break belong to no row.
/// Words longer than a row are broken between graphemes.
fn break_rows(cells: &[Cell], width: usize) -> Vec<std::ops::Range<usize>> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut used = 0;
    // End of the last word that fits on the row (exclusive), for breaking there.
    let mut last_word_end: Option<usize> = None;
    let mut i = 0;
    while i < cells.len() {
        let cell = cells[i];
        if cell.space {
            if used + cell.columns() > width {
                // The space falls at the break: end the row before it and skip
                // every space that follows.
                rows.push(start..i);
                while i < cells.len() && cells[i].space {
                    i += 1;
                }
                start = i;
                used = 0;
                last_word_end = None;
                continue;
            }
            if i > start && !cells[i - 1].space {
                last_word_end = Some(i);
            }
            used += cell.columns();
            i += 1;
            continue;
        }
        if used + cell.columns() <= width {
            used += cell.columns();
            i += 1;
            continue;
        }
        // This grapheme does not fit.
        match last_word_end {
            Some(end) if end > start => {
                rows.push(start..end);
                let mut next = end;
                while next < cells.len() && cells[next].space {
                    next += 1;
                }
                start = next;
                i = next;
            }
            _ => {
                // A word longer than the row: break inside it (at least one
                // grapheme per row so a too-wide grapheme cannot loop).
                let end = if i == start { i + 1 } else { i };
                rows.push(start..end);
                start = end;
                i = end;
            }
        }
        used = 0;
        last_word_end = None;
    }
    if start < cells.len() || rows.is_empty() {
        rows.push(start..cells.len().max(start));
    }
    rows
}

/// A row of plain text: its byte range in the source and its width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub start: usize,
    pub end: usize,
    pub width: usize,
}

/// Wraps one line of plain text (no newlines) into rows of `width` columns.
/// An empty line is one empty row.
pub fn wrap_plain(line: &str, width: usize) -> Vec<Row> {
    let mut starts = Vec::new();
    let mut cells = Vec::new();
    for (at, g) in line.grapheme_indices(true) {
        starts.push(at);
        cells.push(Cell::of(g, g == " "));
    }
    break_rows(&cells, width)
        .into_iter()
        .map(|range| {
            let start = starts.get(range.start).copied().unwrap_or(line.len());
            let end = starts.get(range.end).copied().unwrap_or(line.len()).max(start);
            Row {
                start,
                end,
                width: cells[range].iter().map(|c| c.columns()).sum(),
            }
        })
        .collect()
}

/// A logical line of styled text and how its rows begin: `first` before the
/// first row, `rest` before every later row (hanging indents of lists and
/// quote bars). `hard` lines (code) break at the width, not at words.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StyledLine {
    pub first: Vec<Span<'static>>,
    pub rest: Vec<Span<'static>>,
    pub spans: Vec<Span<'static>>,
    pub hard: bool,
    /// Style for the whole row (a code block's background).
    pub row_style: Style,
    /// A rule: one row of this character across the whole width.
    pub fill: Option<char>,
}

/// Overwrites the text that `spans` own (drawn conversation content), so
/// that it does not linger in freed memory.
pub fn zeroize_spans(spans: &mut [Span<'static>]) {
    for span in spans {
        if let std::borrow::Cow::Owned(text) = &mut span.content {
            text.zeroize();
        }
    }
}

impl StyledLine {
    /// Overwrites the text the line owns.
    pub fn zeroize(&mut self) {
        zeroize_spans(&mut self.first);
        zeroize_spans(&mut self.rest);
        zeroize_spans(&mut self.spans);
    }

    pub fn plain(spans: Vec<Span<'static>>) -> Self {
        StyledLine {
            spans,
            ..Default::default()
        }
    }
}

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| display_width(&s.content)).sum()
}

/// Wraps a styled line into screen rows of exactly the text that fits in
/// `width` columns. Always at least one row.
pub fn wrap_styled(line: &StyledLine, width: usize) -> Vec<Line<'static>> {
    if let Some(c) = line.fill {
        // A rule inside a quote or a list keeps the quote's bars or the hang.
        let style = line.spans.first().map_or(Style::default(), |s| s.style);
        let mut spans = if spans_width(&line.first) < width {
            line.first.clone()
        } else {
            Vec::new()
        };
        let left = width.saturating_sub(spans_width(&spans)).max(1);
        spans.push(Span::styled(c.to_string().repeat(left), style));
        return vec![Line::from(spans)];
    }
    let prefix_width = spans_width(&line.first).max(spans_width(&line.rest));
    // A prefix wider than the pane would leave no room: drop it.
    let (first, rest) = if prefix_width + 1 > width {
        (Vec::new(), Vec::new())
    } else {
        (line.first.clone(), line.rest.clone())
    };
    let text_width = width.saturating_sub(spans_width(&first).max(spans_width(&rest))).max(1);

    // Only the cells are held (two bytes per grapheme: a reply can be a
    // megabyte in one paragraph). The rows' text is found by walking the
    // graphemes a second time, in step with the rows.
    let graphemes = || {
        line.spans
            .iter()
            .enumerate()
            .flat_map(|(k, span)| span.content.grapheme_indices(true).map(move |(at, g)| (k, at, g)))
    };
    let cells: Vec<Cell> = graphemes()
        .map(|(_, _, g)| Cell::of(g, !line.hard && g == " "))
        .collect();
    let ranges = break_rows(&cells, text_width);
    drop(cells);
    let mut walk = graphemes();
    let mut next = 0;
    let mut rows = Vec::with_capacity(ranges.len());
    for (n, range) in ranges.into_iter().enumerate() {
        let mut spans = if n == 0 { first.clone() } else { rest.clone() };
        let prefix = spans.len();
        // (span, byte range in it) of the run being collected: graphemes of
        // one span are contiguous, so a row's text from a span is one slice.
        let mut run: Option<(usize, std::ops::Range<usize>)> = None;
        let flush = |run: (usize, std::ops::Range<usize>), spans: &mut Vec<Span<'static>>| {
            let span = &line.spans[run.0];
            let text = &span.content[run.1];
            let merge = spans.len() > prefix;
            match spans.last_mut() {
                // Neighbouring spans of one style make one span.
                Some(prev) if merge && prev.style == span.style => prev.content.to_mut().push_str(text),
                _ => spans.push(Span::styled(text.to_owned(), span.style)),
            }
        };
        while next < range.end {
            let Some((k, at, g)) = walk.next() else { break };
            next += 1;
            if next <= range.start {
                continue; // a space at a break belongs to no row
            }
            run = match run {
                Some((rk, bytes)) if rk == k => Some((rk, bytes.start..at + g.len())),
                other => {
                    if let Some(done) = other {
                        flush(done, &mut spans);
                    }
                    Some((k, at..at + g.len()))
                }
            };
        }
        if let Some(done) = run {
            flush(done, &mut spans);
        }
        rows.push(Line::from(spans).style(line.row_style));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: usize) -> Vec<&str> {
        wrap_plain(text, width)
            .into_iter()
            .map(|r| &text[r.start..r.end])
            .collect()
    }

    #[test]
    fn words_move_to_the_next_row_whole() {
        assert_eq!(rows("the quick brown fox", 10), ["the quick", "brown fox"]);
        assert_eq!(rows("abc def", 3), ["abc", "def"]);
    }

    #[test]
    fn long_words_break_between_graphemes() {
        assert_eq!(rows("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn wide_characters_never_straddle_the_edge() {
        // Each CJK character is two columns: three fit in 7 columns, not 3.5.
        assert_eq!(rows("漢字漢字漢字", 7), ["漢字漢", "字漢字"]);
        for row in wrap_plain("漢字漢字漢字", 7) {
            assert!(row.width <= 7);
        }
    }

    #[test]
    fn emoji_sequences_and_combining_marks_stay_whole() {
        let family = "👨‍👩‍👧";
        let flag = "🇫🇷";
        let text = format!("{family}{flag}e\u{301}");
        let r = rows(&text, 2);
        assert_eq!(r, [family, flag, "e\u{301}"]);
    }

    #[test]
    fn a_grapheme_wider_than_the_row_still_progresses() {
        assert_eq!(rows("漢字", 1), ["漢", "字"]);
    }

    #[test]
    fn empty_text_is_one_empty_row() {
        assert_eq!(rows("", 5), [""]);
        assert_eq!(wrap_styled(&StyledLine::default(), 5).len(), 1);
    }

    #[test]
    fn styled_rows_keep_styles_and_hanging_indents() {
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let line = StyledLine {
            first: vec![Span::raw("• ")],
            rest: vec![Span::raw("  ")],
            spans: vec![Span::raw("one two "), Span::styled("three four", bold)],
            ..Default::default()
        };
        let out = wrap_styled(&line, 11);
        let text: Vec<String> = out.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["• one two", "  three", "  four"]);
        assert_eq!(out[1].spans[1].style, bold);
    }

    #[test]
    fn spans_split_anywhere_give_the_rows_of_the_plain_text_at_every_width() {
        let text = "Grüße 👋🏽 from 東京,  naïve café — a very-long-hyphenated-word and 🇯🇵 flags.";
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let bounds: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).skip(1).step_by(3).collect();
        let mut spans = Vec::new();
        let mut from = 0;
        for (n, &to) in bounds.iter().chain([text.len()].iter()).enumerate() {
            // Pairs of spans share a style, so merging is exercised too.
            let style = if n / 2 % 2 == 0 { Style::default() } else { bold };
            spans.push(Span::styled(text[from..to].to_owned(), style));
            from = to;
        }
        let line = StyledLine::plain(spans);
        for width in 1..60 {
            let styled: Vec<String> = wrap_styled(&line, width).iter().map(|l| l.to_string()).collect();
            assert_eq!(styled, rows(text, width), "width {width}");
            for row in wrap_styled(&line, width) {
                for pair in row.spans.windows(2) {
                    assert_ne!(pair[0].style, pair[1].style, "width {width}: unmerged neighbours");
                }
            }
        }
    }

    #[test]
    fn every_row_fits_at_every_width() {
        let text = "Grüße 👋🏽 from 東京, naïve café — a very-long-hyphenated-word and 🇯🇵 flags.";
        for width in 1..40 {
            for row in wrap_plain(text, width) {
                assert!(row.width <= width.max(2), "width {width}: row {row:?}");
            }
            let line = StyledLine::plain(vec![Span::raw(text.to_owned())]);
            for row in wrap_styled(&line, width) {
                assert!(row.width() <= width.max(2), "width {width}");
            }
        }
    }
}
