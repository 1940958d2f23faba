//! Whether a point of a reply is inside a URL, a link target or an image
//! source: there a placeholder is never turned back into its value, because
//! a Markdown viewer loads an image as soon as it shows it and a terminal or
//! a viewer makes a URL one click away, and either would hand the value to
//! whoever wrote the reply (`![s](https://host/p.png?u=[EMAIL_1])`).
//!
//! The text is read one character at a time and nothing looks ahead, so a
//! reply streamed in any pieces and the same reply whole agree at every
//! point. Where in doubt it says "inside": a placeholder left where a value
//! could have gone costs readability, a value sent away cannot be taken back.
//! Recognised: a run of text without whitespace that holds `//` or `www.`
//! (`https://…`, `//host/…`, `www.host/…`), a Markdown link or image
//! destination `](…)` up to its closing parenthesis, an autolink
//! `<scheme:…>`, and the destination of a reference definition `[x]: …`.

/// What has been read so far, as far as URLs go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrlContext {
    /// The last three characters of the current run (the text since the
    /// last whitespace, `<`, `>`, `"` or backtick), to see `//` and `www.`.
    recent: [char; 3],
    /// The current run holds `//` or `www.`.
    run_is_url: bool,
    /// Parentheses open inside a Markdown link destination `](…)`.
    destination: u32,
    autolink: Autolink,
    line: Line,
    /// The line so far holds only whitespace (a blank line ends a
    /// destination that never closed, as it ends a Markdown paragraph).
    line_blank: bool,
    previous: char,
}

/// Where an autolink `<scheme:…>` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Autolink {
    Outside,
    /// After `<`, this many characters of a possible scheme.
    Scheme(u8),
    Inside,
}

/// Where a reference definition `[label]: destination` is on this line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    /// Indentation and container markers (`>`, list bullets and numbers).
    Prefix,
    Label,
    AfterLabel,
    BeforeDestination,
    Destination,
    /// Anything else: no definition on this line.
    Rest,
}

impl Default for UrlContext {
    fn default() -> Self {
        UrlContext {
            recent: ['\0'; 3],
            run_is_url: false,
            destination: 0,
            autolink: Autolink::Outside,
            line: Line::Prefix,
            line_blank: true,
            previous: '\n',
        }
    }
}

impl UrlContext {
    /// Whether what comes next is part of a URL, link target or image source.
    pub fn in_url(&self) -> bool {
        self.run_is_url
            || self.destination > 0
            || self.autolink == Autolink::Inside
            || matches!(self.line, Line::BeforeDestination | Line::Destination)
    }

    /// Reads `text`, which continues what was read before.
    pub fn feed(&mut self, text: &str) {
        for c in text.chars() {
            self.step(c);
        }
    }

    fn step(&mut self, c: char) {
        if c == '\n' {
            if self.line_blank {
                self.destination = 0;
            }
            self.line_blank = true;
        } else if !c.is_whitespace() {
            self.line_blank = false;
        }

        if c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`') {
            self.run_is_url = false;
            self.recent = ['\0'; 3];
        } else {
            let [a, b, d] = self.recent;
            let www = [a, b, d].iter().all(|x| x.eq_ignore_ascii_case(&'w')) && c == '.';
            if (d == '/' && c == '/') || www {
                self.run_is_url = true;
            }
            self.recent = [b, d, c];
        }

        if self.destination > 0 {
            match c {
                '(' => self.destination = self.destination.saturating_add(1),
                ')' => self.destination -= 1,
                _ => {}
            }
        } else if c == '(' && self.previous == ']' {
            self.destination = 1;
        }

        self.autolink = match (self.autolink, c) {
            (_, '<') => Autolink::Scheme(0),
            (Autolink::Scheme(0), c) if c.is_ascii_alphabetic() => Autolink::Scheme(1),
            (Autolink::Scheme(n), c) if (1..32).contains(&n) && (c.is_ascii_alphanumeric() || "+.-".contains(c)) => {
                Autolink::Scheme(n + 1)
            }
            (Autolink::Scheme(n), ':') if n >= 2 => Autolink::Inside,
            (Autolink::Inside, c) if c != '>' && !c.is_whitespace() => Autolink::Inside,
            _ => Autolink::Outside,
        };

        self.line = match (self.line, c) {
            (_, '\n') => Line::Prefix,
            (Line::Prefix, c) if c.is_whitespace() || c.is_ascii_digit() || ">-*+.)".contains(c) => Line::Prefix,
            (Line::Prefix, '[') => Line::Label,
            (Line::Label, ']') => Line::AfterLabel,
            (Line::Label, _) => Line::Label,
            (Line::AfterLabel, ':') => Line::BeforeDestination,
            (Line::BeforeDestination, ' ' | '\t') => Line::BeforeDestination,
            (Line::BeforeDestination, _) => Line::Destination,
            (Line::Destination, c) if !c.is_whitespace() => Line::Destination,
            _ => Line::Rest,
        };

        self.previous = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the end of `text` is inside a URL.
    fn ends_in_url(text: &str) -> bool {
        let mut context = UrlContext::default();
        context.feed(text);
        context.in_url()
    }

    #[test]
    fn urls_link_targets_image_sources_and_definitions_are_inside() {
        for text in [
            "see https://host/p?u=",
            "HTTP://HOST/",
            "a link to www.host.example/?q=",
            "<img src=\"//host/p.png?u=",
            "![s](",
            "![s](https://host/p.png?u=",
            "[a link](/relative?u=",
            "[a link](<spaced dest ",
            "[x](a(b)c",
            "<mailto:",
            "<https://host/?u=",
            "[x]: ",
            "[x]: /somewhere?u=",
            "  > - [x]: /p?",
        ] {
            assert!(ends_in_url(text), "{text:?}");
        }
    }

    #[test]
    fn prose_around_urls_is_outside() {
        for text in [
            "",
            "write to ",
            "see https://host/p and ",
            "and/or ",
            "[not a link] (",
            "![s](https://host/p.png) then ",
            "[x](a(b)c) then ",
            "<b>bold</b> ",
            "<",
            "<ab",
            "a < b and c:",
            "[x]: /dest and a title ",
            "[EMAIL_1]",
            "text [x]: ",
            "[x](unclosed\n\nnext paragraph ",
            "www ",
        ] {
            assert!(!ends_in_url(text), "{text:?}");
        }
    }

    #[test]
    fn reading_in_pieces_is_reading_whole() {
        let text = "a ![s](https://h/p?u=[EMAIL_1]) and <mailto:x> [x]: /d t\nwww.h/x y";
        let mut whole = UrlContext::default();
        whole.feed(text);
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let mut pieces = UrlContext::default();
            pieces.feed(&text[..cut]);
            pieces.feed(&text[cut..]);
            assert_eq!(pieces, whole, "cut at {cut}");
        }
    }
}
