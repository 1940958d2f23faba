//! The durable half of a send is one commit: killed at any moment, a send
//! has left all of it (the conversation if new, the user's message, the
//! reply's record) or none of it.

use super::*;
use sotto::store::{ExchangeTarget, LoadedMessage};

const CHILD_ENV: &str = "SOTTO_TEST_EXCHANGE_CHILD";

/// Child half: starts exchanges forever, a new conversation every third
/// time, and finishes each reply; prints each start once it is durable.
fn exchange_until_killed(root: &Path, round: u32) -> ! {
    use std::io::Write;
    let mut vault = reopen(root);
    let mut out = std::io::stdout().lock();
    let mut current = None;
    for i in 0.. {
        let title = format!("round {round} conversation {i}");
        let target = match current {
            Some(id) if i % 3 != 0 => ExchangeTarget::Existing(id),
            _ => ExchangeTarget::New { title: &title },
        };
        let text = format!("round {round} question {i}");
        let start = vault
            .begin_exchange(target, Some((&text, MessageMeta::default())), MessageMeta::default())
            .unwrap();
        current = Some(start.conversation);
        writeln!(out, "start {} {} {text}", start.conversation, start.user_seq.unwrap()).unwrap();
        out.flush().unwrap();
        vault
            .finish_reply(
                start.conversation,
                start.reply_seq,
                "an answer",
                ReplyState::Complete,
                None,
            )
            .unwrap();
    }
    unreachable!()
}

/// Every conversation holds whole exchanges: a user's message, then its
/// reply's record. Returns how many conversations there are.
fn check_whole_exchanges(vault: &Vault, round: u32) -> usize {
    let list = vault.list_conversations().unwrap();
    assert!(list.damaged.is_empty(), "round {round}: damaged index entries");
    for conversation in &list.conversations {
        let messages: Vec<LoadedMessage> = vault.newest_messages(conversation.id, usize::MAX).unwrap();
        let roles: Vec<Role> = messages.iter().map(|m| m.as_ref().expect("reads").role).collect();
        assert!(
            !roles.is_empty() && roles.len().is_multiple_of(2),
            "round {round}: conversation {} holds {} message(s): half a send",
            conversation.id,
            roles.len()
        );
        for pair in roles.chunks(2) {
            assert_eq!(pair, [Role::User, Role::Assistant], "round {round}: half a send");
        }
        assert_eq!(
            conversation.message_count,
            roles.len() as u64,
            "round {round}: index count"
        );
    }
    list.conversations.len()
}

#[test]
fn a_send_killed_at_any_moment_leaves_all_of_its_durable_part_or_none() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let (root, round) = spec.split_once('|').unwrap();
        exchange_until_killed(Path::new(root), round.parse().unwrap());
    }
    use rand::Rng;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    drop(new_vault(&root));
    let mut rng = rand::thread_rng();
    let mut acknowledged: Vec<(ConversationId, u64, String)> = Vec::new();
    const ROUNDS: u32 = 20;
    for round in 0..ROUNDS {
        let out = output_until_killed(
            "exchange::a_send_killed_at_any_moment_leaves_all_of_its_durable_part_or_none",
            CHILD_ENV,
            format!("{}|{round}", root.display()),
            Duration::from_millis(rng.gen_range(5..120)),
        );
        for line in acknowledged_lines(&out).filter_map(|l| l.strip_prefix("start ")) {
            let mut parts = line.splitn(3, ' ');
            let (id, seq, text) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
            acknowledged.push((id.parse().unwrap(), seq.parse().unwrap(), text.to_owned()));
        }
        let vault = reopen(&root);
        check_whole_exchanges(&vault, round);
        for (id, seq, text) in &acknowledged {
            let stored = vault.messages_in_range(*id, *seq..*seq + 2).unwrap();
            let user = stored[0].as_ref().expect("an acknowledged message reads");
            assert_eq!(&user.text, text, "round {round}: an acknowledged message changed");
        }
    }
    assert!(
        acknowledged.len() > ROUNDS as usize,
        "the children acknowledged too little to prove anything: {}",
        acknowledged.len()
    );
}
