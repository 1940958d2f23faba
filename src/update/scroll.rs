//! Scroll requests that name a message rather than a number of rows. Row
//! arithmetic happens where real wrapped heights are known (see
//! `ui::chat::resolve_scroll`).

use crate::model::msg::{Effect, StoreJob};
use crate::model::state::State;
use crate::store::ConversationId;

/// Asks the store for conversation `id`; only its answer will be shown.
pub fn open(state: &mut State, id: ConversationId) -> Effect {
    state.opening = Some(id);
    Effect::Store(StoreJob::OpenConversation(id))
}

/// Shows the message with sequence number `seq` at the top of the chat view.
pub fn jump_to_seq(state: &mut State, seq: u64) {
    if let Some(index) = state.entries.iter().position(|e| e.seq == Some(seq)) {
        state.scroll.follow = false;
        state.scroll.anchor = (index, 0);
        state.scroll.pending = 0;
    }
}
