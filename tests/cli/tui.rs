//! The chat screen end to end: the real binary in a real terminal (tmux),
//! driven by keystrokes and read back from the screen.

use sotto::store::Role;

use super::support::http::{Script, Step, TestServer, delta, done, finish, sse};
use super::support::reopen;
use super::*;

/// Whether the calling test can run tmux (see support/external.rs).
pub(super) fn have_tmux() -> bool {
    super::support::external::available(&super::support::external::TMUX)
}

/// A tmux server of its own (its own socket), killed when dropped.
pub(super) struct Screen {
    socket: String,
}

impl Screen {
    /// Runs `command` (a shell line) in a 100x30 terminal. When it ends, the
    /// pane shows `EXIT=<code>` and stays for a while.
    pub(super) fn start(sandbox: &Sandbox, command: &str, env: &[(&str, &str)]) -> Screen {
        // One socket per screen, even for several screens of one sandbox:
        // a killed server may not have let go of its socket yet.
        static SCREENS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let socket = format!(
            "sotto-test-{}-{}-{}",
            std::process::id(),
            sandbox.dir.path().file_name().unwrap().to_string_lossy(),
            SCREENS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut line = String::from("env -i");
        for (k, v) in [
            ("PATH", std::env::var("PATH").unwrap_or_default().as_str()),
            ("HOME", sandbox.path("home").to_str().unwrap()),
            ("XDG_CONFIG_HOME", sandbox.path("home/.config").to_str().unwrap()),
            ("TERM", "xterm-256color"),
            ("LANG", "C.UTF-8"),
        ]
        .iter()
        .chain(env.iter())
        {
            line.push_str(&format!(" {k}='{v}'"));
        }
        line.push_str(&format!(" {command}; echo EXIT=$?; sleep 60"));
        // Two tmux servers starting at the same moment can race on creating
        // their socket directory: try again briefly before failing.
        let mut last = String::new();
        for _ in 0..5 {
            let out = Command::new("tmux")
                .args([
                    "-L",
                    &socket,
                    "-f",
                    "/dev/null",
                    "new-session",
                    "-d",
                    "-x",
                    "100",
                    "-y",
                    "30",
                ])
                .arg(&line)
                .output()
                .expect("tmux is installed (apt-get install tmux)");
            if out.status.success() {
                let screen = Screen { socket };
                // Let applications set tmux's clipboard with OSC 52, as a
                // terminal emulator would.
                screen.tmux(&["set-option", "-g", "set-clipboard", "on"]);
                return screen;
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("tmux did not start: {last}");
    }

    pub(super) fn sotto(sandbox: &Sandbox, args: &str, env: &[(&str, &str)]) -> Screen {
        let command = format!(
            "'{}' --data-dir '{}' {args}",
            env!("CARGO_BIN_EXE_sotto"),
            sandbox.vault().display()
        );
        Screen::start(sandbox, &command, env)
    }

    pub(super) fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(super) fn text(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    pub(super) fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
    }

    pub(super) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Waits until the screen shows `needle`; fails with the screen if not.
    pub(super) fn wait_for(&self, needle: &str) -> String {
        self.wait_for_all(&[needle])
    }

    /// Waits for one capture of the screen that shows every one of
    /// `needles`, and returns it: a capture can catch a frame half drawn.
    pub(super) fn wait_for_all(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            if needles.iter().all(|needle| text.contains(needle)) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {needles:?}; the screen shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pid of sotto inside the pane: `env` execs it as the shell's only
    /// child. Found through every process's parent in `/proc/PID/stat`.
    pub(super) fn sotto_pid(&self) -> u32 {
        let shell: u32 = self
            .tmux(&["display-message", "-p", "#{pane_pid}"])
            .trim()
            .parse()
            .unwrap();
        let parent_of = |pid: u32| -> Option<u32> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            stat[stat.rfind(')')? + 1..].split_whitespace().nth(1)?.parse().ok()
        };
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .find(|&pid| parent_of(pid) == Some(shell))
            .expect("sotto runs in the pane")
    }

    /// Unlocks with the test passphrase and waits for the chat screen;
    /// returns the screen as it then shows.
    pub(super) fn unlock(&self) -> String {
        self.wait_for("Unlock your vault");
        self.type_text(PASSPHRASE);
        self.keys(&["Enter"]);
        self.wait_for("Message (Enter sends")
    }

    /// Presses Esc and waits until `shown` (a popup, a streaming mark) is gone, so
    /// that the next keys are not read together with the Esc as Alt-keys.
    pub(super) fn escape_until_gone(&self, shown: &str) {
        self.keys(&["Escape"]);
        self.wait_until_gone(shown, Duration::from_secs(20));
    }

    /// Waits until the screen no longer shows `needle`; fails with the
    /// screen if it still does after `within`.
    pub(super) fn wait_until_gone(&self, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while self.text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{needle:?} still shown after {within:?}:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until a bot reply showing `needle` has finished arriving: its
    /// last words can be on screen while the stream's end is still on the
    /// way, and a Ctrl-C then would stop the reply instead of quitting.
    pub(super) fn wait_for_finished_reply(&self, needle: &str) -> String {
        self.wait_for(needle);
        self.wait_until_gone("writing…", Duration::from_secs(20));
        self.text()
    }

    pub(super) fn send(&self, message: &str) {
        self.type_text(message);
        self.keys(&["Enter"]);
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

#[test]
fn first_run_chat_switch_quit_then_unlock_and_see_the_history() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.wait_for("Welcome to sotto");
    screen.type_text(PASSPHRASE);
    screen.keys(&["Enter"]);
    screen.type_text(PASSPHRASE);
    screen.keys(&["Enter"]);
    screen.wait_for("Who should answer?");
    screen.keys(&["Enter"]);
    screen.wait_for("Message (Enter sends");

    screen.send("How do I wipe a conversation?");
    screen.wait_for("crypto-shredding");
    let shown = screen.wait_for("Bot · local (automated)");
    assert!(
        shown.contains("vault unlocked") || shown.contains("unlocked"),
        "{shown}"
    );

    screen.send("/copy");
    screen.wait_for("copied the last reply");
    let clipboard = screen.tmux(&["show-buffer"]);
    assert!(
        clipboard.contains("crypto-shredding"),
        "OSC 52 reached the terminal's clipboard: {clipboard:?}"
    );

    screen.send("/view");
    // All on one capture (reading them off the capture that first showed
    // one failed once on a loaded machine: a frame caught half drawn).
    screen.wait_for_all(&["answered 1 of your messages", "Vault", "Redaction"]);
    screen.escape_until_gone("answered 1 of your messages");

    screen.send("/new");
    screen.wait_for("New conversation");
    screen.send("hello there");
    screen.wait_for("help-desk bot");
    // Alt-Down: the other (older) conversation.
    screen.keys(&["M-Down"]);
    screen.wait_for("crypto-shredding");
    screen.send("/quit");
    screen.wait_for("EXIT=0");
    drop(screen);
    // The clean close left the startup record the next start draws first.
    let record = sandbox.vault().join("startup.sealed");
    assert!(record.exists());

    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.wait_for("Unlock your vault");
    screen.type_text("not the passphrase");
    screen.keys(&["Enter"]);
    screen.wait_for("2 more tries");
    screen.type_text(PASSPHRASE);
    screen.keys(&["Enter"]);
    let shown = screen.wait_for("Conversations (2)");
    assert!(
        shown.contains("hello there") && shown.contains("How do I wipe"),
        "{shown}"
    );
    screen.wait_for("help-desk bot");
    // The screen can show the history and the bot (drawn from the record)
    // a moment before the store has opened the database, which shreds the
    // record: wait for it rather than read the disk once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while record.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!record.exists(), "an open vault has no startup record");
    // /lock: back to the passphrase, then the history again.
    screen.send("/lock");
    screen.wait_for("Locked. The history and keys left memory.");
    screen.type_text(PASSPHRASE);
    screen.keys(&["Enter"]);
    screen.wait_for("Conversations (2)");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
    drop(screen);
    assert!(record.exists());

    let vault = reopen(&sandbox.vault());
    assert!(!record.exists(), "any opening of the database shreds it");
    let list = vault.list_conversations().unwrap().conversations;
    assert_eq!(list.len(), 2);
    for conversation in &list {
        let messages = vault.newest_messages(conversation.id, 10).unwrap();
        let roles: Vec<Role> = messages.iter().map(|m| m.as_ref().unwrap().role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant], "{}", conversation.title);
    }
    let audit = vault.audit_log().unwrap();
    assert!(
        audit.iter().any(|e| matches!(
            &e.as_ref().unwrap().event,
            sotto::store::AuditEvent::UnlockFailed { .. }
        )),
        "the wrong passphrase is in the audit log"
    );
}

#[test]
fn a_hostile_reply_cannot_drive_the_terminal_and_the_draft_goes_through_the_editor() {
    if !have_tmux() {
        return;
    }
    let server = TestServer::always(|| {
        sse(&[
            delta("before \u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}\u{1b}]52;c;aGk=\u{7} after\n"),
            delta("/quit\n"),
            finish("stop"),
            done(),
        ])
    });
    let sandbox = Sandbox::new();
    let config = sandbox.llama_config(&server.base_url());
    let screen = Screen::sotto(
        &sandbox,
        &format!("--incognito --config '{}'", config.display()),
        &[("EDITOR", "sed -i s/draft/edited/")],
    );
    screen.wait_for("not opened (incognito)");
    screen.type_text("my draft");
    screen.keys(&["C-o"]);
    screen.wait_for("my edited");
    screen.keys(&["Enter"]);
    let shown = screen.wait_for("after");
    assert!(shown.contains("before ␛[2J␛[H␛]0;pwned␇␛]52;c;aGk=␇ after"), "{shown}");
    assert!(shown.contains("my edited"), "the screen was not cleared: {shown}");
    let title = screen.tmux(&["display-message", "-p", "#{pane_title}"]);
    assert!(!title.contains("pwned"), "the title was changed: {title}");
    // The reply's "/quit" was text, not a command.
    std::thread::sleep(Duration::from_millis(300));
    assert!(!screen.text().contains("EXIT="));
    let request = &server.requests()[0];
    assert_eq!(request.json()["messages"][0]["content"], "my edited");
    // Copying the reply copies what is shown: no live escape sequences.
    screen.send("/copy");
    screen.wait_for("copied the last reply");
    let clipboard = screen.tmux(&["show-buffer"]);
    assert!(clipboard.contains("before ␛[2J"), "{clipboard:?}");
    assert!(!clipboard.contains('\u{1b}'), "{clipboard:?}");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
    assert!(!sandbox.vault().exists(), "incognito created no vault");
}

const TUI_PANIC_CHILD_ENV: &str = "SOTTO_TEST_TUI_PANIC_CHILD";

#[test]
fn a_panic_in_the_chat_screen_restores_the_terminal_and_withholds_its_message() {
    if std::env::var_os(TUI_PANIC_CHILD_ENV).is_some() {
        sotto::hardening::prepare_process(|| {});
        let _screen = sotto::app::terminal::TerminalGuard::new().expect("a terminal");
        let text = String::from("secret conversation text é");
        let cut = text.len() - 1;
        let _ = &text[..cut];
        unreachable!();
    }
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "tui::a_panic_in_the_chat_screen_restores_the_terminal_and_withholds_its_message",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(TUI_PANIC_CHILD_ENV, "1")
        .env("RUST_BACKTRACE", "0");
    let mut child = super::support::pty::spawn(&mut command);
    let status = child.wait(Duration::from_secs(20));
    assert!(!status.success());
    let seen = child.seen.clone();
    let entered = seen.find("\u{1b}[?1049h").expect("the alternate screen was entered");
    let left = seen.rfind("\u{1b}[?1049l").expect("the alternate screen was left");
    assert!(left > entered);
    let message = seen.find("sotto: internal error").expect("a short message");
    assert!(
        message > left,
        "the message is printed on the restored terminal: {seen:?}"
    );
    assert!(!seen.contains("secret conversation"), "{seen:?}");
    assert!(child.echo_is_on(), "raw mode was left on");
}

#[test]
fn the_chat_screen_sends_placeholders_and_shows_the_reply_with_the_values_back() {
    if !have_tmux() {
        return;
    }
    let server = TestServer::always(|| sse(&[delta("I will mail [EMAIL_1] now."), finish("stop"), done()]));
    let sandbox = Sandbox::new();
    let config = sandbox.llama_config(&server.base_url());
    let screen = Screen::sotto(&sandbox, &format!("--incognito --config '{}'", config.display()), &[]);
    screen.wait_for("redaction mask");
    screen.send("please mail jane.doe@example.org the invoice");
    let shown = screen.wait_for("I will mail jane.doe@example.org now.");
    assert!(shown.contains("1 item(s) withheld"), "{shown}");
    // The reply was on screen, so its request was made.
    let body = String::from_utf8_lossy(&server.requests()[0].body).into_owned();
    assert!(
        !body.contains("jane.doe@example.org") && body.contains("[EMAIL_1]"),
        "{body}"
    );
    // Warn mode asks first, with a masked preview.
    screen.send("/redact warn");
    screen.send("and card 4111 1111 1111 1111");
    let shown = screen.wait_for("Personal data (redaction: warn)");
    assert!(
        shown.contains("•••• 1111") && !shown.contains("4111 1111 1111 1111 "),
        "{shown}"
    );
    screen.keys(&["m"]);
    screen.wait_for("withheld from the backend");
    // The notice comes when the message is prepared; the request follows
    // once the message is stored.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.requests().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the second request never came:\n{}",
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let body = String::from_utf8_lossy(&server.requests()[1].body).into_owned();
    assert!(!body.contains("4111") && body.contains("[CREDIT_CARD_1]"), "{body}");
    // Ctrl-C while the second reply is being written stops it instead of
    // quitting: wait for it to be whole.
    let deadline = Instant::now() + Duration::from_secs(20);
    while screen.text().matches("I will mail jane.doe@example.org now.").count() < 2 {
        assert!(
            Instant::now() < deadline,
            "the second reply never came:\n{}",
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    screen.wait_until_gone("writing…", Duration::from_secs(20));
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}

/// A reply with a table and a code block, as a loopback backend streams it:
/// in uneven pieces that cut through the table's rows, the fence and the
/// keywords, with pauses so the screen draws the halves.
const TABLE_AND_CODE: &str = "Here you go:\n\n| Option | Cost |\n|:--|--:|\n| sled | 10 |\n| files | 200 |\n\n```python\ndef greet(name: str) -> str:\n    return f\"hi {name}\"  # a greeting\n```\n\nDone.";

fn streamed_in_uneven_pieces(text: &str) -> Script {
    let mut steps = Vec::new();
    let (mut at, mut size) = (0, 1);
    while at < text.len() {
        let mut end = (at + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        steps.push(Step::Bytes(delta(&text[at..end]).into_bytes()));
        steps.push(Step::Pause(Duration::from_millis(15)));
        at = end;
        size = size % 7 + 3;
    }
    steps.push(Step::Bytes(finish("stop").into_bytes()));
    steps.push(Step::Bytes(done().into_bytes()));
    Script::new(200, "text/event-stream", steps)
}

/// The distinct foreground colours (SGR 38;...) on the screen row showing `needle`.
fn colours_on_the_row_with(screen: &Screen, needle: &str) -> std::collections::BTreeSet<String> {
    let plain = screen.text();
    let row = plain
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no row shows {needle:?}:\n{plain}"));
    let styled = screen.tmux(&["capture-pane", "-p", "-e"]);
    let line = styled.lines().nth(row).expect("the same row, styled");
    let mut colours = std::collections::BTreeSet::new();
    for sgr in line.split("\u{1b}[").skip(1) {
        let params = sgr.split('m').next().unwrap_or("");
        let parts: Vec<&str> = params.split(';').collect();
        let mut i = 0;
        while i < parts.len() {
            // 38;2;r;g;b and 38;5;n set the foreground (48;... the background).
            let wide = match parts.get(i + 1) {
                Some(&"2") => 5,
                Some(&"5") => 3,
                _ => 1,
            };
            match parts[i] {
                "38" => {
                    colours.insert(parts[i..(i + wide).min(parts.len())].join(";"));
                    i += wide;
                }
                "48" => i += wide,
                p if matches!(p.parse::<u8>(), Ok(30..=37 | 90..=97)) => {
                    colours.insert(p.to_owned());
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }
    colours
}

#[test]
fn a_streamed_reply_shows_its_table_as_a_table_and_its_code_in_colour() {
    if !have_tmux() {
        return;
    }
    let server = TestServer::always(|| streamed_in_uneven_pieces(TABLE_AND_CODE));
    let sandbox = Sandbox::new();
    let config = sandbox.llama_config(&server.base_url());
    let screen = Screen::sotto(&sandbox, &format!("--incognito --config '{}'", config.display()), &[]);
    screen.wait_for("redaction mask");
    screen.send("compare the options and show code");
    let shown = screen.wait_for_finished_reply("Done.");
    // The table: drawn with borders, its columns sized to the content and
    // the numbers right-aligned, and no Markdown pipes or dashes left.
    for row in [
        "┌────────┬──────┐",
        "│ Option │ Cost │",
        "├────────┼──────┤",
        "│ sled   │   10 │",
        "│ files  │  200 │",
        "└────────┴──────┘",
    ] {
        assert!(shown.contains(row), "no {row:?} on screen:\n{shown}");
    }
    assert!(!shown.contains("|:--|") && !shown.contains("| sled |"), "{shown}");
    // The code: numbered, verbatim, and in several colours.
    assert!(shown.contains("[1] python"), "{shown}");
    assert!(shown.contains("def greet(name: str) -> str:"), "{shown}");
    // Colours a prose row has too (borders, the text colour) do not count.
    // The language is made ready in the background: the code may show
    // plain for a moment, then in colour.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let prose = colours_on_the_row_with(&screen, "Here you go:");
        let colours: Vec<String> = colours_on_the_row_with(&screen, "def greet")
            .difference(&prose)
            .cloned()
            .collect();
        if colours.len() >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the code line has {} colours: {colours:?}\n{}",
            colours.len(),
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}

#[test]
fn the_incognito_chat_screen_leaves_every_byte_of_an_existing_vault_unchanged() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    drop(super::support::new_vault(&sandbox.vault()));
    let before = super::support::snapshot(&sandbox.vault());
    let screen = Screen::sotto(&sandbox, "--incognito", &[]);
    screen.wait_for("not opened (incognito)");
    screen.send("a canary-4521 message that must stay in memory");
    // Ctrl-C while the reply is being written stops it instead of quitting.
    screen.wait_for_finished_reply("Bot · local (automated)");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
    assert_eq!(
        before,
        super::support::snapshot(&sandbox.vault()),
        "the data dir changed"
    );
}

#[test]
fn export_and_wipe_all_from_the_chat_screen() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    {
        let mut vault = new_vault(&sandbox.vault());
        let id = vault.create_conversation("Taxes").unwrap();
        vault.append_message(id, NewMessage::user("receipts for 2025")).unwrap();
    }
    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.wait_for("Unlock your vault");
    screen.type_text(PASSPHRASE);
    screen.keys(&["Enter"]);
    screen.wait_for("Conversations (1)");
    let export = sandbox.path("all.json.age");
    screen.send(&format!("/export all {}", export.display()));
    screen.wait_for("exported 1 conversation(s), 1 message(s)");
    assert!(std::fs::read(&export).unwrap().starts_with(b"age-encryption.org/v1"));

    screen.send("/wipe all");
    screen.wait_for("Wipe the whole vault?");
    // A 'y' is not an answer here.
    screen.keys(&["y", "Enter"]);
    screen.wait_for("exactly to confirm");
    assert!(sandbox.vault().exists());
    screen.keys(&["BSpace"]);
    screen.send("wipe");
    let shown = screen.wait_for("EXIT=0");
    assert!(shown.contains("Wiped the whole vault"), "{shown}");
    assert!(!sandbox.vault().exists());
}

#[test]
fn the_demo_tours_a_throwaway_vault_and_leaves_nothing_behind() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let tmp = sandbox.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let screen = Screen::sotto(&sandbox, "demo", &[("TMPDIR", tmp.to_str().unwrap())]);
    screen.wait_for("Press Enter to begin");
    let during: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert_eq!(during.len(), 1, "the throwaway vault lives in TMPDIR");

    screen.keys(&["Enter"]);
    screen.wait_for("1/6");
    screen.wait_for("jane.doe@example.com");
    screen.keys(&["Enter"]);
    // The bot saw placeholders only; the screen shows the values again.
    let shown = screen.wait_for("I have noted jane.doe@example.com and 4111 1111 1111 1111");
    assert!(shown.contains("withheld"), "{shown}");
    screen.keys(&["Enter"]);
    screen.wait_for("2/6");
    screen.keys(&["Enter"]);
    screen.wait_for("3/6");
    screen.keys(&["Enter"]);
    screen.wait_for("Recovery key");
    screen.escape_until_gone("Recovery key");
    screen.keys(&["Enter"]);
    screen.wait_for("4/6");
    screen.keys(&["Enter"]);
    screen.wait_for("exported 1 conversation(s)");
    screen.keys(&["Enter"]);
    screen.wait_for("5/6");
    screen.keys(&["Enter"]);
    screen.wait_for("Wipe this conversation?");
    screen.send("wipe");
    screen.wait_for("Conversations (0)");
    screen.keys(&["Enter"]);
    screen.wait_for("6/6");
    screen.keys(&["C-c"]);
    let shown = screen.wait_for("EXIT=0");
    assert!(shown.contains("throwaway vault was destroyed"), "{shown}");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "the demo left {left:?}");
    assert!(!sandbox.vault().exists(), "the user's vault was touched");
}

#[test]
fn sigterm_and_sighup_keep_what_arrived_close_the_vault_and_restore_the_terminal() {
    if !have_tmux() {
        return;
    }
    let server =
        TestServer::always(|| super::support::http::delta_then_silence("The first part", Duration::from_secs(30)));
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let config = sandbox.llama_config(&server.base_url());
    for (signal, asked) in [
        (libc::SIGTERM, "asked before SIGTERM"),
        (libc::SIGHUP, "asked before SIGHUP"),
    ] {
        // After sotto, the shell prints the terminal's line discipline: raw
        // mode left on would show as -icanon and -echo.
        let command = format!(
            "'{}' --data-dir '{}' --config '{}'; code=$?; stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)'; (exit $code)",
            env!("CARGO_BIN_EXE_sotto"),
            sandbox.vault().display(),
            config.display()
        );
        let screen = Screen::start(&sandbox, &command, &[]);
        screen.unlock();
        screen.send("/new");
        screen.wait_for("New conversation");
        screen.send(asked);
        screen.wait_for("The first part");
        // SAFETY: kill sends a signal to the process running in our pane.
        unsafe { libc::kill(screen.sotto_pid() as i32, signal) };
        let shown = screen.wait_for("EXIT=143");
        // The terminal is back: canonical mode and echo, no alternate screen.
        let lines: Vec<&str> = shown.lines().map(str::trim).collect();
        assert!(lines.contains(&"icanon") && lines.contains(&"echo"), "{shown}");
        assert!(!lines.contains(&"-icanon") && !lines.contains(&"-echo"), "{shown}");
        assert_eq!(screen.tmux(&["display-message", "-p", "#{alternate_on}"]).trim(), "0");
    }
    // The vault closed cleanly both times: no loss against the watermark, and
    // each partial reply is kept as stopped, not as cut off by a crash.
    let vault = reopen(&sandbox.vault());
    assert!(vault.unlock_report().storage_losses.is_empty());
    drop(vault);
    let mut conversations: Vec<Vec<super::ask::Stored>> = super::ask::stored(&sandbox.vault())
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    conversations.sort_by(|a, b| a[0].1.cmp(&b[0].1));
    for (messages, asked) in conversations
        .iter()
        .zip(["asked before SIGHUP", "asked before SIGTERM"])
    {
        assert_eq!(
            messages[0],
            (Role::User, asked.to_owned(), sotto::store::ReplyState::Complete)
        );
        assert_eq!(
            messages[1],
            (
                Role::Assistant,
                "The first part".to_owned(),
                sotto::store::ReplyState::Cancelled
            )
        );
    }
    assert_eq!(conversations.len(), 2);
}

#[test]
fn an_identity_file_removed_during_a_chat_is_written_back_and_the_user_is_told() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let identity = sandbox.vault().join("identity.age");
    let original = std::fs::read(&identity).unwrap();
    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.unlock();
    std::fs::remove_file(&identity).unwrap();
    screen.send("is my history still safe?");
    screen.wait_for("Bot · local (automated)");
    screen.wait_for("written back");
    assert_eq!(std::fs::read(&identity).unwrap(), original);
    // Ctrl-C during a reply stops the reply; only after it, sotto.
    screen.wait_until_gone("writing…", Duration::from_secs(20));
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
    drop(screen);
    let vault = reopen(&sandbox.vault());
    let list = vault.list_conversations().unwrap().conversations;
    assert_eq!(list.len(), 1);
    assert_eq!(vault.newest_messages(list[0].id, 10).unwrap().len(), 2);
}

#[test]
fn the_chat_screen_tells_which_knowledge_files_were_not_loaded() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.path("runbooks");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("huge.md"), "x".repeat(3 << 20)).unwrap();
    let screen = Screen::sotto(&sandbox, &format!("--incognito --knowledge '{}'", dir.display()), &[]);
    screen.wait_for("1 knowledge file(s) not loaded");
}

#[test]
fn a_long_conversation_opens_at_its_newest_message_and_scrolls_back_to_its_first() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let mut vault = new_vault(&sandbox.vault());
    let id = vault.create_conversation("a long one").unwrap();
    let texts: Vec<String> = (0..400).map(|i| format!("line number {i} of the long one")).collect();
    vault
        .append_messages(id, texts.iter().map(|t| sotto::store::NewMessage::user(t)))
        .unwrap();
    drop(vault);

    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.unlock();
    screen.wait_for("line number 399 of the long one");
    // The older messages came after the first frame; the top of the
    // conversation is its very first message.
    screen.keys(&["C-Home"]);
    screen.wait_for("line number 0 of the long one");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}
