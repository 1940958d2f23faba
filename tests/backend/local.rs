//! The built-in help-desk bot: the labelled question set, small talk, honest
//! "I don't know", the user's own knowledge, streaming and cancellation.

use serde::Deserialize;
use sotto::backend::local::{Answer, LocalBot, LocalSettings};

use super::*;

#[derive(Deserialize)]
struct QuestionSet {
    question: Vec<Labelled>,
}

#[derive(Deserialize)]
struct Labelled {
    text: String,
    expect: String,
}

fn built_in_bot() -> LocalBot {
    LocalBot::new(LocalSettings {
        name: "local".into(),
        knowledge_dirs: Vec::new(),
    })
    .unwrap()
}

fn label(bot: &LocalBot, question: &str) -> String {
    match bot.classify(question) {
        Answer::Greeting => "greeting".into(),
        Answer::Thanks => "thanks".into(),
        Answer::Goodbye => "goodbye".into(),
        Answer::Help => "help".into(),
        Answer::Unknown { .. } => "unknown".into(),
        Answer::Found { section } => bot.sections()[section].id.clone(),
    }
}

pub const TUNING_SET: &str = include_str!("../data/kb_questions.toml");
pub const HELD_OUT_SET: &str = include_str!("../data/kb_questions_holdout.toml");

/// Top-1 accuracy over a labelled set, with the misses.
pub fn evaluate(bot: &LocalBot, set: &str) -> (f64, usize, Vec<String>) {
    let set: QuestionSet = toml::from_str(set).unwrap();
    let mut misses = Vec::new();
    for q in &set.question {
        let got = label(bot, &q.text);
        if got != q.expect {
            misses.push(format!("{:?}: expected {}, got {}", q.text, q.expect, got));
        }
    }
    let total = set.question.len();
    (1.0 - misses.len() as f64 / total as f64, total, misses)
}

#[test]
fn the_labelled_questions_are_answered_from_the_right_section() {
    let bot = built_in_bot();
    let (accuracy, total, misses) = evaluate(&bot, TUNING_SET);
    assert!(total >= 40, "the set has only {total} questions");
    println!("top-1 accuracy {:.1} % over {total} questions", accuracy * 100.0);
    for miss in &misses {
        println!("miss: {miss}");
    }
    assert!(
        accuracy >= 0.90,
        "top-1 accuracy {:.1} % < 90 %: {misses:#?}",
        accuracy * 100.0
    );
}

#[test]
fn held_out_questions_are_mostly_answered_from_the_right_section() {
    // Not tuned against, so this is the honest figure for new phrasings
    // (BENCHMARKS.md); the bar guards against regressions, it is not a target.
    let (accuracy, total, misses) = evaluate(&built_in_bot(), HELD_OUT_SET);
    println!(
        "held-out top-1 accuracy {:.1} % over {total} questions",
        accuracy * 100.0
    );
    for miss in &misses {
        println!("miss: {miss}");
    }
    assert!(
        accuracy >= 0.60,
        "held-out accuracy {:.1} %: {misses:#?}",
        accuracy * 100.0
    );
}

#[test]
fn every_expected_section_exists() {
    let bot = built_in_bot();
    let special = ["unknown", "greeting", "thanks", "help", "goodbye"];
    let questions = [TUNING_SET, HELD_OUT_SET]
        .iter()
        .flat_map(|set| toml::from_str::<QuestionSet>(set).unwrap().question);
    for q in questions {
        assert!(
            special.contains(&q.expect.as_str()) || bot.sections().iter().any(|s| s.id == q.expect),
            "no section '{}'",
            q.expect
        );
    }
}

#[test]
fn an_answer_quotes_its_source_and_an_unknown_question_names_the_nearest_topics() {
    let bot = built_in_bot();
    let answer = bot.reply("How do I permanently delete one conversation?");
    assert!(answer.contains("crypto-shredding"), "{answer}");
    assert!(answer.ends_with("Source: sotto: view-export-wipe.md › Seeing, exporting and wiping your data › Wiping a conversation for good"), "{answer}");

    let unknown = bot.reply("Which passphrase does my router use for its web console?");
    assert!(unknown.starts_with("I don't know that one"), "{unknown}");
    assert!(unknown.contains("nearest topics"), "{unknown}");

    let nothing = bot.reply("zzxqv plorp");
    assert!(
        nothing.contains("nothing in my knowledge base comes close"),
        "{nothing}"
    );
}

#[test]
fn greetings_thanks_and_help_get_their_own_replies() {
    let bot = built_in_bot();
    assert!(bot.reply("Hello").contains("automated assistant"));
    assert!(bot.reply("thank you!").contains("You're welcome"));
    let help = bot.reply("help");
    assert!(
        help.contains("Privacy practices") && help.contains("Keys and passphrases"),
        "{help}"
    );
    // A greeting in front of a question does not hide the question.
    assert!(matches!(
        bot.classify("hi, how do I export my chat history?"),
        Answer::Found { .. }
    ));
}

#[test]
fn the_users_own_knowledge_is_searched_and_cited() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("network")).unwrap();
    std::fs::write(
        dir.path().join("network/vpn.md"),
        "# VPN\n## Reconnecting the office VPN\nRun `vpnctl restart`, then sign in with your badge PIN.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("ignored.txt"), "not markdown").unwrap();
    let bot = LocalBot::new(LocalSettings {
        name: "runbooks".into(),
        knowledge_dirs: vec![dir.path().to_owned()],
    })
    .unwrap();
    let answer = bot.reply("my office vpn keeps disconnecting, how do I reconnect?");
    assert!(answer.contains("vpnctl restart"), "{answer}");
    assert!(
        answer.contains("Source: network/vpn.md › VPN › Reconnecting the office VPN"),
        "{answer}"
    );
    assert!(bot.reply("hello").contains("your own notes (1 file)"));
}

#[test]
fn skipped_knowledge_files_are_told_in_one_line() {
    let bot = LocalBot::from_sections(
        "runbooks".into(),
        Vec::new(),
        0,
        vec![
            "'big.md' is larger than 2 MiB".into(),
            "'other.md' is larger than 2 MiB".into(),
        ],
    );
    assert_eq!(
        bot.setup_note().as_deref(),
        Some("2 knowledge file(s) not loaded: 'big.md' is larger than 2 MiB (and 1 more)")
    );
    assert_eq!(built_in_bot().setup_note(), None);
}

#[test]
fn a_missing_knowledge_directory_is_a_clear_error() {
    let err = LocalBot::new(LocalSettings {
        name: "local".into(),
        knowledge_dirs: vec!["/nonexistent/runbooks".into()],
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("'/nonexistent/runbooks'"), "{err}");
}

#[test]
fn the_reply_streams_in_pieces_and_stops_when_cancelled() {
    let bot = built_in_bot();
    let request = ask("What makes a good passphrase?");
    let mut pieces = Vec::new();
    let done = bot
        .stream(&request, &CancelToken::new(), &mut |d| pieces.push(d.to_owned()))
        .unwrap();
    assert_eq!(done.finish, sotto::backend::Finish::Stop);
    assert!(pieces.len() > 3);
    assert_eq!(pieces.concat(), bot.reply("What makes a good passphrase?"));

    let cancel = CancelToken::new();
    let mut received = 0;
    let done = bot
        .stream(&request, &cancel, &mut |_| {
            received += 1;
            cancel.cancel();
        })
        .unwrap();
    assert_eq!(done.finish, sotto::backend::Finish::Cancelled);
    assert_eq!(received, 1);
}

#[test]
fn withheld_items_are_noted_by_their_placeholders_and_nothing_else_changes() {
    let bot = built_in_bot();
    let plain = bot.reply("how do I export my data?");
    assert!(!plain.contains("I have noted"));
    let one = bot.reply("how do I export my data? write to [EMAIL_1]");
    assert!(one.ends_with("I have noted [EMAIL_1] for this ticket."), "{one}");
    let three = bot.reply("[EMAIL_1] [CREDIT_CARD_1] [EMAIL_1] [PHONE_2] help");
    assert!(
        three.ends_with("I have noted [EMAIL_1], [CREDIT_CARD_1] and [PHONE_2] for this ticket."),
        "{three}"
    );
    // Brackets that are not placeholders are not noted.
    assert!(!bot.reply("what is [NOTHING_1]?").contains("I have noted"));
}
