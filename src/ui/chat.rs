//! The chat pane: each message as a header (who, when, how it ended) and its
//! text wrapped to the pane, and the scroll arithmetic over real wrapped
//! heights. Only messages that are scrolled through or visible are laid out;
//! their rows are cached per width and theme, and a streaming reply only
//! wraps the lines that are new since the last frame.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::markdown::MarkdownView;
use crate::model::state::{Entry, State};
use crate::model::wrap::{StyledLine, wrap_styled, zeroize_spans};
use crate::model::{ReplyState, Role};
use crate::theme::Theme;

/// One message laid out.
#[derive(Default)]
struct Laid {
    text_len: usize,
    state: Option<ReplyState>,
    superseded: bool,
    first_code: usize,
    markdown: MarkdownView,
    /// Wrapped rows of the Markdown's done lines, and how many of those lines.
    done_rows: Vec<Line<'static>>,
    done_count: usize,
    done_epoch: u64,
    /// Every row of the message: header, text, separator.
    rows: Vec<Line<'static>>,
}

impl Laid {
    /// Overwrites every row and rendered line it holds.
    fn forget(&mut self) {
        for row in self.rows.iter_mut().chain(self.done_rows.iter_mut()) {
            zeroize_spans(&mut row.spans);
        }
        self.markdown.forget();
    }
}

/// Laid-out messages of the open conversation, kept between frames. They
/// are the conversation's text, unmasked: whenever they go (another
/// conversation, a lock) they are overwritten, not just freed.
#[derive(Default)]
pub struct ChatCache {
    key: (u64, usize, String, bool, usize, u64),
    laid: Vec<Option<Laid>>,
}

impl ChatCache {
    /// Overwrites and drops everything laid out.
    pub fn forget(&mut self) {
        for laid in self.laid.iter_mut().flatten() {
            laid.forget();
        }
        self.laid.clear();
    }

    /// Every piece of text the cache holds (for the tests that check a
    /// lock leaves none).
    #[cfg(test)]
    pub(crate) fn held_text(&self) -> String {
        let mut text = String::new();
        for laid in self.laid.iter().flatten() {
            let rendered = laid.markdown.blocks().flat_map(|b| b.spans());
            for span in laid
                .rows
                .iter()
                .chain(&laid.done_rows)
                .flat_map(|r| &r.spans)
                .chain(rendered)
            {
                text.push_str(&span.content);
            }
        }
        text
    }

    fn prepare(&mut self, state: &State, width: usize) {
        // The placeholder map is part of how replies are shown.
        let key = (
            state.generation,
            width,
            state.theme.name.clone(),
            state.show_timestamps,
            state.redaction_map.len(),
            // Code drawn plain until its language was ready goes in colour.
            super::highlight::generation(),
        );
        if self.key != key {
            self.key = key;
            self.forget();
        }
        self.laid.resize_with(state.entries.len(), || None);
        self.laid.truncate(state.entries.len());
    }

    /// The rows of entry `index`, laid out if needed.
    fn rows(&mut self, state: &State, index: usize, width: usize) -> &[Line<'static>] {
        let entry = &state.entries[index];
        let slot = &mut self.laid[index];
        let fresh = slot.as_ref().is_some_and(|l| {
            l.text_len == entry.text.len()
                && l.state == Some(entry.state)
                && l.superseded == entry.superseded
                && l.first_code == entry.first_code
        });
        if !fresh {
            let laid = slot.get_or_insert_with(Laid::default);
            lay_out(laid, entry, state, width);
        }
        slot.as_ref().map_or(&[][..], |l| &l.rows[..])
    }

    fn height(&mut self, state: &State, index: usize, width: usize) -> usize {
        self.rows(state, index, width).len()
    }

    /// Applies the pending scroll of `state` to a pane of `width` x `height`
    /// and returns where the view ends up: whether it follows the newest row,
    /// and the entry and row at its top.
    pub fn resolve_scroll(&mut self, state: &State, width: usize, height: usize) -> (bool, (usize, usize)) {
        self.prepare(state, width);
        let n = state.entries.len();
        if n == 0 {
            return (true, (0, 0));
        }
        let scroll = state.scroll;
        let mut follow = scroll.follow;
        let mut anchor = if follow {
            self.bottom_anchor(state, width, height)
        } else {
            let i = scroll.anchor.0.min(n - 1);
            (i, scroll.anchor.1.min(self.height(state, i, width).saturating_sub(1)))
        };
        let pending = scroll.pending;
        if pending < 0 {
            follow = false;
            anchor = self.move_up(state, width, anchor, pending.unsigned_abs());
        } else if pending > 0 && !follow {
            anchor = self.move_down(state, width, anchor, pending as usize);
        }
        if !follow && self.rows_from(state, width, anchor, height + 1) <= height {
            // Scrolled to the end: follow new rows again.
            follow = true;
            anchor = self.bottom_anchor(state, width, height);
        }
        (follow, anchor)
    }

    /// The top of a view showing the last `height` rows (or the first row if
    /// everything fits).
    fn bottom_anchor(&mut self, state: &State, width: usize, height: usize) -> (usize, usize) {
        let mut need = height;
        for i in (0..state.entries.len()).rev() {
            let h = self.height(state, i, width);
            if h >= need {
                return (i, h - need);
            }
            need -= h;
        }
        (0, 0)
    }

    fn move_up(&mut self, state: &State, width: usize, (mut i, mut r): (usize, usize), mut k: usize) -> (usize, usize) {
        while k > 0 {
            if k <= r {
                r -= k;
                break;
            }
            k -= r;
            if i == 0 {
                return (0, 0);
            }
            i -= 1;
            r = self.height(state, i, width);
        }
        (i, r)
    }

    fn move_down(
        &mut self,
        state: &State,
        width: usize,
        (mut i, mut r): (usize, usize),
        mut k: usize,
    ) -> (usize, usize) {
        let last = state.entries.len() - 1;
        while k > 0 {
            let remaining = self.height(state, i, width) - r;
            if k < remaining {
                r += k;
                break;
            }
            k -= remaining;
            if i == last {
                r = self.height(state, i, width).saturating_sub(1);
                break;
            }
            i += 1;
            r = 0;
        }
        (i, r)
    }

    /// Rows from `anchor` to the end, counting no further than `limit`.
    fn rows_from(&mut self, state: &State, width: usize, (i, r): (usize, usize), limit: usize) -> usize {
        let mut total = self.height(state, i, width).saturating_sub(r);
        let mut j = i + 1;
        while total < limit && j < state.entries.len() {
            total += self.height(state, j, width);
            j += 1;
        }
        total
    }

    /// The rows to show, from the resolved anchor, filling `height`.
    fn visible(&mut self, state: &State, width: usize, height: usize) -> Vec<Line<'static>> {
        self.prepare(state, width);
        let mut out = Vec::with_capacity(height);
        if state.entries.is_empty() {
            return out;
        }
        let (i, r) = if state.scroll.follow {
            self.bottom_anchor(state, width, height)
        } else {
            state.scroll.anchor
        };
        let mut skip = r;
        for index in i.min(state.entries.len() - 1)..state.entries.len() {
            for row in self.rows(state, index, width).iter().skip(skip) {
                if out.len() == height {
                    return out;
                }
                out.push(row.clone());
            }
            skip = 0;
        }
        out
    }
}

fn label(entry: &Entry, theme: &Theme, timestamps: bool) -> Line<'static> {
    let mut spans = match entry.role {
        Role::User => vec![Span::styled("You", theme.user_label())],
        Role::Assistant => {
            let backend = entry.backend.as_deref().unwrap_or("bot");
            vec![
                Span::styled(
                    format!("Bot · {}", crate::sanitize::one_line(backend, 40)),
                    theme.bot_label(),
                ),
                Span::styled(" (automated)", theme.muted()),
            ]
        }
        Role::System => vec![Span::styled("System", theme.system_label())],
    };
    if timestamps {
        spans.push(Span::styled(
            format!("  {}", entry.at.to_local_display()),
            theme.muted(),
        ));
    }
    let mark = match entry.state {
        ReplyState::Complete => None,
        ReplyState::Streaming => Some(("  writing…", theme.accent())),
        ReplyState::Interrupted => Some(("  interrupted: sotto stopped while it arrived", theme.warning())),
        ReplyState::Cancelled => Some(("  stopped: only what arrived", theme.warning())),
        ReplyState::Truncated => Some(("  cut at the size limit", theme.warning())),
        ReplyState::Failed => Some(("  failed: only what arrived", theme.error())),
    };
    if let Some((text, style)) = mark {
        spans.push(Span::styled(text, style));
    }
    if entry.superseded {
        spans.push(Span::styled("  replaced (not sent as context)", theme.muted()));
    }
    Line::from(spans)
}

fn lay_out(laid: &mut Laid, entry: &Entry, state: &State, width: usize) {
    let (theme, timestamps) = (&state.theme, state.show_timestamps);
    let mut rows = wrap_styled(&StyledLine::plain(label(entry, theme, timestamps).spans), width);
    match entry.role {
        Role::Assistant => {
            // Placeholders the bot used are shown with their values, which
            // never left this machine.
            // An empty map (the usual case) costs nothing per frame.
            let shown: std::borrow::Cow<'_, str> = if state.redaction_map.is_empty() {
                std::borrow::Cow::Borrowed(&entry.text)
            } else {
                std::borrow::Cow::Owned(state.redaction_map.unmask(&entry.text))
            };
            laid.markdown.update(&shown, theme, entry.first_code);
            let done = laid.markdown.done_blocks();
            if laid.done_epoch != laid.markdown.epoch() || done.len() < laid.done_count {
                for row in &mut laid.done_rows {
                    zeroize_spans(&mut row.spans);
                }
                laid.done_rows.clear();
                laid.done_count = 0;
                laid.done_epoch = laid.markdown.epoch();
            }
            for block in &done[laid.done_count..] {
                laid.done_rows.extend(block.rows(width));
            }
            laid.done_count = done.len();
            rows.extend(laid.done_rows.iter().cloned());
            for block in laid.markdown.tail_blocks() {
                rows.extend(block.rows(width));
            }
            if entry.state == ReplyState::Streaming {
                rows.push(Line::from(Span::styled("▍", theme.accent())));
            }
        }
        _ => {
            let style = theme.text();
            for line in entry.text.split('\n') {
                let clean = crate::model::editor::clean_input(line.strip_suffix('\r').unwrap_or(line));
                rows.extend(wrap_styled(&StyledLine::plain(vec![Span::styled(clean, style)]), width));
            }
            if entry.withheld > 0 {
                let note = format!("⛨ {}", entry.withheld_note());
                rows.extend(wrap_styled(
                    &StyledLine::plain(vec![Span::styled(note, theme.ok())]),
                    width,
                ));
            }
        }
    }
    if entry.superseded {
        for row in rows.iter_mut().skip(1) {
            *row = row.clone().patch_style(theme.muted().add_modifier(Modifier::DIM));
        }
    }
    rows.push(Line::default());
    for row in &mut laid.rows {
        zeroize_spans(&mut row.spans);
    }
    laid.rows = rows;
    laid.text_len = entry.text.len();
    laid.state = Some(entry.state);
    laid.superseded = entry.superseded;
    laid.first_code = entry.first_code;
}

/// What an empty conversation says about where its messages go.
pub fn empty_hint(state: &State) -> &'static str {
    if state.incognito || state.current_in_memory {
        "/help lists keys and commands. Incognito: nothing of this conversation is stored; it is gone when sotto ends or locks."
    } else {
        "/help lists keys and commands. Everything is kept encrypted on this machine."
    }
}

/// Draws the chat pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, cache: &mut ChatCache) {
    let theme = &state.theme;
    let title = match state.current_title() {
        Some(title) => format!(" {} ", crate::sanitize::one_line(title, 60)),
        None => " New conversation ".to_owned(),
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(false))
        .title(Span::styled(title, theme.accent()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let width = inner.width as usize;
    cache.prepare(state, width);
    if state.entries.is_empty() {
        let hint = vec![
            Line::from(Span::styled("Type a message and press Enter.", theme.muted())),
            Line::from(Span::styled(empty_hint(state), theme.muted())),
        ];
        frame.render_widget(Paragraph::new(hint).wrap(ratatui::widgets::Wrap { trim: true }), inner);
        return;
    }
    let mut rows = cache.visible(state, width, inner.height as usize);
    if !state.scroll.follow && state.is_streaming() && !rows.is_empty() {
        let last = rows.len() - 1;
        rows[last] = Line::from(Span::styled("↓ the reply continues below (Ctrl-End)", theme.accent()));
    }
    frame.render_widget(Paragraph::new(rows), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::tests_support::chat_state;
    use crate::time::Timestamp;

    fn entry(seq: u64, role: Role, text: String) -> Entry {
        Entry {
            seq: Some(seq),
            role,
            at: Timestamp::from_unix_ms(0),
            text,
            state: ReplyState::Complete,
            backend: Some("local".into()),
            first_code: 1,
            superseded: false,
            sent: None,
            withheld: 0,
            replaces: None,
        }
    }

    fn conversation(n: usize) -> State {
        let mut state = chat_state();
        let entries = (0..n)
            .map(|i| {
                let text = match i % 3 {
                    0 => format!("Question {i}: why does 漢字 and 👨‍👩‍👧 wrapping work at every width?"),
                    1 => format!("# Answer {i}\n- a list item that is long enough to wrap more than once here\n```\ncode line {i}\n```"),
                    _ => format!("Short {i}"),
                };
                entry(i as u64, if i % 2 == 0 { Role::User } else { Role::Assistant }, text)
            })
            .collect();
        state.set_entries(entries);
        state
    }

    fn row_text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    /// Every row of the conversation, top to bottom, as the cache lays it out.
    fn all_rows(state: &State, cache: &mut ChatCache, width: usize) -> Vec<String> {
        cache.prepare(state, width);
        (0..state.entries.len())
            .flat_map(|i| cache.rows(state, i, width).to_vec())
            .map(|l| row_text(&l))
            .collect()
    }

    #[test]
    fn scrolling_one_row_at_a_time_visits_every_row_exactly_once_at_every_width() {
        for width in [12, 23, 40, 57, 80, 119] {
            let mut state = conversation(12);
            let mut cache = ChatCache::default();
            let height = 7;
            let expected = all_rows(&state, &mut cache, width);
            // From the top, one row per step, to the bottom.
            state.scroll.follow = false;
            state.scroll.anchor = (0, 0);
            let mut tops = Vec::new();
            loop {
                let (follow, anchor) = cache.resolve_scroll(&state, width, height);
                state.scroll.follow = follow;
                state.scroll.anchor = anchor;
                state.scroll.pending = 0;
                let visible: Vec<String> = cache.visible(&state, width, height).iter().map(row_text).collect();
                tops.push(visible[0].clone());
                if follow {
                    assert_eq!(
                        visible,
                        expected[expected.len() - height..],
                        "width {width}: the bottom"
                    );
                    break;
                }
                let start = tops.len() - 1;
                assert_eq!(visible, expected[start..start + height], "width {width}: step {start}");
                state.scroll.pending = 1;
            }
            assert_eq!(
                tops.len(),
                expected.len() - height + 1,
                "width {width}: no row skipped or repeated"
            );
        }
    }

    #[test]
    fn page_up_from_the_bottom_moves_by_exactly_the_rows_asked() {
        let mut state = conversation(30);
        let mut cache = ChatCache::default();
        let (width, height) = (50, 10);
        let expected = all_rows(&state, &mut cache, width);
        state.scroll.pending = -25;
        let (follow, anchor) = cache.resolve_scroll(&state, width, height);
        assert!(!follow);
        state.scroll = crate::model::state::Scroll {
            follow,
            anchor,
            pending: 0,
        };
        let visible: Vec<String> = cache.visible(&state, width, height).iter().map(row_text).collect();
        let start = expected.len() - height - 25;
        assert_eq!(visible, expected[start..start + height]);
        // Scrolling up past the top stops at the first row.
        state.scroll.pending = -10_000;
        let (_, anchor) = cache.resolve_scroll(&state, width, height);
        assert_eq!(anchor, (0, 0));
    }

    #[test]
    fn a_reading_position_stays_put_while_a_reply_grows_below() {
        let mut state = conversation(20);
        let mut cache = ChatCache::default();
        let (width, height) = (60, 8);
        state.scroll.pending = -30;
        let (follow, anchor) = cache.resolve_scroll(&state, width, height);
        state.scroll = crate::model::state::Scroll {
            follow,
            anchor,
            pending: 0,
        };
        let before: Vec<String> = cache.visible(&state, width, height).iter().map(row_text).collect();
        let last = state.entries.len() - 1;
        state.entries[last]
            .text
            .push_str("\nmore text arriving\nand more\nand more");
        let (follow, anchor) = cache.resolve_scroll(&state, width, height);
        assert!(!follow);
        state.scroll.anchor = anchor;
        let after: Vec<String> = cache.visible(&state, width, height).iter().map(row_text).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn only_the_visible_part_of_a_long_conversation_is_laid_out() {
        let state = conversation(10_000);
        let mut cache = ChatCache::default();
        let (follow, _) = cache.resolve_scroll(&state, 80, 30);
        assert!(follow);
        cache.visible(&state, 80, 30);
        let laid = cache.laid.iter().filter(|l| l.is_some()).count();
        assert!(laid < 40, "{laid} of 10000 messages laid out for one screen");
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;
    use crate::model::state::tests_support::chat_state;

    #[test]
    fn replies_are_shown_with_the_values_put_back_and_user_messages_say_what_was_withheld() {
        let mut state = chat_state();
        state.redaction_map.mask("jane@example.org");
        let mut user = Entry {
            seq: Some(0),
            role: Role::User,
            at: crate::time::Timestamp::from_unix_ms(0),
            text: "mail jane@example.org".into(),
            state: ReplyState::Complete,
            backend: None,
            first_code: 1,
            superseded: false,
            sent: Some("mail [EMAIL_1]".into()),
            withheld: 1,
            replaces: None,
        };
        let mut reply = user.clone();
        reply.role = Role::Assistant;
        reply.text = "I wrote to [EMAIL_1].".into();
        reply.withheld = 0;
        reply.sent = None;
        user.seq = Some(0);
        state.set_entries(vec![user, reply]);
        let mut cache = ChatCache::default();
        let rows: Vec<String> = cache
            .visible(&state, 80, 20)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert!(rows.iter().any(|r| r == "mail jane@example.org"), "{rows:#?}");
        assert!(
            rows.iter()
                .any(|r| r.contains("1 item(s) withheld from the backend (EMAIL)")),
            "{rows:#?}"
        );
        assert!(rows.iter().any(|r| r == "I wrote to jane@example.org."), "{rows:#?}");
    }

    #[test]
    fn a_link_in_a_reply_shows_its_url_with_the_placeholder_not_the_value() {
        let mut state = chat_state();
        state.redaction_map.mask("jane@example.org");
        let reply = Entry {
            seq: Some(1),
            role: Role::Assistant,
            at: crate::time::Timestamp::from_unix_ms(0),
            text: "Hi [EMAIL_1], see [the form](https://evil.example/f?e=[EMAIL_1]).".into(),
            state: ReplyState::Complete,
            backend: None,
            first_code: 1,
            superseded: false,
            sent: None,
            withheld: 0,
            replaces: None,
        };
        state.set_entries(vec![reply]);
        let mut cache = ChatCache::default();
        let shown: String = cache
            .visible(&state, 200, 20)
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
            .collect();
        assert!(shown.contains("Hi jane@example.org, see the form"), "{shown}");
        assert!(shown.contains("(https://evil.example/f?e=[EMAIL_1])"), "{shown}");
        assert_eq!(shown.matches("jane@example.org").count(), 1, "{shown}");
    }
}
