//! The helper thread: it ends the session cleanly on SIGTERM and SIGHUP,
//! and runs, one after another, jobs that help later rather than now (the
//! detectors' warm-up, compiling code languages). One thread for both keeps
//! the process within four threads until the first backend request (issue
//! 17: the loop, input, the store and this), and keeps background work from
//! competing for the second core with the store thread's unlock.
//!
//! It sleeps in a blocking read of a socket pair, so an idle session wakes
//! it never. A signal handler sets a flag and writes a byte (both
//! async-signal-safe); a job queued writes a byte too. Signals do not go
//! through the input thread: crossterm spins without returning once the
//! terminal hangs up, which is exactly when SIGHUP must be heard.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};

use super::Event;
use crate::model::msg::Msg;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Set by the SIGTERM and SIGHUP handlers, taken by the helper thread.
static TERMINATE: AtomicBool = AtomicBool::new(false);

pub(super) struct Helper {
    jobs: Arc<Mutex<VecDeque<Job>>>,
    /// Writing a byte wakes the thread; the signal handlers write to it
    /// too, so they are unregistered before it closes (see `Drop`).
    wake: UnixStream,
    signals: Vec<signal_hook::SigId>,
}

impl Helper {
    /// Starts the thread and hands it SIGTERM and SIGHUP, which become
    /// `Msg::Terminate` on `events`. `None` if no thread can be started.
    pub(super) fn start(events: Sender<Event>) -> Option<Helper> {
        let (wake, mut woken) = UnixStream::pair().ok()?;
        // A handler must never block: a full socket already means a wake-up.
        wake.set_nonblocking(true).ok()?;
        let jobs: Arc<Mutex<VecDeque<Job>>> = Arc::default();
        let queue = jobs.clone();
        std::thread::Builder::new()
            .name("sotto-helper".into())
            .spawn(move || {
                let mut bytes = [0u8; 64];
                loop {
                    match woken.read(&mut bytes) {
                        // The runtime dropped its end: the session is over.
                        Ok(0) => return,
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(_) => return,
                    }
                    // A signal is looked for before every job, so it waits
                    // for one job at most, not for the queue.
                    loop {
                        if TERMINATE.swap(false, Ordering::SeqCst) {
                            let _ = events.send(Event::Msg(Msg::Terminate));
                        }
                        let Some(job) = next_job(&queue) else { break };
                        // A job that panics must not take the thread with
                        // it: signals would go unheard for the rest of the
                        // session. (The panic hook has reported it.)
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                }
            })
            .ok()?;
        let fd = wake.as_raw_fd();
        let signals = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP]
            .into_iter()
            .filter_map(|signal| {
                // SAFETY: the action is async-signal-safe: an atomic store
                // and write(2) of one byte to a non-blocking socket, which
                // stays open while the action is registered (see `Drop`).
                unsafe {
                    signal_hook::low_level::register(signal, move || {
                        TERMINATE.store(true, Ordering::SeqCst);
                        libc::write(fd, [1u8].as_ptr().cast(), 1);
                    })
                }
                .ok()
            })
            .collect();
        Some(Helper { jobs, wake, signals })
    }

    /// Runs `job` on the helper thread after the jobs queued before it.
    pub(super) fn submit(&self, job: impl FnOnce() + Send + 'static) {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(Box::new(job));
        // A full socket holds wake-ups enough; the thread drains the queue.
        let _ = (&self.wake).write(&[0]);
    }
}

fn next_job(queue: &Mutex<VecDeque<Job>>) -> Option<Job> {
    queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
}

impl Drop for Helper {
    fn drop(&mut self) {
        // Before the socket closes: a handler must not write to a closed,
        // or reused, descriptor. The thread ends when the socket closes.
        for id in self.signals.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn jobs_run_in_order_on_the_helper_thread_even_after_a_panic_and_a_sighup_becomes_a_clean_quit() {
        let (events, inbox) = mpsc::channel();
        let helper = Helper::start(events).expect("a helper thread");
        let (done, finished) = mpsc::channel();
        let (release, hold) = mpsc::channel::<()>();
        let first = done.clone();
        helper.submit(move || {
            // Held until the other jobs are queued: they must wait for it.
            hold.recv().unwrap();
            first.send((1, std::thread::current().id())).unwrap();
        });
        for n in 2..=4 {
            let done = done.clone();
            helper.submit(move || done.send((n, std::thread::current().id())).unwrap());
        }
        release.send(()).unwrap();
        let ran: Vec<_> = (0..4)
            .map(|_| finished.recv_timeout(Duration::from_secs(10)).unwrap())
            .collect();
        assert_eq!(ran.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert!(ran.iter().all(|r| r.1 == ran[0].1), "one thread ran them all");
        assert_ne!(ran[0].1, std::thread::current().id());

        // A job that panics leaves the thread taking jobs and signals.
        helper.submit(|| panic!("a background job failed"));
        let after = done.clone();
        helper.submit(move || after.send((5, std::thread::current().id())).unwrap());
        let (n, thread) = finished.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(
            (n, thread),
            (5, ran[0].1),
            "the job after a panic ran on the same thread"
        );

        // SAFETY: a signal to this process, whose handler is the helper's.
        assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
        let event = inbox.recv_timeout(Duration::from_secs(10)).expect("an event");
        assert!(matches!(event, Event::Msg(Msg::Terminate)));
        drop(helper);
    }
}
