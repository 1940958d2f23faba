//! The status bar: the privacy facts that must always be visible (vault
//! state, backend and where it sends text, channel, redaction, retention,
//! incognito, streaming), and the latest notice.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::state::State;
use crate::model::{Channel, RedactionMode};

/// The status facts, most important first: (label for wide terminals,
/// value, whether it deserves attention).
pub fn facts(state: &State) -> Vec<(&'static str, String, bool)> {
    let backend = &state.backend.choice;
    let channel = match backend.channel {
        Channel::InProcess => "in-process",
        Channel::Loopback => "loopback",
        Channel::Tls => "TLS",
        Channel::Insecure => "INSECURE http",
    };
    let mut facts = vec![
        (
            "vault",
            if state.incognito {
                "not opened (incognito)".to_owned()
            } else {
                "unlocked".to_owned()
            },
            state.incognito,
        ),
        (
            "backend",
            format!("{} @ {}", backend.name, crate::sanitize::one_line(&backend.host, 40)),
            false,
        ),
        ("channel", channel.to_owned(), backend.channel == Channel::Insecure),
        (
            "redaction",
            format!("redaction {}", state.redaction),
            state.redaction == RedactionMode::Off,
        ),
        // Retention arrives with its own feature; until then nothing
        // expires, and the bar says so.
        ("retention", state.current_retention().describe(), false),
    ];
    if state.current_in_memory {
        facts.push(("conversation", "incognito: memory only".to_owned(), true));
    }
    if state.is_streaming() {
        facts.push(("reply", "● streaming".to_owned(), true));
    }
    facts
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let base = state.theme.status();
    let wide = area.width >= 110;
    let mut spans = Vec::new();
    for (label, value, attention) in facts(state) {
        if !spans.is_empty() {
            spans.push(Span::styled(" │ ", base));
        }
        let style = if attention {
            base.add_modifier(Modifier::BOLD)
        } else {
            base
        };
        if wide && !value.starts_with(label) {
            spans.push(Span::styled(format!("{label} "), base.add_modifier(Modifier::DIM)));
        }
        spans.push(Span::styled(value, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
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
    let text = crate::sanitize::one_line(&notice.text, 600);
    // Up to three rows, so an error's advice is not cut off.
    let line = crate::model::wrap::StyledLine::plain(vec![Span::styled(format!(" {text}"), style)]);
    let rows = crate::model::wrap::wrap_styled(&line, area.width as usize);
    let height = (rows.len() as u16).min(3).min(area.height);
    let place = Rect::new(area.x, area.y + area.height - height, area.width, height);
    frame.render_widget(ratatui::widgets::Clear, place);
    frame.render_widget(Paragraph::new(rows).style(theme.base()), place);
}
