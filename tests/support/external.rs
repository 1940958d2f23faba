//! Programs outside Rust that a few tests are *about*: the stock `age` CLI
//! (sotto's files must open with it) and `tmux` (the chat screen in a real
//! terminal). Everything else a test merely needs (certificates, SSH keys)
//! comes from crates, so `cargo test` passes with only a Rust toolchain.
//!
//! When such a program is missing, a test outside CI says so in one line on
//! the terminal (past the test harness's capture) and passes; with `CI` set,
//! a missing program fails the test, so CI always runs every one. When the
//! test binary exits, one more line counts what was skipped, so a skip is
//! never silent.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Mutex, Once};

/// A program some tests are about, and how to get it.
pub struct Program {
    /// The executable looked up on PATH.
    pub name: &'static str,
    /// What the skip line calls it.
    pub what: &'static str,
    /// The Debian package that has it.
    pub package: &'static str,
}

pub const AGE: Program = Program {
    name: "age",
    what: "stock age",
    package: "age",
};

pub const TMUX: Program = Program {
    name: "tmux",
    what: "tmux",
    package: "tmux",
};

/// The first line of the end-of-run summary; `.ci/run` looks for it.
pub const SUMMARY: &str = "skipped for a missing program:";

/// Skips per package, for the summary at exit.
static SKIPPED: Mutex<BTreeMap<&'static str, usize>> = Mutex::new(BTreeMap::new());
static SUMMARY_AT_EXIT: Once = Once::new();

/// True when CI runs the tests (`CI` set and not empty): then every test runs.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Whether the calling test can use `program`. False (after telling the
/// terminal) when it is missing outside CI; a panic when it is missing in CI.
pub fn available(program: &Program) -> bool {
    if on_path(program.name) {
        return true;
    }
    assert!(
        !in_ci(),
        "'{}' is not installed, and CI runs every test: apt-get install {}",
        program.name,
        program.package
    );
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    *SKIPPED.lock().unwrap().entry(program.package).or_default() += 1;
    SUMMARY_AT_EXIT.call_once(|| {
        // SAFETY: registers a plain `extern "C"` function with no arguments.
        unsafe { libc::atexit(print_summary) };
    });
    // Straight to the terminal: the harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {} not installed; apt-get install {}",
        program.what,
        program.package
    );
    false
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(name)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

extern "C" fn print_summary() {
    let Ok(skipped) = SKIPPED.lock() else { return };
    let total: usize = skipped.values().sum();
    let each: Vec<String> = skipped.iter().map(|(p, n)| format!("{p}: {n}")).collect();
    let packages: Vec<&str> = skipped.keys().copied().collect();
    let _ = writeln!(
        std::io::stderr(),
        "{SUMMARY} {total} test(s) ({}); apt-get install {} to run them",
        each.join(", "),
        packages.join(" ")
    );
}
