//! Every Markdown construct drawn at three pane widths (40, 80 and 120
//! columns), as the chat pane shows them. Styles are checked by the unit
//! tests; these pin down layout: prefixes, wrapping, tables.

use super::render;
use crate::theme::Theme;

const CONSTRUCTS: &[(&str, &str)] = &[
    (
        "headings",
        "# An ATX heading that is long enough to wrap at forty columns\n\n## Second level\n\nSetext heading\n==============\n\nAnother one\n-----------\n\nText under it.",
    ),
    (
        "emphasis",
        "Plain, *emphasis that spans\na line break*, **strong\ntoo**, ~~struck~~, `inline code`, and ***both at once***. A hard break follows\\\nhere.",
    ),
    (
        "lists",
        "- a bullet with enough words in it to wrap when the pane is narrow\n- [ ] a task to do\n- [x] a task done\n  1. nested numbered\n  2. second nested\n     - third level\n\n7. a list starting at seven\n8. eight\n\n- loose item one\n\n- loose item two",
    ),
    (
        "quotes",
        "> A quoted paragraph that goes on long enough to wrap at forty columns.\n>\n> > A nested quote.\n>\n> - a list in a quote",
    ),
    (
        "code",
        "```python\ndef greet(name: str) -> str:\n    return f\"hello {name}\"  # a greeting that is longer than forty columns\n```\n\n    an indented block\n\n- in a list:\n\n  ```sh\n  ls -la\n  ```",
    ),
    (
        "table",
        "| Tool | Licence | What it does best |\n|:-----|:-------:|------------------:|\n| sotto | MIT or Apache-2.0 | keeps your conversations to yourself |\n| tenere | MIT | talks to one model |\n| x | | empty cells |",
    ),
    (
        "links",
        "See [the docs](https://example.org/docs), <https://example.org>, ![a diagram](https://example.org/d.png \"title\"), [a reference][r] and <b>inline html</b>.\n\n<details>\n<summary>HTML block</summary>\n</details>\n\n[r]: https://example.org/r",
    ),
    (
        "footnotes_and_rules",
        "A claim.[^1] Another.[^long]\n\n---\n\n[^1]: The first note.\n[^long]: A note long enough that it wraps when the pane is only forty columns wide.",
    ),
];

fn drawn(source: &str, width: usize) -> String {
    let theme = Theme::fallback(false);
    let mut out = String::new();
    for block in render(source, &theme, 1) {
        for row in block.rows(width) {
            let text: String = row.spans.iter().map(|s| s.content.as_ref()).collect();
            out.push_str(text.trim_end());
            out.push('\n');
        }
    }
    out
}

#[test]
fn every_construct_at_forty_eighty_and_one_hundred_twenty_columns() {
    for (name, source) in CONSTRUCTS {
        let mut all = String::new();
        for width in [40, 80, 120] {
            let rows = drawn(source, width);
            for row in rows.lines() {
                assert!(
                    crate::model::wrap::display_width(row) <= width,
                    "{name} at {width}: '{row}' is wider than the pane"
                );
            }
            all.push_str(&format!("── {width} columns ──\n{rows}"));
        }
        insta::assert_snapshot!(format!("markdown_{name}"), all);
    }
}
