//! Code blocks of a message, as the Markdown parser sees them. The chat pane
//! numbers the blocks it draws and `/copy N` copies block N, so both count
//! blocks with the same parser and the same options.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The Markdown dialect of replies: CommonMark with GitHub's tables,
/// strikethrough, task lists and footnotes.
pub const MARKDOWN: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_FOOTNOTES);

/// Whether `source` could hold a code block at all: a fence, or a line
/// indented by four columns. Most messages have neither, and a conversation
/// of thousands is counted when it opens.
fn may_hold_code(source: &str) -> bool {
    source.contains("```") || source.contains("~~~") || source.contains("    ") || source.contains('\t')
}

/// The contents of each code block of `source` (fenced or indented), in order.
pub fn code_blocks(source: &str) -> Vec<String> {
    if !may_hold_code(source) {
        return Vec::new();
    }
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new_ext(source, MARKDOWN) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => current = Some(String::new()),
            Event::Text(text) => {
                if let Some(block) = &mut current {
                    block.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

/// How many code blocks `source` holds.
pub fn count(source: &str) -> usize {
    if !may_hold_code(source) {
        return 0;
    }
    Parser::new_ext(source, MARKDOWN)
        .filter(|e| matches!(e, Event::Start(Tag::CodeBlock(_))))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_indented_and_nested_blocks_are_found_in_order() {
        let source = "text\n```rust\nlet x = 1;\n```\n\n    indented\n\n- item\n\n  ~~~\n  in a list\n  ~~~\n\n> ```\n> quoted\n> ```\n";
        assert_eq!(
            code_blocks(source),
            ["let x = 1;\n", "indented\n", "in a list\n", "quoted\n"]
        );
        assert_eq!(count(source), 4);
    }

    #[test]
    fn an_unclosed_fence_runs_to_the_end_and_prose_has_none() {
        assert_eq!(code_blocks("```\nstreaming"), ["streaming"]);
        assert_eq!(count("just words, `inline code` and ``two``"), 0);
    }
}
