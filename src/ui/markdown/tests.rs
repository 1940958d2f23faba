use super::*;
use ratatui::style::Modifier;

fn theme() -> Theme {
    Theme::fallback(false)
}

fn text_of(line: &StyledLine) -> String {
    line.first
        .iter()
        .chain(line.spans.iter())
        .map(|s| s.content.as_ref())
        .collect()
}

fn rendered(source: &str) -> Vec<String> {
    render(source, &theme(), 1).iter().map(text_of).collect()
}

#[test]
fn block_elements_render_without_their_markup() {
    let out = rendered("# Title\n> quoted\n- item\n  - nested\n3. third\n---\nplain");
    assert_eq!(
        out,
        ["Title", "▎ quoted", "• item", "  ◦ nested", "3. third", "─", "plain"]
    );
}

#[test]
fn emphasis_code_and_links_are_styled_not_shown_as_markup() {
    let t = theme();
    let spans = inline(
        "a **bold** _em_ `x*y*` [site](https://e.org) snake_case_name",
        t.text(),
        &t,
    );
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    assert_eq!(text, "a bold em x*y* site (https://e.org) snake_case_name");
    let bold = spans.iter().find(|s| s.content == "bold").expect("bold span");
    assert!(bold.style.add_modifier.contains(Modifier::BOLD));
    let code = spans.iter().find(|s| s.content == "x*y*").expect("code span");
    assert_eq!(code.style, t.code());
}

#[test]
fn unclosed_markers_are_shown_as_typed() {
    assert_eq!(rendered("2 * 3 = 6 and **open"), ["2 * 3 = 6 and **open"]);
    assert_eq!(rendered("`tick"), ["`tick"]);
}

#[test]
fn code_blocks_are_numbered_and_kept_verbatim() {
    let source = "text\n```rust\nlet x = **not bold**;\n```\n~~~\nsecond\n~~~\n";
    let out = rendered(source);
    assert_eq!(
        out,
        [
            "text",
            "╭─ [1] rust",
            "│ let x = **not bold**;",
            "╰─",
            "╭─ [2]",
            "│ second",
            "╰─"
        ]
    );
    assert_eq!(
        crate::model::code_blocks::code_blocks(source),
        ["let x = **not bold**;\n", "second\n"]
    );
}

#[test]
fn escape_sequences_in_a_reply_are_shown_not_interpreted() {
    let out = rendered("evil \u{1b}[2J\u{1b}]52;c;aGk=\u{7} \u{202e}txt\r\n```\n\u{1b}[31mred\n```");
    assert_eq!(out[0], "evil ␛[2J␛]52;c;aGk=␇ ⟨U+202E⟩txt");
    assert_eq!(out[2], "│ ␛[31mred");
    assert!(out.iter().all(|l| !l.contains('\u{1b}')));
}

#[test]
fn streaming_renders_only_what_is_new_and_matches_a_full_render() {
    let source = "# Plan\nSome *text* here.\n```sh\nls -la\n```\n- one\n- two **b**\n";
    let t = theme();
    let mut view = MarkdownView::default();
    let mut text = String::new();
    for c in source.chars() {
        text.push(c);
        view.update(&text, &t, 1);
        let incremental: Vec<StyledLine> = view.lines().cloned().collect();
        assert_eq!(incremental, render(&text, &t, 1), "after {text:?}");
    }
    // Complete lines are rendered once: the finished prefix stays as it was.
    assert_eq!(view.consumed, source.len());
    assert_eq!(view.code_blocks(), 1);
}

#[test]
fn a_replaced_text_is_rendered_afresh() {
    let t = theme();
    let mut view = MarkdownView::default();
    view.update("first version\n", &t, 1);
    view.update("other\n", &t, 1);
    let out: Vec<String> = view.lines().map(text_of).collect();
    assert_eq!(out, ["other"]);
}
