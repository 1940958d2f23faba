//! The terminal while the TUI runs: raw mode, the alternate screen, bracketed
//! paste and mouse reporting, always undone, on return, on error and on
//! panic (the panic hook restores the terminal before the process's own hook
//! prints its short, content-free message).

use std::io::{Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether the terminal is in TUI mode (checked by the panic hook).
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Puts the terminal back as it was. Safe to call more than once.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = std::io::stdout();
        let _ = execute!(
            out,
            DisableMouseCapture,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            cursor::Show
        );
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

fn enter() -> std::io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableMouseCapture
    )
}

/// The terminal in TUI mode; restored when dropped.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    pub fn new() -> std::io::Result<Self> {
        install_panic_hook();
        if let Err(e) = enter() {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(std::io::stdout())) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Leaves TUI mode for a while (to run `$EDITOR`).
    pub fn suspend(&mut self) {
        restore();
    }

    /// Clears the screen and forgets what ratatui believes is on it, so the
    /// next frame writes every cell. Not `Terminal::clear`: that asks the
    /// terminal where the cursor is, through crossterm's event reader, which
    /// the input thread holds while it waits for a key.
    pub fn repaint(&mut self) -> std::io::Result<()> {
        let size = self.terminal.size()?;
        self.terminal
            .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
    }

    /// Back to TUI mode after `suspend`, every cell to be drawn again.
    /// `repaint`, not `Terminal::clear`: the cursor query that one starts
    /// with failed now and then under load (its answer went to the input
    /// thread's reader, or came too late), the error came before its buffer
    /// reset, and the next frame drew only the cells that had changed onto
    /// the freshly cleared alternate screen: a blank chat with just the
    /// draft on it.
    pub fn resume(&mut self) -> std::io::Result<()> {
        enter()?;
        self.repaint()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    let main = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        // A panic on the main thread ends the TUI: give the terminal back
        // first. One on a worker thread is reported to the loop by that
        // thread's owner (a reply ends as failed, a dead store is noticed),
        // and the screen must stay usable.
        if std::thread::current().id() == main {
            restore();
        }
        previous(info);
    }));
}

/// Writes `text` to the system clipboard through the terminal (OSC 52), which
/// works over SSH and inside tmux with `set-clipboard on`.
pub fn copy_osc52(text: &str) -> std::io::Result<()> {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = std::io::stdout();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}
