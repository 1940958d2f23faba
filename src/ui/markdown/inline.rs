//! Inline Markdown within one line. It works on characters rather than
//! lines, and recurses into what a marker encloses, so it is apart from the
//! block structure around it; it is also what headings, quotes and list
//! items render their text with.

use ratatui::style::Style;
use ratatui::text::Span;

use crate::theme::Theme;

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
