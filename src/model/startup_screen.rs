//! What the startup record says (`store::startup_record` keeps it sealed):
//! the chat screen as the vault last closed, enough to draw the next
//! session's first frame before the database opens. The real list and the
//! real newest conversation follow within milliseconds and replace it.
//!
//! It holds the sidebar's first conversations and the newest conversation's
//! latest messages, within a budget: more than a screen, far less than the
//! record may hold. A record written by another version of sotto, or past
//! the moment retention would wipe something, is not shown.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::entries::{ConversationItem, Entry};
use crate::redact::mask::RedactionMap;
use crate::store::ConversationId;
use crate::time::Timestamp;

/// Bumped whenever the fields change: a record of another version is not shown.
const VERSION: u32 = 1;

/// Conversations kept for the sidebar: many screens of it.
pub const LISTED: usize = 200;

/// Bytes of message text kept of the newest conversation: many screens of it.
pub const TEXT_BUDGET: usize = 256 * 1024;

/// The first chat frame, as the vault last closed.
#[derive(Serialize, Deserialize)]
pub struct StartupScreen {
    version: u32,
    /// The newest first, as the sidebar lists them.
    pub conversations: Vec<ConversationItem>,
    pub newest: Option<NewestPage>,
    pub remembered: Remembered,
    /// The first moment a retention sweep would wipe something: from then
    /// on the record may show what is gone, so it is not shown.
    pub retention_deadline: Option<Timestamp>,
}

/// The chat screen's choices the vault remembers (its settings), by name.
#[derive(Default, Serialize, Deserialize)]
pub struct Remembered {
    pub theme: Option<String>,
    pub backend: Option<String>,
    pub redaction: Option<String>,
}

/// The newest messages of the newest conversation.
#[derive(Serialize, Deserialize)]
pub struct NewestPage {
    pub id: ConversationId,
    /// Oldest first.
    pub entries: Vec<Entry>,
    /// The placeholders these messages use.
    pub map: RedactionMap,
    /// Older messages exist beyond these.
    pub older: bool,
}

/// What the state keeps while the picture shows (`update::preview`).
#[derive(Debug)]
pub struct Preview {
    /// Keys, pastes and wheel turns, held for the real chat.
    pub held: Vec<super::msg::Msg>,
    /// `VaultOpened` has come.
    pub opened: bool,
    /// The newest conversation has opened for real (or failed, or there is none).
    pub conversation_settled: bool,
    /// Whether the backend in use has consent is known (or could not be read).
    pub consent_settled: bool,
    /// What the picture replaced, put back if the unlock fails after all.
    pub backend_before: super::state::ActiveBackend,
    pub redaction_before: crate::redact::egress::Mode,
}

impl StartupScreen {
    /// The screen from the conversation list (newest first) and the newest
    /// conversation's latest page, cut to the budgets.
    pub fn new(
        mut conversations: Vec<ConversationItem>,
        newest: Option<NewestPage>,
        remembered: Remembered,
        retention_deadline: Option<Timestamp>,
    ) -> Self {
        conversations.truncate(LISTED);
        let newest = newest.map(|mut page| {
            let mut spent = 0;
            let keep = page
                .entries
                .iter()
                .rev()
                .take_while(|e| {
                    spent += e.text.len() + e.sent.as_ref().map_or(0, String::len);
                    spent <= TEXT_BUDGET
                })
                .count()
                // The newest message is kept whatever its size.
                .max(1)
                .min(page.entries.len());
            let cut = page.entries.len() - keep;
            page.older |= cut > 0;
            page.entries.drain(..cut);
            page
        });
        StartupScreen {
            version: VERSION,
            conversations,
            newest,
            remembered,
            retention_deadline,
        }
    }

    /// The record's bytes (sized exactly and zeroized: `seal::json_plaintext`).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        crate::crypto::seal::json_plaintext(self)
    }

    /// The screen a record holds, if it is of this version and may still be
    /// shown at `now`.
    pub fn decode(bytes: &[u8], now: Timestamp) -> Option<StartupScreen> {
        let screen: StartupScreen = serde_json::from_slice(bytes).ok()?;
        let expired = screen.retention_deadline.is_some_and(|deadline| now >= deadline);
        (screen.version == VERSION && !expired).then_some(screen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MessageMeta, Role};

    fn entry(text: &str) -> Entry {
        let at = Timestamp::from_unix_ms(1_000);
        Entry::with_meta(1, Role::User, at, text.into(), &MessageMeta::default())
    }

    fn page(entries: Vec<Entry>) -> NewestPage {
        NewestPage {
            id: ConversationId::random(),
            entries,
            map: RedactionMap::default(),
            older: false,
        }
    }

    fn item(title: &str) -> ConversationItem {
        ConversationItem::created(ConversationId::random(), title, Timestamp::from_unix_ms(5))
    }

    #[test]
    fn a_record_reads_back_as_the_screen_it_was_made_from() {
        let newest = page(vec![entry("first"), entry("second")]);
        let id = newest.id;
        let screen = StartupScreen::new(
            vec![item("a"), item("b")],
            Some(newest),
            Remembered {
                theme: Some("light".into()),
                backend: Some("local".into()),
                redaction: None,
            },
            None,
        );
        let back = StartupScreen::decode(&screen.encode(), Timestamp::from_unix_ms(10)).expect("it reads");
        assert_eq!(back.conversations, screen.conversations);
        let page = back.newest.expect("the newest page");
        assert_eq!(page.id, id);
        assert_eq!(page.entries, screen.newest.as_ref().unwrap().entries);
        assert!(!page.older);
        assert_eq!(back.remembered.theme.as_deref(), Some("light"));
        assert_eq!(back.remembered.backend.as_deref(), Some("local"));
        assert_eq!(back.remembered.redaction, None);
    }

    #[test]
    fn the_newest_messages_are_kept_within_the_budget_and_the_rest_is_marked_older() {
        let big = "x".repeat(TEXT_BUDGET / 3);
        let entries = (0..5).map(|i| entry(&format!("{i}{big}"))).collect();
        let screen = StartupScreen::new(Vec::new(), Some(page(entries)), Remembered::default(), None);
        let page = screen.newest.expect("a page");
        assert_eq!(
            page.entries.len(),
            2,
            "two thirds of the budget fit, a third more would not"
        );
        assert!(page.entries[0].text.starts_with('3') && page.entries[1].text.starts_with('4'));
        assert!(page.older);
        // A single message over the budget is still shown.
        let huge = vec![entry(&"y".repeat(TEXT_BUDGET * 2))];
        let screen = StartupScreen::new(Vec::new(), Some(self::page(huge)), Remembered::default(), None);
        assert_eq!(screen.newest.expect("a page").entries.len(), 1);
    }

    #[test]
    fn the_sidebar_keeps_only_its_first_conversations() {
        let many = (0..LISTED + 50).map(|i| item(&i.to_string())).collect();
        let screen = StartupScreen::new(many, None, Remembered::default(), None);
        assert_eq!(screen.conversations.len(), LISTED);
        assert_eq!(screen.conversations[0].title, "0");
    }

    #[test]
    fn a_record_is_not_shown_once_retention_would_wipe_something_or_from_another_version() {
        let screen = StartupScreen::new(
            vec![item("a")],
            None,
            Remembered::default(),
            Some(Timestamp::from_unix_ms(100)),
        );
        let bytes = screen.encode();
        assert!(StartupScreen::decode(&bytes, Timestamp::from_unix_ms(99)).is_some());
        assert!(StartupScreen::decode(&bytes, Timestamp::from_unix_ms(100)).is_none());
        let mut other = screen;
        other.version = VERSION + 1;
        assert!(StartupScreen::decode(&other.encode(), Timestamp::from_unix_ms(1)).is_none());
        assert!(StartupScreen::decode(b"{not json", Timestamp::from_unix_ms(1)).is_none());
    }
}
