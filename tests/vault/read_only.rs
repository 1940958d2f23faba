//! A file system that turns read-only under an open vault, for real.
//!
//! Linux refuses `mount -o remount,ro` while any file on the file system is
//! open for writing, and the vault keeps its database open all session, so a
//! plain remount can only happen between sessions (tests/vault/faults.rs).
//! What does happen during a session is the kernel's own emergency remount:
//! ext4 mounted `errors=remount-ro` turns read-only at its first error. The
//! test makes a small ext4 image, mounts it through a loop device in a mount
//! namespace of a child process, opens a vault on it, and raises an ext4
//! error through `/sys/fs/ext4/<device>/trigger_fs_error` (the kernel's test
//! hook, which takes the same path as a real I/O error).
//!
//! Needs `mkfs.ext4`/`e2fsck` (Debian's e2fsprogs; `.ci/run` installs them,
//! and in CI their absence fails the test), root and a kernel that allows a
//! loop mount: where it does not, the test says so on the terminal and
//! passes, as the issue asks of mount-based tests.

use std::ffi::CString;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use super::faults::{private_mount_namespace, sotto, stored_texts};
use super::support::external::in_ci;
use super::*;

const CHILD_ENV: &str = "SOTTO_TEST_READ_ONLY_CHILD";

/// The file-system tools, found on PATH or in the sbin directories (which a
/// non-root PATH may leave out).
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn run(program: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The loop device (as `loop3`) that holds the file system mounted on `dir`.
/// Read from this thread's view: the mount namespace is the test thread's
/// own (`unshare` moves only the calling thread), not the main thread's.
fn device_of(dir: &Path) -> String {
    let mounts = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
    let dir = dir.to_str().unwrap();
    // Fields: id parent major:minor root mount-point options ... - type source opts
    let line = mounts
        .lines()
        .find(|l| l.split(' ').nth(4) == Some(dir))
        .unwrap_or_else(|| panic!("'{dir}' is not mounted:\n{mounts}"));
    let source = line.split(" - ").nth(1).unwrap().split(' ').nth(1).unwrap();
    source.trim_start_matches("/dev/").to_owned()
}

/// Unmounts `dir`, waiting for sled's threads (and any child) to let go.
fn unmount(dir: &Path) {
    let target = CString::new(dir.to_str().unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // SAFETY: a plain syscall on a valid NUL-terminated path.
        if unsafe { libc::umount2(target.as_ptr(), 0) } == 0 {
            return;
        }
        let err = std::io::Error::last_os_error();
        assert!(
            err.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline,
            "umount: {err}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What the child prints when this machine does not allow the mount.
const NO_MOUNT: &str = "this machine does not allow the loop mount";

fn try_mount_ext4(image: &Path, dir: &Path) -> Result<(), String> {
    let mount = tool("mount").ok_or("'mount' is not installed")?;
    let out = Command::new(&mount)
        .args(["-o", "loop,errors=remount-ro"])
        .arg(image)
        .arg(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

fn mount_ext4(image: &Path, dir: &Path) {
    let mount = tool("mount").expect("mount is part of every Linux system");
    run(
        &mount,
        &[
            "-o".as_ref(),
            "loop,errors=remount-ro".as_ref(),
            image.as_os_str(),
            dir.as_os_str(),
        ],
    );
}

/// The child's whole scenario, in its own mount namespace.
fn read_only_child(dir: &Path) {
    let (mkfs, fsck) = (tool("mkfs.ext4").unwrap(), tool("e2fsck").unwrap());
    let image = dir.join("ext4.img");
    std::fs::File::create(&image).unwrap().set_len(64 << 20).unwrap();
    run(&mkfs, &["-q".as_ref(), "-F".as_ref(), image.as_os_str()]);
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    // Where the kernel refuses the namespace or the loop mount (a container
    // without loop devices, say), the parent says so and skips.
    if !private_mount_namespace() {
        println!("{NO_MOUNT}: unshare: {}", std::io::Error::last_os_error());
        return;
    }
    if let Err(why) = try_mount_ext4(&image, &mnt) {
        println!("{NO_MOUNT}: {why}");
        return;
    }

    let root = mnt.join("vault");
    let mut vault = new_vault(&root);
    let id = vault.create_conversation("read-only").unwrap();
    let mut acked = Vec::new();
    for i in 0..20 {
        let text = format!("before the file system turned read-only {i}");
        vault.append_message(id, NewMessage::user(&text)).unwrap();
        acked.push(text);
    }

    // The kernel turns the file system read-only under the open vault.
    let hook = format!("/sys/fs/ext4/{}/trigger_fs_error", device_of(&mnt));
    std::fs::write(&hook, "sotto test: an error under an open vault").unwrap();
    assert_eq!(
        std::fs::write(mnt.join("probe"), "x").unwrap_err().raw_os_error(),
        Some(libc::EROFS),
        "the file system is read-only now"
    );

    let refused = "refused while read-only";
    let err = vault.append_message(id, NewMessage::user(refused)).unwrap_err();
    let message = err.to_string();
    println!("a send while read-only: {message}");
    assert!(matches!(err, VaultError::ReadOnly { .. }), "{err:?}");
    assert!(
        message.contains("read-only file system")
            && message.contains("remount it read-write")
            && message.contains("What sotto reported as saved is safe"),
        "{message}"
    );
    assert!(!message.contains(refused), "the error quotes the message: {message}");
    // Refused again, and a reply cannot start either; nothing hangs or panics.
    let again = vault.append_message(id, NewMessage::user("again")).unwrap_err();
    println!("and again: {again}");
    assert!(vault.begin_reply(id, MessageMeta::default()).is_err());
    drop(vault);

    // The real binary on the same file system refuses with the clear message.
    let out = sotto(&root, &["ask", "--conversation", &id.to_string()], "a question");
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("sotto ask while read-only: {stderr}");
    assert!(!out.status.success());
    assert!(
        stderr.contains("read-only file system") && stderr.contains("remount it read-write"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // As an administrator would: unmount, check the file system, mount again.
    unmount(&mnt);
    let checked = Command::new(&fsck).args(["-f", "-y"]).arg(&image).output().unwrap();
    // 0: clean; 1: errors corrected (the error the test raised is recorded).
    assert!(
        matches!(checked.status.code(), Some(0 | 1)),
        "e2fsck: {}",
        String::from_utf8_lossy(&checked.stdout)
    );
    mount_ext4(&image, &mnt);

    // Every acknowledged message is there, whole and in order; the refused
    // one never is.
    let stored = stored_texts(&root, id);
    assert_eq!(stored, acked, "acknowledged messages are all there, nothing else");
    let out = sotto(&root, &["verify"], "");
    assert!(
        out.status.success(),
        "verify once writable again: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    {
        let mut vault = reopen(&root);
        vault.append_message(id, NewMessage::user("writable again")).unwrap();
    }
    acked.push("writable again".into());
    assert_eq!(stored_texts(&root, id), acked);
    unmount(&mnt);
    println!("read-only scenario passed");
}

/// Why this machine cannot run the scenario, if it cannot. Missing tools
/// fail the test in CI (`.ci/run` installs them); a machine that does not
/// allow the mount is told and skipped everywhere, as the tmpfs test does.
fn cannot_run() -> Option<String> {
    for name in ["mkfs.ext4", "e2fsck"] {
        if tool(name).is_none() {
            let why = format!("'{name}' is not installed (apt-get install e2fsprogs)");
            assert!(!in_ci(), "CI runs every test, but {why}");
            return Some(why);
        }
    }
    // SAFETY: a plain syscall without arguments.
    if unsafe { libc::geteuid() } != 0 {
        return Some("a loop mount needs root".into());
    }
    if !Path::new("/dev/loop-control").exists() {
        return Some("this machine has no loop devices ('/dev/loop-control')".into());
    }
    None
}

fn skip(why: &str) {
    // Straight to the terminal: the harness captures output of passing tests.
    let _ = writeln!(std::io::stderr(), "skipped the read-only-during-a-session test: {why}");
}

#[test]
fn a_file_system_turning_read_only_during_a_session_is_a_clear_error_and_loses_nothing() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        read_only_child(Path::new(&dir));
        return;
    }
    if let Some(why) = cannot_run() {
        return skip(&why);
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "read_only::a_file_system_turning_read_only_during_a_session_is_a_clear_error_and_loses_nothing",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    if let Some(line) = stdout.lines().find(|l| l.contains(NO_MOUNT)) {
        return skip(line);
    }
    assert!(
        out.status.success() && stdout.contains("read-only scenario passed"),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
