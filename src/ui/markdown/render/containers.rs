//! The containers a line sits in (block quotes, list items, footnote
//! definitions) and the prefixes they give its first and wrapped rows.

use ratatui::text::Span;

use super::Writer;

pub(super) enum Container {
    Quote,
    /// A list item: its marker until the first line has shown it, and the
    /// width the item's text hangs at.
    Item {
        marker: Option<Vec<Span<'static>>>,
        hang: usize,
    },
    Footnote {
        label: Option<String>,
        hang: usize,
    },
}

pub(super) struct List {
    /// The next item's number (None: bullets).
    pub next: Option<u64>,
    /// Items hold paragraphs: blank lines between them.
    pub loose: bool,
}

impl Writer<'_, '_> {
    /// The prefixes of the next line: the first row's and the wrapped rows'.
    pub(super) fn prefixes(&mut self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let bar = Span::styled("▎ ", self.theme.muted());
        let (mut first, mut rest) = (Vec::new(), Vec::new());
        for container in &mut self.containers {
            match container {
                Container::Quote => {
                    first.push(bar.clone());
                    rest.push(bar.clone());
                }
                Container::Item { marker, hang } => {
                    match marker.take() {
                        Some(spans) => first.extend(spans),
                        None => first.push(Span::raw(" ".repeat(*hang))),
                    }
                    rest.push(Span::raw(" ".repeat(*hang)));
                }
                Container::Footnote { label, hang } => {
                    match label.take() {
                        Some(label) => first.push(Span::styled(label, self.theme.accent())),
                        None => first.push(Span::raw(" ".repeat(*hang))),
                    }
                    rest.push(Span::raw(" ".repeat(*hang)));
                }
            }
        }
        (first, rest)
    }
}
