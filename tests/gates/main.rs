//! CI gates as tests, so that the README's one test command checks them too:
//! the code is formatted, and clippy (all targets, warnings denied) finds
//! nothing; the layers of ARCHITECTURE.md hold (`layers.rs`); only the
//! record layer names the database (`boundaries.rs`); files stay small
//! (`file_size.rs`). The fuzz
//! targets' brief runs are part of the library's tests.
//!
//! Clippy builds in a target directory of its own (the outer `cargo test`
//! holds the usual one) and takes a minute or two from cold, so it runs when
//! `CI` is set, as on the CI machine; `CI=1 cargo test --test gates` runs it
//! locally. Formatting is checked on every run.

mod boundaries;
mod file_size;
mod layers;
mod sources;

use std::path::Path;
use std::process::Command;

fn cargo(args: &[&str]) -> std::process::Output {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(manifest)
        .env("CARGO_TARGET_DIR", manifest.join("target/gates"))
        .args(args)
        .output()
        .expect("cargo runs")
}

#[test]
fn the_code_is_formatted() {
    let out = cargo(&["fmt", "--all", "--check"]);
    assert!(
        out.status.success(),
        "'cargo fmt --all --check' found unformatted code; run 'cargo fmt':\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn clippy_finds_nothing() {
    if std::env::var_os("CI").is_none_or(|v| v.is_empty()) {
        eprintln!("clippy gate skipped: it runs when CI is set (CI=1 cargo test --test gates)");
        return;
    }
    let out = cargo(&["clippy", "--locked", "--all-targets", "--", "-D", "warnings"]);
    assert!(
        out.status.success(),
        "'cargo clippy --all-targets -- -D warnings' failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
