//! The chat application: its state, the messages that change it, the pure
//! `update` that turns a message into new state and effects, and the runtime
//! that owns the terminal, the vault and the backends and carries effects out.
//!
//! Data flow: terminal input, backend streams, store jobs and the timer send
//! [`msg::Msg`]s into one channel; the runtime drains it, calls
//! [`update::update`] for each, carries out the returned [`msg::Effect`]s, and
//! draws once if anything changed.

pub mod demo;
pub mod editor;
pub mod keys;
pub mod lock;
pub mod msg;
pub mod runtime;
pub mod screens;
pub mod scroll;
pub mod send;
pub mod state;
pub mod update;

#[cfg(test)]
mod tests;
