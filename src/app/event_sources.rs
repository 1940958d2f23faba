//! The threads that feed the loop besides the store and the replies:
//! terminal input (pausable while `$EDITOR` owns the terminal), signals
//! (SIGTERM and SIGHUP end the session cleanly) and the timer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event as TermEvent};

use super::{Event, TICK};
use crate::model::msg::Msg;

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
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.acknowledged.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub(super) fn resume(&self) {
        self.requested.store(false, Ordering::SeqCst);
    }
}

pub(super) fn spawn_input(events: Sender<Event>, pause: Arc<InputPause>) {
    std::thread::spawn(move || {
        loop {
            if pause.requested.load(Ordering::SeqCst) {
                pause.acknowledged.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            pause.acknowledged.store(false, Ordering::SeqCst);
            let ready = match event::poll(Duration::from_millis(25)) {
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

/// SIGTERM and SIGHUP become a clean quit. The handle unregisters them
/// when dropped.
pub(super) fn spawn_signals(events: Sender<Event>) -> Option<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP]).ok()?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = events.send(Event::Msg(Msg::Terminate));
        }
    });
    Some(handle)
}

pub(super) fn spawn_timer(events: Sender<Event>) {
    std::thread::spawn(move || {
        while events
            .send(Event::Msg(Msg::Tick {
                now: crate::time::Timestamp::now(),
            }))
            .is_ok()
        {
            std::thread::sleep(TICK);
        }
    });
}
