//! Inline text: the style stack (emphasis, strong, links...), text as it
//! joins the line being built (sanitised, merged with a neighbour of the
//! same style), and what a link or an image shows when it ends.

use ratatui::style::Style;
use ratatui::text::Span;
use zeroize::Zeroize;

use super::{Writer, clean};

impl Writer<'_, '_> {
    pub(super) fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    pub(super) fn push_style(&mut self, over: Style) {
        let style = self.style().patch(over);
        self.styles.push(style);
    }

    pub(super) fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    pub(super) fn text(&mut self, text: &str, style: Style) {
        let text = clean(text);
        if text.is_empty() {
            return;
        }
        match self.line.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(&text),
            _ => self.line.push(Span::styled(text, style)),
        }
    }

    /// A link shows its destination after its text, unless the text is it.
    pub(super) fn link_ends(&mut self) {
        self.pop_style();
        if let Some((url, from)) = self.links.pop() {
            // `from` counts bytes of the line's text, not spans: the link's
            // first text may have joined a span before it.
            let mut line: String = self.line.iter().map(|s| s.content.as_ref()).collect();
            let shown = line.get(from..).unwrap_or(&line);
            let same = url == shown || url.strip_prefix("mailto:") == Some(shown);
            line.zeroize();
            if !url.is_empty() && !same {
                self.text(&format!(" ({url})"), self.theme.muted());
            }
        }
    }

    /// An image shows as `[image: alt] url`.
    pub(super) fn image_ends(&mut self) {
        self.pop_style();
        let url = self.images.pop().unwrap_or_default();
        self.text("]", self.theme.muted());
        if !url.is_empty() {
            self.text(&format!(" {url}"), self.theme.link());
        }
    }
}
