//! Shredding never follows what someone planted. Every command finishes
//! interrupted whole-vault wipes (`.sotto-wiped-*` beside the data
//! directory) before the lock and the passphrase, and rotations overwrite
//! the old identity files: neither may write through a symlink, nor destroy
//! a directory that is not a vault this user moved aside.

use std::os::unix::fs::symlink;

use super::*;

const VICTIM_TEXT: &[u8] = b"someone's unrelated file, which must survive\n";

/// A victim file, and the parent where a vault lives under a name others can
/// plant entries next to.
fn victim(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("victim.txt");
    std::fs::write(&path, VICTIM_TEXT).unwrap();
    path
}

fn open_and_close(root: &Path) {
    drop(LockedVault::open(root).unwrap());
}

#[test]
fn an_interrupted_wipe_entry_holding_a_symlinked_identity_writes_nothing_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let victim = victim(dir.path());
    let planted = dir.path().join(".sotto-wiped-000000000001");
    std::fs::create_dir(&planted).unwrap();
    std::fs::write(planted.join("vault.toml"), "format = 2\n").unwrap();
    std::fs::write(planted.join("wipe.pending"), ".sotto-wiped-000000000001").unwrap();
    symlink(&victim, planted.join("identity.age")).unwrap();
    symlink(&victim, planted.join("recovery.age")).unwrap();

    open_and_close(&root);
    assert_eq!(std::fs::read(&victim).unwrap(), VICTIM_TEXT);
    // The planted directory was this user's and held a manifest: it is
    // removed, the symlinks with it, never their targets.
    assert!(!planted.exists());
    assert!(victim.exists());
}

#[test]
fn an_interrupted_wipe_entry_that_is_a_symlink_to_another_vault_leaves_that_vault_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let other = dir.path().join("other-vault");
    drop(new_vault(&other));
    let identity_before = std::fs::read(other.join("identity.age")).unwrap();
    symlink(&other, dir.path().join(".sotto-wiped-000000000002")).unwrap();

    open_and_close(&root);
    assert_eq!(std::fs::read(other.join("identity.age")).unwrap(), identity_before);
    assert!(reopen(&other).list_conversations().is_ok());
}

#[test]
fn an_interrupted_wipe_entry_without_a_manifest_or_owned_by_someone_else_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let unmarked = dir.path().join(".sotto-wiped-000000000003");
    std::fs::create_dir(&unmarked).unwrap();
    std::fs::write(unmarked.join("identity.age"), VICTIM_TEXT).unwrap();
    // The manifest name as a symlink does not count either.
    let linked = dir.path().join(".sotto-wiped-000000000004");
    std::fs::create_dir(&linked).unwrap();
    std::fs::write(linked.join("identity.age"), VICTIM_TEXT).unwrap();
    symlink(victim(dir.path()), linked.join("vault.toml")).unwrap();

    let foreign = dir.path().join(".sotto-wiped-000000000005");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("vault.toml"), "format = 2\n").unwrap();
    std::fs::write(foreign.join("identity.age"), VICTIM_TEXT).unwrap();
    // SAFETY: geteuid cannot fail.
    let as_root = unsafe { libc::geteuid() } == 0;
    if as_root {
        std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
    } else {
        eprintln!("skipped: the foreign-owner case needs root to chown (CI runs it)");
    }

    open_and_close(&root);
    assert_eq!(std::fs::read(unmarked.join("identity.age")).unwrap(), VICTIM_TEXT);
    assert_eq!(std::fs::read(linked.join("identity.age")).unwrap(), VICTIM_TEXT);
    if as_root {
        assert_eq!(std::fs::read(foreign.join("identity.age")).unwrap(), VICTIM_TEXT);
    }
}

#[test]
fn a_real_interrupted_wipe_is_still_finished() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let aside = dir.path().join(".sotto-wiped-000000000006");
    let doomed = dir.path().join("doomed");
    drop(new_vault(&doomed));
    // What `wipe_everything` leaves when killed right after its rename.
    std::fs::write(doomed.join("wipe.pending"), ".sotto-wiped-000000000006").unwrap();
    std::fs::rename(&doomed, &aside).unwrap();
    open_and_close(&root);
    assert!(!aside.exists());
}

#[test]
fn a_live_vault_renamed_to_look_like_an_interrupted_wipe_is_not_destroyed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let other = dir.path().join(".sotto-wiped-000000000007");
    drop(new_vault(&other));
    let identity = std::fs::read(other.join("identity.age")).unwrap();
    open_and_close(&root);
    assert_eq!(std::fs::read(other.join("identity.age")).unwrap(), identity);
}

#[test]
fn a_rotation_never_overwrites_through_a_symlinked_identity_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let recovery_key = new_vault(&root).create_recovery_key().unwrap();
    let victim = victim(dir.path());
    // Someone swaps recovery.age for a symlink to an unrelated file.
    std::fs::remove_file(root.join("recovery.age")).unwrap();
    symlink(&victim, root.join("recovery.age")).unwrap();
    reopen(&root).rekey().unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), VICTIM_TEXT);
    // The new copy was put in place of the symlink, and it works.
    assert!(
        !std::fs::symlink_metadata(root.join("recovery.age"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let locked = LockedVault::open(&root).unwrap();
    let identity = locked.unlock_with_recovery_key(&recovery_key).unwrap();
    assert!(locked.open_unlocked(identity).is_ok());
}

#[test]
fn wiping_everything_through_a_symlinked_data_directory_destroys_the_real_vault() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real-vault");
    drop(new_vault(&real));
    let link = dir.path().join("data");
    symlink(&real, &link).unwrap();
    reopen(&link).wipe_everything().unwrap();
    assert!(!real.exists(), "the vault behind the link is gone");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sotto-wiped"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_symlink_planted_as_the_failed_attempt_file_is_never_appended_through() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let victim = victim(dir.path());
    symlink(&victim, root.join("failed-unlocks.age")).unwrap();
    let wrong = SecretString::from("not the passphrase".to_owned());
    let err = LockedVault::open(&root)
        .unwrap()
        .unlock(Some(&wrong))
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("could not be recorded"), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), VICTIM_TEXT);
}

#[test]
fn a_symlink_planted_in_the_database_directory_is_refused_before_sled_writes_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let victim = victim(dir.path());
    std::fs::remove_file(root.join("db/conf")).unwrap();
    symlink(&victim, root.join("db/conf")).unwrap();
    let err = LockedVault::open(&root)
        .and_then(|l| l.unlock_and_open(Some(&passphrase())))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("symlink") && err.contains("conf"), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), VICTIM_TEXT);
}

#[test]
fn a_fifo_planted_as_the_identity_file_fails_the_unlock_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    std::fs::remove_file(root.join("identity.age")).unwrap();
    let fifo = std::ffi::CString::new(root.join("identity.age").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let started = Instant::now();
    let err = unlock_error(&root).to_string();
    assert!(started.elapsed() < Duration::from_secs(5), "the unlock hung");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn a_hard_link_planted_as_an_identity_file_is_replaced_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    new_vault(&root).create_recovery_key().unwrap();
    let victim = victim(dir.path());
    std::fs::remove_file(root.join("recovery.age")).unwrap();
    std::fs::hard_link(&victim, root.join("recovery.age")).unwrap();
    reopen(&root).rekey().unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), VICTIM_TEXT);
}

#[test]
fn an_interrupted_wipe_through_a_symlinked_data_dir_is_finished_beside_the_real_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let real = dir.path().join("real/vault");
    drop(new_vault(&real));
    let link = dir.path().join("data");
    symlink(&real, &link).unwrap();
    // Killed right after the rename: the real directory was moved aside.
    let aside = dir.path().join("real/.sotto-wiped-000000000008");
    std::fs::write(real.join("wipe.pending"), ".sotto-wiped-000000000008").unwrap();
    std::fs::rename(&real, &aside).unwrap();
    // The next command on the (now dangling) link finishes it.
    let _ = LockedVault::open(&link);
    assert!(!aside.exists());
}

#[test]
fn a_stale_wipe_marker_in_a_live_vault_never_marks_it_for_destruction() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    // A wipe killed before its rename left its marker in the live vault.
    std::fs::write(root.join("wipe.pending"), ".sotto-wiped-000000000009").unwrap();
    open_and_close(&root);
    assert!(!root.join("wipe.pending").exists());
    // Renamed to look like a wipe whose marker names another entry, it survives.
    std::fs::write(root.join("wipe.pending"), ".sotto-wiped-00000000000a").unwrap();
    let renamed = dir.path().join(".sotto-wiped-00000000000b");
    std::fs::rename(&root, &renamed).unwrap();
    let other = dir.path().join("w");
    drop(new_vault(&other));
    open_and_close(&other);
    assert!(renamed.join("identity.age").exists());
}
