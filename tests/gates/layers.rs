//! The layer table in ARCHITECTURE.md, enforced. Every `crate::…` path (and
//! `super::…` that climbs to the crate root, and `sotto::…` in main.rs) in
//! src/ outside test-only code is an arrow from one top-level module to
//! another. An arrow may point down the table or within a row, never up; a
//! row may narrow what its modules use ("uses only"); and the top-level
//! modules form no cycle. The table is the source: a module missing from it,
//! or a row naming a module that does not exist, fails too.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::sources::{code_only, rust_files, test_only_files};

/// Arrows between top-level modules, with the files that draw each.
type Arrows = BTreeMap<(String, String), BTreeSet<String>>;

/// One row of the table: its modules, and what they may use if narrowed.
struct Layer {
    modules: Vec<String>,
    uses_only: Option<Vec<String>>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Module names written as `name` in a table cell.
fn names(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The rows of the table under "## Layers", top first.
fn layers() -> Vec<Layer> {
    let text = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = text
        .split("\n## Layers")
        .nth(1)
        .expect("ARCHITECTURE.md has a '## Layers' section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let rows: Vec<Layer> = section
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect::<Vec<_>>())
        .filter(|cells| cells.len() >= 3 && cells[0].parse::<u32>().is_ok())
        .map(|cells| Layer {
            modules: names(cells[1]),
            uses_only: (!cells[2].is_empty()).then(|| names(cells[2])),
        })
        .collect();
    assert!(
        rows.len() >= 5,
        "the layer table in ARCHITECTURE.md has {} rows",
        rows.len()
    );
    rows
}

/// The file's module path from the crate root (`src/ui/chat.rs` → ui, chat).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The top-level modules each file's code names.
fn arrows() -> (BTreeSet<String>, Arrows) {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let test_only = test_only_files(&files);
    let mut modules = BTreeSet::new();
    let mut arrows = Arrows::new();
    for file in &files {
        let path = module_path(&src, file);
        let Some(from) = path.first().cloned() else { continue };
        if from == "lib" {
            continue;
        }
        if test_only.contains(file) {
            continue;
        }
        modules.insert(from.clone());
        let code = code_only(&fs::read_to_string(file).unwrap());
        let mut targets = Vec::new();
        let prefix = if from == "main" { "sotto::" } else { "crate::" };
        for (at, _) in code.match_indices(prefix) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            targets.push(ident(&code[at + prefix.len()..]));
        }
        // `super::` climbing to the crate root names a top-level module.
        let supers = "super::".repeat(path.len());
        for (at, _) in code.match_indices(&supers) {
            targets.push(ident(&code[at + supers.len()..]));
        }
        for target in targets {
            if !target.is_empty() && target != from {
                let relative = file.strip_prefix(root()).unwrap().display().to_string();
                arrows.entry((from.clone(), target)).or_default().insert(relative);
            }
        }
    }
    (modules, arrows)
}

fn ident(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

#[test]
fn dependencies_point_down_the_layer_table_and_never_in_a_cycle() {
    let layers = layers();
    let mut row_of = BTreeMap::new();
    for (row, layer) in layers.iter().enumerate() {
        for module in &layer.modules {
            assert!(
                row_of.insert(module.clone(), row).is_none(),
                "'{module}' is in two rows"
            );
        }
    }
    let (modules, arrows) = arrows();
    let mut problems = Vec::new();
    for module in &modules {
        if !row_of.contains_key(module) {
            problems.push(format!("'{module}' is not in the layer table of ARCHITECTURE.md"));
        }
    }
    for module in row_of.keys() {
        if !modules.contains(module) && module != "lib" {
            problems.push(format!(
                "the layer table names '{module}', which is not a module in src/"
            ));
        }
    }
    let bottom: BTreeSet<&String> = layers.last().map(|l| l.modules.iter().collect()).unwrap_or_default();
    for ((from, to), files) in &arrows {
        let (Some(&a), Some(&b)) = (row_of.get(from), row_of.get(to)) else {
            continue;
        };
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        if b < a {
            problems.push(format!(
                "'{from}' (row {}) uses '{to}' (row {}), up the table: {files:?}",
                a + 1,
                b + 1
            ));
        }
        if let Some(only) = &layers[a].uses_only
            && !only.contains(to)
            && !bottom.contains(to)
        {
            problems.push(format!(
                "'{from}' may use only {only:?} and the bottom row, but uses '{to}': {files:?}"
            ));
        }
    }
    if let Some(cycle) = find_cycle(&arrows) {
        problems.push(format!("the top-level modules form a cycle: {}", cycle.join(" -> ")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A cycle among the arrows, if there is one, as the modules on it.
fn find_cycle(arrows: &Arrows) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in arrows.keys() {
        next.entry(from).or_default().push(to);
    }
    // 0: not seen, 1: on the current path, 2: done.
    let mut mark: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        mark: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        mark.insert(node, 1);
        path.push(node);
        for &to in next.get(node).into_iter().flatten() {
            match mark.get(to).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|&n| n == to).unwrap();
                    let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                    cycle.push(to.to_owned());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(to, next, mark, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        mark.insert(node, 2);
        None
    }
    let nodes: Vec<&str> = next.keys().copied().collect();
    for node in nodes {
        if mark.get(node).copied().unwrap_or(0) == 0
            && let Some(cycle) = visit(node, &next, &mut mark, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn the_layer_check_sees_an_upward_arrow_and_a_cycle() {
    // The check itself, on made-up arrows: a cycle is found ...
    let mut arrows = BTreeMap::new();
    for (a, b) in [("ui", "model"), ("model", "store"), ("store", "ui")] {
        arrows.insert((a.to_owned(), b.to_owned()), BTreeSet::new());
    }
    assert_eq!(find_cycle(&arrows).unwrap(), ["model", "store", "ui", "model"]);
    arrows.remove(&("store".to_owned(), "ui".to_owned()));
    assert!(find_cycle(&arrows).is_none());
    // ... paths in comments, strings and test modules are not arrows, and
    // `super::` from a top-level module's file climbs to the crate root.
    let code = code_only(
        "use crate::model::State; // crate::cli\nlet s = \"crate::app\";\n#[cfg(test)]\nmod tests { use crate::app; }\nfn f() {}",
    );
    assert!(code.contains("crate::model") && !code.contains("crate::cli") && !code.contains("crate::app"));
    assert!(code.contains("fn f()"));
}
