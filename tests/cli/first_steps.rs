//! What a new user trips over (issue 19), end to end: the real binary in a
//! real terminal (tmux), or through the CLI where no screen is involved.

use super::support::http::{TestServer, delta, delta_then_silence, done, finish, sse};
use super::tui::{Screen, have_tmux};
use super::*;

/// The last row of the screen: the status bar.
fn status_row(screen: &str) -> String {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_incognito_conversation_is_marked_alike_everywhere_and_the_bar_keeps_it_and_streaming_at_40_columns() {
    if !have_tmux() {
        return;
    }
    let server = TestServer::always(|| delta_then_silence("Thinking it over", Duration::from_secs(60)));
    let sandbox = Sandbox::new();
    {
        let mut vault = new_vault(&sandbox.vault());
        let id = vault.create_conversation("Taxes").unwrap();
        vault.append_message(id, NewMessage::user("receipts for 2025")).unwrap();
    }
    let config = sandbox.llama_config(&server.base_url());
    let screen = Screen::sotto(&sandbox, &format!("--config '{}'", config.display()), &[]);
    screen.unlock();
    screen.send("/incognito");
    let shown = screen.wait_for("Incognito: nothing of this");
    assert!(!shown.contains("Everything is kept encrypted"), "{shown}");
    screen.send("a message that stays in memory");
    let shown = screen.wait_for("Thinking it over");
    // README: "marked ◌ in the sidebar and 'incognito: memory only' in the status bar".
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("marked ◌ in the sidebar"), "README names the mark");
    assert!(shown.lines().any(|l| l.starts_with("◌ a message that")), "{shown}");
    let bar = status_row(&shown);
    assert!(
        bar.contains("incognito: memory only") && bar.contains("● streaming") && bar.contains("unlocked"),
        "at 100 columns: {bar:?}"
    );
    screen.tmux(&["resize-window", "-x", "40"]);
    std::thread::sleep(Duration::from_millis(300));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let bar = status_row(&screen.text());
        if bar.contains("incognito") && bar.contains("● streaming") && bar.contains("unlocked") {
            break;
        }
        assert!(Instant::now() < deadline, "at 40 columns: {bar:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Esc stops the reply; Ctrl-C only once it has, or the two would be
    // read together as one Alt-key.
    screen.escape_until_gone("● streaming");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}

#[test]
fn the_backend_chosen_with_slash_backend_is_the_one_at_the_next_start_unless_one_is_named() {
    if !have_tmux() {
        return;
    }
    let server = TestServer::always(|| sse(&[delta("From the llama."), finish("stop"), done()]));
    let sandbox = Sandbox::new();
    drop(new_vault(&sandbox.vault()));
    let config = sandbox.file(
        "config.toml",
        &format!(
            "[backends.llama]\nkind = \"openai\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
    );
    let args = format!("--config '{}'", config.display());
    let screen = Screen::sotto(&sandbox, &args, &[]);
    let shown = screen.unlock();
    assert!(status_row(&shown).contains("local"), "{shown}");
    screen.send("/help");
    screen.wait_for("Help (Esc closes");
    let mut pages = 0;
    while !screen.text().contains("answers and remember it") {
        assert!(
            pages < 20,
            "/help never says the backend is remembered:\n{}",
            screen.text()
        );
        screen.keys(&["NPage"]);
        std::thread::sleep(Duration::from_millis(100));
        pages += 1;
    }
    screen.escape_until_gone("Help (Esc closes");
    screen.send("/backend llama");
    screen.wait_for("backend 'llama'");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
    drop(screen);

    let screen = Screen::sotto(&sandbox, &args, &[]);
    let shown = screen.unlock();
    let bar = status_row(&shown);
    assert!(bar.contains("llama") && !bar.contains("local"), "{bar:?}");
    screen.send("which backend is this?");
    screen.wait_for_finished_reply("From the llama.");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
    drop(screen);

    let screen = Screen::sotto(&sandbox, &format!("{args} --backend local"), &[]);
    let shown = screen.unlock();
    let bar = status_row(&shown);
    assert!(bar.contains("local") && !bar.contains("llama"), "{bar:?}");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}

/// Makes `dir` read-only for the child `command` starts: a read-only tmpfs
/// over it in the child's own mount namespace where the kernel allows it
/// (root), else its permission bits (which bind every user but root).
/// Returns false when neither can make it read-only.
fn read_only_for_child(command: &mut Command, dir: &Path) -> bool {
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid only reads the process's credentials.
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        return true;
    }
    let target = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    let (tmpfs, root) = (c"tmpfs", c"/");
    let mount = move || -> std::io::Result<()> {
        // SAFETY: plain syscalls on NUL-terminated strings made before the
        // fork; the namespace is the child's own.
        let ok = unsafe {
            libc::unshare(libc::CLONE_NEWNS) == 0
                && libc::mount(
                    std::ptr::null(),
                    root.as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) == 0
                && libc::mount(
                    tmpfs.as_ptr(),
                    target.as_ptr(),
                    tmpfs.as_ptr(),
                    libc::MS_RDONLY,
                    std::ptr::null(),
                ) == 0
        };
        if ok {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    // The same steps in a throwaway child first: spawning fails if the
    // kernel refuses them.
    let probe = mount.clone();
    // SAFETY: the closure makes only async-signal-safe syscalls.
    let works = unsafe { Command::new("true").pre_exec(probe).status() }.is_ok_and(|s| s.success());
    if works {
        // SAFETY: as above.
        unsafe {
            command.pre_exec(mount);
        }
    }
    works
}

#[test]
fn a_data_directory_that_cannot_be_written_is_told_before_any_passphrase_is_asked() {
    let sandbox = Sandbox::new();
    let place = sandbox.path("read-only");
    std::fs::create_dir_all(&place).unwrap();
    let data_dir = place.join("sotto");
    let mut command = Command::new(env!("CARGO_BIN_EXE_sotto"));
    command
        .arg("--data-dir")
        .arg(&data_dir)
        .env("HOME", sandbox.path("home"))
        .env("XDG_CONFIG_HOME", sandbox.path("home/.config"))
        .env("TERM", "xterm-256color");
    assert!(
        read_only_for_child(&mut command, &place),
        "this machine can make no directory read-only for a child (no mount namespace as root)"
    );
    let mut terminal = super::support::pty::spawn(&mut command);
    let status = terminal.wait(Duration::from_secs(20));
    let seen = terminal.seen.clone();
    assert!(!status.success(), "{seen}");
    assert!(
        seen.contains(&format!("cannot create a vault at '{}'", data_dir.display())) && seen.contains("--data-dir"),
        "{seen:?}"
    );
    assert!(
        !seen.contains("Welcome") && !seen.contains("assphrase") && !seen.contains("saved is safe"),
        "{seen:?}"
    );
    assert!(terminal.echo_is_on(), "the terminal is as it was");
    assert!(!data_dir.exists());
}

/// The input box's first row of text, between its borders.
fn input_row(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines
        .iter()
        .rposition(|l| l.contains("┌ Message"))
        .expect("the input box");
    lines[top + 1].to_owned()
}

#[test]
fn flags_leave_no_ghosts_ctrl_w_takes_only_the_flag_and_ctrl_l_repaints_everything() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let screen = Screen::sotto(&sandbox, "--incognito", &[]);
    screen.wait_for("Message (Enter sends");
    screen.type_text("ab 🇫🇷🇩🇪 cd");
    screen.wait_for("cd");
    screen.keys(&["C-u"]);
    screen.type_text("xy");
    std::thread::sleep(Duration::from_millis(300));
    let row = input_row(&screen.wait_for("xy"));
    assert!(
        !row.chars().any(|c| ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)) && !row.contains("cd"),
        "a ghost of the cleared draft: {row:?}"
    );

    screen.keys(&["C-u"]);
    screen.type_text("hello 🇫🇷");
    std::thread::sleep(Duration::from_millis(300));
    screen.keys(&["C-w"]);
    std::thread::sleep(Duration::from_millis(300));
    let row = input_row(&screen.text());
    assert!(
        row.contains("hello") && !row.contains('🇫'),
        "Ctrl-W after a flag: {row:?}"
    );

    // Another program writes over the screen; Ctrl-L brings sotto's back.
    let tty = screen.tmux(&["display-message", "-p", "#{pane_tty}"]);
    std::fs::write(tty.trim(), "\x1b[5;40HSCRIBBLED-BY-ANOTHER-PROGRAM").unwrap();
    screen.wait_for("SCRIBBLED-BY-ANOTHER-PROGRAM");
    screen.keys(&["C-l"]);
    screen.wait_until_gone("SCRIBBLED", Duration::from_secs(10));
    // The clear comes first and the repaint after it: wait for the repaint.
    screen.wait_for("Message (Enter sends");
    screen.keys(&["C-u", "C-c"]);
    screen.wait_for("EXIT=0");
}

#[test]
fn a_refused_passphrase_is_cleared_so_the_next_one_is_typed_afresh() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.wait_for("Welcome to sotto");
    screen.send("abc");
    screen.wait_for("Not strong enough");
    screen.send(PASSPHRASE);
    screen.send(PASSPHRASE);
    screen.wait_for("Who should answer?");
    screen.keys(&["Enter"]);
    screen.wait_for("Message (Enter sends");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
    drop(screen);
    // The vault opens with the passphrase alone, not "abc" and it.
    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.unlock();
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}

#[test]
fn the_quit_hint_leaves_with_the_draft() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let screen = Screen::sotto(&sandbox, "--incognito", &[]);
    screen.wait_for("Message (Enter sends");
    screen.type_text("a draft");
    screen.wait_for("a draft");
    screen.keys(&["C-c"]);
    screen.wait_for("press Ctrl-C again to quit");
    screen.keys(&["C-u"]);
    // The hint would otherwise fade after four seconds.
    screen.wait_until_gone("press Ctrl-C again", Duration::from_millis(1500));
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}

#[test]
fn an_export_from_the_chat_screen_lands_in_home_says_all_of_how_to_open_it_and_survives_a_wipe() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    {
        let mut vault = new_vault(&sandbox.vault());
        for (title, text) in [("Taxes", "receipts for 2025"), ("Garden", "tomatoes in june")] {
            let id = vault.create_conversation(title).unwrap();
            vault.append_message(id, NewMessage::user(text)).unwrap();
        }
    }
    let home = sandbox.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.unlock();
    screen.send("/export all");
    // The notice's last words: it is shown whole, not cut.
    let shown = screen.wait_for("passphrase changes.");
    let joined: String = shown
        .lines()
        .map(|l| l.trim_start_matches([' ', '│']).trim_end())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(joined.contains("'age -d FILE'"), "{shown}");
    let exported: Vec<PathBuf> = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("sotto-export-"))
        .collect();
    assert_eq!(exported.len(), 1, "one export in the home directory: {exported:?}");
    let file = &exported[0];
    let shown_path = format!("'{}'", file.display());
    assert!(
        joined.replace(' ', "").contains(&shown_path.replace(' ', "")),
        "the full path {shown_path}: {shown}"
    );

    screen.send("/wipe");
    screen.wait_for("Wipe this conversation?");
    screen.send("wipe");
    screen.wait_for("Conversations (1)");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");

    let plain = age_open_with_passphrase(PASSPHRASE, file).expect("the export opens after the wipe");
    let text = String::from_utf8(plain).unwrap();
    assert!(text.contains("receipts for 2025") && text.contains("tomatoes in june"));
}

#[test]
fn a_toast_goes_when_the_terminal_is_resized() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let screen = Screen::sotto(&sandbox, "--incognito", &[]);
    screen.wait_for("Message (Enter sends");
    screen.send("/timestamps");
    screen.wait_for("timestamps shown");
    screen.tmux(&["resize-window", "-x", "80", "-y", "24"]);
    // It would otherwise stay four seconds.
    screen.wait_until_gone("timestamps shown", Duration::from_millis(1500));
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}
