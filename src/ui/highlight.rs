//! Syntax highlighting of code blocks with syntect, over bat's curated set of
//! syntax definitions (about 200 languages, through `two-face`), on syntect's
//! pure-Rust regex engine. The theme's `[syntax]` rules say how each scope
//! looks, so the three themes and `NO_COLOR` keep working.
//!
//! Costs are paid when used: the syntax set is loaded at the first code block
//! (not at startup), each language's patterns are compiled at its first line,
//! and a [`CodeHighlighter`] carries the parser's state from line to line, so
//! a finished line is highlighted once. The text is already sanitised; this
//! only picks styles.
//!
//! Compiling a language costs tens of milliseconds and megabytes (bash: about
//! 35 ms and 13 MB the first time), too much for a frame. So the chat screen
//! asks for deferral ([`defer_cold_languages`]): a block in a language not
//! ready yet is drawn plain and the language is noted; the runtime makes the
//! noted languages ready on a thread of its own ([`take_wanted`], [`warm`])
//! and the screen is drawn again in colour ([`generation`] changes).
//! Everything else (tests, benchmarks, exports) highlights at once.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use ratatui::style::Style;
use ratatui::text::Span;
use syntect::highlighting::{
    Color as SynColor, HighlightIterator, HighlightState, Highlighter, ScopeSelectors, StyleModifier,
    Theme as SynTheme, ThemeItem, ThemeSettings,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};

use crate::theme::{SyntaxRule, Theme};

/// Lines longer than this are shown plain: a hostile backend could send a
/// megabyte on one line, and the parser's time grows with line length.
const MAX_HIGHLIGHTED_LINE: usize = 4096;

static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();

/// The syntax definitions, loaded at first use.
fn syntaxes() -> &'static SyntaxSet {
    SYNTAXES.get_or_init(two_face::syntax::extra_newlines)
}

/// Languages made ready, by their syntax's name (a public name such as
/// "Python": nothing of a reply is kept here).
static WARM: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
/// Changes each time languages are made ready.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// A warm-up is under way: languages noted meanwhile wait for the next one,
/// so frames drawn during one do not start more threads compiling the same.
static WARMING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread draws cold languages plain (the chat screen).
    static DEFER: Cell<bool> = const { Cell::new(false) };
    /// Cold languages this thread drew plain, to be made ready.
    static WANTED: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// From now on, this thread draws code in a language not ready yet plain,
/// and notes the language for [`take_wanted`].
pub fn defer_cold_languages() {
    DEFER.with(|d| d.set(true));
}

/// The languages this thread drew plain, to hand to [`warm`]; none while a
/// warm-up is under way (they are kept for the next call).
pub fn take_wanted() -> Vec<String> {
    if WARMING.load(Ordering::Acquire) {
        return Vec::new();
    }
    let wanted: Vec<String> = WANTED.with(|w| std::mem::take(&mut *w.borrow_mut()).into_iter().collect());
    if !wanted.is_empty() {
        WARMING.store(true, Ordering::Release);
    }
    wanted
}

/// Changes whenever [`warm`] has made languages ready: what was drawn
/// plain for want of them can be drawn again.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Makes `tokens`' languages ready: loads the syntax set and compiles each
/// language's main patterns by parsing a sample. For a background thread.
pub fn warm(tokens: &[String]) {
    // Even if compiling panics, the next warm-up may start.
    struct Done;
    impl Drop for Done {
        fn drop(&mut self) {
            GENERATION.fetch_add(1, Ordering::AcqRel);
            WARMING.store(false, Ordering::Release);
        }
    }
    let _done = Done;
    const SAMPLE: &str = "x = 1 # note\nlet f = foo(\"s\", 'c', 2.5) // note\nif (a) { return b; } /* c */\n";
    for token in tokens {
        if let Some(syntax) = language(token) {
            let mut state = ParseState::new(syntax);
            for line in SAMPLE.split_inclusive('\n') {
                if state.parse_line(line, syntaxes()).is_err() {
                    break;
                }
            }
            WARM.lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(syntax.name.clone());
        }
    }
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// The token of an info string that names its language (`rust`, `c++`,
/// `Dockerfile`...), lower-cased, with common aliases mapped; None for none
/// or for plain text.
fn token(info: &str) -> Option<String> {
    let token = info
        .split([' ', ',', '{'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let token = match token.as_str() {
        "shell" | "console" | "zsh" | "shellsession" | "sh-session" | "ksh" => "bash",
        "jsx" | "mjs" | "cjs" | "node" => "js",
        "golang" => "go",
        "py3" | "python3" => "py",
        "patch" => "diff",
        "csharp" => "cs",
        "objc" | "objective-c" => "m",
        "" | "text" | "txt" | "plain" | "plaintext" => return None,
        other => other,
    };
    // An info string is the reply's text: a token is short or it is none.
    (token.len() <= 32).then(|| token.to_owned())
}

/// The language a token names, if sotto knows it.
fn language(token: &str) -> Option<&'static SyntaxReference> {
    let set = syntaxes();
    set.find_syntax_by_token(token)
        .or_else(|| set.find_syntax_by_name(token))
}

/// Whether a block in `token`'s language can be drawn now without compiling
/// anything (ready, or not a language sotto knows); if not, the token is
/// noted as wanted. Before the syntax set is loaded, no token is known.
fn ready(token: &str) -> bool {
    if !DEFER.with(Cell::get) {
        return true;
    }
    if SYNTAXES.get().is_some() {
        match language(token) {
            None => return true,
            Some(syntax) if WARM.lock().unwrap_or_else(|p| p.into_inner()).contains(&syntax.name) => return true,
            Some(_) => {}
        }
    }
    WANTED.with(|w| w.borrow_mut().insert(token.to_owned()));
    false
}

/// A theme's `[syntax]` rules as a syntect theme. Each rule's foreground
/// carries the rule's index (plus one) rather than a colour: the style comes
/// from the rule itself, so named, indexed and `reset` colours all survive.
struct Compiled {
    rules: Vec<SyntaxRule>,
    theme: SynTheme,
}

fn index_colour(index: usize) -> SynColor {
    // At most 65,535 rules; a theme has a few dozen.
    SynColor {
        r: (index & 0xff) as u8,
        g: ((index >> 8) & 0xff) as u8,
        b: 0,
        a: 0xff,
    }
}

fn compile(rules: &[SyntaxRule]) -> Compiled {
    let scopes = rules
        .iter()
        .enumerate()
        .filter_map(|(i, rule)| {
            // Selectors were checked when the theme loaded.
            let scope = ScopeSelectors::from_str(&rule.selector).ok()?;
            Some(ThemeItem {
                scope,
                style: StyleModifier {
                    foreground: Some(index_colour(i + 1)),
                    background: None,
                    font_style: None,
                },
            })
        })
        .collect();
    Compiled {
        rules: rules.to_vec(),
        theme: SynTheme {
            settings: ThemeSettings {
                foreground: Some(index_colour(0)),
                ..Default::default()
            },
            scopes,
            ..Default::default()
        },
    }
}

/// The compiled rules of `theme`, compiled once per set of rules.
fn compiled(theme: &Theme) -> Arc<Compiled> {
    static CACHE: Mutex<Vec<Arc<Compiled>>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = cache.iter().find(|c| c.rules == theme.syntax) {
        return Arc::clone(found);
    }
    let fresh = Arc::new(compile(&theme.syntax));
    // A handful of themes at most; drop the oldest beyond that.
    if cache.len() >= 8 {
        cache.remove(0);
    }
    cache.push(Arc::clone(&fresh));
    fresh
}

/// Highlights one code block line by line, carrying the parser's state.
#[derive(Clone)]
pub struct CodeHighlighter {
    base: Style,
    styles: Vec<Style>,
    /// `None` for an unknown language, or once parsing failed.
    parser: Option<(ParseState, HighlightState, Arc<Compiled>)>,
}

impl std::fmt::Debug for CodeHighlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeHighlighter")
    }
}

impl CodeHighlighter {
    /// A highlighter for a block whose info string is `info`.
    pub fn new(info: &str, theme: &Theme) -> Self {
        let base = theme.code();
        let compiled = compiled(theme);
        let mut styles = vec![base];
        styles.extend(compiled.rules.iter().map(|rule| base.patch(rule.style)));
        let parser = token(info)
            .filter(|t| ready(t))
            .and_then(|t| language(&t))
            .map(|syntax| {
                let highlight = HighlightState::new(&Highlighter::new(&compiled.theme), ScopeStack::new());
                (ParseState::new(syntax), highlight, compiled)
            });
        CodeHighlighter { base, styles, parser }
    }

    /// The spans of the next line of the block (without its newline).
    pub fn line(&mut self, line: &str) -> Vec<Span<'static>> {
        let plain = || vec![Span::styled(line.to_owned(), self.base)];
        if line.len() > MAX_HIGHLIGHTED_LINE {
            return plain();
        }
        let Some((parse, highlight, compiled)) = &mut self.parser else {
            return plain();
        };
        // The `newlines` syntaxes expect each line with its newline.
        let with_newline = format!("{line}\n");
        let Ok(ops) = parse.parse_line(&with_newline, syntaxes()) else {
            // The parser's own error (a syntax definition it cannot follow):
            // the rest of the block is shown plain rather than wrong.
            self.parser = None;
            return plain();
        };
        let highlighter = Highlighter::new(&compiled.theme);
        let mut spans: Vec<Span<'static>> = Vec::new();
        for (style, text) in HighlightIterator::new(highlight, &ops, &with_newline, &highlighter) {
            let text = text.strip_suffix('\n').unwrap_or(text);
            if text.is_empty() {
                continue;
            }
            let index = usize::from(style.foreground.r) | (usize::from(style.foreground.g) << 8);
            let style = self.styles.get(index).copied().unwrap_or(self.base);
            match spans.last_mut() {
                Some(last) if last.style == style => last.content.to_mut().push_str(text),
                _ => spans.push(Span::styled(text.to_owned(), style)),
            }
        }
        if spans.is_empty() {
            spans.push(Span::styled(String::new(), self.base));
        }
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distinct_styles(spans: &[Span<'_>]) -> usize {
        let mut styles: Vec<Style> = spans.iter().map(|s| s.style).collect();
        styles.dedup();
        styles.sort_by_key(|s| format!("{s:?}"));
        styles.dedup();
        styles.len()
    }

    #[test]
    fn a_python_signature_gets_several_colours_and_keeps_its_text() {
        let theme = Theme::fallback(false);
        let line = "def greet(name: str) -> str:  # hi";
        let spans = CodeHighlighter::new("python", &theme).line(line);
        assert_eq!(spans.iter().map(|s| s.content.as_ref()).collect::<String>(), line);
        assert!(distinct_styles(&spans) >= 4, "{spans:?}");
        let def = spans.iter().find(|s| s.content.contains("def")).expect("def");
        assert_ne!(def.style, theme.code(), "the keyword is coloured");
    }

    #[test]
    fn the_languages_chat_replies_use_most_are_known() {
        let set = syntaxes();
        assert!(set.syntaxes().len() >= 50, "{} syntaxes", set.syntaxes().len());
        for info in [
            "python",
            "py",
            "javascript",
            "js",
            "typescript",
            "ts",
            "rust",
            "go",
            "java",
            "c",
            "cpp",
            "c++",
            "cs",
            "csharp",
            "sh",
            "bash",
            "shell",
            "sql",
            "json",
            "yaml",
            "toml",
            "html",
            "css",
            "dockerfile",
            "Dockerfile",
            "diff",
            "kotlin",
            "ruby",
            "php",
            "swift",
            "jsx",
            "tsx",
        ] {
            assert!(
                token(info).and_then(|t| language(&t)).is_some(),
                "'{info}' is not known"
            );
        }
        assert!(token("").is_none() && token("text").is_none());
        assert!(token("klingon").and_then(|t| language(&t)).is_none());
    }

    #[test]
    fn state_carries_across_lines_of_a_block() {
        let theme = Theme::fallback(false);
        let mut code = CodeHighlighter::new("rust", &theme);
        code.line("/* a comment");
        let inside = code.line("still comment");
        let comment = theme
            .syntax
            .iter()
            .find(|r| r.selector == "comment")
            .expect("rule")
            .style;
        assert_eq!(inside[0].style, theme.code().patch(comment), "{inside:?}");
    }

    #[test]
    fn no_color_highlights_with_modifiers_only() {
        let theme = Theme::fallback(true);
        let spans = CodeHighlighter::new("rust", &theme).line("// note");
        assert!(
            spans
                .iter()
                .all(|s| s.style.fg.is_none_or(|c| c == ratatui::style::Color::Reset))
        );
        assert!(spans[0].style.add_modifier.contains(ratatui::style::Modifier::ITALIC));
    }

    #[test]
    fn where_deferred_a_cold_language_is_drawn_plain_then_in_colour_once_ready() {
        // Deferral is per thread: this test's alone. Lua is no other test's.
        defer_cold_languages();
        let theme = Theme::fallback(false);
        let line = "local x = 1 -- note";
        assert_eq!(
            CodeHighlighter::new("lua", &theme).line(line).len(),
            1,
            "plain while cold"
        );
        assert_eq!(take_wanted(), ["lua"]);
        assert!(take_wanted().is_empty(), "taken once");
        let before = generation();
        warm(&["lua".to_owned()]);
        assert!(generation() > before);
        assert!(
            CodeHighlighter::new("lua", &theme).line(line).len() > 1,
            "coloured once ready"
        );
        assert!(take_wanted().is_empty());
    }

    #[test]
    fn unknown_languages_and_long_lines_are_plain() {
        let theme = Theme::fallback(false);
        let spans = CodeHighlighter::new("klingon", &theme).line("qapla' // x");
        assert_eq!(spans, vec![Span::styled("qapla' // x", theme.code())]);
        let long = "x".repeat(MAX_HIGHLIGHTED_LINE + 1);
        let spans = CodeHighlighter::new("rust", &theme).line(&long);
        assert_eq!(spans.len(), 1);
    }
}
