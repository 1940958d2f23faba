//! Named values in code, configs and data: a field's name is a cue as clear
//! as any phrase, so every `name: value` pair is read out once and judged
//! by its name.

use std::sync::LazyLock;

use regex::Regex;

/// `"name": "value"`, `name = "value"`, `name="value"`, `Name: "value"`,
/// `authors = ["value"]`, `set("name", "value")`, and unquoted
/// `name: value` lines (YAML, TOML, .env): the name and the value's byte
/// range (without its quotes).
pub(super) fn fields(text: &str) -> impl Iterator<Item = (&str, usize, usize)> {
    static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"([A-Za-z][A-Za-z0-9_\-]{1,40})["']?[ \t]*(?::=|[:=,])[ \t]*\[?[ \t]*(?:"([^"\n]{1,200})"|'([^'\n]{1,200})')"#)
            .expect("the quoted field pattern is valid (checked by tests)")
    });
    static LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?m)^[ \t\-]*([A-Za-z][A-Za-z0-9_\-]{1,40})[ \t]*[:=][ \t]*([^\s"'\[{][^\n]{0,200})$"#)
            .expect("the line field pattern is valid (checked by tests)")
    });
    let quoted = QUOTED.captures_iter(text).filter_map(|c| {
        let value = c.get(2).or(c.get(3))?;
        Some((c.get(1)?.as_str(), value.start(), value.end()))
    });
    let lines = LINE.captures_iter(text).filter_map(|c| {
        let value = c.get(2)?;
        let trimmed = value
            .as_str()
            .trim_end_matches(|ch: char| ch.is_whitespace() || matches!(ch, ',' | ';'));
        Some((c.get(1)?.as_str(), value.start(), value.start() + trimmed.len()))
    });
    quoted.chain(lines)
}
