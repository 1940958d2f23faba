//! Conversation commands: /new, /rename, /delete, /search.

use super::{Done, Outcome};
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::{ConfirmAction, Popup, State, TypedAnswer};
use crate::store::ConversationId;

/// The longest title kept.
const MAX_TITLE_CHARS: usize = 120;

pub fn new(state: &mut State, _args: &str) -> Outcome {
    if state.is_streaming() || state.sending {
        return Err("a reply is still coming: wait for it, or press Esc to stop it".into());
    }
    start_new(state, false);
    state.notify("new conversation: it is stored when you send the first message");
    Ok(Done::Effects(Vec::new()))
}

fn start_new(state: &mut State, in_memory: bool) {
    state.current = None;
    state.opening = None;
    state.current_in_memory = in_memory;
    state.redaction_map = Default::default();
    state.set_entries(Vec::new());
    state.editor.set_history(Vec::new());
}

/// `/incognito`: a new conversation that lives in memory only; it never
/// reaches the vault and ends with the session (or a lock).
pub fn incognito(state: &mut State, _args: &str) -> Outcome {
    if state.incognito {
        return Err("the whole session is incognito already: nothing is stored".into());
    }
    if state.is_streaming() || state.sending {
        return Err("a reply is still coming: wait for it, or press Esc to stop it".into());
    }
    start_new(state, true);
    state.notify(
        "incognito conversation: kept in memory only, never written to the vault; gone when sotto ends or locks",
    );
    Ok(Done::Effects(Vec::new()))
}

pub fn rename(state: &mut State, args: &str) -> Outcome {
    let Some(id) = state.current else {
        return Err("this conversation is not stored yet: send a message first".into());
    };
    let title = crate::model::editor::clean_input(args).replace('\n', " ");
    let title = title.trim();
    if title.is_empty() {
        return Err("give the new title: /rename TITLE".into());
    }
    let title: String = title.chars().take(MAX_TITLE_CHARS).collect();
    if let Some(item) = state.conversations.iter_mut().find(|c| c.id == id) {
        item.title = title.clone();
    }
    state.notify("renamed");
    Ok(Done::Effects(vec![Effect::Store(StoreJob::Rename {
        conversation: id,
        title,
    })]))
}

pub fn delete(state: &mut State, _args: &str) -> Outcome {
    let Some(id) = state.current else {
        return Err("this conversation is not stored yet; there is nothing to delete".into());
    };
    let title = state.current_title().unwrap_or("this conversation").to_owned();
    Ok(Done::Effects(confirm_delete(state, id, &title)))
}

/// Raises the confirmation for wiping conversation `id`, and has the next
/// vault identity prepared while the user types the answer.
pub fn confirm_delete(state: &mut State, id: ConversationId, title: &str) -> Vec<Effect> {
    let count = state
        .conversations
        .iter()
        .find(|c| c.id == id)
        .map_or(0, |c| c.message_count);
    state.popup = Some(Popup::Confirm {
        action: ConfirmAction::DeleteConversation(id),
        title: "Wipe this conversation?".into(),
        answer: Some(TypedAnswer {
            accepted: vec![title.trim().to_owned(), "wipe".into()],
            typed: String::new(),
        }),
        body: format!(
            "'{}' and its {count} message(s) are wiped for good: the records go and the vault identity is \
             rotated, so leftover bytes on disk can never be decrypted again, not even with your passphrase. \
             This cannot be undone.",
            crate::sanitize::one_line(title, 60)
        ),
    });
    vec![Effect::Store(StoreJob::PrepareRotation)]
}

pub fn search(state: &mut State, args: &str) -> Outcome {
    let query = crate::model::editor::clean_input(args).replace('\n', " ");
    let query = query.trim().to_owned();
    let effects = if query.is_empty() {
        Vec::new()
    } else {
        vec![Effect::Store(StoreJob::Search(query.clone()))]
    };
    state.popup = Some(Popup::Search {
        query,
        hits: None,
        selected: 0,
    });
    Ok(Done::Effects(effects))
}
