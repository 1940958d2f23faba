//! A hostile backend against the real chat screen: one loopback server that
//! answers each message with a different attack, one session in a real
//! terminal (tmux) that goes through all of them. After each attack the
//! screen must be intact and still take input, the process's memory must
//! not have grown past what the reply cap allows, and once sotto has quit
//! the vault must hold exactly what arrived, in the state it ended in.

use sotto::store::{ReplyState, Role};

use super::ask::{Stored, stored};
use super::support::http::{Recorded, Script, Step, TestServer, delta, done, finish, sse};
use super::tui::{Screen, have_tmux};
use super::*;

/// Every kind of terminal escape a reply might try: a screen clear, cursor
/// moves, a title change, an OSC 52 clipboard write, an OSC 8 link, a DCS
/// string, the C1 forms of CSI, OSC and DCS, a bell, and bidi overrides.
const ESCAPES: &str = "before \u{1b}[2J\u{1b}[H\u{1b}[10;10H\u{1b}[1A\u{1b}]0;pwned\u{7}\
     \u{1b}]52;c;cHduZWQ=\u{7}\u{1b}]8;;http://evil.example/\u{1b}\\link\u{1b}]8;;\u{1b}\\\
     \u{1b}Pq#0;2;0;0;0\u{1b}\\ c1:\u{9b}31m\u{9d}0;pwned\u{7}\u{90}q\u{9c} \
     \u{202e}desrever\u{202c} \u{2066}isolate\u{2069} after";

/// Lines that would be commands if they were typed; from a backend they are text.
const COMMANDS: &str = "/quit\n/wipe all\n/export all hostile-export.json\n";

/// The text of each event of the 100 MB reply: words, as a model writes them.
const HUGE_EVENT_TEXT: &str = "lorem ipsum dolor sit amet ";

/// The cap this session runs with (the default): 1 MiB.
const REPLY_CAP: usize = 1024 * 1024;

/// The server's answer to "case WORD".
fn attack(request: &Recorded) -> Script {
    let body = request.json();
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    let stream = |steps: Vec<Step>| Script::new(200, "text/event-stream", steps);
    let bytes = |text: String| Step::Bytes(text.into_bytes());
    match last.strip_prefix("case ").unwrap_or_default() {
        "escapes" => sse(&[delta(ESCAPES), finish("stop"), done()]),
        "utf8" => stream(vec![
            Step::Bytes(
                b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bad \xff\xfe bytes\"}}]}\n\n".to_vec(),
            ),
            bytes(finish("stop")),
            bytes(done()),
        ]),
        "huge" => {
            let piece = delta(&HUGE_EVENT_TEXT.repeat(37)).into_bytes();
            let count = 100 * 1024 * 1024 / piece.len();
            stream(vec![Step::Repeat(piece, count), bytes(finish("stop")), bytes(done())])
        }
        "drip" => {
            // One byte a second: the read timeout never fires, the reply
            // deadline does.
            let mut steps = vec![bytes(delta("Slow start. "))];
            for byte in delta("never whole").into_bytes() {
                steps.push(Step::Pause(Duration::from_secs(1)));
                steps.push(Step::Bytes(vec![byte]));
            }
            stream(steps)
        }
        "longline" => stream(vec![
            bytes(delta("Before the line. ")),
            Step::Bytes(b"data: ".to_vec()),
            Step::Repeat(vec![b'x'; 64 * 1024], 160),
        ]),
        "nested" => stream(vec![
            bytes(delta("Before nesting. ")),
            bytes(format!(
                "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"x\"}},\"extra\":{}{}}}]}}\n\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )),
            bytes(format!("data: {}{}\n\n", "[".repeat(100_000), "]".repeat(100_000))),
            bytes(done()),
        ]),
        "commands" => sse(&[delta(COMMANDS), finish("stop"), done()]),
        "never" => Script::never_answers(),
        other => panic!("no attack called {other:?}"),
    }
}

/// (resident, peak resident) of `pid`, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Types into the input while a reply is under way and waits to see it:
/// the screen still handles keys. Then clears the line again.
fn still_takes_input(screen: &Screen, word: &str) {
    let probe = format!("typed-during-{word}");
    screen.type_text(&probe);
    screen.wait_for(&probe);
    screen.keys(&["C-u"]);
}

/// The screen's structure, which no reply may move: the row of the input
/// box, the column of the sidebar's border on every row, and the start of
/// the status bar.
fn frame(text: &str) -> (Option<usize>, Vec<Option<usize>>, String) {
    let lines: Vec<&str> = text.lines().collect();
    let input = lines.iter().position(|l| l.contains("┌ Message (Enter sends"));
    let border = lines
        .iter()
        .map(|l| l.chars().position(|c| matches!(c, '│' | '┐' | '┘')))
        .collect();
    let status = lines
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.chars().take(24).collect())
        .unwrap_or_default();
    (input, border, status)
}

#[test]
fn a_hostile_backend_leaves_the_screen_intact_responsive_bounded_and_the_vault_exact() {
    if !have_tmux() {
        return;
    }
    let server = TestServer::start(attack);
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let config = sandbox.file(
        "config.toml",
        &format!(
            "default_backend = \"evil\"\n[backends.evil]\nkind = \"openai\"\nbase_url = \"{}\"\n\
             read_timeout_secs = 2\nreply_timeout_secs = 4\n",
            server.base_url()
        ),
    );
    let screen = Screen::sotto(&sandbox, &format!("--config '{}'", config.display()), &[]);
    let intact = frame(&screen.unlock());
    screen.tmux(&["set-buffer", "clipboard-before"]);
    let pid = screen.sotto_pid();
    let (start_kib, _) = memory_kib(pid);

    // (attack, what the screen shows when the reply has ended)
    let cases = [
        ("escapes", "after"),
        ("utf8", "bad ��"),
        ("huge", "size limit"),
        ("drip", "reply_timeout_secs"),
        ("longline", "a line longer than"),
        ("nested", "broke the streaming protocol"),
        ("commands", "/export all hostile-export.json"),
        ("never", "read_timeout_secs"),
    ];
    let mut report = Vec::new();
    for (word, ended) in cases {
        screen.send("/new");
        screen.wait_for("New conversation");
        let (before_kib, _) = memory_kib(pid);
        screen.send(&format!("case {word}"));
        if matches!(word, "drip" | "never") {
            still_takes_input(&screen, word);
        }
        let shown = screen.wait_for(ended);
        if word == "escapes" {
            // Shown as visible stand-ins, not interpreted.
            for token in ["␛[2J␛[H", "␛]0;pwned␇", "⟨U+009B⟩31m", "⟨U+202E⟩desrever"] {
                assert!(shown.contains(token), "{token} is not on screen:\n{shown}");
            }
        }
        still_takes_input(&screen, word);
        assert_eq!(frame(&screen.text()), intact, "{word} changed the frame:\n{shown}");
        let (after_kib, peak_kib) = memory_kib(pid);
        report.push(format!("{word}: {before_kib} -> {after_kib} KiB (peak {peak_kib} KiB)"));
        // A reply at the cap costs about 15 times its size while it is on
        // screen (its text, Markdown and wrapped rows, the store's copy) and
        // 25 times at the peak; a reply held whole would be 100 MB and more.
        let cap_kib = (REPLY_CAP / 1024) as u64;
        assert!(
            after_kib.saturating_sub(before_kib) < 32 * cap_kib && peak_kib.saturating_sub(start_kib) < 48 * cap_kib,
            "{word} grew the memory too far: {}",
            report.join("; ")
        );
    }
    eprintln!("memory: {}", report.join("; "));

    let title = screen.tmux(&["display-message", "-p", "#{pane_title}"]);
    assert!(!title.contains("pwned"), "the title was changed: {title}");
    assert_eq!(
        screen.tmux(&["show-buffer"]),
        "clipboard-before",
        "the clipboard was written"
    );
    let shown = screen.text();
    assert!(!shown.contains("EXIT="), "a reply's /quit ended the session:\n{shown}");
    assert!(!sandbox.path("hostile-export.json").exists() && sandbox.vault().exists());
    screen.send("/quit");
    screen.wait_for("EXIT=0");
    drop(screen);

    let mut replies: Vec<(String, Stored)> = stored(&sandbox.vault())
        .into_iter()
        .map(|(_, messages)| {
            assert_eq!(messages.len(), 2, "{messages:?}");
            assert_eq!(messages[0].0, Role::User);
            (messages[0].1.clone(), messages[1].clone())
        })
        .collect();
    replies.sort_by(|a, b| a.0.cmp(&b.0));
    let reply = |word: &str| -> &Stored {
        &replies
            .iter()
            .find(|(asked, _)| asked == &format!("case {word}"))
            .unwrap_or_else(|| panic!("no conversation for {word}"))
            .1
    };
    let assistant = |text: &str, state: ReplyState| (Role::Assistant, text.to_owned(), state);
    assert_eq!(*reply("escapes"), assistant(ESCAPES, ReplyState::Complete));
    assert_eq!(
        *reply("utf8"),
        assistant("bad \u{FFFD}\u{FFFD} bytes", ReplyState::Complete)
    );
    let huge = reply("huge");
    assert_eq!((huge.0, huge.2), (Role::Assistant, ReplyState::Truncated));
    let whole = HUGE_EVENT_TEXT.repeat(REPLY_CAP / HUGE_EVENT_TEXT.len() + 1);
    assert!(huge.1 == whole[..REPLY_CAP], "the reply up to the cap, exactly");
    assert_eq!(*reply("drip"), assistant("Slow start. ", ReplyState::Failed));
    assert_eq!(*reply("longline"), assistant("Before the line. ", ReplyState::Failed));
    // Nesting in a field sotto ignores is skipped; nesting where a chunk
    // should be is refused, without exhausting the stack.
    assert_eq!(*reply("nested"), assistant("Before nesting. x", ReplyState::Failed));
    assert_eq!(*reply("commands"), assistant(COMMANDS, ReplyState::Complete));
    assert_eq!(*reply("never"), assistant("", ReplyState::Failed));
    assert_eq!(replies.len(), cases.len());
}
