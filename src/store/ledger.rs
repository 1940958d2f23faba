//! The egress ledger: per backend, how many of the user's messages were sent
//! to it, how many characters they held as sent, and how many items
//! redaction withheld from them. Computed from the messages' sealed metadata
//! (which backend a message went to, what was sent), so it decrypts every
//! message: it is for `view`, not for hot paths. Context re-sent with later
//! messages is not counted again.

use std::collections::BTreeMap;

use super::error::VaultError;
use super::ids::ConversationId;
use super::messages::Role;
use super::vault::Vault;

/// What went to one backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerEntry {
    pub messages: u64,
    pub characters: u64,
    pub items_withheld: u64,
}

impl Vault {
    /// The egress ledger of the whole vault, by backend name.
    pub fn egress_ledger(&self) -> Result<BTreeMap<String, LedgerEntry>, VaultError> {
        let ids: Vec<ConversationId> = self.list_conversations()?.conversations.iter().map(|c| c.id).collect();
        self.ledger_of(&ids)
    }

    /// The egress ledger of some conversations, by backend name.
    pub fn ledger_of(&self, conversations: &[ConversationId]) -> Result<BTreeMap<String, LedgerEntry>, VaultError> {
        let mut ledger: BTreeMap<String, LedgerEntry> = BTreeMap::new();
        for &conversation in conversations {
            for message in self.newest_messages(conversation, usize::MAX)?.into_iter().flatten() {
                let Some(backend) = &message.meta.backend else {
                    continue;
                };
                if message.role != Role::User {
                    continue;
                }
                let sent = message.meta.sent.as_ref().unwrap_or(&message.text);
                let entry = ledger.entry(backend.clone()).or_default();
                entry.messages += 1;
                entry.characters += sent.chars().count() as u64;
                entry.items_withheld += u64::from(message.meta.withheld);
            }
        }
        Ok(ledger)
    }
}
