//! Drawing only: the screens, the chat pane, the sidebar, the input box, the
//! status bar, popups, and the Markdown and wrapping they are built from.
//! Nothing here changes the application state or performs IO; the chat
//! pane's layout cache is the only thing drawing keeps between frames, and
//! it is overwritten and emptied whenever a screen other than the chat is
//! drawn (after `/lock` or the automatic lock, the unlock screen).

pub mod chat;
pub mod highlight;
pub mod input;
pub mod markdown;
pub mod popups;
pub mod screens;
pub mod sidebar;
pub mod status;

use ratatui::Frame;
use ratatui::widgets::Block;

use crate::model::layout;
use crate::model::state::{Screen, State};

/// Draws the whole screen for `state`.
pub fn draw(frame: &mut Frame, state: &State, cache: &mut chat::ChatCache) {
    if !matches!(state.screen, Screen::Chat) {
        // Locked, or not yet open: no conversation text stays laid out.
        cache.forget();
    }
    let area = frame.area();
    frame.render_widget(Block::default().style(state.theme.base()), area);
    match &state.screen {
        Screen::Welcome(form) => screens::welcome(frame, area, state, form),
        Screen::Unlock(form) => screens::unlock(frame, area, state, form),
        Screen::ChooseBackend { selected } => screens::choose_backend(frame, area, state, *selected),
        Screen::Working { text, .. } => screens::working(frame, area, state, text),
        Screen::Chat => {
            let parts = layout::chat_layout(area, state);
            if let Some(sidebar) = parts.sidebar {
                sidebar::draw(frame, sidebar, state);
            }
            if let (Some(area), Some(tour)) = (parts.banner, &state.demo) {
                let banner = ratatui::widgets::Paragraph::new(crate::sanitize::one_line(&tour.banner, 400))
                    .style(state.theme.accent())
                    .wrap(ratatui::widgets::Wrap { trim: true });
                frame.render_widget(banner, area);
            }
            chat::draw(frame, parts.chat, state, cache);
            status::draw_notice(frame, parts.chat, state);
            input::draw(frame, parts.input, state);
            status::draw(frame, parts.status, state);
            let body = ratatui::layout::Rect::new(area.x, area.y, area.width, area.height - parts.status.height);
            popups::draw(frame, body, state);
        }
    }
    split_flags(frame.buffer_mut());
}

/// Puts each half of a flag (a pair of regional indicators) in a cell of
/// its own. Drawn as one two-column cell, a flag is erased by writing the
/// first column only, and terminals that keep the halves as two cells
/// (tmux, xterm) leave the second half on screen as a ghost. Written as two
/// adjacent cells, the terminal still receives the pair in one run (and
/// draws a flag where it can), and each column is cleared on its own.
fn split_flags(buffer: &mut ratatui::buffer::Buffer) {
    let area = buffer.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right().saturating_sub(1) {
            let symbol = buffer[(x, y)].symbol();
            let mut chars = symbol.chars();
            let (Some(first), Some(second), None) = (chars.next(), chars.next(), chars.next()) else {
                continue;
            };
            if !(is_regional_indicator(first) && is_regional_indicator(second)) {
                continue;
            }
            buffer[(x, y)].set_char(first);
            buffer[(x + 1, y)].set_char(second);
        }
    }
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

#[cfg(test)]
mod snapshots;

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    #[test]
    fn each_half_of_a_flag_gets_a_cell_so_erasing_it_clears_both_columns() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 10, 1));
        buffer.set_string(0, 0, "a🇫🇷🇩🇪 é", ratatui::style::Style::default());
        super::split_flags(&mut buffer);
        let cells: Vec<&str> = (0..7).map(|x| buffer[(x, 0)].symbol()).collect();
        assert_eq!(cells, ["a", "🇫", "🇷", "🇩", "🇪", " ", "é"]);
    }
}
