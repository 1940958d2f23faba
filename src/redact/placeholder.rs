//! What obviously holds no secret: the stand-ins documentation, templates
//! and masked logs use in place of a value. Everything else a user types in
//! a secret's place is treated as a secret: on the way out, a masked example
//! costs nothing and a missed key cannot be taken back. So this list is kept
//! to what is unmistakable.

/// Whether `value` is an obvious stand-in rather than a secret.
pub fn is_placeholder(value: &str) -> bool {
    let trimmed = value.trim_matches(|c: char| c == '"' || c == '\'' || c == '`');
    if trimmed.is_empty() {
        return true;
    }
    let lower = trimmed.to_ascii_lowercase();
    let first = trimmed.chars().next().unwrap_or(' ');
    // One repeated character ("aaaaaaaa", "0000", "********").
    trimmed.chars().all(|c| c == first)
        // Masked or elided: "****W00t", "xxxx…", "...".
        || lower.contains("xxxx")
        || lower.contains("***")
        || lower.contains("...")
        || lower.contains('…')
        || lower.contains("\\u2026")
        // Template and environment references, whatever fills them later.
        || (trimmed.starts_with('<') && trimmed.ends_with('>'))
        || (trimmed.starts_with('[') && trimmed.ends_with(']'))
        || trimmed.starts_with('$')
        || trimmed.starts_with("{{")
        || trimmed.starts_with("${")
        || trimmed.starts_with("%(")
        || (trimmed.starts_with('%') && trimmed.ends_with('%') && trimmed.len() > 2)
        // Words that say there is no value.
        || matches!(
            lower.as_str(),
            "redacted" | "none" | "null" | "nil" | "undefined" | "true" | "false" | "hidden" | "removed" | "empty"
        )
        // Names that say "put yours here".
        || lower.starts_with("your_")
        || lower.starts_with("your-")
        || lower.starts_with("yourapi")
        || lower.contains("_here")
        || lower.contains("-here")
        || lower.contains("placeholder")
        || matches!(lower.as_str(), "your_api_key" | "your_key" | "api_key" | "token" | "password")
        // A template's field: `{password}`, `{user}`.
        || (trimmed.starts_with('{')
            && trimmed.ends_with('}')
            && trimmed[1..trimmed.len() - 1]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        || is_upper_snake_name(trimmed)
}

/// `API_KEY`, `YOUR_TOKEN`: an upper-case name with an underscore, which in
/// a value's place is a variable's name, not a value.
fn is_upper_snake_name(value: &str) -> bool {
    value.contains('_')
        && value.len() <= 40
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_uppercase())
        && !value.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_are_placeholders_and_values_are_not() {
        for stand_in in [
            "xxxxxxxx",
            "AKIAXXXXXXXXXXXXXXXX",
            "****W00t",
            "<your-password>",
            "[REDACTED]",
            "${API_KEY}",
            "$TOKEN",
            "{{ .Values.db.password }}",
            "%(password)s",
            "%PASSWORD%",
            "{password}",
            "YOUR_TOKEN_HERE",
            "YOUR_API_KEY",
            "aaaaaaaaaaaa",
            "…",
            "\\u2026",
            "null",
        ] {
            assert!(is_placeholder(stand_in), "{stand_in}");
        }
        for value in [
            "hunter2",
            "changeme",
            "AKIAIOSFODNN7EXAMPLE",
            "Tr0ub4dor&3",
            "1234",
            "818612",
            "secret",
            "orbit.cloud.purple",
        ] {
            assert!(!is_placeholder(value), "{value}");
        }
    }
}
