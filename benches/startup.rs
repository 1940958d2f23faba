//! What a person sees of startup, idleness and import: the real binary in a
//! real pseudo-terminal of 120x40 (issue 17). For each vault it reports, as
//! medians over several runs: exec → the frame that shows the newest message
//! with the last row painted, CPU spent by then, threads and peak resident
//! memory at that moment; then, once, idle CPU and context switches over ten
//! seconds. It builds its vaults itself: it writes JSON exports and runs
//! `sotto import` (whose throughput and peak memory it reports too). The
//! vaults are protected by a plain age key file, so no KDF runs. Each vault
//! is timed twice: starts without the startup record (the first after a
//! command or a crash) and starts with it (after a clean close).
//!
//! Last, the streaming regression case: a loopback OpenAI-compatible server
//! streams 5,000 tokens, and the figure is Enter → the last token on screen;
//! and the built-in bot's first answer, Enter → its source line on screen.
//!
//! `cargo bench --bench startup`; STARTUP_RUNS (default 10) and IDLE_SECS
//! (default 10) change the effort; SOTTO_BIN names another binary to time;
//! STARTUP_ONLY=streaming runs the streaming and built-in bot cases alone,
//! STARTUP_ONLY=bot the built-in bot's. With STARTUP_DIR set, the vaults are kept
//! there and reused by the next run (for profiling one case by hand).

#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;

#[path = "../tests/support/http.rs"]
#[allow(dead_code)]
mod http;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;

const ROWS: u16 = 40;
const COLS: u16 = 120;

struct Case {
    name: &'static str,
    /// Conversations of `messages` messages each, then (if not zero) a newest
    /// one of `newest` messages.
    conversations: usize,
    messages: usize,
    newest: usize,
}

const CASES: [Case; 3] = [
    Case {
        name: "empty vault",
        conversations: 0,
        messages: 0,
        newest: 0,
    },
    Case {
        name: "1,000 conversations x 100 messages",
        conversations: 1000,
        messages: 100,
        newest: 0,
    },
    Case {
        name: "newest conversation has 10,000 messages",
        conversations: 10,
        messages: 100,
        newest: 10_000,
    },
];

/// The last words of the newest message: on screen means the frame is there.
const MARKER: &str = "end of the newest reply";

fn main() {
    // SOTTO_BIN times another build (an older one, for a before/after).
    let bin = std::env::var_os("SOTTO_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sotto")), PathBuf::from);
    let runs: usize = env_number("STARTUP_RUNS", 10);
    let idle_secs: u64 = env_number("IDLE_SECS", 10) as u64;
    let temporary = tempfile::tempdir().expect("a scratch directory");
    let kept = std::env::var_os("STARTUP_DIR").map(PathBuf::from);
    let scratch = kept.as_deref().unwrap_or(temporary.path());
    let key = scratch.join("key.txt");
    let reuse = key.exists();
    if !reuse {
        std::fs::create_dir_all(scratch).expect("the scratch directory");
        write_identity(&key);
    }
    println!(
        "startup of {} in a {COLS}x{ROWS} pseudo-terminal, {runs} runs per case",
        bin.display()
    );
    // STARTUP_ONLY=streaming skips the startup cases.
    let cases = if std::env::var("STARTUP_ONLY").is_ok_and(|v| v == "streaming" || v == "bot") {
        &CASES[..0]
    } else {
        &CASES[..]
    };
    for (i, case) in cases.iter().enumerate() {
        let home = scratch.join(format!("home{i}"));
        let vault = scratch.join(format!("vault{i}"));
        std::fs::create_dir_all(&home).expect("a home");
        if !reuse {
            run_ok(sotto(&bin, &home, &vault).args(["init", "--identity"]).arg(&key));
        }
        if !reuse && case.conversations + case.newest > 0 {
            let export = scratch.join(format!("export{i}.json"));
            write_export(&export, case);
            let size = std::fs::metadata(&export).expect("the export").len();
            let (elapsed, peak_kb) = run_measured(sotto(&bin, &home, &vault).arg("import").arg(&export));
            println!(
                "  import of {:.1} MB ({} messages): {:.2} s, {:.1} MB/s, peak resident {:.1} MB",
                size as f64 / 1e6,
                case.conversations * case.messages + case.newest,
                elapsed.as_secs_f64(),
                size as f64 / 1e6 / elapsed.as_secs_f64(),
                peak_kb as f64 / 1024.0
            );
        }
        // Two roads: a start after a clean close of the chat screen draws
        // its first frame from the startup record while the database opens;
        // the first start after a command (or a crash) has no record and
        // waits for the database. Each is timed on its own.
        let record = vault.join("startup.sealed");
        let mut without = Vec::new();
        for _ in 0..runs {
            remove_if_present(&record);
            without.push(first_frame(&bin, &home, &vault, case, false, idle_secs));
        }
        report(case, "without a startup record", &without);
        assert!(
            record.exists(),
            "{}: the chat screen closed without a startup record",
            case.name
        );
        let mut with = Vec::new();
        for run in 0..runs {
            with.push(first_frame(&bin, &home, &vault, case, run == 0, idle_secs));
        }
        report(case, "with the startup record", &with);
    }
    if std::env::var("STARTUP_ONLY").is_ok_and(|v| v == "bot") {
        built_in_answer(&bin, scratch, runs);
        return;
    }
    streaming(&bin, scratch, runs);
    built_in_answer(&bin, scratch, runs);
}

/// Tokens in the streamed reply.
const TOKENS: usize = 5000;

/// Enter → the last of 5,000 streamed tokens on screen, in an incognito chat
/// against a loopback server (no KDF, no vault: the stream alone).
fn streaming(bin: &Path, scratch: &Path, runs: usize) {
    let events: Vec<String> = (0..TOKENS)
        .map(|i| http::delta(&format!("w{i} ")))
        .chain([http::delta("LASTTOKEN"), http::finish("stop"), http::done()])
        .collect();
    let server = http::TestServer::always(move || http::sse(&events));
    let home = scratch.join("home-streaming");
    std::fs::create_dir_all(&home).expect("a home");
    let config = scratch.join("streaming.toml");
    std::fs::write(
        &config,
        format!(
            "default_backend = \"loopback\"\n[backends.loopback]\nkind = \"openai\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
    )
    .expect("the config");
    let mut times = Vec::new();
    let mut firsts = Vec::new();
    for _ in 0..runs {
        let mut command = sotto(bin, &home, &scratch.join("no-vault"));
        command.arg("--incognito").arg("--config").arg(&config);
        let mut terminal = pty::spawn_sized(&mut command, ROWS, COLS);
        let mut screen = vt100::Parser::new(ROWS, COLS, 0);
        wait_for(&mut terminal, &mut screen, "Message (Enter");
        // As long as a person takes to type: the detectors' warm-up is done.
        std::thread::sleep(Duration::from_secs(1));
        let sent = Instant::now();
        terminal.send("go\r");
        // The first frame with any token of the reply on it.
        let first = loop {
            let Some((at, chunk)) = terminal.next_chunk(Duration::from_secs(30)) else {
                panic!("streaming: no token shown:\n{}", screen.screen().contents());
            };
            screen.process(&chunk);
            let contents = screen.screen().contents();
            if contents
                .as_bytes()
                .windows(2)
                .any(|w| w[0] == b'w' && w[1].is_ascii_digit())
            {
                break at;
            }
        };
        let shown = wait_for(&mut terminal, &mut screen, "LASTTOKEN");
        firsts.push((first - sent).as_secs_f64() * 1e3);
        times.push((shown - sent).as_secs_f64() * 1e3);
        terminal.send("\x03");
        let status = terminal.wait(Duration::from_secs(30));
        assert!(status.success(), "streaming: sotto ended with {status}");
    }
    println!(
        "  each run, Enter → first tokens / last token (ms): {}",
        firsts
            .iter()
            .zip(&times)
            .map(|(f, t)| format!("{f:.0}/{t:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    times.sort_by(f64::total_cmp);
    firsts.sort_by(f64::total_cmp);
    println!(
        "{TOKENS} streamed tokens: Enter → last token on screen {:.1} ms (min {:.1}, max {:.1}); first tokens {:.1} ms",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        firsts[firsts.len() / 2]
    );
}

/// When the screen first shows `wanted`; fails with the screen after 30 s.
fn wait_for(terminal: &mut pty::PtyChild, screen: &mut vt100::Parser, wanted: &str) -> Instant {
    loop {
        let Some((at, chunk)) = terminal.next_chunk(Duration::from_secs(30)) else {
            panic!("never showed {wanted:?}:\n{}", screen.screen().contents());
        };
        screen.process(&chunk);
        if screen.screen().contents().contains(wanted) {
            return at;
        }
    }
}

/// The built-in bot's first answer as a person sees it: no config, an
/// incognito session, a question sent the moment the input box shows (the
/// bot is still being built on the store thread) or a second later (as long
/// as typing takes), and Enter → the answer's "Source:" line on screen.
fn built_in_answer(bin: &Path, scratch: &Path, runs: usize) {
    let home = scratch.join("home-bot");
    std::fs::create_dir_all(&home).expect("a home");
    for (label, pause) in [("at once", Duration::ZERO), ("after 1 s", Duration::from_secs(1))] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let mut command = sotto(bin, &home, &scratch.join("no-vault"));
            command.arg("--incognito");
            let mut terminal = pty::spawn_sized(&mut command, ROWS, COLS);
            let mut screen = vt100::Parser::new(ROWS, COLS, 0);
            wait_for(&mut terminal, &mut screen, "Message (Enter");
            std::thread::sleep(pause);
            let sent = Instant::now();
            terminal.send("how do i export my chats\r");
            let shown = wait_for(&mut terminal, &mut screen, "Source:");
            times.push((shown - sent).as_secs_f64() * 1e3);
            // The reply may still be streaming: Esc stops it, then Ctrl-C quits.
            terminal.send("\x1b");
            std::thread::sleep(Duration::from_millis(100));
            terminal.send("\x03");
            let status = terminal.wait(Duration::from_secs(30));
            assert!(status.success(), "built-in bot: sotto ended with {status}");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "built-in bot, question sent {label}: Enter → its answer's source on screen {:.1} ms (min {:.1}, max {:.1})",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
}

/// One start: what it took to reach the first complete frame, and (when
/// `idle` is set) what the screen costs while nobody types.
struct Sample {
    wall: Duration,
    cpu: Duration,
    threads: u64,
    /// The threads' names at the first frame (`/proc/PID/task/*/comm`).
    names: Vec<String>,
    resident_kb: u64,
    idle: Option<(Duration, u64, u64)>,
}

fn first_frame(bin: &Path, home: &Path, vault: &Path, case: &Case, idle: bool, idle_secs: u64) -> Sample {
    let mut command = sotto(bin, home, vault);
    let start = Instant::now();
    let mut terminal = pty::spawn_sized(&mut command, ROWS, COLS);
    let pid = terminal.child.id() as i32;
    let mut screen = vt100::Parser::new(ROWS, COLS, 0);
    let wanted = if case.conversations + case.newest == 0 {
        "Message (Enter"
    } else {
        MARKER
    };
    let painted_at = loop {
        let Some((at, chunk)) = terminal.next_chunk(Duration::from_secs(30)) else {
            panic!(
                "{}: no complete frame in 30 s; the screen shows:\n{}",
                case.name,
                screen.screen().contents()
            );
        };
        screen.process(&chunk);
        if frame_complete(screen.screen(), wanted) {
            break at;
        }
    };
    let cpu = process_cpu(pid);
    let (threads, resident_kb) = (status_field(pid, "Threads:"), status_field(pid, "VmHWM:"));
    let names = thread_names(pid);
    let idle = idle.then(|| {
        // The detectors' background warm-up and the first frame's follow-up
        // work finish first.
        std::thread::sleep(Duration::from_secs(2));
        let (cpu0, switches0) = (process_cpu(pid), context_switches(pid));
        std::thread::sleep(Duration::from_secs(idle_secs));
        let (cpu1, switches1) = (process_cpu(pid), context_switches(pid));
        (cpu1 - cpu0, switches1 - switches0, status_field(pid, "Threads:"))
    });
    terminal.send("\x03");
    let status = terminal.wait(Duration::from_secs(30));
    assert!(status.success(), "{}: sotto ended with {status}", case.name);
    Sample {
        wall: painted_at - start,
        cpu,
        threads,
        names,
        resident_kb,
        idle,
    }
}

/// The wanted text is on screen and so is the last row (the status bar),
/// which ratatui writes last.
fn frame_complete(screen: &vt100::Screen, wanted: &str) -> bool {
    let last_row = screen.rows(0, COLS).nth(usize::from(ROWS) - 1).unwrap_or_default();
    !last_row.trim().is_empty() && screen.contents().contains(wanted)
}

fn remove_if_present(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot remove '{}': {e}", path.display()),
    }
}

fn report(case: &Case, road: &str, samples: &[Sample]) {
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        (values[values.len() / 2], values[0], values[values.len() - 1])
    };
    let ms = |f: &dyn Fn(&Sample) -> Duration| median(samples.iter().map(|s| f(s).as_secs_f64() * 1e3).collect());
    let (wall, wall_min, wall_max) = ms(&|s| s.wall);
    let (cpu, _, _) = ms(&|s| s.cpu);
    let (rss, _, rss_max) = median(samples.iter().map(|s| s.resident_kb as f64 / 1024.0).collect());
    let (threads, _, threads_max) = median(samples.iter().map(|s| s.threads as f64).collect());
    let mut line = format!(
        "{} ({road}): first frame {wall:.1} ms (min {wall_min:.1}, max {wall_max:.1}), CPU {cpu:.1} ms, \
         peak resident {rss:.1} MB (max {rss_max:.1}), threads {threads} (max {threads_max})",
        case.name
    );
    if let Some(most) = samples.iter().max_by_key(|s| s.names.len()) {
        let _ = write!(line, " [{}]", most.names.join(", "));
    }
    if let Some((cpu, switches, threads)) = samples[0].idle {
        let _ = write!(
            line,
            "; idle: {:.2} ms CPU, {switches} context switches, {threads} threads",
            cpu.as_secs_f64() * 1e3
        );
    }
    println!("{line}");
}

fn sotto(bin: &Path, home: &Path, vault: &Path) -> Command {
    let mut command = Command::new(bin);
    command
        .arg("--data-dir")
        .arg(vault)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8");
    command
}

fn run_ok(command: &mut Command) {
    let output = command.output().expect("running sotto");
    assert!(
        output.status.success(),
        "{:?} failed: {}",
        command,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a command to its end: how long it took and its peak resident memory.
#[expect(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also reports its peak memory"
)]
fn run_measured(command: &mut Command) -> (Duration, u64) {
    let start = Instant::now();
    let child = command
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("running sotto");
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert!(
        rc > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed"
    );
    (start.elapsed(), usage.ru_maxrss as u64)
}

/// CPU time of the whole process, ended threads included.
fn process_cpu(pid: i32) -> Duration {
    let mut clock: libc::clockid_t = 0;
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: both calls write into the locals they are given.
    let rc = unsafe { libc::clock_getcpuclockid(pid, &mut clock) };
    assert_eq!(rc, 0, "no CPU clock for {pid}");
    let rc = unsafe { libc::clock_gettime(clock, &mut now) };
    assert_eq!(rc, 0, "cannot read the CPU clock of {pid}");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

fn status_field(pid: i32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn thread_names(pid: i32) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    names.sort();
    names
}

fn context_switches(pid: i32) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        total += status
            .lines()
            .filter(|l| l.contains("ctxt_switches"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    total
}

fn write_identity(path: &Path) {
    let identity = age::x25519::Identity::generate();
    let text = format!(
        "# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    );
    std::fs::write(path, text).expect("the identity file");
}

/// A plaintext `sotto.export/1` file: replies of a few hundred characters,
/// some with a list or a code block, as chat replies are.
fn write_export(path: &Path, case: &Case) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("the export file"));
    write!(out, r#"{{"schema":"sotto.export/1","exported_at":"2026-12-01T00:00:00.000Z","scope":{{"kind":"vault"}},"conversations":["#)
        .unwrap();
    let mut words = Words(0x9e37_79b9_7f4a_7c15);
    let sizes = std::iter::repeat_n(case.messages, case.conversations).chain((case.newest > 0).then_some(case.newest));
    let total = case.conversations + usize::from(case.newest > 0);
    for (c, messages) in sizes.enumerate() {
        if c > 0 {
            out.write_all(b",").unwrap();
        }
        // Older conversations first; the last is the newest, on a day of its own.
        let day = if c + 1 == total { 30 } else { 1 + c * 28 / total };
        write!(
            out,
            r#"{{"id":"{c:032x}","title":"{}","created":"2026-11-{day:02}T08:00:00.000Z","updated":"2026-11-{day:02}T09:{:02}:00.000Z","messages":["#,
            words.sentence(4),
            c % 60
        )
        .unwrap();
        for m in 0..messages {
            if m > 0 {
                out.write_all(b",").unwrap();
            }
            let role = if m % 2 == 0 { "user" } else { "assistant" };
            let mut text = words.sentence(if role == "user" { 12 } else { 60 });
            if m % 7 == 3 {
                text.push_str("\n\n- first point\n- second point\n\n```sh\nsotto export --format json\n```");
            }
            if c + 1 == total && m + 1 == messages {
                text.push(' ');
                text.push_str(MARKER);
            }
            let text = serde_json::to_string(&text).unwrap();
            write!(
                out,
                r#"{{"seq":{m},"role":"{role}","at":"2026-11-{day:02}T09:00:{:02}.{:03}Z","text":{text},"state":"complete"}}"#,
                m % 60,
                m % 1000
            )
            .unwrap();
        }
        out.write_all(b"]}").unwrap();
    }
    out.write_all(b"]}").unwrap();
    out.flush().unwrap();
}

/// Deterministic filler words.
struct Words(u64);

impl Words {
    fn sentence(&mut self, words: usize) -> String {
        const WORDS: [&str; 16] = [
            "printer", "the", "queue", "restart", "network", "is", "settings", "driver", "and", "cable", "update", "a",
            "reply", "check", "server", "then",
        ];
        let mut out = String::new();
        for i in 0..words {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            if i > 0 {
                out.push(' ');
            }
            out.push_str(WORDS[(self.0 % 16) as usize]);
        }
        out
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
