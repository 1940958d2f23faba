//! Walking a JSON export one conversation at a time: the document is read
//! from a stream, each conversation is handed over as soon as it is parsed
//! and then dropped, so memory holds one conversation whatever the file's
//! size. The header (schema, time, scope) is checked wherever in the object
//! it comes. Errors say where, never what: the text around a JSON error
//! could be a message.

use std::cell::RefCell;
use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::document::{ConversationJson, EXPORT_SCHEMA, Header};
use super::read::ImportError;

/// Calls `each` with every conversation of the export read from `input`, in
/// file order. Stops at the first error, `each`'s own included.
pub(crate) fn for_each_conversation(
    mut input: impl BufRead,
    mut each: impl FnMut(ConversationJson) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let head = input
        .fill_buf()
        .map_err(|e| ImportError::Decrypt(format!("the file is cut short or altered ({e})")))?;
    if head.starts_with(b"# sotto export") {
        return Err(ImportError::Markdown);
    }
    let stopped = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_reader(input);
    let walked = Document {
        each: &mut each,
        stopped: &stopped,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match walked {
        Ok(()) => Ok(()),
        Err(e) => Err(stopped.take().unwrap_or_else(|| described(&e))),
    }
}

/// A JSON error as the user reads it: what kind, and where.
fn described(e: &serde_json::Error) -> ImportError {
    let at = format!("line {} column {}", e.line(), e.column());
    match e.classify() {
        serde_json::error::Category::Io => ImportError::Decrypt(format!("the file is cut short or altered ({at})")),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            ImportError::NotAnExport(format!("it is not JSON: {at}"))
        }
        serde_json::error::Category::Data => ImportError::Invalid(format!("a field does not match the schema at {at}")),
    }
}

/// The top-level object.
struct Document<'a, F> {
    each: &'a mut F,
    /// Why the walk stopped, when it was not a JSON error.
    stopped: &'a RefCell<Option<ImportError>>,
}

fn stop<E: de::Error>(stopped: &RefCell<Option<ImportError>>, why: ImportError) -> E {
    *stopped.borrow_mut() = Some(why);
    E::custom("the import stopped")
}

impl<'de, F: FnMut(ConversationJson) -> Result<(), ImportError>> DeserializeSeed<'de> for Document<'_, F> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: FnMut(ConversationJson) -> Result<(), ImportError>> Visitor<'de> for Document<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sotto export object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut header = serde_json::Map::new();
        let mut conversations = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "conversations" {
                map.next_value_seed(Conversations {
                    each: &mut *self.each,
                    stopped: self.stopped,
                })?;
                conversations = true;
                continue;
            }
            let value: serde_json::Value = map.next_value()?;
            if key == "schema" {
                match value.as_str() {
                    Some(EXPORT_SCHEMA) => {}
                    Some(other) => return Err(stop(self.stopped, ImportError::Schema(other.to_owned()))),
                    None => {
                        return Err(stop(
                            self.stopped,
                            ImportError::Invalid("'schema' is not a string".into()),
                        ));
                    }
                }
            }
            header.insert(key, value);
        }
        if !header.contains_key("schema") {
            return Err(stop(
                self.stopped,
                ImportError::NotAnExport("it has no 'schema' field".into()),
            ));
        }
        // Which field is wrong, not what it holds.
        if serde_json::from_value::<Header>(serde_json::Value::Object(header)).is_err() {
            return Err(stop(
                self.stopped,
                ImportError::Invalid("its header (schema, exported_at, scope) does not match the schema".into()),
            ));
        }
        if !conversations {
            return Err(stop(
                self.stopped,
                ImportError::Invalid("it has no 'conversations' list".into()),
            ));
        }
        Ok(())
    }
}

/// The `conversations` array, handed over one element at a time.
struct Conversations<'a, F> {
    each: &'a mut F,
    stopped: &'a RefCell<Option<ImportError>>,
}

impl<'de, F: FnMut(ConversationJson) -> Result<(), ImportError>> DeserializeSeed<'de> for Conversations<'_, F> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(ConversationJson) -> Result<(), ImportError>> Visitor<'de> for Conversations<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of conversations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(conversation) = seq.next_element::<ConversationJson>()? {
            (self.each)(conversation).map_err(|why| stop(self.stopped, why))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read};

    use super::*;

    const HEADER: &str =
        r#""schema": "sotto.export/1", "exported_at": "2026-12-01T00:00:00.000Z", "scope": {"kind": "vault"}"#;

    fn conversation(n: u32) -> String {
        format!(
            r#"{{"id": "{n:032x}", "title": "t{n}", "created": "2026-12-01T00:00:00.000Z",
                "updated": "2026-12-01T00:00:00.000Z", "messages": []}}"#
        )
    }

    fn titles(json: &str) -> Result<Vec<String>, ImportError> {
        let mut seen = Vec::new();
        for_each_conversation(json.as_bytes(), |c| {
            seen.push(c.title);
            Ok(())
        })
        .map(|()| seen)
    }

    /// The first bytes of a document, then a read error, as a file cut off
    /// by a failing disk or an age stream that stops authenticating.
    struct CutOff(std::io::Cursor<Vec<u8>>);

    impl Read for CutOff {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::Error::other("the rest is unreadable")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn each_conversation_is_handed_over_before_the_rest_of_the_file_is_read() {
        let start = format!(
            r#"{{{HEADER}, "conversations": [{}, {}, "#,
            conversation(1),
            conversation(2)
        );
        let input = BufReader::with_capacity(16, CutOff(std::io::Cursor::new(start.into_bytes())));
        let mut seen = Vec::new();
        let result = for_each_conversation(input, |c| {
            seen.push(c.title);
            Ok(())
        });
        assert_eq!(seen, ["t1", "t2"]);
        assert!(
            matches!(&result, Err(ImportError::Decrypt(m)) if m.contains("cut short")),
            "{result:?}"
        );
    }

    #[test]
    fn the_header_is_checked_wherever_it_comes() {
        let after = format!(r#"{{"conversations": [{}], {HEADER}}}"#, conversation(1));
        assert_eq!(titles(&after).unwrap(), ["t1"]);
        let future = format!(
            r#"{{"conversations": [{}], "schema": "sotto.export/9", "exported_at": "x", "scope": {{"kind": "vault"}}}}"#,
            conversation(1)
        );
        assert!(matches!(titles(&future), Err(ImportError::Schema(s)) if s == "sotto.export/9"));
        let no_time = format!(
            r#"{{"schema": "sotto.export/1", "scope": {{"kind": "vault"}}, "conversations": [{}]}}"#,
            conversation(1)
        );
        assert!(matches!(titles(&no_time), Err(ImportError::Invalid(m)) if m.contains("header")));
        let no_list = format!("{{{HEADER}}}");
        assert!(matches!(titles(&no_list), Err(ImportError::Invalid(m)) if m.contains("'conversations'")));
    }

    #[test]
    fn what_is_not_an_export_is_named_by_where_not_by_what() {
        assert!(matches!(titles("# sotto export\n\nhi"), Err(ImportError::Markdown)));
        assert!(matches!(titles(r#"{"hello": 1}"#), Err(ImportError::NotAnExport(m)) if m.contains("'schema'")));
        let cut = format!(r#"{{{HEADER}, "conversations": [{}"#, conversation(1));
        assert!(matches!(titles(&cut), Err(ImportError::NotAnExport(m)) if m.contains("not JSON")));
        let wrong_type = format!(
            r#"{{{HEADER}, "conversations": [{{"id": "{:032x}", "title": "secret words", "created": 5}}]}}"#,
            1
        );
        let error = titles(&wrong_type).unwrap_err().to_string();
        assert!(error.contains("does not match the schema at line 1"), "{error}");
        assert!(!error.contains("secret words"), "{error}");
    }

    #[test]
    fn an_error_of_the_caller_stops_the_walk_and_is_what_is_reported() {
        let json = format!(
            r#"{{{HEADER}, "conversations": [{}, {}]}}"#,
            conversation(1),
            conversation(2)
        );
        let mut calls = 0;
        let result = for_each_conversation(json.as_bytes(), |_| {
            calls += 1;
            Err(ImportError::Invalid("refused here".into()))
        });
        assert_eq!(calls, 1);
        assert!(matches!(result, Err(ImportError::Invalid(m)) if m == "refused here"));
    }
}
