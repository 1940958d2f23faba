//! Putting values back into a reply for the screen, whole or as it streams.
//! Kept apart from masking because it has its own hazard: a value put back
//! inside a URL would leave the machine on a click or an image load, so every
//! placeholder is judged by where it sits (see `url_context`).

use super::{PLACEHOLDER, RedactionMap};
use crate::redact::url_context::UrlContext;

impl RedactionMap {
    /// `text` with every placeholder this map knows put back to its value
    /// (for showing a reply locally), except inside URLs, link targets and
    /// image sources, where the placeholder stays. Unknown placeholders stay
    /// as they are.
    pub fn unmask(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.unmask_into(text, &mut UrlContext::default(), &mut out);
        out
    }

    /// Unmasks `text`, which continues a text whose URL context so far is
    /// `context`, into `out`.
    fn unmask_into(&self, text: &str, context: &mut UrlContext, out: &mut String) {
        let mut at = 0;
        for c in PLACEHOLDER.captures_iter(text) {
            let whole = c.get(0).map_or(0..0, |m| m.range());
            context.feed(&text[at..whole.start]);
            out.push_str(&text[at..whole.start]);
            let value = if context.in_url() {
                None
            } else {
                let number: u32 = c[2].parse().unwrap_or(0);
                self.entries.iter().find(|e| e.kind == c[1] && e.number == number)
            };
            out.push_str(value.map_or(&text[whole.clone()], |e| e.value.as_str()));
            context.feed(&text[whole.clone()]);
            at = whole.end;
        }
        context.feed(&text[at..]);
        out.push_str(&text[at..]);
    }

    /// `text` with every placeholder put back, URLs or not: what masking
    /// must give back exactly, for the round-trip tests.
    #[cfg(test)]
    pub(crate) fn unmask_everywhere(&self, text: &str) -> String {
        PLACEHOLDER
            .replace_all(text, |c: &regex::Captures<'_>| {
                let number: u32 = c[2].parse().unwrap_or(0);
                self.entries
                    .iter()
                    .find(|e| e.kind == c[1] && e.number == number)
                    .map_or_else(|| c[0].to_owned(), |e| e.value.clone())
            })
            .into_owned()
    }
}

/// Puts values back into a reply as it streams. A placeholder may be split
/// across deltas (`[EMA` + `IL_1]`), so a possible start of one is held back
/// until it is complete or cannot be one.
pub struct Unmasker<'a> {
    map: &'a RedactionMap,
    pending: String,
    /// Where the text shown so far ends: inside a URL or not.
    context: UrlContext,
}

/// The longest placeholder: `[URL_CREDENTIALS_999999]`.
const MAX_PLACEHOLDER: usize = 24;

impl<'a> Unmasker<'a> {
    pub fn new(map: &'a RedactionMap) -> Self {
        Unmasker {
            map,
            pending: String::new(),
            context: UrlContext::default(),
        }
    }

    /// The text of `delta` that can be shown now, values put back.
    pub fn push(&mut self, delta: &str) -> String {
        self.pending.push_str(delta);
        let hold_from = match self.pending.rfind('[') {
            Some(at) if !self.pending[at..].contains(']') && self.pending.len() - at < MAX_PLACEHOLDER => at,
            _ => self.pending.len(),
        };
        let ready: String = self.pending.drain(..hold_from).collect();
        let mut out = String::with_capacity(ready.len());
        self.map.unmask_into(&ready, &mut self.context, &mut out);
        out
    }

    /// Whatever is still held back, at the end of the reply.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        let mut out = String::with_capacity(rest.len());
        self.map.unmask_into(&rest, &mut self.context, &mut out);
        out
    }
}
