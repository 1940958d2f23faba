//! The disk boundary, as far as the source shows it. The compiler checks
//! the rest: the record layer (src/store/records/) takes only a
//! `crypto::Sealed`, which only crypto's `seal` and `wrap` make (the
//! compile_fail examples in src/crypto/sealed.rs). What is left to check
//! here is that nothing else reaches the database around it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::sources::{code_only, rust_files, test_only_files};

/// Files outside test-only code that name the database engine.
fn files_naming_sled(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let test_only = test_only_files(&files);
    let mut naming: Vec<String> = files
        .iter()
        .filter(|f| !test_only.contains(*f))
        .filter(|f| {
            let code = code_only(&fs::read_to_string(f).unwrap());
            code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .any(|word| word == "sled" || word.starts_with("sled::"))
        })
        .map(|f| f.strip_prefix(src).unwrap().display().to_string())
        .collect();
    naming.sort();
    naming
}

#[test]
fn only_the_record_layer_names_the_database() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let naming = files_naming_sled(&src);
    assert!(
        !naming.is_empty() && naming.iter().all(|f| f.starts_with("store/records/")),
        "only the record layer (src/store/records/) may use sled: everything else writes through it, sealed: {naming:?}"
    );
}

#[test]
fn the_check_sees_a_file_that_reaches_the_database() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("store")).unwrap();
    fs::write(dir.path().join("store/records.rs"), "fn f(t: &sled::Tree) {}\n").unwrap();
    fs::write(
        dir.path().join("export.rs"),
        "// sled in a comment is fine\nfn g(db: sled::Db) { db.insert(b\"k\", b\"plain\"); }\n",
    )
    .unwrap();
    fs::write(dir.path().join("fine.rs"), "const NOTE: &str = \"sled\";\n").unwrap();
    assert_eq!(files_naming_sled(dir.path()), ["export.rs", "store/records.rs"]);
}
