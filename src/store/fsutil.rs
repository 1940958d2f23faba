//! Small filesystem helpers with the vault's rules baked in: directories 0700,
//! files 0600, whole-file replacement by write-to-temp-then-rename with fsync
//! of file and directory, and appends that are synced before they count.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use rand::RngCore;

pub(crate) const DIR_MODE: u32 = 0o700;
pub(crate) const FILE_MODE: u32 = 0o600;
/// The largest identity, manifest or marker file read: sotto's own are a
/// few hundred bytes.
pub(crate) const SMALL_FILE_CAP: u64 = 1 << 20;

/// sled creates its own files (snapshots, blobs) as it runs, with whatever mode
/// the umask allows; a private umask is the only way to keep all of them 0600.
/// Called whenever a vault database is created or opened.
pub(crate) fn restrict_umask() {
    // SAFETY: umask only swaps the process's file-mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Whether this process may create entries in the directory `dir`, by its
/// effective ids and the mount's read-only flag (what a write would meet).
pub(crate) fn check_dir_writable(dir: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the path holds a NUL byte"))?;
    // SAFETY: faccessat only reads the NUL-terminated path it is given.
    let rc = unsafe { libc::faccessat(libc::AT_FDCWD, path.as_ptr(), libc::W_OK | libc::X_OK, libc::AT_EACCESS) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new().mode(DIR_MODE).create(path)
}

pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Replaces `path` with `bytes` atomically: readers see the old file or the new
/// one, never a mix, even if the process dies half-way.
pub(crate) fn write_private_file_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no parent directory"))?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let mut suffix = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let tmp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), hex(&suffix)));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Appends `bytes` to `path` (created 0600 if missing) and syncs the data.
/// A symlink planted under the name is refused, never written through.
pub(crate) fn append_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        // O_NONBLOCK: a FIFO planted under the name fails the open at once.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(explain_symlink)?;
    ensure_regular(&file)?;
    file.write_all(bytes)?;
    file.sync_data()
}

/// Opens the file at `path` for reading, refusing a symlink at its last
/// component and anything but a regular file (a FIFO planted in the data
/// directory must not hang sotto, a device must not feed it forever).
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(explain_symlink)?;
    ensure_regular(&file)?;
    Ok(file)
}

/// The bytes of the regular file at `path` (see [`open_regular`]), refusing
/// one larger than `cap`.
pub(crate) fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is larger than any file sotto writes there ({cap} bytes); it was not written by sotto"),
        ));
    }
    Ok(bytes)
}

fn ensure_regular(file: &File) -> io::Result<()> {
    if file.metadata()?.file_type().is_file() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "it is not a regular file (a device, a FIFO or a directory), so it was not written by sotto",
        ))
    }
}

fn explain_symlink(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "it is a symlink, and sotto never follows one inside the data directory (it did not make it)",
        )
    } else {
        e
    }
}

/// Total size in bytes of the regular files under `path`.
pub(crate) fn tree_size(path: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += tree_size(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// Swaps the entries `a` and `b` in one step (`renameat2` with
/// `RENAME_EXCHANGE`): at every moment both names exist.
pub(crate) fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_encoded_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid C strings; AT_FDCWD resolves them like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Bytes an unprivileged process may still write on the file system of `path`.
pub(crate) fn free_space(path: &Path) -> io::Result<u64> {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid C string and `stat` is large enough for
    // what statvfs writes; it is read only after statvfs succeeded.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// A directory opened by its descriptor, so that what is done inside it
/// happens to the directory that was checked, whatever is renamed or
/// symlinked meanwhile, and never follows a symlink planted as one of its
/// entries (`openat` with `O_NOFOLLOW`).
pub(crate) struct DirHandle {
    fd: std::os::fd::OwnedFd,
}

impl DirHandle {
    /// Opens the directory at `path`, following symlinks on the way (the
    /// user may keep a vault behind one).
    pub fn open(path: &Path) -> io::Result<Self> {
        Self::open_with(path, 0)
    }

    /// Opens the directory at `path` only if `path` itself is not a symlink:
    /// for entries found by listing a directory others may write to.
    pub fn open_no_symlink(path: &Path) -> io::Result<Self> {
        Self::open_with(path, libc::O_NOFOLLOW)
    }

    fn open_with(path: &Path, extra: libc::c_int) -> io::Result<Self> {
        use std::os::fd::FromRawFd;
        use std::os::unix::ffi::OsStrExt;
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
        // SAFETY: a valid NUL-terminated path; the returned descriptor is checked and then owned.
        let fd = unsafe {
            libc::open(
                c_path.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | extra,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        Ok(DirHandle {
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
        })
    }

    fn raw(&self) -> libc::c_int {
        use std::os::fd::AsRawFd;
        self.fd.as_raw_fd()
    }

    /// Whether the directory belongs to the user this process runs as.
    pub fn owned_by_this_user(&self) -> io::Result<bool> {
        // SAFETY: fstat on an open descriptor, into a zeroed struct it fills.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(self.raw(), &mut stat) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: geteuid cannot fail.
        Ok(stat.st_uid == unsafe { libc::geteuid() })
    }

    /// The kind of entry `name` is, without following it if it is a symlink
    /// (`None` if there is none).
    pub fn entry_kind(&self, name: &str) -> io::Result<Option<libc::mode_t>> {
        let c_name = c_name(name)?;
        // SAFETY: fstatat relative to an open directory, not following symlinks.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::fstatat(self.raw(), c_name.as_ptr(), &mut stat, libc::AT_SYMLINK_NOFOLLOW) };
        if rc != 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            };
        }
        Ok(Some(stat.st_mode & libc::S_IFMT))
    }

    /// Overwrites the regular file `name` in this directory with random bytes
    /// and syncs it. A symlink, a device, a FIFO, a hard-linked or foreign or
    /// oversized file under that name is never written (it is not sotto's
    /// file; the caller replaces or removes the name itself); a missing one
    /// is fine.
    pub fn shred(&self, name: &str) -> io::Result<()> {
        use std::os::fd::FromRawFd;
        let c_name = c_name(name)?;
        // O_NONBLOCK: opening a FIFO planted under this name must not hang.
        // SAFETY: openat relative to an open directory; the descriptor is checked and then owned.
        let fd = unsafe {
            libc::openat(
                self.raw(),
                c_name.as_ptr(),
                libc::O_WRONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOENT) | Some(libc::ELOOP) | Some(libc::ENXIO) | Some(libc::EISDIR) => Ok(()),
                _ => Err(e),
            };
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let mut file = unsafe { File::from_raw_fd(fd) };
        let meta = file.metadata()?;
        // Only a file sotto could have written: regular, this user's, with no
        // other name (a hard link would carry the overwrite elsewhere), and as
        // small as an identity file is.
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid cannot fail.
        let ours = meta.file_type().is_file()
            && meta.nlink() == 1
            && meta.uid() == unsafe { libc::geteuid() }
            && meta.len() <= SMALL_FILE_CAP;
        if !ours {
            return Ok(());
        }
        let mut noise = vec![0u8; meta.len() as usize];
        rand::rngs::OsRng.fill_bytes(&mut noise);
        file.write_all(&noise)?;
        file.sync_data()
    }
}

fn c_name(name: &str) -> io::Result<std::ffi::CString> {
    if name.contains('/') {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "an entry name holds a '/'"));
    }
    std::ffi::CString::new(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name holds a NUL byte"))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_write_replaces_the_file_with_mode_0600_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_private_file_atomic(&path, b"one").unwrap();
        write_private_file_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(unhex::<4>(&hex(&bytes)), Some(bytes));
        assert_eq!(unhex::<4>("zz"), None);
    }
}
