//! sotto: a terminal chatbot that keeps your conversations to yourself.
//!
//! The library holds everything; `main.rs` is a thin shell around [`cli::run`].
//! Dependencies point one way: `cli` → `store` → `crypto`. The `store` module is
//! the only place that writes to disk, and it seals every record before the
//! bytes reach sled (see ARCHITECTURE.md).

pub mod app;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod exchange;
pub mod export;
#[cfg(test)]
mod fuzz;
pub mod hardening;
pub mod model;
pub mod paths;
pub mod redact;
pub mod report;
pub mod request;
pub mod sanitize;
pub mod secret_source;
pub mod store;
pub mod theme;
pub mod time;
pub mod ui;
pub mod update;
