//! Making untrusted text safe for a terminal. Backend replies, server error
//! messages and file contents may carry escape sequences (screen clears,
//! cursor moves, OSC 52 clipboard writes, title changes), C1 controls or bidi
//! overrides. Each such character is replaced by a visible stand-in, never
//! interpreted; because characters are replaced one by one, a sequence split
//! across streamed pieces is neutralised just the same.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself. Newline and tab are text.
fn is_unsafe(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        // C0 controls (ESC among them), DEL, and C1 controls (CSI, OSC, DCS…).
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' => true,
        // Bidi embeddings, overrides and isolates: they reorder what is shown.
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}' => true,
        _ => false,
    }
}

/// The visible stand-in for an unsafe character: control pictures for C0
/// (`␛` for ESC), the code point in angle brackets (`⟨U+202E⟩`) for the rest.
fn stand_in(c: char, out: &mut String) {
    match c {
        '\u{0}'..='\u{1F}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}')),
        '\u{7F}' => out.push('\u{2421}'),
        other => out.push_str(&format!("⟨U+{:04X}⟩", other as u32)),
    }
}

/// `text` with every unsafe character made visible and inert.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            stand_in(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A short, single-line, terminal-safe rendering of `text` (for quoting a
/// server's error message): newlines become spaces, at most `max_chars`.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' || c == '\t' { ' ' } else { c })
        .collect();
    let safe = for_terminal(flat.trim());
    let mut out: String = safe.chars().take(max_chars).collect();
    if safe.chars().count() > max_chars {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(for_terminal("a\x1b[2Jb"), "a␛[2Jb");
        assert_eq!(for_terminal("\x1b]52;c;aGk=\x07"), "␛]52;c;aGk=␇");
        assert_eq!(for_terminal("x\u{9b}31m"), "x⟨U+009B⟩31m");
    }

    #[test]
    fn bidi_overrides_are_shown_not_applied() {
        assert_eq!(for_terminal("abc\u{202E}fed"), "abc⟨U+202E⟩fed");
    }

    #[test]
    fn ordinary_text_is_untouched_and_not_copied() {
        let text = "Grüße, 你好 👋\n\tindented";
        assert!(matches!(for_terminal(text), Cow::Borrowed(_)));
    }

    #[test]
    fn one_line_flattens_and_shortens() {
        assert_eq!(one_line("first\nsecond\x1b", 100), "first second␛");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}
