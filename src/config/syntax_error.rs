//! A config file's parse error as a user reads it: the line and column of
//! the offending key (for a key in a backend, whose kind is read first, the
//! parser points at the table, so the key is looked up in that table), the
//! reason, and for an unknown key only the keys sotto accepts there. The source line itself is never quoted: it may hold a
//! secret pasted in the wrong place.

/// Keys the parser knows only in order to refuse them with a reason of
/// their own (an API key written into the file); never offered as valid.
const REFUSED_KEYS: &[&str] = &["api_key"];

/// "line 6, column 1: unknown key 'modle'; the keys accepted here are …".
pub fn describe(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    let span = error.span().unwrap_or(0..0);
    let start = span.start.min(text.len());
    let Some((key, expected)) = unknown_key(&message) else {
        return format!("{}: {message}", position(text, start));
    };
    let at = find_key(text, start, key).unwrap_or(start);
    let accepted: Vec<String> = expected
        .iter()
        .filter(|k| !REFUSED_KEYS.contains(k))
        .map(|k| format!("'{k}'"))
        .collect();
    format!(
        "{}: unknown key '{key}'; the keys accepted here are {}",
        position(text, at),
        accepted.join(", ")
    )
}

/// The key and the expected keys of serde's "unknown field `x`, expected
/// one of `a`, `b`" message.
fn unknown_key(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).collect();
    Some((key, expected))
}

/// The byte offset of `key` written as a key (`key =`, or quoted) at the
/// start of a line, from the line holding `from` to the next table header.
fn find_key(text: &str, from: usize, key: &str) -> Option<usize> {
    // From the start of the line `from` is in.
    let mut offset = text[..from].rfind('\n').map_or(0, |n| n + 1);
    for (i, line) in text[offset..].split_inclusive('\n').enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        if i > 0 && trimmed.starts_with('[') {
            return None;
        }
        for written in [key.to_owned(), format!("\"{key}\""), format!("'{key}'")] {
            if let Some(after) = trimmed.strip_prefix(written.as_str())
                && after.trim_start().starts_with('=')
            {
                return Some(offset + indent);
            }
        }
        offset += line.len();
    }
    None
}

/// "line L, column C" of byte `offset` in `text`, both counted from 1.
fn position(text: &str, offset: usize) -> String {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_counts_characters_from_one() {
        assert_eq!(position("ab\ncé = 1", 6), "line 2, column 3");
        assert_eq!(position("x", 0), "line 1, column 1");
    }

    #[test]
    fn a_key_is_found_only_where_it_is_written_as_a_key() {
        let text = "a = \"modle\"\n[t]\n  modle = 1\n[u]\nother = 2\n";
        assert_eq!(find_key(text, 0, "modle"), None, "another table starts first");
        assert_eq!(find_key(text, 12, "modle"), Some(18));
        assert_eq!(find_key(text, 12, "other"), None);
    }
}
