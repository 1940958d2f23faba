//! Small files: no source file in src/ holds more than [`MAX_LINES`] lines
//! of code outside its tests (test-only files and `#[cfg(test)]` modules do
//! not count). A file that grows past it is split by idea, as ARCHITECTURE.md
//! describes; only a declarative table may be listed in [`TABLES`].

use std::fs;
use std::path::{Path, PathBuf};

use crate::sources::{rust_files, strip_test_modules, test_only_files};

const MAX_LINES: usize = 400;

/// Files that are declarative tables, allowed to be longer (none today).
const TABLES: &[&str] = &[];

/// Files over the limit, with their line counts outside tests.
fn oversized(src: &Path, max: usize) -> Vec<(String, usize)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let test_only = test_only_files(&files);
    let mut over: Vec<(String, usize)> = files
        .iter()
        .filter(|f| !test_only.contains(*f))
        .map(|f| {
            let lines = strip_test_modules(&fs::read_to_string(f).unwrap()).lines().count();
            (f.strip_prefix(src).unwrap().display().to_string(), lines)
        })
        .filter(|(name, lines)| *lines > max && !TABLES.contains(&name.as_str()))
        .collect();
    over.sort();
    over
}

#[test]
fn no_source_file_outside_tests_is_over_four_hundred_lines() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let over = oversized(&src, MAX_LINES);
    assert!(
        over.is_empty(),
        "files over {MAX_LINES} lines outside their tests (split them by idea): {over:?}"
    );
}

#[test]
fn the_size_check_counts_code_and_not_tests() {
    let dir = tempfile::tempdir().unwrap();
    let code = "fn f() {}\n".repeat(5);
    let tests = format!("#[cfg(test)]\nmod tests {{\n{}}}\n", "fn t() {}\n".repeat(50));
    fs::write(dir.path().join("long.rs"), code.repeat(2)).unwrap();
    fs::write(dir.path().join("tested.rs"), format!("{code}{tests}")).unwrap();
    fs::write(dir.path().join("lib.rs"), "#[cfg(test)]\nmod fuzz;\n").unwrap();
    fs::write(dir.path().join("fuzz.rs"), "fn t() {}\n".repeat(50)).unwrap();
    assert_eq!(oversized(dir.path(), 8), [("long.rs".to_owned(), 10)]);
}
