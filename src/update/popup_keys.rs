//! Keys on a popup: Esc (or Ctrl-C) closes it, the arrows and Enter pick,
//! and a confirm popup runs its action only on an explicit yes; the
//! redaction review decides per item what leaves.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keys::run_command;
use super::reply;
use super::send;
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::{ConfirmAction, PickerKind, Popup, State};

pub(super) fn popup_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')) {
        if let Some(Popup::Redaction { text, .. }) = &state.popup {
            // Back to editing: the message returns to the box, nothing is sent.
            let text = text.clone();
            state.editor.set_text(&text);
            state.notify("nothing was sent; edit the message and send it again");
        }
        if let Some(Popup::Confirm {
            action: ConfirmAction::TrustBackend { .. },
            ..
        }) = &state.popup
            && let Some(pending) = state.pending_send.take()
        {
            state.editor.set_text(&pending.text);
            state.notify("nothing was sent");
        }
        state.popup = None;
        return Vec::new();
    }
    let Some(popup) = &mut state.popup else {
        return Vec::new();
    };
    match popup {
        Popup::Report { lines, scroll, .. } => match key.code {
            KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *scroll = (*scroll + 1).min(lines.len().saturating_sub(1)),
            KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
            KeyCode::PageDown => *scroll = (*scroll + 10).min(lines.len().saturating_sub(1)),
            KeyCode::Enter | KeyCode::Char('q') => state.popup = None,
            _ => {}
        },
        Popup::Help { scroll } => match key.code {
            KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *scroll += 1,
            KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
            KeyCode::PageDown => *scroll += 10,
            KeyCode::Enter | KeyCode::Char('q') => state.popup = None,
            _ => {}
        },
        // Only an explicit 'y': a second Enter after sending must not agree.
        Popup::Confirm {
            action,
            answer: Some(answer),
            ..
        } => match key.code {
            KeyCode::Enter => {
                let typed = answer.typed.trim();
                if answer.accepted.iter().any(|a| !a.is_empty() && a == typed) {
                    let action = action.clone();
                    state.popup = None;
                    return confirmed(state, action);
                }
                let accepted = answer.describe();
                state.error(format!("type {accepted} exactly to confirm, or Esc to keep everything"));
            }
            KeyCode::Backspace => {
                answer.typed.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => answer.typed.push(c),
            _ => {}
        },
        Popup::Confirm { action, .. } => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                let action = action.clone();
                state.popup = None;
                return confirmed(state, action);
            }
            KeyCode::Char('n') | KeyCode::Char('N') => {
                state.popup = None;
                if let Some(pending) = state.pending_send.take() {
                    state.editor.set_text(&pending.text);
                    state.notify("nothing was sent");
                }
            }
            _ => {}
        },
        Popup::Search { query, hits, selected } => match key.code {
            KeyCode::Up => *selected = selected.saturating_sub(1),
            KeyCode::Down => {
                let count = hits.as_ref().map_or(0, Vec::len);
                *selected = (*selected + 1).min(count.saturating_sub(1));
            }
            KeyCode::Enter => {
                if let Some(hit) = hits.as_ref().and_then(|h| h.get(*selected)).cloned() {
                    state.popup = None;
                    state.pending_jump = Some((hit.conversation, hit.seq));
                    if Some(hit.conversation) == state.current {
                        super::scroll::jump_to_seq(state, hit.seq);
                        return Vec::new();
                    }
                    if state.is_streaming() || state.sending {
                        state.error("a reply is still coming: wait for it, or press Esc to stop it, before switching");
                        return Vec::new();
                    }
                    return vec![super::scroll::open(state, hit.conversation)];
                }
                if !query.trim().is_empty() && hits.is_none() {
                    return vec![Effect::Store(StoreJob::Search(query.clone()))];
                }
            }
            KeyCode::Backspace => {
                query.pop();
                *hits = None;
            }
            KeyCode::Char(c) if !ctrl => {
                query.push(c);
                *hits = None;
            }
            _ => {}
        },
        Popup::Redaction {
            text,
            replaces,
            items,
            selected,
            blocked,
        } => match key.code {
            KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *selected = (*selected + 1).min(items.len().saturating_sub(1)),
            // Warn mode: this one item goes as written.
            KeyCode::Char(' ') | KeyCode::Char('s') if !*blocked => {
                if let Some(item) = items.get_mut(*selected) {
                    item.send_anyway = !item.send_anyway;
                }
            }
            KeyCode::Char('m') | KeyCode::Enter => {
                let (text, replaces) = (text.clone(), *replaces);
                let send_anyway: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.send_anyway)
                    .map(|(n, _)| n)
                    .collect();
                state.popup = None;
                return send::dispatch(state, text, replaces, &send_anyway);
            }
            KeyCode::Char('e') => {
                let text = text.clone();
                state.popup = None;
                state.editor.set_text(&text);
            }
            _ => {}
        },
        Popup::Picker { kind, items, selected } => match key.code {
            KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *selected = (*selected + 1).min(items.len().saturating_sub(1)),
            KeyCode::Enter => {
                let (kind, name) = (*kind, items.get(*selected).cloned());
                state.popup = None;
                if let Some(name) = name {
                    let command = match kind {
                        PickerKind::Backend => format!("/backend {name}"),
                        PickerKind::Theme => format!("/theme {name}"),
                    };
                    return run_command(state, &command);
                }
            }
            _ => {}
        },
    }
    Vec::new()
}

fn confirmed(state: &mut State, action: ConfirmAction) -> Vec<Effect> {
    match action {
        ConfirmAction::DeleteConversation(id) => {
            if state.current == Some(id) && (state.sending || state.is_streaming()) {
                state.error("a reply is still coming: wait for it, or press Esc to stop it, then delete");
                return Vec::new();
            }
            let mut effects = Vec::new();
            if state.opening == Some(id) {
                state.opening = None;
            }
            if state.current == Some(id) {
                effects.extend(reply::cancel(state));
                state.current = None;
                state.redaction_map = Default::default();
                state.set_entries(Vec::new());
            }
            state.conversations.retain(|c| c.id != id);
            state.sidebar_selected = state.sidebar_selected.min(state.conversations.len().saturating_sub(1));
            state.notify("conversation deleted");
            effects.push(Effect::Store(StoreJob::Delete(id)));
            effects
        }
        ConfirmAction::WipeOlderThan(before) => {
            if state.sending || state.is_streaming() {
                state.error("a reply is still coming: wait for it, or press Esc to stop it, then wipe");
                return Vec::new();
            }
            state.notify("wiping…");
            vec![Effect::Store(StoreJob::WipeOlderThan(before))]
        }
        ConfirmAction::WipeAll => {
            let mut effects = reply::cancel(state);
            state.notify("wiping the whole vault…");
            effects.push(Effect::Store(StoreJob::WipeAll));
            effects
        }
        ConfirmAction::Export(request) => {
            state.notify("exporting…");
            vec![Effect::Store(StoreJob::Export(request))]
        }
        ConfirmAction::TrustBackend { backend, target } => {
            state.backend.consented = true;
            let mut effects = Vec::new();
            if !state.incognito {
                effects.push(Effect::Store(StoreJob::GiveConsent { backend, target }));
            }
            if let Some(pending) = state.pending_send.take() {
                let (text, replaces) = (pending.text.clone(), pending.replaces);
                effects.extend(send::send(state, text, replaces));
            }
            effects
        }
    }
}
