//! Syntax highlighting for fenced code blocks, kept deliberately small so it
//! stays fast while a reply streams: one pass per line, no state between
//! lines, four classes (keyword, string, comment, number) for the languages
//! chat replies use most. An unknown language gets strings, comments and
//! numbers only. The text is already sanitised; this only picks styles.

use ratatui::text::Span;

use crate::theme::Theme;

struct Language {
    names: &'static [&'static str],
    keywords: &'static [&'static str],
    line_comment: &'static [&'static str],
}

const LANGUAGES: &[Language] = &[
    Language {
        names: &["rust", "rs"],
        keywords: &[
            "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false",
            "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
            "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while",
        ],
        line_comment: &["//"],
    },
    Language {
        names: &["python", "py"],
        keywords: &[
            "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
            "except", "False", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "None",
            "nonlocal", "not", "or", "pass", "raise", "return", "True", "try", "while", "with", "yield",
        ],
        line_comment: &["#"],
    },
    Language {
        names: &["sh", "bash", "shell", "zsh", "console"],
        keywords: &[
            "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in",
            "function", "return", "export", "local", "readonly", "set", "unset",
        ],
        line_comment: &["#"],
    },
    Language {
        names: &["javascript", "js", "typescript", "ts", "jsx", "tsx"],
        keywords: &[
            "async",
            "await",
            "break",
            "case",
            "catch",
            "class",
            "const",
            "continue",
            "default",
            "delete",
            "do",
            "else",
            "export",
            "extends",
            "false",
            "finally",
            "for",
            "function",
            "if",
            "import",
            "in",
            "instanceof",
            "interface",
            "let",
            "new",
            "null",
            "return",
            "switch",
            "this",
            "throw",
            "true",
            "try",
            "type",
            "typeof",
            "undefined",
            "var",
            "void",
            "while",
            "yield",
        ],
        line_comment: &["//"],
    },
    Language {
        names: &["go", "golang"],
        keywords: &[
            "break",
            "case",
            "chan",
            "const",
            "continue",
            "default",
            "defer",
            "else",
            "fallthrough",
            "false",
            "for",
            "func",
            "go",
            "goto",
            "if",
            "import",
            "interface",
            "map",
            "nil",
            "package",
            "range",
            "return",
            "select",
            "struct",
            "switch",
            "true",
            "type",
            "var",
        ],
        line_comment: &["//"],
    },
    Language {
        names: &["c", "cpp", "c++", "h", "java", "cs", "csharp", "kotlin", "swift"],
        keywords: &[
            "auto",
            "break",
            "case",
            "catch",
            "class",
            "const",
            "continue",
            "default",
            "do",
            "else",
            "enum",
            "extern",
            "false",
            "final",
            "for",
            "if",
            "import",
            "include",
            "int",
            "namespace",
            "new",
            "null",
            "nullptr",
            "private",
            "protected",
            "public",
            "return",
            "static",
            "struct",
            "switch",
            "this",
            "throw",
            "true",
            "try",
            "typedef",
            "using",
            "var",
            "void",
            "while",
        ],
        line_comment: &["//"],
    },
    Language {
        names: &["toml", "yaml", "yml", "ini", "conf"],
        keywords: &["true", "false", "null", "yes", "no"],
        line_comment: &["#"],
    },
    Language {
        names: &["json", "jsonc"],
        keywords: &["true", "false", "null"],
        line_comment: &["//"],
    },
    Language {
        names: &["sql"],
        keywords: &[
            "select", "from", "where", "insert", "into", "values", "update", "set", "delete", "create", "table",
            "drop", "alter", "join", "left", "right", "inner", "on", "group", "by", "order", "limit", "and", "or",
            "not", "null", "as", "SELECT", "FROM", "WHERE", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE",
            "CREATE", "TABLE", "DROP", "ALTER", "JOIN", "LEFT", "RIGHT", "INNER", "ON", "GROUP", "BY", "ORDER",
            "LIMIT", "AND", "OR", "NOT", "NULL", "AS",
        ],
        line_comment: &["--"],
    },
];

fn language(info: &str) -> Option<&'static Language> {
    let name = info.split_whitespace().next()?.to_ascii_lowercase();
    LANGUAGES.iter().find(|l| l.names.contains(&name.as_str()))
}

/// The spans of one code line in the language named by the fence's info
/// string (`rust`, `sh`, …).
pub fn code_line(line: &str, info: &str, theme: &Theme) -> Vec<Span<'static>> {
    let lang = language(info);
    let comments: &[&str] = lang.map_or(&["//", "#"], |l| l.line_comment);
    let keywords: &[&str] = lang.map_or(&[], |l| l.keywords);
    let base = theme.code();
    let mut spans = Vec::new();
    let mut plain = String::new();
    let flush = |plain: &mut String, spans: &mut Vec<Span<'static>>| {
        if !plain.is_empty() {
            spans.push(Span::styled(std::mem::take(plain), base));
        }
    };
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        // A comment runs to the end of the line (not inside a word: `a#b`).
        if comments.iter().any(|m| rest.starts_with(m)) && (lang.is_some() || plain.is_empty() || plain.ends_with(' '))
        {
            flush(&mut plain, &mut spans);
            spans.push(Span::styled(rest.to_owned(), base.patch(theme.code_comment())));
            return spans;
        }
        if c == '"' || c == '\'' || c == '`' {
            // A string to its closing quote (escapes skipped), or to the end.
            let mut end = rest.len();
            let mut escaped = false;
            for (i, x) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if x == '\\' {
                    escaped = true;
                } else if x == c {
                    end = i + x.len_utf8();
                    break;
                }
            }
            flush(&mut plain, &mut spans);
            spans.push(Span::styled(rest[..end].to_owned(), base.patch(theme.code_string())));
            rest = &rest[end..];
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            let end = rest
                .char_indices()
                .find(|(_, x)| !(x.is_alphanumeric() || *x == '_' || *x == '.'))
                .map_or(rest.len(), |(i, _)| i);
            let word = &rest[..end];
            let follows_word = plain.chars().last().is_some_and(|p| p.is_alphanumeric() || p == '_');
            if !follows_word && word.starts_with(|d: char| d.is_ascii_digit()) {
                flush(&mut plain, &mut spans);
                spans.push(Span::styled(word.to_owned(), base.patch(theme.code_number())));
            } else if !follows_word && keywords.contains(&word) {
                flush(&mut plain, &mut spans);
                spans.push(Span::styled(word.to_owned(), base.patch(theme.code_keyword())));
            } else {
                plain.push_str(word);
            }
            rest = &rest[end..];
            continue;
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut plain, &mut spans);
    if spans.is_empty() {
        spans.push(Span::styled(String::new(), base));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(line: &str, info: &str) -> Vec<(String, &'static str)> {
        let theme = Theme::fallback(false);
        code_line(line, info, &theme)
            .into_iter()
            .map(|s| {
                let class = if s.style == theme.code().patch(theme.code_keyword()) {
                    "kw"
                } else if s.style == theme.code().patch(theme.code_string()) {
                    "str"
                } else if s.style == theme.code().patch(theme.code_comment()) {
                    "com"
                } else if s.style == theme.code().patch(theme.code_number()) {
                    "num"
                } else {
                    ""
                };
                (s.content.into_owned(), class)
            })
            .collect()
    }

    #[test]
    fn keywords_strings_numbers_and_comments_are_told_apart() {
        let out = classes("let x = \"a \\\" b\"; // note 42", "rust");
        assert_eq!(
            out,
            [
                ("let".to_owned(), "kw"),
                (" x = ".to_owned(), ""),
                ("\"a \\\" b\"".to_owned(), "str"),
                ("; ".to_owned(), ""),
                ("// note 42".to_owned(), "com"),
            ]
        );
        let out = classes("for i in range(10): # loop", "python");
        assert!(out.contains(&("for".to_owned(), "kw")) && out.contains(&("10".to_owned(), "num")));
        assert!(out.contains(&("# loop".to_owned(), "com")));
    }

    #[test]
    fn words_that_contain_keywords_or_digits_stay_plain() {
        let out = classes("letter v2 format", "rust");
        assert_eq!(out, [("letter v2 format".to_owned(), "")]);
    }

    #[test]
    fn an_unknown_language_still_gets_strings_and_comments_and_text_is_kept_whole() {
        let line = "echo 'hi' # done, url http://a#b";
        let out = classes(line, "");
        let joined: String = out.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(joined, line);
        assert!(out.contains(&("'hi'".to_owned(), "str")));
        assert!(out.iter().any(|(t, c)| *c == "com" && t.starts_with("# done")));
    }

    #[test]
    fn an_unclosed_string_runs_to_the_end_of_the_line() {
        let out = classes("print(\"open", "python");
        assert_eq!(out.last().unwrap(), &("\"open".to_owned(), "str"));
    }
}
