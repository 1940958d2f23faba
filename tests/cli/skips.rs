//! The rule for tests about an external program (tests/support/external.rs),
//! on this test binary itself run without the program on PATH: outside CI
//! the test skips with a line and a summary; with `CI` set it fails.

use super::*;

const AGE_TEST: &str = "vault::init_makes_an_identity_the_stock_age_cli_decrypts_with_the_passphrase";

/// This test binary running only `AGE_TEST`, with an empty PATH (so no
/// stock age) and `CI` as given.
fn run_age_test_without_age(ci: Option<&str>) -> Output {
    let empty = tempfile::tempdir().unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([AGE_TEST, "--exact", "--test-threads=1"])
        .env("PATH", empty.path())
        .env_remove("CI");
    if let Some(ci) = ci {
        command.env("CI", ci);
    }
    command.output().unwrap()
}

#[test]
fn a_missing_program_skips_its_test_visibly_outside_ci() {
    let out = run_age_test_without_age(None);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!(
            "skipped {AGE_TEST}: stock age not installed; apt-get install age"
        )),
        "{said}"
    );
    assert!(
        said.contains("skipped for a missing program: 1 test(s) (age: 1); apt-get install age to run them"),
        "{said}"
    );
}

#[test]
fn a_missing_program_fails_its_test_in_ci() {
    let out = run_age_test_without_age(Some("true"));
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains("'age' is not installed, and CI runs every test: apt-get install age"),
        "{said}"
    );
    assert!(!said.contains("skipped for a missing program"), "{said}");
}
