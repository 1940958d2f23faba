//! The thread that feeds the loop with terminal input, pausable while
//! `$EDITOR` owns the terminal. (Signals go to the helper thread, `helper`.)
//!
//! It does not wake while nothing happens: it blocks in crossterm's poll
//! with no timeout (crossterm watches the terminal and SIGWINCH itself).
//! The timer is not a thread at all: the loop arms a timeout only while
//! something moves (see `model::clock`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event as TermEvent};

use super::Event;
use crate::model::msg::Msg;

/// How long the input thread waits in one poll: for ever, in effect; a
/// pause wakes it (see `InputPause::pause`).
const BLOCK: Duration = Duration::from_secs(24 * 3600);

/// Pausing the input thread (while `$EDITOR` owns the terminal): the
/// runtime asks, the thread acknowledges once it is out of `poll`, so no
/// keystroke meant for the editor is taken.
#[derive(Default)]
pub(super) struct InputPause {
    requested: AtomicBool,
    acknowledged: AtomicBool,
}

impl InputPause {
    pub(super) fn pause(&self) {
        self.requested.store(true, Ordering::SeqCst);
        // The input thread sleeps in crossterm's poll, which wakes for the
        // terminal or SIGWINCH only: a SIGWINCH to ourselves wakes it (it
        // reads as a resize to the same size, which changes nothing).
        // SAFETY: raise only sends a signal to this thread; signal-hook's
        // handler (crossterm's) is async-signal-safe.
        unsafe { libc::raise(libc::SIGWINCH) };
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.acknowledged.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub(super) fn resume(&self) {
        self.requested.store(false, Ordering::SeqCst);
    }
}

pub(super) fn spawn_input(events: Sender<Event>, pause: Arc<InputPause>) {
    let _ = std::thread::Builder::new().name("sotto-input".into()).spawn(move || {
        loop {
            if pause.requested.load(Ordering::SeqCst) {
                pause.acknowledged.store(true, Ordering::SeqCst);
                // Only while $EDITOR runs.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            pause.acknowledged.store(false, Ordering::SeqCst);
            let ready = match event::poll(BLOCK) {
                Ok(ready) => ready,
                Err(e) => {
                    let _ = events.send(Event::Msg(Msg::InputFailed(e.to_string())));
                    return;
                }
            };
            if !ready || pause.requested.load(Ordering::SeqCst) {
                continue;
            }
            let msg = match event::read() {
                Ok(TermEvent::Key(key)) => Msg::Key(key),
                Ok(TermEvent::Paste(text)) => Msg::Paste(text),
                Ok(TermEvent::Mouse(mouse)) => Msg::Mouse(mouse),
                Ok(TermEvent::Resize(width, height)) => Msg::Resize { width, height },
                Ok(_) => continue,
                Err(e) => Msg::InputFailed(e.to_string()),
            };
            if events.send(Event::Msg(msg)).is_err() {
                return;
            }
        }
    });
}
