//! `sotto repair` killed at random moments (SIGKILL, the real binary). The
//! damaged database is never lost: after every kill its exact bytes are
//! still somewhere in the vault directory (in place, or kept aside under one
//! of the names repair uses). And the vault is never left worse: it either
//! opens with every message, or still refuses with the clear message, and a
//! repair run to the end then brings every message back.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::faults::sotto_command;
use super::*;

/// A directory's files by their path inside it.
fn files_in(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot(dir)
        .into_iter()
        .map(|(path, bytes)| (path.strip_prefix(dir).unwrap().to_owned(), bytes))
        .collect()
}

/// Every message of the vault, by conversation title.
fn messages(vault: &Vault) -> BTreeMap<String, Vec<String>> {
    let list = vault.list_conversations().unwrap();
    assert!(
        list.damaged.is_empty(),
        "damaged conversations: {:?}",
        list.damaged.len()
    );
    list.conversations
        .into_iter()
        .map(|c| {
            (
                c.title.clone(),
                texts(&vault.newest_messages(c.id, usize::MAX).unwrap()),
            )
        })
        .collect()
}

/// Runs `sotto repair --yes` on `root`; kills it after `delay` if it is
/// still running then. True if it was killed.
fn repair_killed_after(root: &Path, delay: Option<Duration>) -> bool {
    let outside = tempfile::tempdir().unwrap();
    let mut child = sotto_command(root, outside.path())
        .args(["repair", "--yes"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(delay) = delay {
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "repair: {}", String::from_utf8_lossy(&out.stderr));
    false
}

#[test]
fn a_repair_killed_at_any_moment_keeps_the_damaged_database_and_a_second_repair_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    let expected = {
        let mut vault = new_vault(&pristine);
        for c in 0..6 {
            let id = vault.create_conversation(&format!("topic {c}")).unwrap();
            for m in 0..20 {
                vault
                    .append_message(id, NewMessage::user(&format!("message {m} of {c} {}", "k".repeat(300))))
                    .unwrap();
            }
        }
        messages(&vault)
    };
    // One bit changed in sled's checksummed config: it refuses the database.
    let conf = pristine.join("db/conf");
    let mut bytes = std::fs::read(&conf).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&conf, bytes).unwrap();
    let damaged = files_in(&pristine.join("db"));

    // How long a whole repair takes here, to spread the kills over it.
    let timing = dir.path().join("timing");
    copy_dir(&pristine, &timing);
    let started = Instant::now();
    repair_killed_after(&timing, None);
    let whole = started.elapsed();
    assert_eq!(messages(&reopen(&timing)), expected);

    // One pass of kills spread over the whole repair, then more passes (each
    // at moments between the last pass's) while fewer than half of them
    // landed: a machine busier or quieter than during the timing moves the
    // moments, not what each kill must leave behind.
    let spread: u32 = 40;
    let wanted = spread / 2;
    let (mut killed, mut rounds) = (0, 0);
    while rounds < spread || (killed < wanted && rounds < 3 * spread) {
        let round = rounds;
        rounds += 1;
        let root = dir.path().join(format!("round-{round}"));
        copy_dir(&pristine, &root);
        let pass = f64::from(round / spread);
        let step = (f64::from(round % spread) + pass / 3.0) / f64::from(spread);
        let delay = whole.mul_f64(1.2 * step);
        killed += u32::from(repair_killed_after(&root, Some(delay)));

        let kept = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("db"))
            .any(|p| p.is_dir() && files_in(&p) == damaged);
        assert!(
            kept,
            "round {round} ({delay:?}): the damaged database's bytes are nowhere"
        );

        match LockedVault::open(&root).unwrap().unlock_and_open(Some(&passphrase())) {
            Ok(vault) => assert_eq!(messages(&vault), expected, "round {round}: opened, but not whole"),
            Err(e) => {
                assert!(e.to_string().contains("sotto repair"), "round {round}: {e}");
                repair_killed_after(&root, None);
                assert_eq!(messages(&reopen(&root)), expected, "round {round}: repaired again");
            }
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
    println!("{rounds} repairs killed at moments spread over {whole:?}: {killed} were running when killed");
    assert!(
        killed >= wanted,
        "too few kills landed while repair ran: {killed} in {rounds} rounds"
    );
}
