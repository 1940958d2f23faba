//! Identifiers that appear in record keys. They are random, so a record key
//! tells someone reading the raw database nothing but "some conversation".

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::fsutil::{hex, unhex};

/// A conversation's random 128-bit id, shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationId([u8; 16]);

impl ConversationId {
    pub fn random() -> Self {
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        ConversationId(id)
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        ConversationId(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The first 8 hex digits, enough to tell conversations apart on screen.
    pub fn short(&self) -> String {
        hex(&self.0[..4])
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConversationId({self})")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a conversation id (32 hex digits)")]
pub struct BadConversationId(String);

impl FromStr for ConversationId {
    type Err = BadConversationId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        unhex::<16>(&s.to_ascii_lowercase())
            .map(ConversationId)
            .ok_or_else(|| BadConversationId(s.chars().take(64).collect()))
    }
}

impl Serialize for ConversationId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ConversationId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Key of a message record: conversation id ‖ sequence number (big-endian),
/// so one conversation's messages are contiguous and in order.
pub(crate) fn message_key(conversation: ConversationId, seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(conversation.as_bytes());
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// The inverse of [`message_key`]; `None` for keys of another shape.
pub(crate) fn split_message_key(key: &[u8]) -> Option<(ConversationId, u64)> {
    if key.len() != 24 {
        return None;
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&key[..16]);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&key[16..]);
    Some((ConversationId(id), u64::from_be_bytes(seq)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_text() {
        let id = ConversationId::random();
        assert_eq!(id.to_string().parse::<ConversationId>().unwrap(), id);
        assert!("not-an-id".parse::<ConversationId>().is_err());
    }

    #[test]
    fn message_keys_sort_by_sequence_within_a_conversation() {
        let id = ConversationId::random();
        assert!(message_key(id, 255) < message_key(id, 256));
        assert_eq!(split_message_key(&message_key(id, 42)), Some((id, 42)));
    }
}
