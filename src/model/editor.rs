//! The input editor: a multi-line draft with a cursor that always sits on a
//! grapheme-cluster boundary, readline-style motions and deletions, and input
//! history. Pure data; the runtime feeds it keys through `update`.
//!
//! Typed and pasted text is made terminal-safe on the way in (tabs become
//! spaces, CR LF becomes LF, control characters become visible stand-ins), so
//! what the user sees in the box is exactly what is sent.

use unicode_segmentation::UnicodeSegmentation;
use zeroize::Zeroize;

use crate::model::wrap::{display_width, wrap_plain};
use crate::sanitize;

/// How many earlier inputs Up/Down can recall.
const HISTORY_LIMIT: usize = 200;

#[derive(Clone, Default)]
pub struct Editor {
    text: String,
    /// Byte offset of the cursor, always at a grapheme boundary.
    cursor: usize,
    /// The column Up/Down try to keep, in display columns.
    goal_column: Option<usize>,
    history: Vec<String>,
    /// Which history entry is shown, counting back from the newest.
    history_pos: Option<usize>,
    /// The draft put aside while browsing history.
    stash: String,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The draft is conversation content.
        f.debug_struct("Editor")
            .field("chars", &self.text.chars().count())
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        self.text.zeroize();
        self.stash.zeroize();
        for entry in &mut self.history {
            entry.zeroize();
        }
    }
}

/// Typed or pasted text as the editor keeps it.
pub fn clean_input(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n").replace('\t', "    ");
    sanitize::for_terminal(&text).into_owned()
}

/// Letters, digits and pictures (emoji, flags) make words: Ctrl-W after
/// "hi 🇫🇷" takes the flag, not the flag and "hi".
fn is_word_char(g: &str) -> bool {
    g.chars().any(|c| c.is_alphanumeric() || c == '_' || is_pictograph(c))
}

/// Emoji and the symbols terminals draw as pictures: the pictographic blocks
/// from U+1F000 on (flags' regional indicators among them), and the
/// miscellaneous symbols and dingbats (☀, ✅).
fn is_pictograph(c: char) -> bool {
    c >= '\u{1F000}' || ('\u{2600}'..='\u{27BF}').contains(&c)
}

impl Editor {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Replaces the draft, cursor at the end.
    pub fn set_text(&mut self, text: &str) {
        self.text.zeroize();
        self.text = clean_input(text);
        self.cursor = self.text.len();
        self.goal_column = None;
    }

    /// Takes the draft for sending: it joins the history and the box empties.
    pub fn take(&mut self) -> String {
        let text = std::mem::take(&mut self.text);
        self.cursor = 0;
        self.goal_column = None;
        self.history_pos = None;
        self.stash.zeroize();
        if !text.trim().is_empty() && self.history.last() != Some(&text) {
            self.history.push(text.clone());
            if self.history.len() > HISTORY_LIMIT {
                let mut old = self.history.remove(0);
                old.zeroize();
            }
        }
        text
    }

    /// Replaces the history (the user's messages of an opened conversation).
    pub fn set_history(&mut self, entries: Vec<String>) {
        for entry in &mut self.history {
            entry.zeroize();
        }
        self.history = entries;
        let excess = self.history.len().saturating_sub(HISTORY_LIMIT);
        self.history.drain(..excess);
        self.history_pos = None;
    }

    pub fn insert(&mut self, text: &str) {
        let text = clean_input(text);
        self.text.insert_str(self.cursor, &text);
        self.cursor += text.len();
        self.goal_column = None;
    }

    pub fn newline(&mut self) {
        self.insert("\n");
    }

    fn prev_boundary(&self, from: usize) -> usize {
        self.text[..from]
            .grapheme_indices(true)
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self, from: usize) -> usize {
        self.text[from..]
            .graphemes(true)
            .next()
            .map_or(self.text.len(), |g| from + g.len())
    }

    pub fn left(&mut self) {
        self.cursor = self.prev_boundary(self.cursor);
        self.goal_column = None;
    }

    pub fn right(&mut self) {
        self.cursor = self.next_boundary(self.cursor);
        self.goal_column = None;
    }

    /// The start of the word before the cursor (readline's Alt-b).
    fn word_start_before(&self, from: usize) -> usize {
        let graphemes: Vec<(usize, &str)> = self.text[..from].grapheme_indices(true).collect();
        let mut i = graphemes.len();
        while i > 0 && !is_word_char(graphemes[i - 1].1) {
            i -= 1;
        }
        while i > 0 && is_word_char(graphemes[i - 1].1) {
            i -= 1;
        }
        graphemes.get(i).map_or(0, |(at, _)| *at)
    }

    /// The end of the word after the cursor (readline's Alt-f).
    fn word_end_after(&self, from: usize) -> usize {
        let mut at = from;
        let mut seen_word = false;
        for g in self.text[from..].graphemes(true) {
            if is_word_char(g) {
                seen_word = true;
            } else if seen_word {
                break;
            }
            at += g.len();
        }
        at
    }

    pub fn word_left(&mut self) {
        self.cursor = self.word_start_before(self.cursor);
        self.goal_column = None;
    }

    pub fn word_right(&mut self) {
        self.cursor = self.word_end_after(self.cursor);
        self.goal_column = None;
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i)
    }

    pub fn home(&mut self) {
        self.cursor = self.line_start();
        self.goal_column = None;
    }

    pub fn end(&mut self) {
        self.cursor = self.line_end();
        self.goal_column = None;
    }

    fn delete_range(&mut self, start: usize, end: usize) {
        if start < end {
            self.text.replace_range(start..end, "");
            self.cursor = start;
        }
        self.goal_column = None;
    }

    pub fn backspace(&mut self) {
        let start = self.prev_boundary(self.cursor);
        self.delete_range(start, self.cursor);
    }

    pub fn delete(&mut self) {
        let end = self.next_boundary(self.cursor);
        self.delete_range(self.cursor, end);
    }

    /// Ctrl-W: the word before the cursor.
    pub fn delete_word_before(&mut self) {
        let start = self.word_start_before(self.cursor);
        self.delete_range(start, self.cursor);
    }

    /// Alt-d: the word after the cursor.
    pub fn delete_word_after(&mut self) {
        let end = self.word_end_after(self.cursor);
        let cursor = self.cursor;
        self.delete_range(cursor, end);
    }

    /// Ctrl-U: from the start of the line to the cursor.
    pub fn delete_to_line_start(&mut self) {
        let start = self.line_start();
        self.delete_range(start, self.cursor);
    }

    /// Ctrl-K: from the cursor to the end of the line (or the newline itself
    /// when the cursor is at the end of a line).
    pub fn delete_to_line_end(&mut self) {
        let mut end = self.line_end();
        if end == self.cursor && end < self.text.len() {
            end += 1;
        }
        let cursor = self.cursor;
        self.delete_range(cursor, end);
    }

    fn column_of(&self, at: usize) -> usize {
        let start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        display_width(&self.text[start..at])
    }

    /// The byte offset in the line starting at `start` closest to `column`.
    fn offset_at_column(&self, start: usize, column: usize) -> usize {
        let end = self.text[start..].find('\n').map_or(self.text.len(), |i| start + i);
        let mut used = 0;
        for (i, g) in self.text[start..end].grapheme_indices(true) {
            let w = crate::model::wrap::grapheme_width(g);
            if used + w > column {
                return start + i;
            }
            used += w;
        }
        end
    }

    /// Up: the line above, or (on the first line) the previous history entry.
    pub fn up(&mut self) {
        let start = self.line_start();
        if start == 0 {
            self.history_back();
            return;
        }
        let goal = *self.goal_column.get_or_insert(self.column_of(self.cursor));
        let prev_start = self.text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        self.cursor = self.offset_at_column(prev_start, goal);
    }

    /// Down: the line below, or (on the last line) the next history entry.
    pub fn down(&mut self) {
        let end = self.line_end();
        if end == self.text.len() {
            self.history_forward();
            return;
        }
        let goal = *self.goal_column.get_or_insert(self.column_of(self.cursor));
        self.cursor = self.offset_at_column(end + 1, goal);
    }

    fn history_back(&mut self) {
        let next = self.history_pos.map_or(0, |p| p + 1);
        if next >= self.history.len() {
            return;
        }
        if self.history_pos.is_none() {
            self.stash = std::mem::take(&mut self.text);
        }
        self.history_pos = Some(next);
        self.text = self.history[self.history.len() - 1 - next].clone();
        self.cursor = self.text.len();
        self.goal_column = None;
    }

    fn history_forward(&mut self) {
        match self.history_pos {
            None => {}
            Some(0) => {
                self.history_pos = None;
                self.text = std::mem::take(&mut self.stash);
                self.cursor = self.text.len();
            }
            Some(p) => {
                self.history_pos = Some(p - 1);
                self.text = self.history[self.history.len() - p].clone();
                self.cursor = self.text.len();
            }
        }
        self.goal_column = None;
    }

    /// The draft wrapped to `width`: each row's byte range, and the cursor's
    /// row and column.
    pub fn layout(&self, width: usize) -> (Vec<(usize, usize)>, (usize, usize)) {
        let mut rows = Vec::new();
        let mut cursor = (0, 0);
        let mut line_start = 0;
        for line in self.text.split('\n') {
            let wrapped = wrap_plain(line, width.saturating_sub(1).max(1));
            let count = wrapped.len();
            for (n, row) in wrapped.into_iter().enumerate() {
                let (start, end) = (line_start + row.start, line_start + row.end);
                let last = n + 1 == count;
                // The cursor belongs to this row if it falls inside it, or
                // (for a row broken at spaces) before the next row's start.
                let next_start = if last { line_start + line.len() } else { start };
                if self.cursor >= start && (self.cursor <= end || (last && self.cursor <= next_start)) {
                    cursor = (rows.len(), display_width(&self.text[start..self.cursor.min(end)]));
                } else if !last && self.cursor > end {
                    // Falls in the spaces dropped at this break: end of the row.
                    cursor = (rows.len(), row.width);
                }
                rows.push((start, end));
            }
            line_start += line.len() + 1;
        }
        (rows, cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn editor(text: &str) -> Editor {
        let mut e = Editor::default();
        e.insert(text);
        e
    }

    #[test]
    fn cursor_moves_by_whole_grapheme_clusters() {
        let family = "👨‍👩‍👧";
        let mut e = editor(&format!("a{family}🇫🇷e\u{301}"));
        e.left();
        assert_eq!(&e.text()[e.cursor()..], "e\u{301}");
        e.left();
        assert_eq!(&e.text()[e.cursor()..], "🇫🇷e\u{301}");
        e.left();
        e.backspace();
        assert_eq!(e.text(), format!("{family}🇫🇷e\u{301}"));
        e.delete();
        assert_eq!(e.text(), "🇫🇷e\u{301}");
        e.end();
        e.backspace();
        assert_eq!(e.text(), "🇫🇷");
    }

    #[test]
    fn word_motions_and_readline_deletions() {
        let mut e = editor("hello big world");
        e.word_left();
        assert_eq!(e.cursor(), 10);
        e.word_left();
        e.delete_word_after();
        assert_eq!(e.text(), "hello  world");
        e.end();
        e.delete_word_before();
        assert_eq!(e.text(), "hello  ");
        e.home();
        e.delete_to_line_end();
        assert_eq!(e.text(), "");
        let mut e = editor("one\ntwo three");
        e.delete_to_line_start();
        assert_eq!(e.text(), "one\n");
        e.word_left();
        e.word_right();
        assert_eq!(e.cursor(), 3);
        e.delete_to_line_end();
        assert_eq!(e.text(), "one", "Ctrl-K at a line end joins the next line");
    }

    #[test]
    fn ctrl_w_after_a_flag_or_emoji_takes_only_that_picture() {
        for (text, left) in [
            ("hi 🇫🇷", "hi "),
            ("hi 🇫🇷🇩🇪", "hi "),
            ("ok 👍🏽", "ok "),
            ("done ✅", "done "),
            ("你好 世界", "你好 "),
            ("wow!🎉", "wow!"),
        ] {
            let mut e = editor(text);
            e.delete_word_before();
            assert_eq!(e.text(), left, "Ctrl-W in {text:?}");
        }
    }

    #[test]
    fn up_and_down_keep_the_display_column_across_wide_characters() {
        let mut e = editor("漢字漢字\nabcdefgh");
        e.home();
        e.right();
        e.right();
        e.right();
        assert_eq!(e.cursor(), 12 + 1 + 3, "after 'abc'");
        e.up();
        // Column 3 falls inside the second wide character: stay before it.
        assert_eq!(&e.text()[..e.cursor()], "漢");
        e.down();
        assert_eq!(&e.text()[e.cursor()..], "defgh");
    }

    #[test]
    fn history_is_browsed_from_the_first_and_last_lines_and_the_draft_comes_back() {
        let mut e = Editor::default();
        e.insert("first");
        e.take();
        e.insert("second");
        e.take();
        e.insert("draft");
        e.up();
        assert_eq!(e.text(), "second");
        e.up();
        assert_eq!(e.text(), "first");
        e.up();
        assert_eq!(e.text(), "first", "no older entry");
        e.down();
        e.down();
        assert_eq!(e.text(), "draft");
    }

    #[test]
    fn pasted_text_is_made_safe_and_keeps_its_lines() {
        let e = editor("a\r\nb\tc\u{1b}[2J\u{202e}");
        assert_eq!(e.text(), "a\nb    c␛[2J⟨U+202E⟩");
    }

    #[test]
    fn layout_puts_the_cursor_where_it_is_drawn() {
        let mut e = editor("hello wide 漢字 world");
        let (rows, cursor) = e.layout(9);
        let text: Vec<&str> = rows.iter().map(|(s, t)| &e.text()[*s..*t]).collect();
        // Eight columns for text, one kept for the cursor at a row's end.
        assert_eq!(text, ["hello", "wide", "漢字", "world"]);
        assert_eq!(cursor, (3, 5));
        e.left();
        e.left();
        e.left();
        e.left();
        e.left();
        e.left();
        assert_eq!(e.layout(9).1, (2, 4), "in the space dropped after '漢字'");
        e.home();
        assert_eq!(e.layout(9).1, (0, 0));
        e.set_text("ab\n");
        assert_eq!(e.layout(9).1, (1, 0));
    }
}
