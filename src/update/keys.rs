//! Keys, paste and mouse, per screen and popup. Conventional bindings:
//! Enter sends, Alt-Enter and Ctrl-J insert a newline, readline editing, Esc
//! stops a reply or closes a popup, PgUp/PgDn and the wheel scroll, and
//! Ctrl-C never throws work away.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use super::popup_keys::popup_key;
use super::reply;
use super::send;
use crate::commands::{self, Done};
use crate::model::msg::Effect;
use crate::model::state::{Focus, Popup, Screen, State};

/// Rows one wheel notch scrolls.
const WHEEL_ROWS: isize = 3;

pub fn key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if !(ctrl && key.code == KeyCode::Char('c')) {
        disarm_quit(state);
    }
    match &mut state.screen {
        Screen::Welcome(_) => super::screens::welcome_key(state, key),
        Screen::Unlock(_) => super::screens::unlock_key(state, key),
        Screen::ChooseBackend { .. } => super::screens::choose_backend_key(state, key),
        Screen::Working { can_cancel, .. } => {
            if ctrl && key.code == KeyCode::Char('c') {
                if *can_cancel {
                    state.exit = Some((crate::model::ExitStatus::Cancelled, None));
                } else {
                    state.notify("the vault is being created; this takes a moment and cannot be interrupted");
                }
            }
            Vec::new()
        }
        Screen::Chat => {
            if state.popup.is_some() {
                popup_key(state, key)
            } else if state.focus == Focus::Sidebar {
                sidebar_key(state, key)
            } else {
                chat_key(state, key)
            }
        }
    }
}

pub fn paste(state: &mut State, text: &str) {
    match &mut state.screen {
        Screen::Chat if state.popup.is_none() => {
            // A pasted text is inserted, never sent, whatever lines it holds.
            state.focus = Focus::Input;
            state.editor.insert(text);
        }
        Screen::Chat => {
            if let Some(Popup::Search { query, .. }) = &mut state.popup {
                query.push_str(&crate::model::editor::clean_input(text).replace('\n', " "));
            }
        }
        // Passphrases are typed; a paste into a masked field is taken as typed.
        Screen::Unlock(form) => text
            .chars()
            .filter(|c| *c != '\n' && *c != '\r')
            .for_each(|c| form.passphrase.push(c)),
        Screen::Welcome(form) => {
            let field = if form.focus == 0 {
                &mut form.passphrase
            } else {
                &mut form.confirm
            };
            text.chars()
                .filter(|c| *c != '\n' && *c != '\r')
                .for_each(|c| field.push(c));
            super::screens::rate_passphrase(form);
        }
        _ => {}
    }
}

/// Returns whether anything changed.
pub fn mouse(state: &mut State, mouse: MouseEvent) -> bool {
    if !matches!(state.screen, Screen::Chat) {
        return false;
    }
    match mouse.kind {
        MouseEventKind::ScrollUp => scroll_by(state, -WHEEL_ROWS),
        MouseEventKind::ScrollDown => scroll_by(state, WHEEL_ROWS),
        _ => return false,
    }
    true
}

pub fn scroll_by(state: &mut State, rows: isize) {
    if rows > 0 && state.scroll.follow {
        return;
    }
    state.scroll.pending += rows;
}

/// Rows a page scroll moves: the chat pane's height less two rows of overlap.
fn page(state: &State) -> isize {
    let (width, height) = state.viewport;
    let (_, rows) = crate::model::layout::pane_size(ratatui::layout::Rect::new(0, 0, width, height), state);
    (rows as isize - 2).max(1)
}

fn chat_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let completions = crate::model::commands::completions(state.editor.text());
    match key.code {
        KeyCode::Char('c') if ctrl => return ctrl_c(state),
        KeyCode::Char('d') if ctrl && state.editor.is_empty() => return quit(state),
        KeyCode::Esc => {
            if state.is_streaming() {
                return reply::cancel(state);
            }
            if state.editing.take().is_some() {
                state.editor.set_text("");
                state.notify("edit cancelled");
            }
        }
        KeyCode::Enter if alt => state.editor.newline(),
        KeyCode::Char('j') if ctrl => state.editor.newline(),
        KeyCode::Enter if state.editor.is_empty() && state.demo.is_some() => {
            return crate::model::demo::advance(state).unwrap_or_default();
        }
        KeyCode::Enter => {
            if !completions.is_empty() {
                let chosen = completions[state.completion_selected.min(completions.len() - 1)];
                state.editor.set_text(&format!("/{}", chosen.name));
            }
            return submit(state);
        }
        KeyCode::Tab if !completions.is_empty() => {
            let chosen = completions[state.completion_selected.min(completions.len() - 1)];
            let space = if chosen.args.is_empty() { "" } else { " " };
            state.editor.set_text(&format!("/{}{space}", chosen.name));
            state.completion_selected = 0;
        }
        KeyCode::Tab | KeyCode::BackTab => {
            let (width, height) = state.viewport;
            if crate::model::layout::sidebar_shown(ratatui::layout::Rect::new(0, 0, width, height), state) {
                state.focus = Focus::Sidebar;
            } else {
                state.notify("the sidebar is hidden (Ctrl-B shows it; it needs 70 columns)");
            }
        }
        KeyCode::Up if !completions.is_empty() => {
            state.completion_selected = state
                .completion_selected
                .checked_sub(1)
                .unwrap_or(completions.len() - 1);
        }
        KeyCode::Down if !completions.is_empty() => {
            state.completion_selected = (state.completion_selected + 1) % completions.len();
        }
        KeyCode::Up if alt => return switch_conversation(state, -1),
        KeyCode::Down if alt => return switch_conversation(state, 1),
        KeyCode::Up if key.modifiers.contains(KeyModifiers::SHIFT) => scroll_by(state, -1),
        KeyCode::Down if key.modifiers.contains(KeyModifiers::SHIFT) => scroll_by(state, 1),
        KeyCode::PageUp => scroll_by(state, -page(state)),
        KeyCode::PageDown => scroll_by(state, page(state)),
        KeyCode::Home if ctrl => {
            state.scroll.follow = false;
            state.scroll.anchor = (0, 0);
            state.scroll.pending = 0;
        }
        KeyCode::End if ctrl => {
            state.scroll.follow = true;
            state.scroll.pending = 0;
        }
        KeyCode::Char('b') if ctrl => {
            state.sidebar_visible = !state.sidebar_visible;
            state.focus = Focus::Input;
        }
        KeyCode::Char('n') if ctrl => return run_command(state, "/new"),
        KeyCode::Char('o') if ctrl => return vec![Effect::OpenEditor(state.editor.text().to_owned())],
        KeyCode::Char('l') if ctrl => {
            state.generation += 1;
            return vec![Effect::Repaint];
        }
        _ => {
            edit_key(state, key);
            state.completion_selected = 0;
        }
    }
    Vec::new()
}

/// Readline-style editing of the draft.
fn edit_key(state: &mut State, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let editor = &mut state.editor;
    match key.code {
        KeyCode::Left if ctrl || alt => editor.word_left(),
        KeyCode::Right if ctrl || alt => editor.word_right(),
        KeyCode::Left => editor.left(),
        KeyCode::Right => editor.right(),
        KeyCode::Up => editor.up(),
        KeyCode::Down => editor.down(),
        KeyCode::Home => editor.home(),
        KeyCode::End => editor.end(),
        KeyCode::Backspace if ctrl || alt => editor.delete_word_before(),
        KeyCode::Backspace => editor.backspace(),
        KeyCode::Delete => editor.delete(),
        KeyCode::Char(c) if ctrl => match c {
            'a' => editor.home(),
            'e' => editor.end(),
            'b' => editor.left(),
            'f' => editor.right(),
            'h' => editor.backspace(),
            'w' => editor.delete_word_before(),
            'u' => editor.delete_to_line_start(),
            'k' => editor.delete_to_line_end(),
            _ => {}
        },
        KeyCode::Char(c) if alt => match c {
            'b' => editor.word_left(),
            'f' => editor.word_right(),
            'd' => editor.delete_word_after(),
            _ => {}
        },
        KeyCode::Char(c) => {
            let mut buf = [0u8; 4];
            editor.insert(c.encode_utf8(&mut buf));
        }
        _ => {}
    }
}

/// Enter: run a command, or send the draft.
fn submit(state: &mut State) -> Vec<Effect> {
    let text = state.editor.text().to_owned();
    if text.trim().is_empty() {
        return Vec::new();
    }
    if crate::model::commands::parse(&text).is_some() {
        return run_command(state, &text);
    }
    if state.is_streaming() || state.sending || state.opening.is_some() {
        state.error("a reply is still coming (or a conversation is opening): wait for it, or press Esc");
        return Vec::new();
    }
    if let Some(refusal) = send::history_refusal(state) {
        state.error(refusal);
        return Vec::new();
    }
    let text = state.editor.take();
    // `//text` sends `/text`.
    let text = match text.trim_start().strip_prefix("//") {
        Some(rest) => format!("/{rest}"),
        None => text,
    };
    let replaces = state.editing.take();
    send::send(state, text, replaces)
}

pub fn run_command(state: &mut State, input: &str) -> Vec<Effect> {
    let input = input.to_owned();
    let done = match commands::run(state, &input) {
        Ok(Done::Effects(effects)) => Ok(effects),
        Ok(Done::Regenerate) => send::regenerate(state),
        Ok(Done::Lock(why)) => Ok(super::lock::lock(state, why)),
        Ok(Done::Quit) => Ok(quit(state)),
        Err(message) => Err(message),
    };
    match done {
        Ok(effects) => {
            // The command line leaves the box unless the command filled it.
            if state.editor.text() == input {
                state.editor.take();
            }
            effects
        }
        Err(message) => {
            state.error(message);
            Vec::new()
        }
    }
}

/// Shown after a first Ctrl-C with a draft in the input.
const QUIT_HINT: &str = "press Ctrl-C again to quit; your draft is not saved";

/// Any other key takes back a first Ctrl-C, and its hint with it: once the
/// draft is edited or cleared, the hint no longer says what Ctrl-C does.
pub(super) fn disarm_quit(state: &mut State) {
    if std::mem::take(&mut state.quit_armed) && state.notice.as_ref().is_some_and(|n| n.text == QUIT_HINT) {
        state.notice = None;
    }
}

fn ctrl_c(state: &mut State) -> Vec<Effect> {
    if state.is_streaming() {
        return reply::cancel(state);
    }
    if state.editor.is_empty() || state.quit_armed {
        return quit(state);
    }
    state.quit_armed = true;
    state.notify(QUIT_HINT);
    Vec::new()
}

pub fn quit(state: &mut State) -> Vec<Effect> {
    let mut effects = reply::cancel(state);
    state.exit = Some((crate::model::ExitStatus::Ok, None));
    effects.push(Effect::Quit);
    effects
}

fn switch_conversation(state: &mut State, step: isize) -> Vec<Effect> {
    if state.conversations.is_empty() {
        return Vec::new();
    }
    let current = state
        .current
        .and_then(|id| state.conversations.iter().position(|c| c.id == id));
    let next = match current {
        Some(i) => (i as isize + step).clamp(0, state.conversations.len() as isize - 1) as usize,
        None => 0,
    };
    open_selected(state, next)
}

fn open_selected(state: &mut State, index: usize) -> Vec<Effect> {
    let Some(item) = state.conversations.get(index) else {
        return Vec::new();
    };
    state.sidebar_selected = index;
    if Some(item.id) == state.current {
        return Vec::new();
    }
    if state.is_streaming() || state.sending {
        state.error("a reply is still coming: wait for it, or press Esc to stop it, before switching");
        return Vec::new();
    }
    let id = item.id;
    vec![super::scroll::open(state, id)]
}

fn sidebar_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let last = state.conversations.len().saturating_sub(1);
    match key.code {
        KeyCode::Char('c') if ctrl => return ctrl_c(state),
        KeyCode::Up | KeyCode::Char('k') => state.sidebar_selected = state.sidebar_selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => state.sidebar_selected = (state.sidebar_selected + 1).min(last),
        KeyCode::Home => state.sidebar_selected = 0,
        KeyCode::End => state.sidebar_selected = last,
        KeyCode::Enter => {
            let effects = open_selected(state, state.sidebar_selected);
            state.focus = Focus::Input;
            return effects;
        }
        KeyCode::Char('n') => {
            state.focus = Focus::Input;
            return run_command(state, "/new");
        }
        KeyCode::Char('r') => {
            let selected = state.conversations.get(state.sidebar_selected).map(|c| c.id);
            if selected.is_some() && selected == state.current && state.opening.is_none() {
                if state.editor.is_empty() {
                    state.focus = Focus::Input;
                    state.editor.set_text("/rename ");
                } else {
                    state.error("the draft is not empty: send or clear it first, or type /rename TITLE");
                }
            } else {
                let effects = open_selected(state, state.sidebar_selected);
                state.notify("opening it; press r again to rename it");
                return effects;
            }
        }
        KeyCode::Delete | KeyCode::Char('d') => {
            if let Some(item) = state.conversations.get(state.sidebar_selected) {
                let (id, title) = (item.id, item.title.clone());
                return commands::confirm_delete(state, id, &title);
            }
        }
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Esc => state.focus = Focus::Input,
        KeyCode::Char('b') if ctrl => {
            state.sidebar_visible = false;
            state.focus = Focus::Input;
        }
        _ => {}
    }
    Vec::new()
}
