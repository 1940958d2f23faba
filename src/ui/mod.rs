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
}

#[cfg(test)]
mod snapshots;
