//! Ctrl-O: the draft in `$VISUAL` / `$EDITOR`. The draft is conversation
//! content, so its temporary file lives only in memory-backed storage: the
//! per-user runtime dir (`$XDG_RUNTIME_DIR`, a tmpfs), else `/dev/shm`;
//! where neither exists Ctrl-O is refused. It sits in a private 0700
//! directory, mode 0600, and is overwritten with zeros and removed as soon
//! as the editor exits.
//! (An editor's own swap or backup files are outside sotto's control;
//! SECURITY.md says so.)

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;

use zeroize::Zeroize;

/// A memory-backed directory for the draft, or `None` where there is none
/// (then Ctrl-O is refused rather than writing the draft to a disk).
fn scratch_parent() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)
        && dir.is_dir()
    {
        return Some(dir);
    }
    let shm = PathBuf::from("/dev/shm");
    shm.is_dir().then_some(shm)
}

fn editor_command() -> String {
    std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned())
}

/// Runs the editor on `draft` (the terminal must be out of TUI mode) and
/// returns the edited text.
pub fn edit(draft: &str) -> Result<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("sotto-draft-")
        .tempdir_in(scratch_parent().ok_or(
            "there is no memory-backed directory ($XDG_RUNTIME_DIR or /dev/shm) for the draft, and it is \
             not written to a disk: Ctrl-O is unavailable here",
        )?)
        .map_err(|e| format!("cannot make a private place for the draft: {e}"))?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot protect the draft's directory: {e}"))?;
    let path = dir.path().join("draft.md");
    let result = run_editor(&path, draft);
    // Overwrite before removing, so the text does not linger in freed pages
    // of a file system that keeps them.
    if let Ok(meta) = std::fs::metadata(&path)
        && let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(&path)
    {
        let _ = file.write_all(&vec![0u8; meta.len() as usize]);
        let _ = file.sync_all();
    }
    drop(dir);
    result
}

fn run_editor(path: &std::path::Path, draft: &str) -> Result<String, String> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write the draft for the editor: {e}"))?;
    file.write_all(draft.as_bytes())
        .map_err(|e| format!("cannot write the draft for the editor: {e}"))?;
    drop(file);
    let command = editor_command();
    // Through the shell, as git does, so "code --wait" and similar work.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| format!("cannot start the editor '{command}': {e}"))?;
    if !status.success() {
        return Err(format!(
            "the editor '{command}' exited with {status}; the draft is unchanged"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the edited draft: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        e.into_bytes().zeroize();
        "the edited draft is not UTF-8 text".to_owned()
    })
}
