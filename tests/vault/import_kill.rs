//! An import killed at any moment leaves each conversation whole or absent,
//! long ones included: a conversation of more than `IMPORT_CHUNK` (500)
//! messages is written in several commits, and the next unlock removes what
//! a cut one left (killed itself, in some rounds: the next child's unlock
//! does that removal), says so, and leaves nothing for `verify` to find.

use super::*;
use sotto::store::{ImportedConversation, ImportedMessage};
use sotto::time::Timestamp;

const CHILD_ENV: &str = "SOTTO_TEST_IMPORT_KILL_CHILD";

/// Messages per conversation: three commits of 500, then a last one.
const LONG: u64 = 1_700;

fn id(round: u32, n: u32) -> ConversationId {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&round.to_be_bytes());
    bytes[4..8].copy_from_slice(&n.to_be_bytes());
    ConversationId::from_bytes(bytes)
}

fn text(round: u32, n: u32, seq: u64) -> String {
    format!("round {round} conversation {n} message {seq}")
}

fn conversation(round: u32, n: u32) -> ImportedConversation {
    let at = |seq: u64| Timestamp::from_unix_ms(1_700_000_000_000 + seq as i64 * 1000);
    ImportedConversation {
        id: id(round, n),
        title: format!("round {round} conversation {n}"),
        created: at(0),
        updated: at(LONG),
        retention: None,
        messages: (0..LONG)
            .map(|seq| ImportedMessage {
                seq,
                role: if seq % 2 == 0 { Role::User } else { Role::Assistant },
                at: at(seq),
                text: text(round, n, seq),
                meta: MessageMeta::default(),
            })
            .collect(),
    }
}

/// Child half: imports long conversations for ever, printing each one's
/// number once it is durable.
fn import_until_killed(root: &Path, round: u32) -> ! {
    use std::io::Write;
    let mut vault = reopen(root);
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        vault.import_conversation(conversation(round, n)).unwrap();
        vault.flush_pending().unwrap();
        writeln!(out, "imported {n}").unwrap();
        out.flush().unwrap();
    }
    unreachable!()
}

#[test]
fn an_import_killed_at_any_moment_leaves_each_conversation_whole_or_absent() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let (root, round) = spec.split_once('|').unwrap();
        import_until_killed(Path::new(root), round.parse().unwrap());
    }
    use rand::Rng;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let mut rng = rand::thread_rng();
    let (mut acknowledged, mut cut) = (0, 0);
    let mut all_done: Vec<(u32, Vec<u32>)> = Vec::new();
    // Rounds go in pairs (below). Past the first eight, more pairs run while
    // no kill has yet landed between a long conversation's first and last
    // commits: a busier or quieter machine moves the moments, and the
    // messages are sealed before the first commit, so that window is only
    // part of each conversation's time.
    const ROUNDS: u32 = 8;
    const MOST_ROUNDS: u32 = 32;
    let mut round = 0;
    while round < ROUNDS || (cut == 0 && round < MOST_ROUNDS) {
        let this = round;
        round += 1;
        let round = this;
        let out = output_until_killed(
            "import_kill::an_import_killed_at_any_moment_leaves_each_conversation_whole_or_absent",
            CHILD_ENV,
            format!("{}|{round}", root.display()),
            Duration::from_millis(rng.gen_range(40..400)),
        );
        let done: Vec<u32> = acknowledged_lines(&out)
            .filter_map(|l| l.strip_prefix("imported ")?.parse().ok())
            .collect();
        acknowledged += done.len();
        all_done.push((round, done));
        // Every other round the next child opens the vault first, so its
        // own unlock removes what this one left, and may be killed doing it.
        if round % 2 == 0 {
            continue;
        }

        let vault = reopen(&root);
        cut += vault.unlock_report().cut_imports_removed;
        let report = vault.verify().unwrap();
        assert!(
            report.damaged.is_empty() && report.tampering.is_empty() && report.losses.is_empty(),
            "round {round}: verify found {} damaged records (the first: {:?}), {:?} and {:?}",
            report.damaged.len(),
            report.damaged.first(),
            report.tampering,
            report.losses
        );
        let list = vault.list_conversations().unwrap();
        assert!(list.damaged.is_empty(), "round {round}");
        for summary in &list.conversations {
            assert_eq!(summary.message_count, LONG, "round {round}: {}", summary.title);
            let messages = vault.messages_in_range(summary.id, 0..LONG).unwrap();
            assert_eq!(messages.len() as u64, LONG, "round {round}: {}", summary.title);
            assert!(messages.iter().all(Result::is_ok), "round {round}: {}", summary.title);
        }
        for (round, done) in &all_done {
            let present = |n: u32| list.conversations.iter().any(|c| c.id == id(*round, n));
            for n in done {
                assert!(present(*n), "round {round}: acknowledged conversation {n} is missing");
                let last = vault.messages_in_range(id(*round, *n), LONG - 1..LONG).unwrap();
                assert_eq!(last[0].as_ref().unwrap().text, text(*round, *n, LONG - 1));
            }
            // At most the one being written when killed is there unacknowledged.
            let unacknowledged = (0..=done.len() as u32 + 1)
                .filter(|n| present(*n) && !done.contains(n))
                .count();
            assert!(unacknowledged <= 1, "round {round}");
        }
    }
    println!("{round} rounds: {acknowledged} conversations acknowledged, {cut} cut imports removed");
    assert!(
        acknowledged >= ROUNDS as usize,
        "too little imported to prove anything: {acknowledged}"
    );
    assert!(
        cut > 0,
        "no round of {round} was killed inside a long conversation's import"
    );
}
