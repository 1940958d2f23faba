//! The startup record (`store::startup_record`): sealed under a key only
//! the vault identity's holder can derive, readable right after the
//! identity unlocks, and shredded by every opening of the database.

use super::*;

const RECORD: &str = "startup.sealed";

fn unlocked(root: &Path) -> (LockedVault, sotto::store::UnlockedIdentity) {
    let locked = LockedVault::open(root).unwrap();
    let identity = locked.unlock(Some(&passphrase())).unwrap();
    (locked, identity)
}

#[test]
fn the_startup_record_opens_before_the_database_and_the_database_opening_shreds_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let vault = new_vault(&root);
    vault.save_startup_record(b"the screen as it closed").unwrap();
    drop(vault);
    assert!(root.join(RECORD).exists());
    let sealed = std::fs::read(root.join(RECORD)).unwrap();
    assert!(
        !sealed.windows(10).any(|w| w == b"the screen"),
        "the record is sealed on disk"
    );

    let (locked, identity) = unlocked(&root);
    let contents = locked.startup_record(&identity).expect("it opens");
    assert_eq!(contents.as_slice(), b"the screen as it closed");
    // Held open across the opening: what the file's blocks hold afterwards.
    let mut still_open = std::fs::File::open(root.join(RECORD)).unwrap();
    let vault = locked.open_unlocked(identity).unwrap();
    assert!(!root.join(RECORD).exists(), "opening the database removes it");
    let mut after = Vec::new();
    std::io::Read::read_to_end(&mut still_open, &mut after).unwrap();
    assert_eq!(after.len(), sealed.len());
    assert_ne!(after, sealed, "it was overwritten before it was removed");
    drop(vault);

    let (locked, identity) = unlocked(&root);
    assert!(locked.startup_record(&identity).is_none());
}

#[test]
fn a_startup_record_altered_or_made_for_another_vault_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let (mine, theirs) = (dir.path().join("mine"), dir.path().join("theirs"));
    drop(new_vault(&mine));
    let other = new_vault(&theirs);
    other.save_startup_record(b"someone else's screen").unwrap();
    drop(other);

    // Another vault's record, under the same passphrase: another identity.
    std::fs::copy(theirs.join(RECORD), mine.join(RECORD)).unwrap();
    let (locked, identity) = unlocked(&mine);
    assert!(locked.startup_record(&identity).is_none());
    drop(locked);

    // Its own record with one byte flipped.
    let vault = reopen(&mine);
    vault.save_startup_record(b"my screen").unwrap();
    drop(vault);
    let mut sealed = std::fs::read(mine.join(RECORD)).unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    std::fs::write(mine.join(RECORD), &sealed).unwrap();
    let (locked, identity) = unlocked(&mine);
    assert!(locked.startup_record(&identity).is_none());

    // What anyone can make: an age file to the public recipient.
    let recipient = support::forgery::public_recipient(&mine);
    let forged = age::encrypt(&recipient, b"a forged screen").unwrap();
    std::fs::write(mine.join(RECORD), forged).unwrap();
    assert!(locked.startup_record(&identity).is_none());
}

#[test]
fn a_temporary_copy_left_by_a_crash_while_writing_is_removed_by_the_next_opening() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let vault = new_vault(&root);
    vault.save_startup_record(b"the screen").unwrap();
    drop(vault);
    let left = root.join(format!(".{RECORD}.tmp-a1b2c3d4e5f6"));
    std::fs::copy(root.join(RECORD), &left).unwrap();
    drop(reopen(&root));
    assert!(!left.exists() && !root.join(RECORD).exists());
}

#[test]
fn a_startup_record_larger_than_its_limit_is_refused_and_the_old_one_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let vault = new_vault(&root);
    vault.save_startup_record(b"small").unwrap();
    let err = vault
        .save_startup_record(&vec![b'x'; sotto::store::MAX_STARTUP_RECORD + 1])
        .unwrap_err();
    assert!(err.to_string().contains("startup record"), "{err}");
    drop(vault);
    let (locked, identity) = unlocked(&root);
    assert_eq!(locked.startup_record(&identity).unwrap().as_slice(), b"small");
}

#[test]
fn the_retention_deadline_is_when_the_oldest_message_under_a_rule_expires() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let mut vault = new_vault(&root);
    let kept = vault.create_conversation("kept").unwrap();
    vault.append_message(kept, NewMessage::user("stays")).unwrap();
    assert_eq!(vault.retention_deadline().unwrap(), None, "nothing expires by default");

    let before = sotto::time::Timestamp::now();
    let brief = vault.create_conversation("brief").unwrap();
    vault.append_message(brief, NewMessage::user("goes")).unwrap();
    let after = sotto::time::Timestamp::now();
    let hour = sotto::time::Span::parse("1h").unwrap();
    vault
        .set_conversation_retention(brief, Some(sotto::store::Retention::For(hour)))
        .unwrap();
    let deadline = vault.retention_deadline().unwrap().expect("one rule expires messages");
    assert!(before.plus(hour) <= deadline && deadline <= after.plus(hour));

    // A default of a day puts the other conversation later, not earlier.
    vault
        .set_default_retention(Some(sotto::time::Span::parse("1d").unwrap()))
        .unwrap();
    assert_eq!(vault.retention_deadline().unwrap(), Some(deadline));
}
