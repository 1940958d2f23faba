//! The chat application: its state, the messages that change it, the pure
//! `update` that turns a message into new state and effects, and the runtime
//! that owns the terminal, the vault and the backends and carries effects out.

pub mod editor;
