//! Rolling snapshots and `repair`: what a damaged database loses comes back
//! from the newest snapshot and from what still reads, nothing wiped comes
//! back, and no damage goes unreported (the damage campaign).

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

/// Every conversation's title and message texts, by id.
fn contents(vault: &Vault) -> BTreeMap<ConversationId, (String, Vec<String>)> {
    vault
        .list_conversations()
        .unwrap()
        .conversations
        .into_iter()
        .map(|c| {
            (
                c.id,
                (
                    c.title.clone(),
                    texts(&vault.newest_messages(c.id, usize::MAX).unwrap()),
                ),
            )
        })
        .collect()
}

fn populated(root: &Path, conversations: usize) -> Vault {
    let mut vault = new_vault(root);
    for c in 0..conversations {
        let id = vault.create_conversation(&format!("topic {c}")).unwrap();
        for m in 0..8 {
            vault
                .append_message(id, NewMessage::user(&format!("message {m} of {c} {}", "z".repeat(200))))
                .unwrap();
        }
    }
    vault
}

fn repair(root: &Path) -> (Vault, sotto::store::RebuildNote) {
    let locked = LockedVault::open(root).unwrap();
    let identity = locked.unlock(Some(&passphrase())).unwrap();
    locked.repair(identity).expect("the repair runs")
}

fn snapshot_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root.join("snapshots"))
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn closing_a_changed_vault_takes_a_sealed_snapshot_and_keeps_at_most_three() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let mut vault = new_vault(&root);
    let id = vault.create_conversation("canary").unwrap();
    vault
        .append_message(id, NewMessage::user("the canary sang 7f3a9c1d"))
        .unwrap();
    drop(vault);
    assert_eq!(snapshot_files(&root).len(), 1);
    assert_canary_absent(&[&root.join("snapshots")], "the canary sang 7f3a9c1d");
    for i in 0..5 {
        let mut vault = reopen(&root);
        vault
            .append_message(id, NewMessage::user(&format!("more {i}")))
            .unwrap();
    }
    assert_eq!(snapshot_files(&root).len(), 3, "the oldest go");
    // An open that changes nothing takes none.
    let before = snapshot_files(&root);
    drop(reopen(&root));
    assert_eq!(snapshot_files(&root), before);
}

#[test]
fn a_database_that_will_not_open_is_rebuilt_from_the_snapshot_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let vault = populated(&root, 4);
    let expected = contents(&vault);
    drop(vault);
    // The database is gone altogether: only the snapshot is left.
    std::fs::remove_dir_all(root.join("db")).unwrap();
    assert!(matches!(unlock_and_open(&root), Err(VaultError::Database { .. })));
    let (vault, note) = repair(&root);
    assert_eq!(contents(&vault), expected);
    assert_eq!((note.conversations, note.messages, note.rejected), (4, 32, 0));
    assert!(note.snapshot_taken_at.is_some() && note.damaged_unreadable.is_some());
    assert!(vault.unlock_report().storage_losses.is_empty());
    let report = vault.verify().unwrap();
    assert!(report.damaged.is_empty() && report.tampering.is_empty(), "{report:?}");
    // The rebuild is on record until acknowledged, and later opens are clean.
    let findings = vault.unacknowledged_findings();
    assert!(
        findings.iter().any(|f| f.what.contains("rebuilt by 'sotto repair'")),
        "{findings:?}"
    );
    drop(vault);
    let vault = reopen(&root);
    assert!(vault.unlock_report().tampering.is_empty() && vault.unlock_report().storage_losses.is_empty());
    assert_eq!(contents(&vault), expected);
}

fn unlock_and_open(root: &Path) -> Result<Vault, VaultError> {
    LockedVault::open(root).and_then(|locked| locked.unlock_and_open(Some(&passphrase())))
}

#[test]
fn records_newer_than_the_snapshot_come_back_from_the_damaged_database_and_it_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(populated(&root, 2));
    let old_snapshots = snapshot_files(&root);
    let mut vault = reopen(&root);
    let newer = vault.create_conversation("after the snapshot").unwrap();
    vault.append_message(newer, NewMessage::user("written later")).unwrap();
    let expected = contents(&vault);
    drop(vault);
    // Only the older snapshot is left; the newer records are in the database alone.
    for path in snapshot_files(&root) {
        if !old_snapshots.contains(&path) {
            std::fs::remove_file(path).unwrap();
        }
    }
    let database = snapshot(&root.join("db"));
    let (vault, note) = repair(&root);
    assert_eq!(contents(&vault), expected);
    assert!(note.from_damaged > 0, "{note:?}");
    let kept = note.damaged_kept_at.clone().expect("the damaged database is kept");
    let kept_files: Vec<Vec<u8>> = snapshot(&kept).into_values().collect();
    assert_eq!(kept_files, database.into_values().collect::<Vec<_>>(), "kept as it was");
}

#[test]
fn a_wiped_conversation_never_comes_back_from_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let vault = populated(&root, 3);
    let ids: Vec<ConversationId> = contents(&vault).into_keys().collect();
    drop(vault);
    let before_wipe = snapshot_files(&root);
    let saved = dir.path().join("old-snapshots");
    copy_dir(&root.join("snapshots"), &saved);
    let mut vault = reopen(&root);
    vault.wipe_conversation(ids[0]).unwrap();
    // The rotation replaced every snapshot with one under the new identity.
    let after = snapshot_files(&root);
    assert_eq!(after.len(), 1);
    assert!(before_wipe.iter().all(|old| !after.contains(old)));
    let expected = contents(&vault);
    drop(vault);
    // Even with the old snapshot put back and the database gone, the wiped
    // conversation does not come back: it is sealed to a destroyed identity.
    std::fs::remove_dir_all(root.join("db")).unwrap();
    copy_dir(&saved, &root.join("snapshots"));
    let (vault, _) = repair(&root);
    assert_eq!(contents(&vault), expected);
    assert!(!contents(&vault).contains_key(&ids[0]));
}

/// Seeded xorshift, so a failing case can be run again.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The damage campaign: single-byte changes and truncations at random
/// places of the database files, each on a fresh copy. Either the vault
/// opens and whatever it no longer holds is reported, or it refuses with
/// the clear message and the repair brings back everything up to the
/// snapshot (here, everything). In every fourth case the snapshot is
/// damaged too: then the repair may bring back less, but what it cannot
/// bring back is reported as lost. `SOTTO_DAMAGE_CASES` runs more.
#[test]
fn no_damage_to_the_database_files_loses_a_record_without_a_report() {
    let cases: u64 = std::env::var("SOTTO_DAMAGE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    let vault = populated(&pristine, 5);
    let expected = contents(&vault);
    drop(vault);
    let files: Vec<std::path::PathBuf> = snapshot(&pristine.join("db")).into_keys().collect();
    let mut rng = Rng(0x5eed_0fda_4a9e);
    let (mut opened, mut repaired, mut reported, mut keyless) = (0, 0, 0, 0);
    for case in 0..cases {
        let root = dir.path().join(format!("case-{case}"));
        copy_dir(&pristine, &root);
        let file = root.join(
            files[rng.below(files.len() as u64) as usize]
                .strip_prefix(&pristine)
                .unwrap(),
        );
        let mut bytes = std::fs::read(&file).unwrap();
        let truncate = case % 10 == 9;
        let at = rng.below(bytes.len().max(1) as u64) as usize;
        let what = if truncate {
            bytes.truncate(at);
            format!("case {case}: '{}' cut at {at}", file.display())
        } else if bytes.is_empty() {
            bytes.push(0xff);
            format!("case {case}: '{}' given a byte", file.display())
        } else {
            bytes[at] ^= 1 + rng.below(255) as u8;
            format!("case {case}: '{}' byte {at} changed", file.display())
        };
        std::fs::write(&file, &bytes).unwrap();
        let snapshot_damaged = case % 4 == 3;
        if snapshot_damaged {
            let newest = snapshot_files(&root).pop().expect("the close took a snapshot");
            let mut bytes = std::fs::read(&newest).unwrap();
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] ^= 1 + rng.below(255) as u8;
            std::fs::write(&newest, &bytes).unwrap();
        }
        match unlock_and_open(&root) {
            Ok(vault) => {
                opened += 1;
                if contents(&vault) != expected {
                    let report = vault.verify().unwrap();
                    let told = !vault.unlock_report().storage_losses.is_empty()
                        || !vault.unlock_report().tampering.is_empty()
                        || !report.is_intact();
                    assert!(told, "{what}: records differ and nothing says so");
                }
            }
            Err(e) => {
                assert!(
                    matches!(e, VaultError::DatabaseCorrupted { .. } | VaultError::Database { .. }),
                    "{what}: {e}"
                );
                assert!(e.to_string().contains("sotto repair"), "{what}: {e}");
                let database = snapshot(&root.join("db"));
                let locked = LockedVault::open(&root).unwrap();
                let identity = locked.unlock(Some(&passphrase())).unwrap();
                let (vault, note) = match locked.repair(identity) {
                    Ok(done) => done,
                    // No source left holds the vault key (the database's
                    // copy and the snapshot's header both hit): nothing
                    // can be read, which the repair says, changing nothing.
                    Err(e @ VaultError::VaultKeyDamaged { .. }) if snapshot_damaged => {
                        assert!(e.to_string().contains("restore the data directory"), "{what}: {e}");
                        assert_eq!(
                            snapshot(&root.join("db")),
                            database,
                            "{what}: the refusal changed the database"
                        );
                        keyless += 1;
                        std::fs::remove_dir_all(&root).unwrap();
                        continue;
                    }
                    Err(e) => panic!("{what}: the repair failed: {e}"),
                };
                repaired += 1;
                if !snapshot_damaged {
                    assert_eq!(contents(&vault), expected, "{what}: the repair lost records");
                } else if contents(&vault) != expected {
                    assert!(
                        !vault.unlock_report().storage_losses.is_empty() && !vault.unacknowledged_findings().is_empty(),
                        "{what}, and the snapshot: records are gone after the repair and nothing says so ({note})"
                    );
                    reported += 1;
                }
            }
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
    println!(
        "{cases} cases: {opened} opened, {repaired} refused and repaired, {reported} of those with losses \
         reported (the snapshot damaged too), {keyless} refused for want of any vault key"
    );
}
