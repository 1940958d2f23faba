//! A real pseudo-terminal for programs that read secrets from their terminal
//! (the stock `age` CLI asks for an identity's passphrase on /dev/tty).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub struct PtyChild {
    pub child: Child,
    master: File,
    /// What the program wrote, with the moment each piece was read.
    output: Receiver<(Instant, Vec<u8>)>,
    pub seen: String,
    /// Where the last `expect` matched: the next looks only after it, so a
    /// prompt shown twice is waited for twice.
    matched_to: usize,
}

/// Starts `command` with a new pseudo-terminal as its controlling terminal and
/// as stdin, stdout and stderr.
pub fn spawn(command: &mut Command) -> PtyChild {
    spawn_sized(command, 24, 80)
}

/// As `spawn`, with a terminal of `rows` by `cols`.
pub fn spawn_sized(command: &mut Command, rows: u16, cols: u16) -> PtyChild {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two file descriptors; null name/termios are allowed.
    let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
    assert_eq!(rc, 0, "openpty failed: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just returned by openpty and are owned here.
    let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup of the pty slave"));
    command.stdin(io(&slave)).stdout(io(&slave)).stderr(io(&slave));
    // SAFETY: setsid and ioctl are async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().expect("spawning a program in a pty");
    drop(slave);
    let mut reader = master.try_clone().expect("dup of the pty master");
    let (tx, output) = channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Ends with EIO once the child has closed the terminal.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    PtyChild {
        child,
        master,
        output,
        seen: String::new(),
        matched_to: 0,
    }
}

impl PtyChild {
    /// Waits until the terminal has shown `needle` after what the last
    /// `expect` matched.
    pub fn expect(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.seen[self.matched_to..].find(needle) {
                self.matched_to += at + needle.len();
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok((_, chunk)) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    panic!("the terminal never showed {needle:?}; it showed {:?}", self.seen)
                }
            }
        }
    }

    /// Waits until the program has switched the terminal's echo off, as a
    /// password prompt must before the user types.
    pub fn expect_echo_off(&mut self, timeout: Duration) {
        use std::os::fd::AsRawFd;
        let deadline = Instant::now() + timeout;
        loop {
            // SAFETY: termios is plain data; tcgetattr fills it from a valid fd.
            let mut termios: libc::termios = unsafe { std::mem::zeroed() };
            let rc = unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut termios) };
            assert_eq!(rc, 0, "tcgetattr failed: {}", std::io::Error::last_os_error());
            if termios.c_lflag & libc::ECHO == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal still echoes; it showed {:?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the terminal is back in cooked mode (echo and line editing).
    pub fn echo_is_on(&self) -> bool {
        use std::os::fd::AsRawFd;
        // SAFETY: termios is plain data; tcgetattr fills it from a valid fd.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut termios) };
        assert_eq!(rc, 0, "tcgetattr failed: {}", std::io::Error::last_os_error());
        termios.c_lflag & libc::ECHO != 0 && termios.c_lflag & libc::ICANON != 0
    }

    /// The next piece of output and when it was read, if one comes in time.
    pub fn next_chunk(&mut self, timeout: Duration) -> Option<(Instant, Vec<u8>)> {
        self.output.recv_timeout(timeout).ok()
    }

    pub fn send(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).expect("writing to the pty");
    }

    /// Waits for the program to exit, with a deadline.
    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the pty child") {
                while let Ok((_, chunk)) = self.output.recv_timeout(Duration::from_millis(50)) {
                    self.seen.push_str(&String::from_utf8_lossy(&chunk));
                }
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the program did not exit in time; the terminal showed {:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
