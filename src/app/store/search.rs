//! `/search`: a case-insensitive look for text through every conversation,
//! decrypted in memory one conversation at a time (the vault) or read from
//! the session's own entries (memory). A hit shows one line around the
//! match, made safe for the terminal.

use crate::model::state::{Entry, SearchHit};
use crate::store::{ConversationId, Vault, VaultError};

/// Hits a search returns at most.
pub const MAX_SEARCH_HITS: usize = 200;

/// Searches every conversation of the vault, newest conversation first.
pub fn search_vault(vault: &Vault, query: &str) -> Result<Vec<SearchHit>, VaultError> {
    let needle = query.to_lowercase();
    let mut hits = Vec::new();
    for conversation in vault.list_conversations()?.conversations {
        for message in vault
            .newest_messages(conversation.id, usize::MAX)?
            .into_iter()
            .flatten()
        {
            if let Some(snippet) = snippet(&message.text, &needle) {
                hits.push(SearchHit {
                    conversation: conversation.id,
                    title: conversation.title.clone(),
                    seq: message.seq,
                    snippet,
                });
                if hits.len() >= MAX_SEARCH_HITS {
                    return Ok(hits);
                }
            }
        }
    }
    Ok(hits)
}

/// Searches conversations held as entries: (id, title, entries).
pub fn search_entries<'a>(
    conversations: impl Iterator<Item = (ConversationId, &'a str, &'a [Entry])>,
    query: &str,
) -> Vec<SearchHit> {
    let needle = query.to_lowercase();
    conversations
        .flat_map(|(id, title, entries)| {
            let needle = needle.clone();
            entries.iter().filter_map(move |e| {
                snippet(&e.text, &needle).map(|snippet| SearchHit {
                    conversation: id,
                    title: title.to_owned(),
                    seq: e.seq.unwrap_or(0),
                    snippet,
                })
            })
        })
        .take(MAX_SEARCH_HITS)
        .collect()
}

/// The line of `text` holding `needle` (lowercase), shortened around it and
/// made safe to show.
pub fn snippet(text: &str, needle: &str) -> Option<String> {
    for line in text.lines() {
        let lower = line.to_lowercase();
        if let Some(at) = lower.find(needle) {
            // Byte offsets of the lowercased line may differ; count characters.
            let before = lower[..at].chars().count();
            let start = before.saturating_sub(30);
            let shown: String = line.chars().skip(start).take(100).collect();
            let prefix = if start > 0 { "…" } else { "" };
            return Some(format!("{prefix}{}", crate::sanitize::one_line(&shown, 100)));
        }
    }
    None
}
