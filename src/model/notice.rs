//! Notices: the short messages over the bottom of the chat pane. None is
//! ever cut: a notice takes as many rows as it needs, and one too long for
//! half the chat pane opens in a popup that stays until Esc.

use ratatui::layout::Rect;
use ratatui::text::Span;

use super::popups::Popup;
use super::state::{Notice, Screen, State};
use super::wrap::{StyledLine, wrap_styled};

/// How long a notice stays; an error stays longer.
const NOTICE_MS: i64 = 4_000;
const ERROR_MS: i64 = 10_000;

/// The most characters a notice shows; far more than any message sotto makes.
pub const NOTICE_MAX_CHARS: usize = 8_000;

impl State {
    pub fn notify(&mut self, text: impl Into<String>) {
        self.show_notice(Notice {
            text: text.into(),
            error: false,
            until: self.fade_after(NOTICE_MS),
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.show_notice(Notice {
            text: text.into(),
            error: true,
            until: self.fade_after(ERROR_MS),
        });
    }

    fn fade_after(&self, ms: i64) -> crate::time::Timestamp {
        crate::time::Timestamp::from_unix_ms(self.clock.as_unix_ms() + ms)
    }

    fn show_notice(&mut self, notice: Notice) {
        let rows = |width: usize| notice_rows(&notice.text, width);
        let (width, height) = super::layout::pane_size(Rect::new(0, 0, self.viewport.0, self.viewport.1), self);
        let fits = self.viewport == (0, 0) || rows(width) <= (height / 2).max(3);
        if fits || self.popup.is_some() || !matches!(self.screen, Screen::Chat) {
            self.notice = Some(notice);
            return;
        }
        self.notice = None;
        self.popup = Some(Popup::Report {
            title: if notice.error { "Error" } else { "Notice" }.to_owned(),
            lines: notice.text.lines().map(str::to_owned).collect(),
            scroll: 0,
        });
    }
}

/// The rows `text` takes as a notice `width` columns wide.
pub fn notice_rows(text: &str, width: usize) -> usize {
    let text = crate::sanitize::one_line(text, NOTICE_MAX_CHARS);
    wrap_styled(&StyledLine::plain(vec![Span::raw(format!(" {text}"))]), width.max(1)).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::tests_support::chat_state;

    #[test]
    fn a_notice_that_fits_half_the_pane_is_a_toast_a_longer_one_a_popup_and_neither_is_cut() {
        let mut state = chat_state();
        state.viewport = (100, 30);
        let sentence = "exported 2 conversation(s), 9 message(s) to '/home/someone/sotto-export-20261205-101010.json.age'. \
                        It is encrypted with your vault passphrase as it is now: 'age -d FILE' asks for it and \
                        'sotto import FILE' opens it, also after wipes, rekeys and passphrase changes.";
        state.notify(sentence);
        assert_eq!(state.notice.as_ref().unwrap().text, sentence);
        assert!(state.popup.is_none());

        let long = sentence.repeat(8);
        state.error(long.clone());
        assert!(state.notice.is_none());
        match &state.popup {
            Some(Popup::Report { title, lines, .. }) => {
                assert_eq!(title, "Error");
                assert_eq!(lines.join("\n"), long);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_toast_takes_as_many_rows_as_its_text_needs() {
        let text = "word ".repeat(60);
        assert_eq!(notice_rows(&text, 40), 8);
        assert_eq!(notice_rows("short", 40), 1);
    }
}
