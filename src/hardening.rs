//! Process hardening, applied first thing in `main`, before any secret exists:
//! no core dumps (a dump of an unlocked vault would hold keys and history), a
//! non-dumpable process (other processes of the same user cannot ptrace it or
//! read its memory through /proc), and a panic hook that never prints the panic
//! message, because std's messages can quote the string being processed.

/// Everything `main` does before anything else: harden, then install the
/// panic hook. One function so tests exercise exactly what the binary runs.
pub fn prepare_process(restore: fn()) -> Hardening {
    let hardening = harden_process();
    install_panic_hook(restore);
    hardening
}

/// What hardening achieved; printed by nothing, checked by tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hardening {
    pub core_dumps_disabled: bool,
    pub non_dumpable: bool,
}

/// Disables core dumps and marks the process non-dumpable (Linux).
pub fn harden_process() -> Hardening {
    let limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads a valid, initialised rlimit struct.
    let core_dumps_disabled = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) } == 0;
    Hardening {
        core_dumps_disabled,
        non_dumpable: set_non_dumpable(),
    }
}

#[cfg(target_os = "linux")]
fn set_non_dumpable() -> bool {
    // SAFETY: PR_SET_DUMPABLE takes one integer argument; the rest are ignored.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn set_non_dumpable() -> bool {
    false
}

/// The current state, read back from the kernel.
pub fn current() -> Hardening {
    let mut limit = libc::rlimit {
        rlim_cur: 1,
        rlim_max: 1,
    };
    // SAFETY: getrlimit writes into a valid rlimit struct.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) } == 0;
    Hardening {
        core_dumps_disabled: got && limit.rlim_cur == 0 && limit.rlim_max == 0,
        non_dumpable: is_non_dumpable(),
    }
}

#[cfg(target_os = "linux")]
fn is_non_dumpable() -> bool {
    // SAFETY: PR_GET_DUMPABLE takes no arguments and returns 0 or 1.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn is_non_dumpable() -> bool {
    false
}

/// Replaces the panic hook with one that prints where sotto failed but not the
/// panic message, which may contain conversation text (std's string slicing
/// panics quote the string). `restore` runs first, e.g. to give the terminal
/// back to the user.
pub fn install_panic_hook(restore: fn()) {
    std::panic::set_hook(Box::new(move |info| {
        restore();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "an unknown place".into());
        eprintln!(
            "sotto: internal error at {location}; it stopped without finishing the current action.\n\
             Everything already saved is intact. The error text is withheld because it could quote your \
             conversation. Please report the location above."
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn hardened_process_has_no_core_dumps_and_is_not_dumpable() {
        let applied = harden_process();
        assert_eq!(
            applied,
            Hardening {
                core_dumps_disabled: true,
                non_dumpable: true
            }
        );
        assert_eq!(current(), applied);
    }
}
