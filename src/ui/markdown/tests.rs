use super::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

fn theme() -> Theme {
    Theme::fallback(false)
}

fn row_text(line: &Line<'_>) -> String {
    line.spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// The text of a rendering at `width` columns, row by row.
fn rows_at(source: &str, width: usize) -> Vec<String> {
    render(source, &theme(), 1)
        .iter()
        .flat_map(|b| b.rows(width))
        .map(|l| row_text(&l))
        .collect()
}

/// The whole text in one parse, with no help from other parts:
/// pulldown-cmark's own reading of it.
fn one_parse(text: &str, theme: &Theme) -> Vec<Block> {
    let none = BTreeMap::new();
    let context = Context {
        theme,
        first_code: 1,
        separated: false,
        links: &none,
        earlier: &none,
    };
    render::render(text, &context, &mut HighlightCache::default()).blocks
}

fn rendered(source: &str) -> Vec<String> {
    rows_at(source, 200)
}

fn span_with<'a>(blocks: &'a [Block], text: &str) -> &'a Span<'static> {
    blocks
        .iter()
        .flat_map(Block::spans)
        .find(|s| s.content.contains(text))
        .unwrap_or_else(|| panic!("no span holds '{text}'"))
}

#[test]
fn block_elements_render_without_their_markup() {
    let out = rendered("# Title\n\n> quoted\n\n- item\n  - nested\n\n3. third\n\n---\n\nplain");
    assert_eq!(
        out,
        [
            "Title",
            "",
            "▎ quoted",
            "",
            "• item",
            "  ◦ nested",
            "",
            "3. third",
            "",
            "─".repeat(200).as_str(),
            "",
            "plain"
        ]
    );
}

#[test]
fn setext_headings_and_emphasis_across_a_line_break_are_styled() {
    let t = theme();
    let blocks = render(
        "Big title\n=========\n\nsome *emphasis\nacross lines* and **strong\ntext**",
        &t,
        1,
    );
    let out: Vec<String> = blocks.iter().flat_map(|b| b.rows(200)).map(|l| row_text(&l)).collect();
    assert_eq!(out, ["Big title", "", "some emphasis across lines and strong text"]);
    assert!(
        span_with(&blocks, "Big title")
            .style
            .add_modifier
            .contains(Modifier::BOLD)
    );
    let em = span_with(&blocks, "emphasis across lines");
    assert!(em.style.add_modifier.contains(Modifier::ITALIC), "{em:?}");
    assert!(
        span_with(&blocks, "strong text")
            .style
            .add_modifier
            .contains(Modifier::BOLD)
    );
}

#[test]
fn links_show_their_url_images_their_alt_and_html_stays_text() {
    let out = rendered(
        "see [the site](https://e.org) or <https://a.b>\n\n![a cat](cat.png)\n\n<div onclick=\"x\">raw</div>\n\nref [docs][d]\n\n[d]: https://docs.rs",
    );
    assert_eq!(
        out,
        [
            "see the site (https://e.org) or https://a.b",
            "",
            "[image: a cat] cat.png",
            "",
            "<div onclick=\"x\">raw</div>",
            "",
            "ref docs (https://docs.rs)",
        ]
    );
}

#[test]
fn a_link_cannot_hide_its_destination_and_empty_items_and_rules_keep_their_place() {
    // The second link's text joins the first's span; its URL still shows.
    assert_eq!(rendered("[x](x)[z**y**](y)"), ["xzy (y)"]);
    assert_eq!(rendered("- a\n-\n- c"), ["• a", "•", "• c"]);
    assert_eq!(rows_at("> above\n>\n> ---\n", 10), ["▎ above", "▎", "▎ ────────"]);
}

#[test]
fn task_lists_nested_lists_quotes_and_footnotes() {
    let out = rendered(
        "- [ ] todo\n- [x] done\n  1. first\n  2. second\n\n> outer\n> > inner\n\nnote[^1]\n\n[^1]: the note\n",
    );
    assert_eq!(
        out,
        [
            "• ☐ todo",
            "• ☑ done",
            "    1. first",
            "    2. second",
            "",
            "▎ outer",
            "▎",
            "▎ ▎ inner",
            "",
            "note[^1]",
            "",
            "[^1] the note",
        ]
    );
}

#[test]
fn code_blocks_are_numbered_highlighted_and_kept_verbatim() {
    let source = "text\n```rust\nlet x = \"**not bold**\"; // 1\n```\n~~~\nsecond\n~~~\n\n    indented\n";
    assert_eq!(
        rendered(source),
        [
            "text",
            "",
            "╭─ [1] rust",
            "│ let x = \"**not bold**\"; // 1",
            "╰─",
            "",
            "╭─ [2]",
            "│ second",
            "╰─",
            "",
            "╭─ [3]",
            "│ indented",
            "╰─"
        ]
    );
    assert_eq!(
        crate::model::code_blocks::code_blocks(source),
        ["let x = \"**not bold**\"; // 1\n", "second\n", "indented\n"]
    );
    let blocks = render(source, &theme(), 1);
    let Block::Line(rust) = &blocks[3] else {
        panic!("a line")
    };
    let styles: std::collections::BTreeSet<String> = rust.spans.iter().map(|s| format!("{:?}", s.style)).collect();
    assert!(styles.len() >= 4, "the Rust line is highlighted: {:?}", rust.spans);
}

#[test]
fn a_table_is_drawn_with_columns_sized_to_content_and_aligned() {
    let source = "| name | qty | note |\n|:-----|----:|:----:|\n| apple | 3 | ripe |\n| kiwi | 12 | x |\n";
    assert_eq!(
        rendered(source),
        [
            "┌───────┬─────┬──────┐",
            "│ name  │ qty │ note │",
            "├───────┼─────┼──────┤",
            "│ apple │   3 │ ripe │",
            "│ kiwi  │  12 │  x   │",
            "└───────┴─────┴──────┘",
        ]
    );
}

#[test]
fn a_narrow_pane_wraps_table_cells_and_a_very_narrow_one_shows_records() {
    let source = "| key | description |\n|---|---|\n| a | a rather long description of the thing |\n";
    let narrow = rows_at(source, 30);
    assert!(
        narrow.iter().all(|r| crate::model::wrap::display_width(r) <= 30),
        "{narrow:#?}"
    );
    assert_eq!(narrow[0], "┌─────┬──────────────────────┐");
    assert!(narrow.len() > 6, "the long cell wraps: {narrow:#?}");
    let records = rows_at(source, 12);
    assert_eq!(records[0], "key: a");
    assert!(records[1].starts_with("description:"), "{records:#?}");
}

#[test]
fn escape_sequences_in_a_reply_are_shown_not_interpreted() {
    let out = rendered(
        "evil \u{1b}[2J\u{1b}]52;c;aGk=\u{7} \u{202e}txt\r\n```\n\u{1b}[31mred\n```\n\n| \u{1b}[1m |\n|-|\n| x |",
    );
    assert_eq!(out[0], "evil ␛[2J␛]52;c;aGk=␇ ⟨U+202E⟩txt");
    assert_eq!(out[3], "│ ␛[31mred");
    assert!(out.iter().all(|l| !l.contains('\u{1b}')), "{out:#?}");
}

/// A reply built from every construct, for the streaming properties.
const MIXED: &str = "# Plan\n\nSome *text\nhere* and [a link][l].\n\n```python\ndef f(x):\n\n    return x  # done\n```\n\n- one\n- two **b**\n\n  more of two\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n> quote\n> more\n\n<!--\n\ncomment\n\n-->\n\nSetext\n------\n\nlast[^n]\n\n[^n]: a note\n[l]: https://l.example\n";

#[test]
fn streaming_in_random_pieces_gives_what_a_whole_render_gives() {
    let t = theme();
    let whole = render(MIXED, &t, 4);
    for seed in 0..200u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut view = MarkdownView::default();
        let mut end = 0;
        while end < MIXED.len() {
            end = (end + rng.gen_range(1..=24)).min(MIXED.len());
            while !MIXED.is_char_boundary(end) {
                end += 1;
            }
            view.update(&MIXED[..end], &t, 4);
        }
        let streamed: Vec<Block> = view.blocks().cloned().collect();
        assert_eq!(streamed, whole, "seed {seed}");
        assert_eq!(view.code_blocks(), 1);
    }
}

#[test]
fn cutting_into_parts_does_not_change_what_the_parser_sees() {
    // The same text with no blank-line cuts possible (one part) renders the
    // same lines as the cut one: the cuts are where nothing reaches across.
    let t = theme();
    let cut = render(MIXED, &t, 1);
    let mut view = MarkdownView::default();
    view.update(MIXED, &t, 1);
    assert!(view.parts.len() >= 8, "{} parts", view.parts.len());
    assert_eq!(cut, one_parse(MIXED, &t));
}

#[test]
fn a_long_reply_is_parsed_again_only_from_its_last_cut() {
    let t = theme();
    let mut view = MarkdownView::default();
    let mut text = String::new();
    for n in 0..200 {
        text.push_str(&format!("Paragraph {n} with *some* words.\n\n"));
        view.update(&text, &t, 1);
    }
    assert!(view.stable > text.len() - 100, "the growing part is the last paragraph");
    assert_eq!(view.parts.len(), 199);
}

#[test]
fn a_reply_of_one_endless_block_costs_linear_parsing_and_a_bounded_part() {
    // A quote, a list and a table never end on their own: no cut is ever
    // confirmed inside them. A hostile server could send one of a megabyte.
    let t = theme();
    for line in ["> quoted line\n", "- item\n", "| a | b |\n"] {
        let mut view = MarkdownView::default();
        let text = line.repeat(100 * 1024 / line.len());
        let mut end = 0;
        while end < text.len() {
            end = (end + 499).min(text.len());
            view.update(&text[..end], &t, 1);
            // At most the bound, the line that crossed it, and the unfinished one.
            assert!(
                end - view.stable <= parts::MAX_PART + 2 * line.len(),
                "the growing part is bounded"
            );
        }
        assert!(
            view.cuts.parsed <= 8 * text.len(),
            "{line:?}: the parser read {} bytes to decide cuts in a {}-byte reply",
            view.cuts.parsed,
            text.len()
        );
        assert!(view.parts.len() >= 3, "cut at the bound: {} parts", view.parts.len());
    }
}

#[test]
fn a_replaced_text_is_rendered_afresh() {
    let t = theme();
    let mut view = MarkdownView::default();
    view.update("first version\n", &t, 1);
    let epoch = view.epoch();
    view.update("other\n", &t, 1);
    let out: Vec<String> = view.blocks().flat_map(|b| b.rows(80)).map(|l| row_text(&l)).collect();
    assert_eq!(out, ["other"]);
    assert!(view.epoch() > epoch);
}

/// Pieces of Markdown that meet at their edges in every way: blocks that
/// interrupt, continue or end one another, with and without blank lines.
const SNIPPETS: &[&str] = &[
    "# Heading\n",
    "Setext\n===\n",
    "para line one\nline *two\nthree*\n",
    "lazy\n",
    "- item\n",
    "- [ ] task\n",
    "1. first\n",
    "  indented continuation\n",
    "    indented code\n",
    "> quote\n",
    "```rust\nfn f() {}\n",
    "```\n",
    "````\n",
    "   ```\n",
    "    ```\n",
    "~~~\n",
    "    let x = 1;\n",
    "crlf line\r\n",
    "lone\rreturn\n",
    "| a | b |\n",
    "|---|:-:|\n",
    "| 1 | 2 |\n",
    "---\n",
    "***\n",
    "<!--\n",
    "-->\n",
    "<div>\n",
    "</div>\n",
    "[^1]: a note\n",
    "see[^1] and [ref]\n",
    "[ref]: https://r.example\n",
    "[ref]: <https://second.example> 'a title\n",
    "[Ref]: /third\n",
    "that goes on'\n",
    "\n",
    "\n",
    "text with `code` and **bold**\n",
];

fn random_document(rng: &mut StdRng) -> String {
    let mut text = String::new();
    for _ in 0..rng.gen_range(1..30) {
        text.push_str(SNIPPETS[rng.gen_range(0..SNIPPETS.len())]);
    }
    if rng.gen_bool(0.5) {
        text.pop();
    }
    text
}

#[test]
fn random_documents_render_the_same_cut_or_whole_and_streamed_or_at_once() {
    let t = theme();
    for seed in 0..400u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let text = random_document(&mut rng);
        let mut view = MarkdownView::default();
        view.update(&text, &t, 1);
        let cut: Vec<Block> = view.blocks().cloned().collect();
        // Line ends made newlines, as the view reads them.
        let whole = one_parse(&newlines(&text), &t);
        assert_eq!(cut, whole, "cut into {} parts: {text:?}", view.parts.len());
        assert_eq!(view.code_blocks(), crate::model::code_blocks::count(&text), "{text:?}");
        let mut streamed = MarkdownView::default();
        let mut end = 0;
        while end < text.len() {
            end = (end + rng.gen_range(1..=12)).min(text.len());
            streamed.update(&text[..end], &t, 1);
        }
        let streamed: Vec<Block> = streamed.blocks().cloned().collect();
        assert_eq!(streamed, cut, "streamed: {text:?}");
    }
}

#[test]
fn a_link_definition_arriving_redraws_only_the_parts_that_use_its_label() {
    let t = theme();
    let mut view = MarkdownView::default();
    let text = "# One\n\nsee [docs]\n\n# Two\n\nplain\n\n";
    view.update(text, &t, 1);
    let epoch = view.epoch();
    // A definition nobody uses: nothing finished is drawn again.
    let text = format!("{text}[other]: https://o.example\n\n# Three\n");
    view.update(&text, &t, 1);
    assert_eq!(view.epoch(), epoch);
    // The one used above: that part shows the link now.
    let text = format!("{text}\n[docs]: https://d.example\n\nend");
    view.update(&text, &t, 1);
    assert!(view.epoch() > epoch);
    let rows: Vec<String> = view.blocks().flat_map(|b| b.rows(80)).map(|l| row_text(&l)).collect();
    assert!(rows.contains(&"see docs (https://d.example)".to_owned()), "{rows:#?}");
    assert_eq!(view.blocks().cloned().collect::<Vec<_>>(), render(&text, &t, 1));
}
