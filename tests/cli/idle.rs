//! An idle chat screen sleeps: no thread wakes while nothing happens (no
//! input poll timeout, no timer, no database flusher, no idle I/O pool). The
//! figures (CPU per 10 s, threads) are in BENCHMARKS.md; this only counts
//! wake-ups, which are either there or not, and the threads a chat screen
//! starts before it is used.

use super::support::http::{TestServer, delta, done, finish, sse};
use super::tui::{Screen, have_tmux};
use super::*;

/// Context switches of each of the process's threads, by thread id, and
/// the threads' names.
fn wakeups(pid: u32) -> (std::collections::BTreeMap<String, u64>, Vec<String>) {
    let mut counts = std::collections::BTreeMap::new();
    let mut names = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let dir = task.unwrap().path();
        let name = std::fs::read_to_string(dir.join("comm"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        let switches = status
            .lines()
            .filter(|l| l.contains("ctxt_switches"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
        counts.insert(dir.file_name().unwrap().to_string_lossy().into_owned(), switches);
        names.push(name);
    }
    names.sort();
    (counts, names)
}

/// No thread wakes, sled's included: its I/O threads end a second after
/// their last work (vendor/sled's patched pool), where sled 0.34 kept seven
/// that woke every second.
fn assert_sleeps(screen: &Screen, what: &str) {
    let pid = screen.sotto_pid();
    // The background warm-up of the detectors, and the last database work,
    // finish first; idle pool threads end within a second after.
    std::thread::sleep(Duration::from_millis(2500));
    let (before, _) = wakeups(pid);
    std::thread::sleep(Duration::from_secs(2));
    let (after, threads) = wakeups(pid);
    // A thread that ended in between is not counted; one that started is.
    let woke: u64 = after
        .iter()
        .map(|(tid, n)| n - before.get(tid).copied().unwrap_or(0).min(*n))
        .sum();
    assert!(
        woke <= 2,
        "{what}: threads {threads:?} woke {woke} times in 2 s of idleness"
    );
    assert!(
        !threads.iter().any(|t| t.starts_with("sled-io")),
        "{what}: sled's I/O threads outlive their work: {threads:?}"
    );
}

#[test]
fn an_idle_chat_screen_wakes_no_thread_of_its_own() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    let screen = Screen::sotto(&sandbox, "--incognito", &[]);
    screen.wait_for("Message (Enter sends");
    assert_sleeps(&screen, "incognito");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
    drop(screen);

    drop(new_vault(&sandbox.vault()));
    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.unlock();
    assert_sleeps(&screen, "an unlocked vault");
    // And it still answers at once.
    screen.send("/timestamps");
    screen.wait_for("timestamps shown");
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}

/// The names of the process's threads.
fn thread_names(pid: u32) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn no_network_thread_runs_before_the_first_request_or_after_the_reply() {
    if !have_tmux() {
        return;
    }
    let server = TestServer::always(|| sse(&[delta("An answer."), finish("stop"), done()]));
    let sandbox = Sandbox::new();
    let config = sandbox.llama_config(&server.base_url());
    let screen = Screen::sotto(&sandbox, &format!("--incognito --config '{}'", config.display()), &[]);
    screen.wait_for("Message (Enter sends");
    // The backend is set up (its name shows); the detectors' warm-up ends.
    screen.wait_for("llama");
    std::thread::sleep(Duration::from_millis(1500));
    let pid = screen.sotto_pid();
    let before = thread_names(pid);
    assert!(
        before.len() <= 4 && !before.iter().any(|n| n.starts_with("sotto-http")),
        "threads before any request: {before:?}"
    );
    screen.send("hello");
    screen.wait_for("An answer.");
    // The network runtime runs on the reply's own thread, which ends with
    // the reply: no thread is left behind by the request either.
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let after = thread_names(pid);
        if after.len() <= before.len() || Instant::now() > deadline {
            break after;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        after.len() <= before.len()
            && !after
                .iter()
                .any(|n| n.starts_with("sotto-http") || n.starts_with("tokio")),
        "threads after the reply: {after:?} (before: {before:?})"
    );
    screen.keys(&["C-c"]);
    screen.wait_for("EXIT=0");
}

/// Until the first request, the process runs at most four threads: the
/// loop, input, the store, and the helper (signals, and background work:
/// code colours, then the detectors). sled opens
/// without starting its I/O pool. Sampled every millisecond from the unlock
/// screen until the chat, its code block coloured, has been idle a while.
#[test]
fn at_most_four_threads_run_from_unlock_to_the_first_request() {
    if !have_tmux() {
        return;
    }
    let sandbox = Sandbox::new();
    {
        let mut vault = new_vault(&sandbox.vault());
        let id = vault.create_conversation("a script").unwrap();
        vault.append_message(id, NewMessage::user("a loop in bash?")).unwrap();
        let reply = "Like this:\n\n```bash\nfor f in *; do echo \"$f\"; done\n```\n";
        vault.append_message(id, NewMessage::assistant(reply)).unwrap();
    }
    let screen = Screen::sotto(&sandbox, "", &[]);
    screen.wait_for("Unlock your vault");
    let pid = screen.sotto_pid();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut most, mut seen) = (Vec::new(), std::collections::BTreeSet::new());
            let mut samples = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let names = thread_names(pid);
                seen.extend(names.iter().cloned());
                if names.len() > most.len() {
                    most = names;
                }
                samples += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            (most, seen, samples)
        })
    };
    screen.unlock();
    screen.wait_for("done");
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (most, seen, samples) = sampler.join().unwrap();
    assert!(samples > 100, "the sampler ran {samples} times");
    assert!(most.len() <= 4, "threads at most, before any request: {most:?}");
    assert!(
        !seen.iter().any(|n| n.starts_with("sled-io")),
        "sled started its I/O pool: {seen:?}"
    );
    // The colours and the warm-up did run, on the helper thread: it spent
    // tens of milliseconds on the CPU (a thread that only waited has none).
    let helper_cpu_ns: u64 = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| task.ok().map(|t| t.path()))
        .filter(|dir| std::fs::read_to_string(dir.join("comm")).is_ok_and(|c| c.trim() == "sotto-helper"))
        .filter_map(|dir| std::fs::read_to_string(dir.join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    assert!(
        helper_cpu_ns > 5_000_000,
        "the helper thread ran {helper_cpu_ns} ns: no background work was done on it"
    );
    // SIGTERM still ends the session cleanly, now through the helper.
    // SAFETY: a signal to the child we started.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
    screen.wait_for("EXIT=143");
}
