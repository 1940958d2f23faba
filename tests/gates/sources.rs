//! Reading src/ for the gates: every Rust file, which of them only tests
//! compile, and a file's code with comments, strings and test modules taken
//! out.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Text with comments, string literals and test-only modules taken out.
pub fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if !escaped && c == '"' {
                        break;
                    }
                    escaped = !escaped && c == '\\';
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    strip_test_modules(&out)
}

/// Removes every `#[cfg(test)] mod name { … }` block.
pub fn strip_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = rest[at + "#[cfg(test)]".len()..].trim_start();
        let item = after.trim_start_matches("pub ").trim_start_matches("pub(crate) ");
        if item.starts_with("mod ") {
            let Some(open) = item.find(['{', ';']) else { break };
            if item.as_bytes()[open] == b';' {
                rest = &item[open + 1..];
                continue;
            }
            let mut depth = 0;
            let mut end = item.len();
            for (i, c) in item[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &item[end..];
        } else {
            out.push_str("#[cfg(test)]");
            rest = &rest[at + "#[cfg(test)]".len()..];
        }
    }
    out.push_str(rest);
    out
}

/// Files that only tests compile: `#[cfg(test)] mod name;` in their parent.
pub fn test_only_files(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut test_only = BTreeSet::new();
    for file in files {
        let source = fs::read_to_string(file).unwrap();
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("mod.rs" | "lib.rs" | "main.rs") => file.parent().unwrap().to_path_buf(),
            _ => file.with_extension(""),
        };
        let lines: Vec<&str> = source.lines().map(str::trim).collect();
        for pair in lines.windows(2) {
            if pair[0] == "#[cfg(test)]" {
                let item = pair[1].trim_start_matches("pub ").trim_start_matches("pub(crate) ");
                if let Some(name) = item.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                    test_only.insert(dir.join(format!("{name}.rs")));
                    test_only.insert(dir.join(name).join("mod.rs"));
                }
            }
        }
    }
    test_only
}

pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
