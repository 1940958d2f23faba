//! The input box and the slash-command completion popup above it. The
//! cursor is placed from the same wrapping the box is drawn with.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};

use crate::model::state::{Focus, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let focused = state.focus == Focus::Input && state.popup.is_none();
    let title = if state.editing.is_some() {
        " Editing your last message (Esc cancels) "
    } else if state.is_streaming() {
        " Message (Esc stops the reply) "
    } else {
        " Message (Enter sends, Alt-Enter new line, /help) "
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(title, theme.muted()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let (rows, (cursor_row, cursor_col)) = state.editor.layout(inner.width as usize);
    let height = inner.height as usize;
    // Keep the cursor's row in view when the draft is taller than the box.
    let first = cursor_row.saturating_sub(height - 1);
    let text = state.editor.text();
    let lines: Vec<Line> = rows
        .iter()
        .skip(first)
        .take(height)
        .map(|(start, end)| Line::from(Span::styled(text[*start..*end].to_owned(), theme.text())))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    if focused {
        let x = inner.x + (cursor_col as u16).min(inner.width - 1);
        let y = inner.y + (cursor_row - first) as u16;
        frame.set_cursor_position(Position::new(x, y));
    }
    if focused {
        draw_completions(frame, area, state);
    }
}

fn draw_completions(frame: &mut Frame, input: Rect, state: &State) {
    let theme = &state.theme;
    let matches = crate::model::commands::completions(state.editor.text());
    if matches.is_empty() || input.y == 0 {
        return;
    }
    let height = (matches.len() as u16 + 2).min(input.y);
    let width = input.width.min(72);
    let area = Rect::new(input.x, input.y - height, width, height);
    let items: Vec<ListItem> = matches
        .iter()
        .map(|c| {
            let args = if c.args.is_empty() {
                String::new()
            } else {
                format!(" {}", c.args)
            };
            ListItem::new(Line::from(vec![
                Span::styled(format!("/{}", c.name), theme.accent()),
                Span::styled(args, theme.muted()),
                Span::styled(format!("  {}", c.help), theme.text()),
            ]))
        })
        .collect();
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border(true))
                .title(Span::styled(" Tab completes ", theme.muted())),
        )
        .highlight_style(theme.selection());
    let mut list_state = ListState::default().with_selected(Some(state.completion_selected.min(matches.len() - 1)));
    frame.render_widget(Clear, area);
    frame.render_stateful_widget(list, area, &mut list_state);
}
