//! The sotto binary: prepare the process (hardening, panic hook), then hand
//! over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    sotto::hardening::prepare_process(|| {});
    sotto::cli::run()
}
