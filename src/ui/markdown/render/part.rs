//! A part rendered: the parse with the reply's link definitions at hand
//! (given ahead of the part where it defines a label an earlier part did),
//! and what the part hands back: its blocks, its code blocks, the
//! definitions it holds and the labels it used without defining.

use std::collections::BTreeMap;

use pulldown_cmark::{BrokenLink, CowStr, Parser};
use zeroize::Zeroize;

use super::Writer;
use crate::model::code_blocks::MARKDOWN;
use crate::sanitize;
use crate::theme::Theme;
use crate::ui::markdown::Block;
use crate::ui::markdown::cache::HighlightCache;

/// What a part needs from the rest of the reply.
pub(in crate::ui::markdown) struct Context<'a> {
    pub theme: &'a Theme,
    /// The number the part's first code block gets.
    pub first_code: usize,
    /// A blank line before the first block (every part but the first).
    pub separated: bool,
    /// Link reference definitions of the whole reply, by normalised label.
    pub links: &'a BTreeMap<String, String>,
    /// Those of the parts before this one: where this part defines a label
    /// again, the earlier definition is the one that counts.
    pub earlier: &'a BTreeMap<String, String>,
}

/// A rendered part: its blocks, how many code blocks it opened, the link
/// reference definitions it holds (normalised label, destination), and the
/// labels it used without defining them.
pub(in crate::ui::markdown) struct Rendered {
    pub blocks: Vec<Block>,
    pub code_blocks: usize,
    pub definitions: Vec<(String, String)>,
    pub asked: Vec<String>,
}

impl Rendered {
    fn zeroize(&mut self) {
        for block in &mut self.blocks {
            block.zeroize();
        }
        for (label, url) in &mut self.definitions {
            label.zeroize();
            url.zeroize();
        }
        for label in &mut self.asked {
            label.zeroize();
        }
    }
}

pub(in crate::ui::markdown) fn clean(text: &str) -> String {
    let text = text.strip_suffix('\r').unwrap_or(text);
    sanitize::for_terminal(&text.replace('\t', "    ")).into_owned()
}

/// A link label as CommonMark compares them: case-folded, spaces collapsed.
pub(in crate::ui::markdown) fn normalise_label(label: &str) -> String {
    label.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

pub(in crate::ui::markdown) fn render(text: &str, context: &Context<'_>, cache: &mut HighlightCache) -> Rendered {
    let first = render_after(text, 0, context, cache);
    let mut prefix = String::new();
    for (label, _) in &first.definitions {
        if let Some(url) = context.earlier.get(label) {
            let escape = |text: &str, special: &[char]| {
                text.chars()
                    .flat_map(|c| special.contains(&c).then_some('\\').into_iter().chain([c]))
                    .collect::<String>()
            };
            prefix.push_str(&format!(
                "[{}]: <{}>\n",
                escape(label, &['\\', '[', ']']),
                escape(url, &['\\', '<', '>'])
            ));
        }
    }
    if prefix.is_empty() {
        return first;
    }
    // Rare: the part defines a label an earlier part defined. Parsed again
    // behind the earlier definitions, so theirs is the one used, as in one
    // parse of the whole text (definitions draw nothing).
    let mut rendered = first;
    rendered.zeroize();
    prefix.push('\n');
    let skip = prefix.len();
    let mut both = prefix;
    both.push_str(text);
    cache.begin();
    let again = render_after(&both, skip, context, cache);
    both.zeroize();
    again
}

/// Renders `text`, whose first `skip` bytes are definitions given ahead.
fn render_after(text: &str, skip: usize, context: &Context<'_>, cache: &mut HighlightCache) -> Rendered {
    let mut asked = Vec::new();
    let mut resolve = |broken: BrokenLink<'_>| {
        let label = normalise_label(&broken.reference);
        let url = context.links.get(&label).cloned();
        asked.push(label);
        Some((CowStr::from(url?), CowStr::from("")))
    };
    let mut parser = Parser::new_with_broken_link_callback(text, MARKDOWN, Some(&mut resolve));
    let mut writer = Writer::new(context, cache);
    for event in parser.by_ref() {
        writer.event(event);
    }
    writer.flush();
    // In the order they appear, as the first definition of a label wins.
    let mut definitions: Vec<(String, String, usize)> = parser
        .reference_definitions()
        .iter()
        .filter(|(_, def)| def.span.start >= skip)
        .map(|(label, def)| (normalise_label(label), def.dest.to_string(), def.span.start))
        .collect();
    definitions.sort_by_key(|(_, _, at)| *at);
    let (code_blocks, blocks) = (writer.code_blocks, writer.out);
    drop(parser);
    Rendered {
        code_blocks,
        blocks,
        definitions: definitions.into_iter().map(|(label, url, _)| (label, url)).collect(),
        asked,
    }
}
