//! GFM tables laid out to the pane's width. Column widths come from the
//! content: every column gets its natural width when the table fits, and
//! otherwise the room is shared out so narrow columns keep their width and
//! wide ones wrap their cells (by word, as every other line). Alignment from
//! the delimiter row is honoured per wrapped row. Below a usable width (fewer
//! than [`MIN_COLUMN`] columns of text per column) the table is shown as
//! records, one `header: value` line per cell, which reads well at any width.

use pulldown_cmark::Alignment;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::model::wrap::{StyledLine, display_width, wrap_styled, zeroize_spans};

/// The narrowest a column may be before the table is shown as records.
const MIN_COLUMN: usize = 3;

/// A table as parsed: width-independent, laid out at draw time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Prefixes of the containers around the table (quote bars, list hangs).
    pub first: Vec<Span<'static>>,
    pub rest: Vec<Span<'static>>,
    pub aligns: Vec<Alignment>,
    /// Row 0 is the header row.
    pub rows: Vec<Vec<Vec<Span<'static>>>>,
    pub border: Style,
}

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| display_width(&s.content)).sum()
}

fn longest_word(spans: &[Span<'_>]) -> usize {
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    text.split(' ').map(display_width).max().unwrap_or(0)
}

impl Table {
    fn columns(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0).max(self.aligns.len())
    }

    fn cell(&self, row: usize, column: usize) -> &[Span<'static>] {
        self.rows[row].get(column).map_or(&[], Vec::as_slice)
    }

    /// Overwrites the text the table owns.
    pub fn zeroize(&mut self) {
        for cell in self.rows.iter_mut().flatten() {
            zeroize_spans(cell);
        }
        zeroize_spans(&mut self.first);
        zeroize_spans(&mut self.rest);
    }

    /// Every span of text the table holds (for the sanitiser's tests).
    pub fn spans(&self) -> impl Iterator<Item = &Span<'static>> {
        self.first
            .iter()
            .chain(&self.rest)
            .chain(self.rows.iter().flatten().flatten())
    }

    /// The rows of the table at `width` columns.
    pub fn rows(&self, width: usize) -> Vec<Line<'static>> {
        let columns = self.columns();
        let prefix = spans_width(&self.first).max(spans_width(&self.rest));
        // Each column costs "│ " before and " " after its text, plus one "│".
        let room = width.saturating_sub(prefix + 3 * columns + 1);
        if columns == 0 || room < MIN_COLUMN * columns {
            return self.records(width);
        }
        let widths = self.widths(room);
        let mut out = Vec::new();
        let rule = |left: &str, mid: &str, right: &str| {
            let mut text = left.to_owned();
            for (i, w) in widths.iter().enumerate() {
                text.push_str(&"─".repeat(w + 2));
                text.push_str(if i + 1 == widths.len() { right } else { mid });
            }
            Span::styled(text, self.border)
        };
        out.push(self.prefixed(true, vec![rule("┌", "┬", "┐")]));
        for r in 0..self.rows.len() {
            let cells: Vec<Vec<Line<'static>>> = (0..columns)
                .map(|c| wrap_styled(&StyledLine::plain(self.cell(r, c).to_vec()), widths[c]))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                let mut spans = vec![Span::styled("│", self.border)];
                for (c, lines) in cells.iter().enumerate() {
                    let line = lines.get(k).cloned().unwrap_or_default();
                    // Measured as the wrapping measured it (a ZWJ sequence is two).
                    let free = widths[c].saturating_sub(spans_width(&line.spans));
                    let (before, after) = match self.aligns.get(c) {
                        Some(Alignment::Right) => (free, 0),
                        Some(Alignment::Center) => (free / 2, free - free / 2),
                        _ => (0, free),
                    };
                    spans.push(Span::raw(" ".repeat(before + 1)));
                    spans.extend(line.spans);
                    spans.push(Span::raw(" ".repeat(after + 1)));
                    spans.push(Span::styled("│", self.border));
                }
                out.push(self.prefixed(false, spans));
            }
            if r == 0 && self.rows.len() > 1 {
                out.push(self.prefixed(false, vec![rule("├", "┼", "┤")]));
            }
        }
        out.push(self.prefixed(false, vec![rule("└", "┴", "┘")]));
        out
    }

    /// Column widths summing to at most `room`: natural widths when they
    /// fit; otherwise each column first gets its longest word (so words do
    /// not break) and what is left goes to the columns still short of their
    /// natural width, the narrowest need first. When even the longest words
    /// do not fit, the room is shared the same way from nothing.
    fn widths(&self, room: usize) -> Vec<usize> {
        let columns = self.columns();
        let widest = |c: usize, measure: fn(&[Span<'_>]) -> usize| {
            (0..self.rows.len())
                .map(|r| measure(self.cell(r, c)))
                .max()
                .unwrap_or(0)
        };
        let natural: Vec<usize> = (0..columns).map(|c| widest(c, spans_width).max(1)).collect();
        if natural.iter().sum::<usize>() <= room {
            return natural;
        }
        let words: Vec<usize> = (0..columns)
            .map(|c| widest(c, longest_word).clamp(MIN_COLUMN, natural[c].max(MIN_COLUMN)))
            .collect();
        let mut widths = if words.iter().sum::<usize>() <= room {
            words
        } else {
            vec![MIN_COLUMN; columns]
        };
        let mut left = room.saturating_sub(widths.iter().sum());
        let mut order: Vec<usize> = (0..columns).collect();
        order.sort_by_key(|&c| natural[c].saturating_sub(widths[c]));
        for (k, &c) in order.iter().enumerate() {
            let share = left / (columns - k);
            let extra = natural[c].saturating_sub(widths[c]).min(share);
            widths[c] += extra;
            left -= extra;
        }
        widths
    }

    /// The table as records, for panes too narrow for its columns: each
    /// body row's cells as `header: value` lines, rows apart by a rule.
    fn records(&self, width: usize) -> Vec<Line<'static>> {
        let header = self.rows.first().cloned().unwrap_or_default();
        let body: Vec<usize> = if self.rows.len() > 1 {
            (1..self.rows.len()).collect()
        } else {
            vec![0]
        };
        let mut out = Vec::new();
        let push = |spans: Vec<Span<'static>>, out: &mut Vec<Line<'static>>| {
            let first = if out.is_empty() { &self.first } else { &self.rest };
            let line = StyledLine {
                first: first.clone(),
                rest: self.rest.clone(),
                spans,
                ..Default::default()
            };
            out.extend(wrap_styled(&line, width));
        };
        for (n, &r) in body.iter().enumerate() {
            if n > 0 {
                push(vec![Span::styled("──", self.border)], &mut out);
            }
            for c in 0..self.columns() {
                let mut spans = Vec::new();
                if r != 0 {
                    spans.extend(header.get(c).cloned().unwrap_or_default());
                    spans.push(Span::styled(": ", self.border));
                }
                spans.extend(self.cell(r, c).iter().cloned());
                push(spans, &mut out);
            }
        }
        out
    }

    fn prefixed(&self, first: bool, spans: Vec<Span<'static>>) -> Line<'static> {
        let mut all = if first { self.first.clone() } else { self.rest.clone() };
        all.extend(spans);
        Line::from(all)
    }
}
