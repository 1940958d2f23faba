//! A line outside code blocks, by its block markup: a heading, a quote, a
//! list item (with task boxes), a rule, or a paragraph. The markup becomes
//! prefixes and styles; the text inside goes to the inline renderer.

use ratatui::text::Span;

use super::inline::inline;
use crate::model::wrap::StyledLine;
use crate::theme::Theme;

/// A line outside code blocks: heading, quote, list item, rule or paragraph.
pub(super) fn block_line(line: &str, theme: &Theme) -> StyledLine {
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
