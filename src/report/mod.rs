//! Reports about the vault for people and scripts, shared by the command
//! line and the chat screen.

pub mod conversations;
pub mod view;
