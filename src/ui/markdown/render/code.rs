//! Code blocks: a numbered header, each line highlighted (finished lines
//! through the part's cache) behind a bar, and a closing corner. The blocks
//! are built by the functions here, which an open fence streaming outside
//! the parser (see `fence`) uses too, so both draw a block alike.

use pulldown_cmark::CodeBlockKind;
use ratatui::text::Span;

use super::{Block, Code, Writer, clean};
use crate::model::wrap::StyledLine;
use crate::theme::Theme;

/// The header of code block `number`: `╭─ [N] info`, after `first`.
pub(in crate::ui::markdown) fn header(
    theme: &Theme,
    number: usize,
    info: &str,
    mut first: Vec<Span<'static>>,
) -> Block {
    first.push(Span::styled("╭─ ", theme.muted()));
    first.push(Span::styled(format!("[{number}]"), theme.accent()));
    if !info.is_empty() {
        first.push(Span::styled(format!(" {info}"), theme.muted()));
    }
    Block::Line(StyledLine::plain(first))
}

/// One line of code behind its bar; `prefix` is the containers' hang.
pub(in crate::ui::markdown) fn line(theme: &Theme, spans: Vec<Span<'static>>, mut prefix: Vec<Span<'static>>) -> Block {
    prefix.push(Span::styled("│ ", theme.muted()));
    Block::Line(StyledLine {
        first: prefix.clone(),
        rest: prefix,
        spans,
        hard: true,
        ..Default::default()
    })
}

/// The closing corner.
pub(in crate::ui::markdown) fn footer(theme: &Theme, mut prefix: Vec<Span<'static>>) -> Block {
    prefix.push(Span::styled("╰─", theme.muted()));
    Block::Line(StyledLine::plain(prefix))
}

impl Writer<'_, '_> {
    pub(super) fn code_starts(&mut self, kind: CodeBlockKind<'_>) {
        self.block_starts();
        let info = match kind {
            CodeBlockKind::Fenced(info) => clean(&info),
            CodeBlockKind::Indented => String::new(),
        };
        let number = self.context.first_code + self.code_blocks;
        self.code_blocks += 1;
        let (first, _) = self.prefixes();
        self.out.push(header(self.theme, number, &info, first));
        self.cache.block_starts(&info, self.theme);
        self.code = Some(Code {
            partial: String::new(),
            lines: 0,
        });
    }

    pub(super) fn code_text(&mut self, text: &str) {
        let Some(mut code) = self.code.take() else { return };
        code.partial.push_str(text);
        while let Some(end) = code.partial.find('\n') {
            let line: String = code.partial.drain(..=end).collect();
            self.code_line(&line[..end], code.lines, true);
            code.lines += 1;
        }
        self.code = Some(code);
    }

    fn code_line(&mut self, raw: &str, index: usize, finished: bool) {
        let line = clean(raw);
        let spans = self.cache.line(index, &line, finished);
        let (_, rest) = self.prefixes();
        self.out.push(self::line(self.theme, spans, rest));
    }

    pub(super) fn code_ends(&mut self) {
        let Some(code) = self.code.take() else { return };
        if !code.partial.is_empty() {
            self.code_line(&code.partial, code.lines, false);
        }
        let (_, rest) = self.prefixes();
        self.out.push(footer(self.theme, rest));
        self.separator = true;
    }
}
