//! Work started in the background once the chat is on screen, so that it
//! neither delays a frame nor makes the user wait later: the detectors'
//! patterns, and the code languages drawn plain for want of them.

use super::{Event, Runtime};
use crate::model::msg::Msg;
use crate::model::screens::Screen;
use crate::model::state::State;
use crate::ui;

impl Runtime {
    /// The detectors compile their patterns and load the phone numbering
    /// plans on first use (tens of milliseconds of CPU). Started in the
    /// background once the chat screen shows its conversation, that work
    /// neither delays the first frame nor makes the first send wait.
    pub(super) fn warm_up_once_shown(&mut self, state: &State) {
        if self.warmed_up || !matches!(state.screen, Screen::Chat) || state.opening.is_some() {
            return;
        }
        self.warmed_up = true;
        let _ = std::thread::Builder::new()
            .name("sotto-warm-up".into())
            .spawn(crate::redact::warm_up);
    }

    /// Code in a language not compiled yet was drawn plain (compiling one
    /// costs tens of milliseconds, too much for a frame): compile the
    /// languages on a thread of their own, then draw again in colour.
    pub(super) fn ready_code_languages(&self) {
        let mut wanted = ui::highlight::take_wanted();
        if wanted.is_empty() {
            return;
        }
        let events = self.events.clone();
        let _ = std::thread::Builder::new()
            .name("sotto-code-colours".into())
            .spawn(move || {
                ui::highlight::warm(&wanted);
                // Info strings are the reply's text: not left in freed memory.
                for token in &mut wanted {
                    zeroize::Zeroize::zeroize(token);
                }
                let _ = events.send(Event::Msg(Msg::CodeColoursReady));
            });
    }
}
