//! The conversation list: titles (sanitised), newest first, the open one
//! marked, the selection highlighted when the sidebar has the keyboard.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState};

use crate::model::state::{Focus, State};

/// The sidebar's mark of a conversation that lives in memory only.
pub const MEMORY_ONLY: &str = "◌ ";

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let focused = state.focus == Focus::Sidebar;
    let block = Block::default()
        .borders(Borders::RIGHT | Borders::TOP)
        .border_style(theme.border(focused))
        .title(Span::styled(
            format!(" Conversations ({}) ", state.conversations.len()),
            theme.accent(),
        ));
    let width = block.inner(area).width as usize;
    let items: Vec<ListItem> = state
        .conversations
        .iter()
        .map(|c| {
            let open = Some(c.id) == state.current;
            // One mark for "memory only", open or not (README names it);
            // the open conversation's title is bold either way.
            let in_memory = state.incognito || state.memory_conversations.contains(&c.id);
            let marker = match (open, in_memory) {
                (_, true) => MEMORY_ONLY,
                (true, false) => "● ",
                (false, false) => "  ",
            };
            let title = crate::sanitize::one_line(&c.title, width.saturating_sub(3).max(1));
            let style = if open { theme.bold() } else { theme.text() };
            ListItem::new(Line::from(vec![
                Span::styled(marker, theme.accent()),
                Span::styled(title, style),
            ]))
        })
        .collect();
    if items.is_empty() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            ratatui::widgets::Paragraph::new(Span::styled("No conversations yet", theme.muted())),
            inner,
        );
        return;
    }
    let list = List::new(items)
        .block(block)
        .highlight_style(if focused { theme.selection() } else { theme.base() });
    let mut list_state = ListState::default().with_selected(Some(state.sidebar_selected));
    frame.render_stateful_widget(list, area, &mut list_state);
}
