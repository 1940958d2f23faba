//! Faults of the machine under the vault: a disk that fills up during
//! appends, a read-only file system, an identity file removed while the
//! vault is open. Each must give an error that says what happened
//! and what to do, and lose nothing that was acknowledged.
//!
//! A full disk is a real one: a 16 MiB tmpfs mounted in a mount namespace of
//! a child process, where the kernel allows it (root, or user namespaces);
//! elsewhere a file-size limit (RLIMIT_FSIZE) makes the same writes fail.

use std::ffi::CString;
use std::io::Write;
use std::process::Command;

use super::*;

const DISK_CHILD_ENV: &str = "SOTTO_TEST_DISK_FAULT_CHILD";

/// How the child made its disk run out.
#[derive(Debug)]
enum Limit {
    /// A 16 MiB tmpfs mounted on the test dir.
    Tmpfs,
    /// Files may not grow past a size (RLIMIT_FSIZE).
    FileSize,
}

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

/// Moves this process into a mount namespace of its own, so that what it
/// mounts (and the programs it starts) is seen by nothing outside it, and is
/// undone when the process ends. False where the kernel does not allow it.
pub(super) fn private_mount_namespace() -> bool {
    // SAFETY: plain syscalls on valid NUL-terminated strings.
    unsafe {
        libc::unshare(libc::CLONE_NEWNS) == 0
            && libc::mount(
                std::ptr::null(),
                c("/").as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) == 0
    }
}

/// A small tmpfs on `dir`, in a mount namespace of this process only.
fn mount_tmpfs(dir: &Path) -> bool {
    let target = c(dir.to_str().unwrap());
    private_mount_namespace()
        // SAFETY: as in `private_mount_namespace`.
        && unsafe {
            libc::mount(
                c("tmpfs").as_ptr(),
                target.as_ptr(),
                c("tmpfs").as_ptr(),
                0,
                c("size=16m,mode=0700").as_ptr().cast(),
            ) == 0
        }
}

fn remount(dir: &Path, read_only: bool) {
    let target = c(dir.to_str().unwrap());
    let flags = libc::MS_REMOUNT | if read_only { libc::MS_RDONLY } else { 0 };
    // sled's threads may hold the database open for a moment after a close,
    // and Linux refuses a read-only remount while a file is open for writing.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // SAFETY: as in `mount_tmpfs`, on the mount made there.
        let rc = unsafe {
            libc::mount(
                c("tmpfs").as_ptr(),
                target.as_ptr(),
                c("tmpfs").as_ptr(),
                flags,
                c("size=16m,mode=0700").as_ptr().cast(),
            )
        };
        let err = std::io::Error::last_os_error();
        if rc == 0 {
            return;
        }
        assert!(
            err.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline,
            "remount: {err}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Lets files grow to at most `bytes` (None: no limit). SIGXFSZ is ignored so
/// a write past the limit fails with EFBIG instead of killing the process.
fn limit_file_size(bytes: Option<u64>) {
    let limit = libc::rlimit {
        rlim_cur: bytes.unwrap_or(libc::RLIM_INFINITY),
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain syscalls with valid arguments.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
}

fn largest_file(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                largest_file(&e.path())
            } else {
                meta.len()
            }
        })
        .max()
        .unwrap_or(0)
}

/// Fills the file system holding `dir` with one file, then frees `room`
/// bytes of it again.
fn fill_leaving(dir: &Path, room: u64) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0x5a; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let _ = file.flush();
    let len = file.metadata().unwrap().len();
    file.set_len(len.saturating_sub(room)).unwrap();
    path
}

/// Appends until the vault refuses; returns what it acknowledged, the text
/// it refused, and the error.
fn append_until_refused(vault: &mut Vault, id: ConversationId, from: usize) -> (Vec<String>, String, VaultError) {
    let mut acked = Vec::new();
    for i in from..from + 20_000 {
        let text = format!("acknowledged {i} {}", "disk space ".repeat(200));
        match vault.append_message(id, NewMessage::user(&text)) {
            Ok(_) => acked.push(text),
            Err(e) => return (acked, text, e),
        }
    }
    panic!("20,000 appends of 2 KB all succeeded: the disk never filled");
}

pub(super) fn stored_texts(root: &Path, id: ConversationId) -> Vec<String> {
    let vault = reopen(root);
    assert!(vault.verify().unwrap().is_intact(), "the vault has damaged records");
    texts(&vault.newest_messages(id, usize::MAX).unwrap())
}

/// The child's whole scenario; it panics (and so fails) on any broken promise.
fn disk_fault_child(dir: &Path, tmpfs_allowed: bool) {
    let limit = if tmpfs_allowed && mount_tmpfs(dir) {
        Limit::Tmpfs
    } else {
        Limit::FileSize
    };
    println!("disk limited by {limit:?}");
    let root = dir.join("vault");
    let mut vault = new_vault(&root);
    let id = vault.create_conversation("faults").unwrap();
    let mut acked = Vec::new();
    for i in 0..20 {
        let text = format!("before the disk filled {i}");
        vault.append_message(id, NewMessage::user(&text)).unwrap();
        acked.push(text);
    }
    let filler = match limit {
        Limit::Tmpfs => Some(fill_leaving(dir, 512 * 1024)),
        Limit::FileSize => {
            limit_file_size(Some(largest_file(&root) + 512 * 1024));
            None
        }
    };
    let (more, refused, err) = append_until_refused(&mut vault, id, acked.len());
    acked.extend(more);
    let message = err.to_string();
    println!("{} appends acknowledged, then: {message}", acked.len());
    assert!(matches!(err, VaultError::DiskFull { .. }), "{err:?}");
    assert!(
        message.contains(&root.display().to_string())
            && message.contains(match limit {
                Limit::Tmpfs => "the disk is full",
                Limit::FileSize => "a file reached the size limit",
            })
            && message.contains("Free some space")
            && message.contains("open the vault again"),
        "{message}"
    );
    assert!(
        !message.contains("acknowledged"),
        "the error quotes a message: {message}"
    );
    // Still full: refused again, without a panic.
    assert!(vault.append_message(id, NewMessage::user("while full")).is_err());
    match &filler {
        Some(filler) => std::fs::remove_file(filler).unwrap(),
        None => limit_file_size(None),
    }
    // With space again, the open database still refuses (sled keeps its
    // first I/O error until reopened), as the error message tells the user.
    let same_session = vault.append_message(id, NewMessage::user("same session"));
    assert!(
        same_session.is_err(),
        "the error message says to reopen; sled no longer needs it"
    );
    drop(vault);

    // Every acknowledged message is there, in order, and nothing else but,
    // possibly, the one append that was refused: sled may have written it
    // whole before failing on a later part of the same flush (the error
    // message promises only that what was reported saved is safe). It is
    // never half there (verify), and nothing else appears.
    let stored = stored_texts(&root, id);
    let mut with_refused = acked.clone();
    with_refused.push(refused);
    assert!(
        stored == acked || stored == with_refused,
        "acknowledged messages are all there, in order: {} stored, {} acknowledged",
        stored.len(),
        acked.len()
    );
    let mut acked = stored;
    {
        let mut vault = reopen(&root);
        vault
            .append_message(id, NewMessage::user("after space was freed"))
            .unwrap();
    }
    acked.push("after space was freed".into());
    assert_eq!(stored_texts(&root, id), acked);

    if let Limit::FileSize = limit {
        println!("the read-only case needs a mount, which this run does not have");
    }
    if let Limit::Tmpfs = limit {
        cli_send_on_a_full_disk(dir, &root, id, &acked);
        // The file system turned read-only (Linux refuses to remount it so
        // while the vault has files open for writing, so between sessions).
        remount(dir, true);
        let err = unlock_error(&root);
        println!("opening read-only: {err}");
        assert!(matches!(err, VaultError::ReadOnly { .. }), "{err:?}");
        assert!(err.to_string().contains("remount it read-write"), "{err}");
        assert!(err.to_string().contains("read-only file system"), "{err}");
        remount(dir, false);
        assert_eq!(stored_texts(&root, id), acked);
    }
    println!("disk fault scenario passed");
}

/// The real binary on the full tmpfs: `sotto ask` fails with the clear
/// message, stores nothing half, leaves no partial snapshot, and once there
/// is room again `sotto verify` finds the vault clean.
/// The real binary, set to use the vault at `root` (made by `new_vault`, so
/// unlocked by the test passphrase, which `outside` holds) and nothing of
/// the machine's own configuration; its stdin, stdout and stderr are left
/// to the caller.
pub(super) fn sotto_command(root: &Path, outside: &Path) -> Command {
    let passphrase = outside.join("passphrase");
    let config = outside.join("config.toml");
    std::fs::write(&passphrase, super::support::PASSPHRASE).unwrap();
    std::fs::write(&config, "").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_sotto"));
    command
        .env("SOTTO_DATA_DIR", root)
        .env("SOTTO_CONFIG", config)
        .env("SOTTO_PASSPHRASE_FILE", passphrase)
        .env_remove("SOTTO_PASSPHRASE_COMMAND");
    command
}

/// Runs the real binary on the vault at `root` with `stdin` as its input.
/// A run that has not ended after a minute is killed, and the test fails:
/// a command must never hang on a failing disk.
pub(super) fn sotto(root: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    let outside = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let file = |name: &str| outside.path().join(name);
    let mut child = sotto_command(root, outside.path())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::fs::File::create(file("stdout")).unwrap())
        .stderr(std::fs::File::create(file("stderr")).unwrap())
        .spawn()
        .unwrap();
    // The child may refuse before it reads all of a long input.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "sotto {args:?} hung; its stderr: {}",
                std::fs::read_to_string(file("stderr")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: std::fs::read(file("stdout")).unwrap(),
        stderr: std::fs::read(file("stderr")).unwrap(),
    }
}

fn cli_send_on_a_full_disk(dir: &Path, root: &Path, id: ConversationId, acked: &[String]) {
    let filler = fill_leaving(dir, 0);
    // Larger than the room sled has left in its log file, so it must grow.
    let question = format!("a question on a full disk {}", "lorem ipsum dolor ".repeat(40_000));
    let out = sotto(root, &["ask", "--conversation", &id.to_string()], &question);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("sotto ask on a full disk: {stderr}");
    assert!(!out.status.success());
    assert!(
        stderr.contains("the disk is full") && stderr.contains("Free some space"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("question on a full"),
        "{stderr}"
    );
    std::fs::remove_file(filler).unwrap();
    let partial = std::fs::read_dir(root.join("snapshots"))
        .map(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with(".partial"))
        })
        .unwrap_or(false);
    assert!(!partial, "a partial snapshot was left");
    let out = sotto(root, &["verify"], "");
    assert!(
        out.status.success(),
        "verify after space returned: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = stored_texts(root, id);
    assert!(stored.starts_with(acked), "acknowledged messages are all there");
    assert!(
        stored.len() <= acked.len() + 2,
        "nothing but the refused exchange, whole, at most"
    );
}

#[test]
fn a_full_or_read_only_disk_is_a_clear_error_and_loses_nothing_acknowledged() {
    if let Some(spec) = std::env::var_os(DISK_CHILD_ENV) {
        let spec = spec.to_str().unwrap();
        let (how, dir) = spec.split_once('|').unwrap();
        disk_fault_child(Path::new(dir), how == "any");
        return;
    }
    // Once with a real full disk where this machine allows a mount, once
    // with the file-size limit, so both ways are known to work.
    for how in ["any", "file-size"] {
        let dir = tempfile::tempdir().unwrap();
        run_disk_fault_child(&format!("{how}|{}", dir.path().display()));
    }
}

fn run_disk_fault_child(spec: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "faults::a_full_or_read_only_disk_is_a_clear_error_and_loses_nothing_acknowledged",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DISK_CHILD_ENV, spec)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("disk fault scenario passed"),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An open vault with one conversation, in a temp dir of its own.
struct Kept {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    identity: std::path::PathBuf,
    vault: Vault,
    id: ConversationId,
}

fn kept() -> Kept {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let mut vault = new_vault(&root);
    let id = vault.create_conversation("kept").unwrap();
    Kept {
        identity: root.join("identity.age"),
        _dir: dir,
        root,
        vault,
        id,
    }
}

#[test]
fn an_identity_file_removed_while_open_is_written_back_before_the_next_write() {
    let Kept {
        _dir,
        root,
        identity,
        mut vault,
        id,
    } = kept();
    vault
        .append_message(id, NewMessage::user("before the removal"))
        .unwrap();
    let original = std::fs::read(&identity).unwrap();
    std::fs::remove_file(&identity).unwrap();

    let reply = vault.begin_reply(id, MessageMeta::default()).unwrap();
    assert_eq!(
        std::fs::read(&identity).unwrap(),
        original,
        "written back, byte for byte"
    );
    assert_eq!(
        std::fs::metadata(&identity).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let repairs = vault.take_repairs();
    assert_eq!(repairs.len(), 1, "{repairs:?}");
    let told = repairs[0].to_string();
    assert!(
        told.contains("identity.age") && told.contains("sotto wipe --all"),
        "{told}"
    );
    assert!(vault.take_repairs().is_empty(), "told once");
    vault
        .finish_reply(id, reply, "after the removal", ReplyState::Complete, None)
        .unwrap();

    // Removed again just before a reply ends: the same.
    let second = vault.begin_reply(id, MessageMeta::default()).unwrap();
    std::fs::remove_file(&identity).unwrap();
    vault
        .finish_reply(id, second, "the last reply", ReplyState::Complete, None)
        .unwrap();
    assert!(identity.exists());
    drop(vault);

    let vault = reopen(&root);
    assert_eq!(
        texts(&vault.newest_messages(id, usize::MAX).unwrap()),
        ["before the removal", "after the removal", "the last reply"]
    );
    let restored = vault
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.as_ref().unwrap().event, AuditEvent::IdentityRestored))
        .count();
    assert_eq!(restored, 2, "each restoration is in the audit log");
}

#[test]
fn an_identity_file_replaced_while_open_is_left_for_the_next_unlock_to_refuse() {
    let Kept {
        _dir,
        root,
        identity,
        mut vault,
        id,
    } = kept();
    std::fs::write(&identity, b"someone else's identity").unwrap();
    vault.append_message(id, NewMessage::user("still stored")).unwrap();
    assert_eq!(std::fs::read(&identity).unwrap(), b"someone else's identity");
    assert!(vault.take_repairs().is_empty());
    drop(vault);
    assert!(matches!(
        unlock_error(&root),
        VaultError::IdentityUnreadable { .. } | VaultError::WrongPassphrase { .. }
    ));
}

#[test]
fn after_a_rotation_the_new_identity_is_the_one_written_back() {
    let Kept {
        _dir,
        root,
        identity,
        mut vault,
        id,
    } = kept();
    vault.append_message(id, NewMessage::user("one")).unwrap();
    let before = std::fs::read(&identity).unwrap();
    vault.rekey().unwrap();
    let rotated = std::fs::read(&identity).unwrap();
    assert_ne!(before, rotated);
    std::fs::remove_file(&identity).unwrap();
    vault.append_message(id, NewMessage::user("two")).unwrap();
    assert_eq!(std::fs::read(&identity).unwrap(), rotated);
    drop(vault);
    let vault = reopen(&root);
    assert_eq!(texts(&vault.newest_messages(id, usize::MAX).unwrap()), ["one", "two"]);
}
