//! Store benchmarks (divan): opening a large vault and listing it, loading the
//! newest messages of a long conversation, sealing throughput and the scrypt
//! unlock on its own. Figures and the machine are recorded in BENCHMARKS.md.
//!
//! Run: `cargo bench --bench store`

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use divan::{Bencher, counter::BytesCount};
use secrecy::SecretString;
use sotto::crypto::seal::{self, RecordSlot};
use sotto::crypto::{DataKey, KdfCost, VaultIdentity};
use sotto::store::{ConversationId, LockedVault, NewMessage, NewProtection, Vault};
use sotto::time::Timestamp;

fn main() {
    divan::main();
}

const PASSPHRASE: &str = "plinth walrus cobalt ember quaver";

fn passphrase() -> SecretString {
    SecretString::from(PASSPHRASE.to_owned())
}

/// A cheap KDF for fixtures: these benches measure the store, not scrypt.
fn cheap() -> KdfCost {
    KdfCost::from_log_n(4).unwrap()
}

fn message_text(i: usize) -> String {
    let base = format!("message {i}: my laptop will not connect to the office VPN since this morning's update. ");
    base.repeat(500 / base.len() + 1)[..500].to_owned()
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    conversation: ConversationId,
}

fn build(conversations: usize, messages_each: usize) -> Fixture {
    build_at(conversations, messages_each, cheap())
}

fn build_at(conversations: usize, messages_each: usize, cost: KdfCost) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vault");
    let mut vault = Vault::create(
        &root,
        NewProtection::Passphrase {
            passphrase: &passphrase(),
            cost,
        },
    )
    .unwrap();
    let mut last = None;
    for c in 0..conversations {
        let id = vault.create_conversation(&format!("conversation {c}")).unwrap();
        let texts: Vec<String> = (0..messages_each).map(message_text).collect();
        for chunk in texts.chunks(1000) {
            vault
                .append_messages(id, chunk.iter().map(|t| NewMessage::user(t)))
                .unwrap();
        }
        last = Some(id);
    }
    drop(vault);
    Fixture {
        _dir: dir,
        root,
        conversation: last.unwrap(),
    }
}

/// 1,000 conversations of 100 messages: 100,000 messages.
fn large_vault() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build(1000, 100))
}

/// One conversation of 10,000 messages.
fn long_conversation() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build(1, 10_000))
}

fn open(root: &Path) -> Vault {
    LockedVault::open(root)
        .unwrap()
        .unlock_and_open(Some(&passphrase()))
        .unwrap()
}

/// Lock, unlock (cheap KDF), open the database, check the watermark, list
/// every conversation. Closing is measured separately.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn open_and_list_1000_conversations_100k_messages(bencher: Bencher) {
    let fixture = large_vault();
    bencher.bench_local(|| {
        let vault = open(&fixture.root);
        let list = vault.list_conversations().unwrap();
        assert_eq!(list.conversations.len(), 1000);
        vault
    });
}

/// Closing the large vault: flush, then write the watermark (one index scan,
/// one small sealed file, fsynced), then release the lock.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn close_1000_conversations(bencher: Bencher) {
    let fixture = large_vault();
    bencher.with_inputs(|| open(&fixture.root)).bench_local_values(drop);
}

/// The newest 200 messages of a 10,000-message conversation, on an open vault.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn newest_200_of_10k(bencher: Bencher) {
    let fixture = long_conversation();
    let vault = open(&fixture.root);
    bencher.bench_local(|| {
        let loaded = vault.newest_messages(fixture.conversation, 200).unwrap();
        assert_eq!(loaded.len(), 200);
        loaded
    });
}

/// The same, including opening the vault first (what the TUI does at start).
#[divan::bench(sample_count = 20, sample_size = 1)]
fn open_then_newest_200_of_10k(bencher: Bencher) {
    let fixture = long_conversation();
    bencher.bench_local(|| {
        let vault = open(&fixture.root);
        let loaded = vault.newest_messages(fixture.conversation, 200).unwrap();
        assert_eq!(loaded.len(), 200);
        (loaded, vault)
    });
}

const SLOT: RecordSlot<'static> = RecordSlot {
    tree: "messages",
    key: &[7u8; 24],
};

#[divan::bench(args = [200, 500, 4096, 65536])]
fn seal_record(bencher: Bencher, size: usize) {
    let key = DataKey::generate();
    let plaintext = vec![b'a'; size];
    bencher
        .counter(BytesCount::new(size))
        .bench(|| seal::seal(&key, SLOT, &plaintext));
}

#[divan::bench(args = [200, 500, 4096, 65536])]
fn open_record(bencher: Bencher, size: usize) {
    let key = DataKey::generate();
    let sealed = seal::seal(&key, SLOT, &vec![b'a'; size]);
    bencher
        .counter(BytesCount::new(size))
        .bench(|| seal::open(&key, SLOT, &sealed).unwrap());
}

/// Unwrapping a conversation key with age (X25519) after checking its tag,
/// once per conversation opened.
#[divan::bench]
fn unwrap_conversation_key(bencher: Bencher) {
    use sotto::crypto::{KeyPurpose, keys};
    let identity = VaultIdentity::generate();
    let wrapped = keys::wrap(&DataKey::generate(), KeyPurpose::Conversation([1; 16]), &identity);
    bencher.bench(|| keys::unwrap(&wrapped, KeyPurpose::Conversation([1; 16]), &identity).unwrap());
}

/// The passphrase unlock on its own, at the cost every new vault gets.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn scrypt_unlock_default_cost(bencher: Bencher) {
    let identity = VaultIdentity::generate();
    let sealed = identity.seal_with_passphrase(&passphrase(), KdfCost::DEFAULT, Timestamp::now());
    bencher.bench(|| VaultIdentity::open_with_passphrase(&sealed, &passphrase()).unwrap());
}

/// 1,000 conversations of 10 messages, for the wipe.
fn thousand_conversations() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build(1000, 10))
}

/// A fresh copy of a fixture's vault, opened: a wipe changes what it wipes.
fn opened_copy(fixture: &Fixture) -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vault");
    copy_tree(&fixture.root, &root);
    let vault = open(&root);
    (dir, vault)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Wiping one conversation among 1,000, including the identity rotation
/// (1,000 keys re-wrapped, the index and audit log re-sealed). The fixture's
/// passphrase uses the cheap KDF: the real one adds one scrypt seal.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn wipe_one_of_1000_conversations(bencher: Bencher) {
    let fixture = thousand_conversations();
    bencher
        .with_inputs(|| opened_copy(fixture))
        .bench_local_values(|(dir, mut vault)| {
            vault.wipe_conversation(fixture.conversation).unwrap();
            (dir, vault)
        });
}

/// `sotto rekey` (and a passphrase change, or a new recovery key) in a vault
/// of 1,000 conversations of 10 messages: a new identity, and a new data key
/// for every conversation with all its messages re-sealed, so that the old
/// identity's wrapped keys open nothing written afterwards.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn rekey_1000_conversations_10k_messages(bencher: Bencher) {
    let fixture = thousand_conversations();
    bencher
        .with_inputs(|| opened_copy(fixture))
        .bench_local_values(|(dir, mut vault)| {
            vault.rekey().unwrap();
            (dir, vault)
        });
}

/// The same wipe in a vault at the default KDF cost, the way the chat screen
/// does it: the next identity was prepared (sealed with scrypt in the
/// background) while the user typed the confirmation.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn wipe_one_of_1000_prepared_at_default_cost(bencher: Bencher) {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    let fixture = FIXTURE.get_or_init(|| build_at(1000, 10, KdfCost::DEFAULT));
    bencher
        .with_inputs(|| {
            let (dir, mut vault) = opened_copy(fixture);
            vault.prepare_rotation();
            // The time a person takes to type the confirmation; scrypt needs about 0.5 s.
            std::thread::sleep(std::time::Duration::from_millis(1500));
            (dir, vault)
        })
        .bench_local_values(|(dir, mut vault)| {
            vault.wipe_conversation(fixture.conversation).unwrap();
            (dir, vault)
        });
}

/// A retention sweep of 100,000 expired messages (1,000 conversations, all
/// expired under a one-hour default), shredded in one rotation.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn retention_sweep_100k_expired_messages(bencher: Bencher) {
    let fixture = large_vault();
    let later = Timestamp::from_unix_ms(Timestamp::now().as_unix_ms() + 2 * 3_600_000);
    bencher
        .with_inputs(|| {
            let (dir, mut vault) = opened_copy(fixture);
            vault
                .set_default_retention(Some(sotto::time::Span::parse("1h").unwrap()))
                .unwrap();
            (dir, vault)
        })
        .bench_local_values(|(dir, mut vault)| {
            let report = vault.sweep_retention(later).unwrap().unwrap();
            assert_eq!(report.messages_removed, 100_000);
            (dir, vault)
        });
}

/// Everything older than now in 1,000 conversations / 100,000 messages: the
/// work of a retention sweep where everything expired.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn wipe_100k_expired_messages(bencher: Bencher) {
    let fixture = large_vault();
    bencher
        .with_inputs(|| opened_copy(fixture))
        .bench_local_values(|(dir, mut vault)| {
            let report = vault.wipe_older_than(Timestamp::now()).unwrap();
            assert_eq!(report.messages_removed, 100_000);
            (dir, vault)
        });
}

/// Exporting 1,000 conversations / 100,000 messages as JSON, age-encrypted to
/// the vault's recipient (the default), into a file. Throughput counts the
/// JSON bytes before encryption.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn export_100k_messages_json(bencher: Bencher) {
    use sotto::export::{Destination, Encryption, ExportScope, export};
    use sotto::store::ExportFormat;
    let fixture = large_vault();
    let (dir, mut vault) = opened_copy(fixture);
    let mut n = 0;
    let mut run = |vault: &mut Vault, encryption: &Encryption| {
        n += 1;
        let destination = Destination {
            path: dir.path().join(format!("export-{n}")),
            force: false,
            armor: false,
        };
        export(vault, ExportScope::Vault, ExportFormat::Json, encryption, &destination).unwrap()
    };
    let json_bytes = run(&mut vault, &Encryption::Plaintext).bytes;
    bencher
        .counter(BytesCount::new(json_bytes))
        .bench_local(|| run(&mut vault, &Encryption::Owner));
}

/// A rolling snapshot of 1,000 conversations / 100,000 messages: every
/// record read, copied into sealed chunks, the file synced and renamed (what
/// the store thread spends, every 200 commits or 10 minutes, on a vault this
/// size). The file's size is printed once: the disk it takes.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn snapshot_1000_conversations_100k_messages(bencher: Bencher) {
    bench_snapshot(bencher, large_vault());
}

/// The same for 50 conversations of 40 messages: a vault under the 4 MiB
/// below which a snapshot is taken after every job that changed it.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn snapshot_50_conversations_2k_messages(bencher: Bencher) {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    bench_snapshot(bencher, FIXTURE.get_or_init(|| build(50, 40)));
}

fn bench_snapshot(bencher: Bencher, fixture: &'static Fixture) {
    let told = std::sync::Once::new();
    bencher
        .with_inputs(|| opened_copy(fixture))
        .bench_local_values(|(dir, mut vault)| {
            let taken = vault.take_snapshot().unwrap();
            told.call_once(|| {
                let database = dir_size(&dir.path().join("vault/db"));
                eprintln!(
                    "snapshot: {} records, {} bytes (the sled database: {database} bytes)",
                    taken.records, taken.bytes
                );
            });
            (dir, vault)
        });
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                dir_size(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

/// sled alone, without any of sotto's work: 1,000 conversations of 100
/// message-sized values (300 bytes, about a sealed message), each
/// conversation one transaction over two trees (its records and an index
/// entry), then one flush; sotto's cache setting, no flusher thread. Less
/// than `sotto import` asks of sled (its transactions span every tree and
/// also write the conversation's key and the integrity record, and each
/// flush is followed by an fdatasync), so what an import that keeps one
/// record a message pays at the least (BENCHMARKS.md, issue 17). With 12
/// messages a record, the same bytes go in 9 records a conversation.
#[divan::bench(args = [1, 12], sample_count = 5, sample_size = 1)]
fn sled_alone_1000_conversations_of_100_values(bencher: Bencher, messages_per_record: usize) {
    use sled::Transactional;
    const CONVERSATIONS: u64 = 1_000;
    const MESSAGES: usize = 100;
    const VALUE: usize = 300;
    let value = vec![0x5a_u8; VALUE * messages_per_record];
    bencher
        .counter(BytesCount::new(CONVERSATIONS as usize * MESSAGES * VALUE))
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let db = sled::Config::new()
                .path(dir.path().join("db"))
                .flush_every_ms(None)
                .cache_capacity(8 * 1024 * 1024)
                .open()
                .unwrap();
            let trees = [db.open_tree("messages").unwrap(), db.open_tree("index").unwrap()];
            (dir, db, trees)
        })
        .bench_local_values(|(dir, db, trees)| {
            for c in 0..CONVERSATIONS {
                // Ids as random as a conversation's: spread over the key space.
                let id = c.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes();
                (&trees[0], &trees[1])
                    .transaction(|(messages, index)| {
                        for first in (0..MESSAGES).step_by(messages_per_record) {
                            let key = [&id[..], &[0; 8], &(first as u64).to_be_bytes()].concat();
                            let len = VALUE * messages_per_record.min(MESSAGES - first);
                            messages.insert(key, &value[..len])?;
                        }
                        index.insert(&id, &value[..64])?;
                        Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
                    })
                    .unwrap();
            }
            db.flush().unwrap();
            (dir, db, trees)
        });
}
