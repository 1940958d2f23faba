//! The vault under SIGKILL, 1,000 times: a child process appends messages
//! (reporting each one acknowledged) or wipes and rotates, and is killed at a
//! random moment; the parent then reopens the vault and checks that it opens,
//! verifies, reports no loss, and holds every acknowledged message. Too slow
//! for `cargo test`, so it runs here; the figures are in BENCHMARKS.md.
//!
//! Run: `cargo bench --bench kill` (`SOTTO_KILL_ROUNDS` changes the count).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use secrecy::SecretString;
use sotto::crypto::KdfCost;
use sotto::store::{ConversationId, LockedVault, NewMessage, NewProtection, Vault};

const CHILD: &str = "SOTTO_KILL_CHILD";

fn passphrase() -> SecretString {
    SecretString::from("plinth walrus cobalt ember quaver".to_owned())
}

fn open(root: &Path) -> Vault {
    LockedVault::open(root)
        .and_then(|l| l.unlock_and_open(Some(&passphrase())))
        .expect("the vault opens after every kill")
}

/// The child: append and acknowledge, or wipe and rotate, until killed.
fn child(spec: &str) {
    let (root, rest) = spec.split_once('|').unwrap();
    let (id, mode) = rest.split_once('|').unwrap();
    let id: ConversationId = id.parse().unwrap();
    let mut vault = open(Path::new(root));
    let mut out = std::io::stdout().lock();
    writeln!(out, "open").unwrap();
    out.flush().unwrap();
    if mode == "rotate" {
        let doomed = vault.create_conversation("doomed").unwrap();
        vault.append_message(doomed, NewMessage::user("doomed")).unwrap();
        vault.wipe_conversation(doomed).unwrap();
        loop {
            vault.rekey().unwrap();
        }
    }
    loop {
        let seq = vault.append_message(id, NewMessage::user("acknowledged")).unwrap();
        writeln!(out, "{seq}").unwrap();
        out.flush().unwrap();
    }
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"kill_rounds".contains(&a))
    {
        return;
    }
    let rounds: usize = std::env::var("SOTTO_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vault");
    let id = {
        let mut vault = Vault::create(
            &root,
            NewProtection::Passphrase {
                passphrase: &passphrase(),
                cost: KdfCost::from_log_n(4).unwrap(),
            },
        )
        .unwrap();
        vault.create_conversation("kill").unwrap()
    };
    let started = Instant::now();
    let mut rng = rand::thread_rng();
    let (mut acknowledged, mut rotations) = (0u64, 0u64);
    for round in 0..rounds {
        let mode = if round % 10 == 9 { "rotate" } else { "append" };
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD, format!("{}|{id}|{mode}", root.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.parse::<u64>().ok())
                .max()
        });
        std::thread::sleep(Duration::from_micros(rng.gen_range(2_000..40_000)));
        let _ = child.kill();
        child.wait().unwrap();
        let last_acked = reader.join().unwrap();
        if mode == "rotate" {
            rotations += 1;
        }
        let vault = open(&root);
        assert!(vault.verify().unwrap().is_intact(), "round {round}: damaged");
        assert!(
            vault.unlock_report().storage_losses.is_empty(),
            "round {round}: {:?}",
            vault.unlock_report().storage_losses
        );
        if let Some(last) = last_acked {
            let held = vault.messages_in_range(id, last..last + 1).unwrap();
            assert!(
                held.len() == 1 && held[0].is_ok(),
                "round {round}: message #{last} was acknowledged and lost"
            );
            acknowledged = acknowledged.max(last + 1);
        }
    }
    println!(
        "kill_rounds: {rounds} rounds of SIGKILL ({rotations} during wipes and rotations) in {:.1} s; \
         {acknowledged} acknowledged messages, all present; the vault opened and verified every time",
        started.elapsed().as_secs_f64()
    );
}
