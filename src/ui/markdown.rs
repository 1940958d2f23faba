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

use ratatui::style::Style;
use ratatui::text::Span;

use zeroize::Zeroize;

use crate::model::code_blocks::{closes, fence_open};
use crate::model::wrap::StyledLine;
use crate::sanitize;
use crate::theme::Theme;

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

/// A line outside code blocks: heading, quote, list item, rule or paragraph.
fn block_line(line: &str, theme: &Theme) -> StyledLine {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if is_rule(trimmed) {
        return StyledLine {
            spans: vec![Span::styled("─", theme.muted())],
            fill: Some('─'),
            ..Default::default()
        };
    }
    if let Some((level, text)) = heading(trimmed) {
        let mut style = theme.heading();
        if level == 1 {
            style = style.add_modifier(ratatui::style::Modifier::UNDERLINED);
        }
        return StyledLine::plain(inline(text.trim_end_matches([' ', '#']), style, theme));
    }
    if trimmed.starts_with('>') {
        let mut depth = 0;
        let mut rest = trimmed;
        while let Some(r) = rest.strip_prefix('>') {
            depth += 1;
            rest = r.strip_prefix(' ').unwrap_or(r).trim_start_matches(' ');
            if !rest.starts_with('>') {
                break;
            }
        }
        let prefix = vec![Span::styled("▎ ".repeat(depth), theme.muted())];
        return StyledLine {
            first: prefix.clone(),
            rest: prefix,
            spans: inline(rest, theme.quote(), theme),
            ..Default::default()
        };
    }
    if let Some((marker, text)) = list_item(trimmed) {
        let level = indent / 2;
        let pad = "  ".repeat(level);
        let bullet = match marker {
            ListMarker::Bullet => ["• ", "◦ ", "▪ "][level.min(2)].to_owned(),
            ListMarker::Number(n) => format!("{n} "),
        };
        let (bullet, text) = match text.strip_prefix("[ ] ") {
            Some(rest) => (format!("{bullet}☐ "), rest),
            None => match text.strip_prefix("[x] ").or_else(|| text.strip_prefix("[X] ")) {
                Some(rest) => (format!("{bullet}☑ "), rest),
                None => (bullet, text),
            },
        };
        let hang = " ".repeat(crate::model::wrap::display_width(&bullet));
        return StyledLine {
            first: vec![Span::raw(pad.clone()), Span::styled(bullet, theme.accent())],
            rest: vec![Span::raw(format!("{pad}{hang}"))],
            spans: inline(text, theme.text(), theme),
            ..Default::default()
        };
    }
    StyledLine::plain(inline(line, theme.text(), theme))
}

fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| *c != ' ').collect();
    compact.len() >= 3
        && compact.chars().all(|c| c == compact.chars().next().unwrap_or(' '))
        && matches!(compact.chars().next(), Some('-' | '*' | '_'))
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if rest.is_empty() {
        return Some((level, ""));
    }
    rest.strip_prefix(' ').map(|text| (level, text.trim()))
}

enum ListMarker {
    Bullet,
    Number(String),
}

fn list_item(line: &str) -> Option<(ListMarker, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some((ListMarker::Bullet, rest.trim_start()));
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let after = &line[digits..];
        for delimiter in [". ", ") "] {
            if let Some(rest) = after.strip_prefix(delimiter) {
                let marker = format!("{}{}", &line[..digits], &delimiter[..1]);
                return Some((ListMarker::Number(marker), rest.trim_start()));
            }
        }
    }
    None
}

/// Inline Markdown of one (sanitised) line: code spans, strong, emphasis,
/// strikethrough, links and autolinks. Unclosed markers are shown as typed.
pub fn inline(text: &str, base: Style, theme: &Theme) -> Vec<Span<'static>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    parse_inline(&chars, base, theme, &mut out);
    merge(out)
}

fn merge(spans: Vec<Span<'static>>) -> Vec<Span<'static>> {
    let mut merged: Vec<Span<'static>> = Vec::with_capacity(spans.len());
    for span in spans {
        if span.content.is_empty() {
            continue;
        }
        match merged.last_mut() {
            Some(last) if last.style == span.style => last.content.to_mut().push_str(&span.content),
            _ => merged.push(span),
        }
    }
    merged
}

fn is_word(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric())
}

/// Finds the closing `delim` at or after `from`, not preceded by a space.
fn find_close(chars: &[char], from: usize, delim: &[char]) -> Option<usize> {
    let mut i = from;
    while i + delim.len() <= chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == '`' {
            // Code spans win over emphasis: skip a complete one.
            let run = chars[i..].iter().take_while(|c| **c == '`').count();
            if let Some(end) = find_backticks(chars, i + run, run) {
                i = end + run;
                continue;
            }
        }
        if chars[i..].starts_with(delim) && i > from && chars[i - 1] != ' ' {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn find_backticks(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '`' {
            let len = chars[i..].iter().take_while(|c| **c == '`').count();
            if len == run {
                return Some(i);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
}

fn parse_inline(chars: &[char], base: Style, theme: &Theme, out: &mut Vec<Span<'static>>) {
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut Vec<Span<'static>>| {
        if !plain.is_empty() {
            out.push(Span::styled(std::mem::take(plain), base));
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1);
        if c == '\\' && next.is_some_and(|n| n.is_ascii_punctuation()) {
            plain.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '`' {
            let run = chars[i..].iter().take_while(|c| **c == '`').count();
            if let Some(end) = find_backticks(chars, i + run, run) {
                flush(&mut plain, out);
                let mut code: String = chars[i + run..end].iter().collect();
                if code.len() >= 2 && code.starts_with(' ') && code.ends_with(' ') && code.trim() != "" {
                    code = code[1..code.len() - 1].to_owned();
                }
                out.push(Span::styled(code, theme.code()));
                i = end + run;
                continue;
            }
            plain.extend(&chars[i..i + run]);
            i += run;
            continue;
        }
        // Strong, strikethrough, emphasis: the delimiter must touch a word on
        // the inside; `_` must not sit inside a word (snake_case stays text).
        let doubles: [(&[char], Style); 3] = [
            (&['*', '*'], theme.bold()),
            (&['_', '_'], theme.bold()),
            (&['~', '~'], theme.strike()),
        ];
        let mut handled = false;
        for (delim, style) in doubles {
            if chars[i..].starts_with(delim)
                && chars.get(i + 2).is_some_and(|c| *c != ' ')
                && !(delim[0] == '_' && i > 0 && is_word(chars.get(i - 1)))
                && let Some(end) = find_close(chars, i + 2, delim)
                && !(delim[0] == '_' && is_word(chars.get(end + 2)))
            {
                flush(&mut plain, out);
                parse_inline(&chars[i + 2..end], base.patch(style), theme, out);
                i = end + 2;
                handled = true;
                break;
            }
        }
        if handled {
            continue;
        }
        if (c == '*' || c == '_')
            && next.is_some_and(|n| *n != ' ' && *n != c)
            && !(c == '_' && i > 0 && is_word(chars.get(i - 1)))
            && let Some(end) = find_close(chars, i + 1, &[c])
            && !(c == '_' && is_word(chars.get(end + 1)))
        {
            flush(&mut plain, out);
            parse_inline(&chars[i + 1..end], base.patch(theme.italic()), theme, out);
            i = end + 1;
            continue;
        }
        if c == '['
            && let Some((text_end, url_end)) = link_at(chars, i)
        {
            flush(&mut plain, out);
            let label: String = chars[i + 1..text_end].iter().collect();
            let url: String = chars[text_end + 2..url_end].iter().collect();
            let url = url.split_whitespace().next().unwrap_or("").to_owned();
            parse_inline(&chars[i + 1..text_end], base.patch(theme.link()), theme, out);
            if !url.is_empty() && url != label {
                out.push(Span::styled(format!(" ({url})"), theme.muted()));
            }
            i = url_end + 1;
            continue;
        }
        if c == '<'
            && let Some(len) = chars[i + 1..].iter().position(|c| *c == '>')
        {
            let inner: String = chars[i + 1..i + 1 + len].iter().collect();
            if (inner.starts_with("http://") || inner.starts_with("https://") || inner.starts_with("mailto:"))
                && !inner.contains(' ')
            {
                flush(&mut plain, out);
                out.push(Span::styled(inner, base.patch(theme.link())));
                i += len + 2;
                continue;
            }
        }
        plain.push(c);
        i += 1;
    }
    flush(&mut plain, out);
}

/// `[text](url)` starting at `start`: the index of `]` and of `)`.
fn link_at(chars: &[char], start: usize) -> Option<(usize, usize)> {
    let mut depth = 0;
    let mut i = start;
    let text_end = loop {
        match chars.get(i)? {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    break i;
                }
            }
            '\\' => i += 1,
            _ => {}
        }
        i += 1;
    };
    if chars.get(text_end + 1) != Some(&'(') {
        return None;
    }
    let url_end = chars[text_end + 2..].iter().position(|c| *c == ')')? + text_end + 2;
    Some((text_end, url_end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Modifier;

    fn theme() -> Theme {
        Theme::fallback(false)
    }

    fn text_of(line: &StyledLine) -> String {
        line.first
            .iter()
            .chain(line.spans.iter())
            .map(|s| s.content.as_ref())
            .collect()
    }

    fn rendered(source: &str) -> Vec<String> {
        render(source, &theme(), 1).iter().map(text_of).collect()
    }

    #[test]
    fn block_elements_render_without_their_markup() {
        let out = rendered("# Title\n> quoted\n- item\n  - nested\n3. third\n---\nplain");
        assert_eq!(
            out,
            ["Title", "▎ quoted", "• item", "  ◦ nested", "3. third", "─", "plain"]
        );
    }

    #[test]
    fn emphasis_code_and_links_are_styled_not_shown_as_markup() {
        let t = theme();
        let spans = inline(
            "a **bold** _em_ `x*y*` [site](https://e.org) snake_case_name",
            t.text(),
            &t,
        );
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "a bold em x*y* site (https://e.org) snake_case_name");
        let bold = spans.iter().find(|s| s.content == "bold").expect("bold span");
        assert!(bold.style.add_modifier.contains(Modifier::BOLD));
        let code = spans.iter().find(|s| s.content == "x*y*").expect("code span");
        assert_eq!(code.style, t.code());
    }

    #[test]
    fn unclosed_markers_are_shown_as_typed() {
        assert_eq!(rendered("2 * 3 = 6 and **open"), ["2 * 3 = 6 and **open"]);
        assert_eq!(rendered("`tick"), ["`tick"]);
    }

    #[test]
    fn code_blocks_are_numbered_and_kept_verbatim() {
        let source = "text\n```rust\nlet x = **not bold**;\n```\n~~~\nsecond\n~~~\n";
        let out = rendered(source);
        assert_eq!(
            out,
            [
                "text",
                "╭─ [1] rust",
                "│ let x = **not bold**;",
                "╰─",
                "╭─ [2]",
                "│ second",
                "╰─"
            ]
        );
        assert_eq!(
            crate::model::code_blocks::code_blocks(source),
            ["let x = **not bold**;\n", "second\n"]
        );
    }

    #[test]
    fn escape_sequences_in_a_reply_are_shown_not_interpreted() {
        let out = rendered("evil \u{1b}[2J\u{1b}]52;c;aGk=\u{7} \u{202e}txt\r\n```\n\u{1b}[31mred\n```");
        assert_eq!(out[0], "evil ␛[2J␛]52;c;aGk=␇ ⟨U+202E⟩txt");
        assert_eq!(out[2], "│ ␛[31mred");
        assert!(out.iter().all(|l| !l.contains('\u{1b}')));
    }

    #[test]
    fn streaming_renders_only_what_is_new_and_matches_a_full_render() {
        let source = "# Plan\nSome *text* here.\n```sh\nls -la\n```\n- one\n- two **b**\n";
        let t = theme();
        let mut view = MarkdownView::default();
        let mut text = String::new();
        for c in source.chars() {
            text.push(c);
            view.update(&text, &t, 1);
            let incremental: Vec<StyledLine> = view.lines().cloned().collect();
            assert_eq!(incremental, render(&text, &t, 1), "after {text:?}");
        }
        // Complete lines are rendered once: the finished prefix stays as it was.
        assert_eq!(view.consumed, source.len());
        assert_eq!(view.code_blocks(), 1);
    }

    #[test]
    fn a_replaced_text_is_rendered_afresh() {
        let t = theme();
        let mut view = MarkdownView::default();
        view.update("first version\n", &t, 1);
        view.update("other\n", &t, 1);
        let out: Vec<String> = view.lines().map(text_of).collect();
        assert_eq!(out, ["other"]);
    }
}
