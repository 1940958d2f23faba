//! Creating a vault, and leaving nothing half-made when that fails.

use super::*;
use crate::support::try_new_vault;

#[test]
fn creating_where_a_vault_or_other_files_exist_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let again = try_new_vault(&root);
    assert!(matches!(again, Err(VaultError::AlreadyExists { .. })));
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let err = try_new_vault(&busy).unwrap_err();
    assert!(matches!(err, VaultError::NotEmpty { .. }), "{err}");
    assert_eq!(
        std::fs::read_dir(&busy).unwrap().count(),
        1,
        "nothing added to the user's directory"
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    drop(try_new_vault(&empty).unwrap());
}

#[test]
fn an_unwritable_data_dir_leaves_no_half_made_vault() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a directory is needed: fails for root too.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "a file").unwrap();
    let err = try_new_vault(&blocker.join("vault")).unwrap_err();
    assert!(err.to_string().contains("blocker"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["blocker"]);
}

#[test]
fn a_failure_half_way_through_creation_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // A plugin identity whose plugin is not installed: creation gets as far as
    // asking the plugin for its recipient, then fails.
    let key = dir.path().join("plugin-key.txt");
    let plugin = age::plugin::Identity::default_for_plugin("sottotestmissing");
    std::fs::write(&key, format!("{plugin}\n")).unwrap();
    let user = UserIdentity::load(&key, None).unwrap();
    let root = dir.path().join("v");
    let err = Vault::create(&root, NewProtection::UserIdentity(&user)).unwrap_err();
    assert!(err.to_string().contains("age-plugin-sottotestmissing"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["plugin-key.txt"], "no vault and no staging directory");
}

#[test]
fn a_vault_can_be_made_in_an_empty_directory_reached_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("mounted");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let vault = try_new_vault(&link).unwrap();
    assert_eq!(vault.root(), real.canonicalize().unwrap());
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o700);
    drop(vault);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    drop(reopen(&link));
}

#[test]
fn the_remains_of_an_interrupted_init_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    // What a crash before the manifest (written last) leaves: no watermark,
    // snapshot or side file yet, since the vault was never opened.
    for name in ["vault.toml", "watermark.sealed"] {
        std::fs::remove_file(root.join(name)).unwrap();
    }
    std::fs::remove_dir_all(root.join("snapshots")).unwrap();
    let err = try_new_vault(&root).unwrap_err();
    assert!(matches!(err, VaultError::InterruptedInit { .. }), "{err}");
    assert!(err.to_string().contains("'sotto init' was interrupted"), "{err}");
    assert!(err.to_string().contains("restore 'vault.toml'"), "{err}");
}

#[test]
fn a_used_vault_that_lost_its_manifest_is_never_called_debris() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root)); // opened and closed: it has a watermark
    std::fs::remove_file(root.join("vault.toml")).unwrap();
    for err in [try_new_vault(&root).unwrap_err(), LockedVault::open(&root).unwrap_err()] {
        assert!(matches!(err, VaultError::ManifestMissing { .. }), "{err}");
        assert!(err.to_string().contains("do not delete the directory"), "{err}");
    }
}

#[test]
fn two_inits_racing_for_one_empty_directory_make_one_vault() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mount");
    std::fs::create_dir(&root).unwrap();
    let results: Vec<Result<String, VaultError>> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| try_new_vault(&root).map(|vault| vault.recipient())))
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let winners: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for loser in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(loser, VaultError::AlreadyExists { .. } | VaultError::InUse { .. }),
            "{loser}"
        );
    }
    let vault = reopen(&root);
    assert_eq!(
        &vault.recipient(),
        winners[0],
        "the surviving vault is the winner's, intact"
    );
    assert!(vault.verify().unwrap().is_intact());
}
