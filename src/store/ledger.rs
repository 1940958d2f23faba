//! The egress ledger: per backend, how many of the user's messages were sent
//! to it, how many characters they held as sent, and how many items
//! redaction withheld from them. Computed from the messages' sealed metadata
//! (which backend a message went to, what was sent), so it decrypts every
//! message: it is for `view`, not for hot paths. Context re-sent with later
//! messages is not counted again.

use std::collections::BTreeMap;

use super::error::VaultError;
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
    /// The egress ledger, by backend name.
    pub fn egress_ledger(&self) -> Result<BTreeMap<String, LedgerEntry>, VaultError> {
        let mut ledger: BTreeMap<String, LedgerEntry> = BTreeMap::new();
        for conversation in self.list_conversations()?.conversations {
            for message in self.newest_messages(conversation.id, usize::MAX)?.into_iter().flatten() {
                let Some(backend) = &message.meta.backend else {
                    continue;
                };
                if message.role != Role::User {
                    continue;
                }
                let sent = message.meta.extra.get("sent").unwrap_or(&message.text);
                let entry = ledger.entry(backend.clone()).or_default();
                entry.messages += 1;
                entry.characters += sent.chars().count() as u64;
                entry.items_withheld += message
                    .meta
                    .extra
                    .get("withheld")
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        Ok(ledger)
    }
}
