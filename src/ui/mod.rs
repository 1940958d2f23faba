//! Drawing only: the screens, the chat pane, the sidebar, the input box, the
//! status bar, popups, and the Markdown and wrapping they are built from.
//! Nothing here changes state or performs IO; every function draws what it is
//! given.

pub mod markdown;
pub mod wrap;
