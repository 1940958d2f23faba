//! The status bar: the privacy facts that must always be visible (vault
//! state, backend and where it sends text, channel, redaction, retention,
//! incognito, streaming), and the latest notice.
//!
//! A narrow terminal cannot show every fact in full, so each fact has a
//! short form and the bar gives way in steps (labels, then short forms of
//! the facts that may go, then those facts one by one, then short forms of
//! the rest, then tighter separators). Four facts are never dropped at any
//! width down to 40 columns: whether the vault is open, incognito, a reply
//! streaming, and an INSECURE channel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::state::State;
use crate::model::{Channel, RedactionMode};

/// One fact of the bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// Shown before the value on wide terminals.
    pub label: &'static str,
    pub long: String,
    pub short: String,
    /// Deserves attention (shown bold).
    pub attention: bool,
    /// The step of giving way at which the short form is used.
    shorten_at: u8,
    /// The step at which the fact is left out; `None`: never.
    drop_at: Option<u8>,
}

/// The last step of giving way: the facts that are never dropped go short.
const ESSENTIALS_SHORT: u8 = 8;

impl Fact {
    /// A fact that is never dropped.
    fn essential(label: &'static str, long: impl Into<String>, short: impl Into<String>) -> Fact {
        Fact {
            label,
            long: long.into(),
            short: short.into(),
            attention: false,
            shorten_at: ESSENTIALS_SHORT,
            drop_at: None,
        }
    }

    /// A fact that goes short at step `shorten_at` and away at `drop_at`.
    fn optional(label: &'static str, long: String, short: String, shorten_at: u8, drop_at: u8) -> Fact {
        Fact {
            shorten_at,
            drop_at: Some(drop_at),
            ..Fact::essential(label, long, short)
        }
    }

    fn attention(mut self, attention: bool) -> Fact {
        self.attention = attention;
        self
    }
}

/// The status facts in the order they are shown. The steps at which each
/// gives way rank them: retention goes first, then the channel's name
/// (unless it is INSECURE), then the backend's address, then redaction
/// unless it is off.
pub fn facts(state: &State) -> Vec<Fact> {
    let backend = &state.backend.choice;
    let channel = |name: &str| Fact::optional("channel", name.into(), name.into(), 3, 3);
    let channel = match backend.channel {
        Channel::InProcess => channel("in-process"),
        Channel::Loopback => channel("loopback"),
        Channel::Tls => channel("TLS"),
        Channel::Insecure => Fact::essential("channel", "INSECURE http", "INSECURE").attention(true),
    };
    let redaction_off = state.redaction == RedactionMode::Off;
    let retention = state.current_retention().describe();
    let mut facts = vec![
        if state.incognito {
            Fact::essential("vault", "not opened (incognito)", "incognito").attention(true)
        } else {
            Fact::essential("vault", "unlocked", "unlocked")
        },
        Fact::optional(
            "backend",
            format!("{} @ {}", backend.name, crate::sanitize::one_line(&backend.host, 40)),
            crate::sanitize::one_line(&backend.name, 16),
            4,
            6,
        ),
        channel,
        Fact::optional(
            "redaction",
            format!("redaction {}", state.redaction),
            format!("redact {}", state.redaction),
            2,
            if redaction_off { 7 } else { 5 },
        )
        .attention(redaction_off),
        Fact::optional("retention", retention.clone(), retention, 1, 1),
    ];
    if state.current_in_memory {
        facts.push(Fact::essential("conversation", "incognito: memory only", "incognito").attention(true));
    }
    if state.findings_waiting > 0 && !state.incognito {
        let n = state.findings_waiting;
        facts.push(
            Fact::essential(
                "findings",
                format!("⚠ {n} finding(s) of damage: sotto verify"),
                format!("⚠ {n} finding(s)"),
            )
            .attention(true),
        );
    }
    if state.is_streaming() {
        facts.push(Fact::essential("reply", "● streaming", "● streaming").attention(true));
    }
    facts
}

/// How the bar shows its facts at one step of giving way.
#[derive(Clone, Copy)]
struct Fit {
    labels: bool,
    /// How far the facts have given way (see `Fact::shorten_at`, `drop_at`).
    step: u8,
    tight: bool,
}

impl Fit {
    /// Every step from the fullest bar to the tightest.
    fn steps() -> impl Iterator<Item = Fit> {
        let full = Fit {
            labels: true,
            step: 0,
            tight: false,
        };
        let giving_way = (0..=ESSENTIALS_SHORT).map(|step| Fit {
            labels: false,
            step,
            tight: false,
        });
        let tight = Fit {
            labels: false,
            step: ESSENTIALS_SHORT,
            tight: true,
        };
        std::iter::once(full).chain(giving_way).chain([tight])
    }

    fn line(self, facts: &[Fact], base: Style) -> Line<'static> {
        let mut spans = Vec::new();
        for fact in facts {
            if fact.drop_at.is_some_and(|at| at <= self.step) {
                continue;
            }
            let value = if fact.shorten_at <= self.step {
                &fact.short
            } else {
                &fact.long
            };
            if !spans.is_empty() {
                spans.push(Span::styled(if self.tight { "│" } else { " │ " }, base));
            }
            if self.labels && !value.starts_with(fact.label) {
                spans.push(Span::styled(
                    format!("{} ", fact.label),
                    base.add_modifier(Modifier::DIM),
                ));
            }
            let style = if fact.attention {
                base.add_modifier(Modifier::BOLD)
            } else {
                base
            };
            spans.push(Span::styled(value.clone(), style));
        }
        Line::from(spans)
    }
}

/// The fullest bar that fits in `width` columns (the tightest one when none does).
pub fn fitted(facts: &[Fact], width: usize, base: Style) -> Line<'static> {
    let mut line = Line::default();
    for fit in Fit::steps() {
        line = fit.line(facts, base);
        if line.width() <= width {
            break;
        }
    }
    line
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let base = state.theme.status();
    let line = fitted(&facts(state), area.width as usize, base);
    frame.render_widget(Paragraph::new(line).style(base), area);
}

/// The latest notice, over the last row of `area` (the chat pane), so the
/// status facts are never pushed aside.
pub fn draw_notice(frame: &mut Frame, area: Rect, state: &State) {
    let Some(notice) = &state.notice else {
        return;
    };
    if area.height == 0 {
        return;
    }
    let theme = &state.theme;
    let style = if notice.error { theme.error() } else { theme.ok() };
    let text = crate::sanitize::one_line(&notice.text, crate::model::notice::NOTICE_MAX_CHARS);
    // As many rows as it takes: a notice too long for the pane was opened
    // as a popup instead (model::notice).
    let line = crate::model::wrap::StyledLine::plain(vec![Span::styled(format!(" {text}"), style)]);
    let rows = crate::model::wrap::wrap_styled(&line, area.width as usize);
    let height = (rows.len() as u16).min(area.height);
    let place = Rect::new(area.x, area.y + area.height - height, area.width, height);
    frame.render_widget(ratatui::widgets::Clear, place);
    frame.render_widget(Paragraph::new(rows).style(theme.base()), place);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::Streaming;
    use crate::model::state::tests_support::chat_state;
    use crate::time::Timestamp;

    fn shown(state: &State, width: usize) -> String {
        let line = fitted(&facts(state), width, Style::default());
        assert!(line.width() <= width, "{width} columns: {line}");
        line.to_string()
    }

    fn streaming() -> Streaming {
        Streaming {
            stream: 1,
            conversation: None,
            entry: 0,
            seq: None,
            checkpointed: 0,
            checkpointed_at: Timestamp::from_unix_ms(0),
        }
    }

    #[test]
    fn vault_incognito_streaming_and_an_insecure_channel_stay_at_every_width_down_to_40() {
        for (session_incognito, in_memory, insecure) in [
            (false, false, false),
            (false, true, true),
            (true, false, true),
            (false, true, false),
        ] {
            let mut state = chat_state();
            state.incognito = session_incognito;
            state.current_in_memory = in_memory;
            state.streaming = Some(streaming());
            if insecure {
                state.backend.choice.channel = Channel::Insecure;
                state.backend.choice.host = "a-long-host-name.example.internal:11434".into();
            }
            for width in 40..=220 {
                let bar = shown(&state, width);
                assert!(bar.contains("● streaming"), "{width}: {bar}");
                if session_incognito || in_memory {
                    assert!(bar.contains("incognito"), "{width}: {bar}");
                }
                if !session_incognito {
                    assert!(bar.contains("unlocked"), "{width}: {bar}");
                }
                if insecure {
                    assert!(bar.contains("INSECURE"), "{width}: {bar}");
                }
            }
        }
    }

    #[test]
    fn unacknowledged_findings_stay_in_the_bar_at_every_width_down_to_40() {
        let mut state = chat_state();
        assert!(!shown(&state, 120).contains("finding"));
        state.findings_waiting = 2;
        assert!(
            shown(&state, 120).contains("2 finding(s) of damage: sotto verify"),
            "{}",
            shown(&state, 120)
        );
        for width in (40..=120).step_by(8) {
            assert!(
                shown(&state, width).contains("2 finding(s)"),
                "{width}: {}",
                shown(&state, width)
            );
        }
    }

    #[test]
    fn a_wide_bar_shows_every_fact_in_full_with_labels() {
        let mut state = chat_state();
        state.current_in_memory = true;
        state.streaming = Some(streaming());
        let bar = shown(&state, 200);
        for fact in facts(&state) {
            assert!(bar.contains(&fact.long), "{bar}");
        }
        assert!(bar.contains("vault unlocked"), "{bar}");
    }

    #[test]
    fn at_120_columns_the_bar_gives_way_in_the_facts_that_may_go_first() {
        let mut state = chat_state();
        state.current_in_memory = true;
        state.streaming = Some(streaming());
        let bar = shown(&state, 120);
        assert!(bar.contains("incognito: memory only"), "{bar}");
        assert!(bar.contains("local @ built in"), "{bar}");
        assert!(bar.contains("redaction mask"), "{bar}");
    }
}
