//! What a message keeps besides its text, as typed fields: who answered,
//! how a reply ended, what a user message looked like when it left, the
//! placeholders it added to its conversation's map, and what it replaces.
//!
//! Records written before these fields existed kept the last four as
//! strings in a free-form `extra` map (`"sent"`, `"withheld"`,
//! `"redaction_map"` as JSON inside a string, `"replaces"`). Reading lifts
//! them into the fields, so such a vault opens as before; the next write of
//! the record uses the fields. The export format keeps the flat form
//! ([`MessageMeta::flat_extra`]), so files exported by any version import.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::messages::ReplyState;
use crate::redact::mask::RedactionMap;

/// The keys of the flat form (older records, and the export format).
const SENT: &str = "sent";
const WITHHELD: &str = "withheld";
const REDACTION_MAP: &str = "redaction_map";
const REPLACES: &str = "replaces";

/// Facts about a message besides its text.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredMeta")]
pub struct MessageMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default)]
    pub state: ReplyState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// A user message as it went to the backend, when redaction changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// How many values redaction withheld from the backend.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub withheld: u32,
    /// The placeholders this message added to its conversation's map: the
    /// map is rebuilt from these when the conversation is opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction_map: Option<RedactionMap>,
    /// The message (by sequence number) an edit or regeneration replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<u64>,
    /// Facts of a later version this one does not know, kept verbatim so a
    /// rewrite (rotation, import) does not drop them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The meta as any version wrote it: typed fields, or the flat strings.
#[derive(Deserialize)]
struct StoredMeta {
    #[serde(default)]
    backend: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    state: ReplyState,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    sent: Option<String>,
    #[serde(default)]
    withheld: u32,
    #[serde(default)]
    redaction_map: Option<RedactionMap>,
    #[serde(default)]
    replaces: Option<u64>,
    #[serde(default)]
    extra: BTreeMap<String, String>,
}

impl From<StoredMeta> for MessageMeta {
    fn from(stored: StoredMeta) -> Self {
        let typed = MessageMeta {
            backend: stored.backend,
            model: stored.model,
            state: stored.state,
            finish_reason: stored.finish_reason,
            sent: stored.sent,
            withheld: stored.withheld,
            redaction_map: stored.redaction_map,
            replaces: stored.replaces,
            extra: BTreeMap::new(),
        };
        typed.with_flat_extra(stored.extra)
    }
}

impl MessageMeta {
    /// Lifts the known keys of a flat map (an older record, an export
    /// file) into the fields; a field already set wins, and keys this
    /// version does not know stay in `extra`.
    pub fn with_flat_extra(mut self, mut flat: BTreeMap<String, String>) -> Self {
        if let Some(sent) = flat.remove(SENT) {
            self.sent.get_or_insert(sent);
        }
        if let Some(withheld) = flat.remove(WITHHELD).and_then(|n| n.parse().ok())
            && self.withheld == 0
        {
            self.withheld = withheld;
        }
        if let Some(map) = flat
            .remove(REDACTION_MAP)
            .and_then(|json| serde_json::from_str::<RedactionMap>(&json).ok())
        {
            self.redaction_map.get_or_insert(map);
        }
        if let Some(seq) = flat.remove(REPLACES).and_then(|n| n.parse().ok()) {
            self.replaces.get_or_insert(seq);
        }
        self.extra.extend(flat);
        self
    }

    /// The flat form of the fields past the first four, as the export
    /// format writes them.
    pub fn flat_extra(&self) -> BTreeMap<String, String> {
        let mut flat = self.extra.clone();
        if let Some(sent) = &self.sent {
            flat.insert(SENT.to_owned(), sent.clone());
        }
        if self.withheld > 0 {
            flat.insert(WITHHELD.to_owned(), self.withheld.to_string());
        }
        if let Some(json) = self.redaction_map.as_ref().and_then(|m| serde_json::to_string(m).ok()) {
            flat.insert(REDACTION_MAP.to_owned(), json);
        }
        if let Some(seq) = self.replaces {
            flat.insert(REPLACES.to_owned(), seq.to_string());
        }
        flat
    }
}

/// Names what is set, never the text or the withheld values.
impl std::fmt::Debug for MessageMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageMeta")
            .field("backend", &self.backend)
            .field("model", &self.model)
            .field("state", &self.state)
            .field("finish_reason", &self.finish_reason)
            .field("sent", &self.sent.as_ref().map(|_| "…"))
            .field("withheld", &self.withheld)
            .field("redaction_map", &self.redaction_map.as_ref().map(RedactionMap::len))
            .field("replaces", &self.replaces)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_of_the_flat_format_reads_into_the_fields() {
        // Byte for byte what a version before the typed fields wrote.
        let old = r#"{"backend":"local","state":"complete","extra":{"sent":"mail [EMAIL_1]","withheld":"1","redaction_map":"{\"entries\":[{\"kind\":\"EMAIL\",\"number\":1,\"value\":\"a@b.org\"}]}","replaces":"3","future":"kept"}}"#;
        let meta: MessageMeta = serde_json::from_str(old).expect("an old record reads");
        assert_eq!(meta.backend.as_deref(), Some("local"));
        assert_eq!(meta.sent.as_deref(), Some("mail [EMAIL_1]"));
        assert_eq!(meta.withheld, 1);
        assert_eq!(meta.replaces, Some(3));
        let map = meta.redaction_map.as_ref().expect("the map is lifted");
        assert_eq!(map.unmask("[EMAIL_1]"), "a@b.org");
        assert_eq!(
            meta.extra.keys().collect::<Vec<_>>(),
            ["future"],
            "unknown keys are kept"
        );
    }

    #[test]
    fn the_typed_form_round_trips_and_keeps_no_flat_copies() {
        let mut map = RedactionMap::default();
        map.learn("write to a@b.org");
        let meta = MessageMeta {
            sent: Some("write to [EMAIL_1]".into()),
            withheld: 1,
            redaction_map: Some(map),
            replaces: Some(2),
            ..Default::default()
        };
        let json = serde_json::to_string(&meta).expect("serializes");
        assert!(!json.contains("\"extra\""), "{json}");
        let back: MessageMeta = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, meta);
        assert_eq!(MessageMeta::default().with_flat_extra(meta.flat_extra()), meta);
    }

    #[test]
    fn debug_output_shows_no_message_text_or_withheld_value() {
        let mut map = RedactionMap::default();
        map.learn("write to secret.person@example.org");
        let meta = MessageMeta {
            sent: Some("a private sentence".into()),
            redaction_map: Some(map),
            ..Default::default()
        };
        let shown = format!("{meta:?}");
        assert!(
            !shown.contains("private") && !shown.contains("secret.person"),
            "{shown}"
        );
    }
}
