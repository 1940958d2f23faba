//! Work started in the background once the chat is on screen, so that it
//! neither delays a frame nor makes the user wait later: the code languages
//! drawn plain for want of them, the detectors' patterns, and what a
//! backend would build at its first request (the built-in bot's word
//! meanings). All go to the helper thread (`helper`), colours first: they
//! are seen.

use std::sync::Arc;

use super::{Event, Runtime};
use crate::backend::Backend;
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
        if let Some(helper) = &self.helper {
            helper.submit(crate::redact::warm_up);
        }
    }

    /// A backend just put to use builds what its first request would wait
    /// for (`Backend::warm`; tens of milliseconds for the built-in bot) on
    /// the helper thread: a question sent at once waits for it either way,
    /// one sent later need not, and the store thread's saves never do.
    pub(super) fn warm_backend(&self, backend: &Arc<dyn Backend>) {
        if let Some(helper) = &self.helper {
            let backend = Arc::clone(backend);
            helper.submit(move || backend.warm());
        }
    }

    /// Code in a language not compiled yet was drawn plain (compiling one
    /// costs tens of milliseconds, too much for a frame): compile the
    /// languages in the background, then draw again in colour.
    pub(super) fn ready_code_languages(&self) {
        // Without a helper, nothing was deferred (see `run`).
        let Some(helper) = &self.helper else {
            return;
        };
        let mut wanted = ui::highlight::take_wanted();
        if wanted.is_empty() {
            return;
        }
        let events = self.events.clone();
        helper.submit(move || {
            ui::highlight::warm(&wanted);
            // Info strings are the reply's text: not left in freed memory.
            for token in &mut wanted {
                zeroize::Zeroize::zeroize(token);
            }
            let _ = events.send(Event::Msg(Msg::CodeColoursReady));
        });
    }
}
