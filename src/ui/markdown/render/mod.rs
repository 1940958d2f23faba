//! One part of a reply, parsed by pulldown-cmark and written as styled lines
//! and tables. Containers (quotes, list items, footnotes) become prefixes
//! that wrapped rows repeat; inline markup becomes styles; a soft break is a
//! space, so emphasis spanning source lines works and paragraphs reflow.
//! Links show their URL, images show as `[image: alt] url`, and HTML is shown
//! as text, never interpreted. Every piece of text passes the sanitiser.

use pulldown_cmark::{Event, HeadingLevel, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

pub(super) mod code;
mod containers;
mod inline;
mod part;

pub(super) use part::{Context, clean, render};

use super::Block;
use super::cache::HighlightCache;
use super::table::Table;
use crate::model::wrap::{StyledLine, display_width};
use crate::theme::Theme;
use containers::{Container, List};

struct Code {
    /// Text of the line not yet ended.
    partial: String,
    lines: usize,
}

struct Writer<'a, 'c> {
    context: &'a Context<'a>,
    theme: &'a Theme,
    cache: &'c mut HighlightCache,
    out: Vec<Block>,
    containers: Vec<Container>,
    lists: Vec<List>,
    line: Vec<Span<'static>>,
    styles: Vec<Style>,
    /// Open links: (destination, where the link's text starts in the text
    /// of `line`, in bytes).
    links: Vec<(String, usize)>,
    images: Vec<String>,
    code: Option<Code>,
    table: Option<Table>,
    separator: bool,
    code_blocks: usize,
}

impl<'a, 'c> Writer<'a, 'c> {
    fn new(context: &'a Context<'a>, cache: &'c mut HighlightCache) -> Self {
        Writer {
            context,
            theme: context.theme,
            cache,
            out: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            line: Vec::new(),
            styles: vec![context.theme.text()],
            links: Vec::new(),
            images: Vec::new(),
            code: None,
            table: None,
            separator: context.separated,
            code_blocks: 0,
        }
    }

    fn push_line(&mut self, spans: Vec<Span<'static>>, hard: bool) {
        let (first, rest) = self.prefixes();
        self.out.push(Block::Line(StyledLine {
            first,
            rest,
            spans,
            hard,
            ..Default::default()
        }));
    }

    /// Ends the line being built, if it has anything.
    fn flush(&mut self) {
        if !self.line.is_empty() {
            let spans = std::mem::take(&mut self.line);
            self.push_line(spans, false);
        }
    }

    /// A block starts: end the line before it, and leave a blank line if the
    /// block before asked for one.
    fn block_starts(&mut self) {
        self.flush();
        if self.separator {
            self.separator = false;
            let bars = self.containers.iter().filter(|c| matches!(c, Container::Quote)).count();
            let bar = "▎".repeat(bars);
            let spans = if bars > 0 {
                vec![Span::styled(bar, self.theme.muted())]
            } else {
                Vec::new()
            };
            self.out.push(Block::Line(StyledLine::plain(spans)));
        }
    }

    fn block_ends(&mut self) {
        self.flush();
        self.separator = true;
    }

    fn event(&mut self, event: Event<'_>) {
        if self.code.is_some() {
            match event {
                Event::Text(text) => self.code_text(&text),
                Event::End(TagEnd::CodeBlock) => self.code_ends(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text, self.style()),
            Event::Code(text) => self.text(&text, self.theme.code()),
            Event::InlineMath(text) | Event::DisplayMath(text) => self.text(&text, self.theme.code()),
            Event::Html(text) => {
                // An HTML block: its lines as text, as typed.
                for line in text.split_inclusive('\n') {
                    let line = line.strip_suffix('\n').unwrap_or(line);
                    self.text(line, self.theme.muted());
                    let spans = std::mem::take(&mut self.line);
                    self.push_line(spans, false);
                }
            }
            Event::InlineHtml(text) => self.text(&text, self.theme.muted()),
            Event::FootnoteReference(label) => self.text(&format!("[^{label}]"), self.style()),
            Event::SoftBreak => self.text(" ", self.style()),
            Event::HardBreak => {
                let spans = std::mem::take(&mut self.line);
                self.push_line(spans, false);
            }
            Event::Rule => {
                self.block_starts();
                let (first, rest) = self.prefixes();
                self.out.push(Block::Line(StyledLine {
                    first,
                    rest,
                    spans: vec![Span::styled("─", self.theme.muted())],
                    fill: Some('─'),
                    ..Default::default()
                }));
                self.separator = true;
            }
            Event::TaskListMarker(done) => {
                let mark = if done { "☑ " } else { "☐ " };
                match self.containers.last_mut() {
                    Some(Container::Item {
                        marker: Some(spans),
                        hang,
                    }) => {
                        spans.push(Span::styled(mark, self.theme.accent()));
                        *hang += 2;
                    }
                    _ => self.text(mark, self.theme.accent()),
                }
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                // A paragraph directly in an item: the list is loose.
                if matches!(self.containers.last(), Some(Container::Item { .. }))
                    && let Some(list) = self.lists.last_mut()
                {
                    list.loose = true;
                }
                self.block_starts()
            }
            Tag::Heading { level, .. } => {
                self.block_starts();
                let mut style = self.theme.heading();
                if level == HeadingLevel::H1 {
                    style = style.add_modifier(Modifier::UNDERLINED);
                }
                self.styles.push(style);
            }
            Tag::BlockQuote(_) => {
                self.block_starts();
                self.containers.push(Container::Quote);
                self.push_style(self.theme.quote());
            }
            Tag::CodeBlock(kind) => self.code_starts(kind),
            Tag::HtmlBlock => self.block_starts(),
            Tag::List(start) => {
                self.block_starts();
                self.lists.push(List {
                    next: start,
                    loose: false,
                });
            }
            Tag::Item => {
                self.flush();
                // Items of a tight list follow one another without a blank
                // line, whatever ended inside the item before.
                if self.lists.last().is_some_and(|l| !l.loose) {
                    self.separator = false;
                }
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(List { next: Some(n), .. }) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ => ["• ", "◦ ", "▪ "][depth.min(2)].to_owned(),
                };
                let hang = display_width(&marker);
                self.containers.push(Container::Item {
                    marker: Some(vec![Span::styled(marker, self.theme.accent())]),
                    hang,
                });
            }
            Tag::FootnoteDefinition(label) => {
                self.block_starts();
                let label = clean(&format!("[^{label}] "));
                let hang = display_width(&label);
                self.containers.push(Container::Footnote {
                    label: Some(label),
                    hang,
                });
            }
            Tag::Table(aligns) => {
                self.block_starts();
                let (first, rest) = self.prefixes();
                self.table = Some(Table {
                    first,
                    rest,
                    aligns,
                    rows: Vec::new(),
                    border: self.theme.muted(),
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(table) = &mut self.table {
                    table.rows.push(Vec::new());
                }
                if matches!(tag, Tag::TableHead) {
                    self.push_style(Style::default().add_modifier(Modifier::BOLD));
                }
            }
            Tag::TableCell => self.line.clear(),
            Tag::Emphasis => self.push_style(self.theme.italic()),
            Tag::Strong => self.push_style(self.theme.bold()),
            Tag::Strikethrough => self.push_style(self.theme.strike()),
            Tag::Superscript | Tag::Subscript => self.push_style(Style::default()),
            Tag::Link { dest_url, .. } => {
                let from = self.line.iter().map(|s| s.content.len()).sum();
                self.links.push((dest_url.to_string(), from));
                self.push_style(self.theme.link());
            }
            Tag::Image { dest_url, .. } => {
                self.text("[image: ", self.theme.muted());
                self.images.push(dest_url.to_string());
                self.push_style(self.theme.muted());
            }
            Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition | Tag::MetadataBlock(_) => {
                self.block_starts()
            }
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => self.block_ends(),
            TagEnd::Heading(_) => {
                self.block_ends();
                self.pop_style();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.containers.pop();
                self.pop_style();
                self.separator = true;
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                self.separator = true;
            }
            TagEnd::Item => {
                self.flush();
                // An empty item still shows its bullet.
                if matches!(self.containers.last(), Some(Container::Item { marker: Some(_), .. })) {
                    self.push_line(Vec::new(), false);
                }
                self.containers.pop();
            }
            TagEnd::FootnoteDefinition => {
                self.flush();
                self.containers.pop();
                self.separator = true;
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.out.push(Block::Table(table));
                }
                self.separator = true;
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if matches!(tag, TagEnd::TableHead) {
                    self.pop_style();
                }
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.line);
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(cell);
                }
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Superscript | TagEnd::Subscript => {
                self.pop_style()
            }
            TagEnd::Link => self.link_ends(),
            TagEnd::Image => self.image_ends(),
            TagEnd::CodeBlock => {}
            TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => self.block_ends(),
        }
    }
}
