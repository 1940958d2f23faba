//! Where each part of the chat screen goes, as a pure function of the
//! terminal size and the state, so drawing, page scrolling and the tests
//! agree. Every size down to 1x1 yields valid (possibly empty) areas.

use ratatui::layout::Rect;

use crate::model::state::State;

/// The sidebar's width when shown.
pub const SIDEBAR_WIDTH: u16 = 30;
/// The sidebar hides itself below this terminal width.
pub const SIDEBAR_MIN_TERMINAL_WIDTH: u16 = 70;
/// The input box grows up to this many text rows, then scrolls.
pub const INPUT_MAX_ROWS: u16 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatLayout {
    pub sidebar: Option<Rect>,
    /// The tour's explanation above the chat, during `sotto demo`.
    pub banner: Option<Rect>,
    pub chat: Rect,
    pub input: Rect,
    pub status: Rect,
}

/// A box of at most `width` x `height` in the middle of `area` (popups,
/// the screens before the chat).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

pub fn sidebar_shown(area: Rect, state: &State) -> bool {
    state.sidebar_visible && area.width >= SIDEBAR_MIN_TERMINAL_WIDTH
}

/// Rows of the `sotto demo` banner.
const BANNER_ROWS: u16 = 3;

pub fn chat_layout(area: Rect, state: &State) -> ChatLayout {
    let status_height = u16::from(area.height >= 2);
    let status = Rect::new(area.x, area.y + area.height - status_height, area.width, status_height);
    let body = Rect::new(area.x, area.y, area.width, area.height - status_height);
    let (sidebar, main) = if sidebar_shown(area, state) {
        (
            Some(Rect::new(body.x, body.y, SIDEBAR_WIDTH, body.height)),
            Rect::new(body.x + SIDEBAR_WIDTH, body.y, body.width - SIDEBAR_WIDTH, body.height),
        )
    } else {
        (None, body)
    };
    let text_width = main.width.saturating_sub(2).max(1) as usize;
    let rows = state.editor.layout(text_width).0.len() as u16;
    let wanted = rows.clamp(1, INPUT_MAX_ROWS) + 2;
    // The chat keeps at least one row when there is room for it.
    let input_height = wanted.min(main.height.saturating_sub(2)).max(main.height.min(1));
    let input = Rect::new(main.x, main.y + main.height - input_height, main.width, input_height);
    let mut chat = Rect::new(main.x, main.y, main.width, main.height - input_height);
    // The tour's banner takes up to three rows, while the chat keeps at least one.
    let banner_height = if state.demo.is_some() {
        BANNER_ROWS.min(chat.height.saturating_sub(1))
    } else {
        0
    };
    let banner = (banner_height > 0).then(|| Rect::new(chat.x, chat.y, chat.width, banner_height));
    chat.y += banner_height;
    chat.height -= banner_height;
    ChatLayout {
        sidebar,
        banner,
        chat,
        input,
        status,
    }
}

/// The chat pane's inner size for `state` in a terminal of `area`.
pub fn pane_size(area: Rect, state: &State) -> (usize, usize) {
    let layout = chat_layout(area, state);
    (
        layout.chat.width as usize,
        layout.chat.height.saturating_sub(1) as usize,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::tests_support::chat_state;

    #[test]
    fn every_size_gives_areas_inside_the_terminal() {
        let mut state = chat_state();
        state.editor.insert("a\nb\nc\nd\ne\nf\ng\nh\ni\nj");
        for demo in [false, true] {
            state.demo = demo.then(|| crate::model::demo::DemoTour::new("/tmp/x".into()));
            for width in 1..130 {
                for height in 1..45 {
                    let area = Rect::new(0, 0, width, height);
                    let l = chat_layout(area, &state);
                    for part in [Some(l.chat), Some(l.input), Some(l.status), l.sidebar, l.banner]
                        .into_iter()
                        .flatten()
                    {
                        assert!(
                            area.contains(part.as_position()) || part.area() == 0,
                            "{width}x{height}: {part:?}"
                        );
                        assert!(
                            part.right() <= area.right() && part.bottom() <= area.bottom(),
                            "{width}x{height}"
                        );
                    }
                    let banner = l.banner.map_or(0, |b| b.height);
                    let used = banner + l.chat.height + l.input.height + l.status.height;
                    assert_eq!(used, height, "{width}x{height}: rows add up");
                }
            }
        }
    }

    #[test]
    fn the_input_grows_with_the_draft_up_to_a_limit() {
        let mut state = chat_state();
        let area = Rect::new(0, 0, 100, 40);
        assert_eq!(chat_layout(area, &state).input.height, 3);
        state.editor.insert("1\n2\n3");
        assert_eq!(chat_layout(area, &state).input.height, 5);
        state.editor.insert(&"\nx".repeat(20));
        assert_eq!(chat_layout(area, &state).input.height, INPUT_MAX_ROWS + 2);
    }
}
