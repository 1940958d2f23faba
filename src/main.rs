//! The sotto binary: harden the process, then hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    sotto::hardening::harden_process();
    sotto::hardening::install_panic_hook(|| {});
    sotto::cli::run()
}
