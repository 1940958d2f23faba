//! Export and import: the user's history out of the vault as versioned JSON
//! (complete, read back by `sotto import`) or Markdown (for reading), written
//! atomically, encrypted with age unless the user explicitly asks for
//! plaintext. See docs/export-json.md for the format.

pub(crate) mod defuse;
pub mod document;
mod keys;
pub mod markdown;
pub mod output;
mod plaintext;
pub mod read;
mod stream;

pub use document::{EXPORT_SCHEMA, ExportScope};
pub use keys::protection_note;
pub use output::{Destination, Encryption, ExportError, ExportSummary, default_file_name, export};
pub use read::{ImportError, ImportSummary, import, needs_passphrase};
