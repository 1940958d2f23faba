//! The status bar: the privacy facts that must always be visible (vault
//! state, backend and where it sends text, channel, redaction, retention,
//! incognito, streaming), and the latest notice.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::state::State;
use crate::backend::Channel;

/// The status facts as (label, value) pairs, most important first.
pub fn facts(state: &State) -> Vec<(&'static str, String)> {
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
                "not opened".to_owned()
            } else {
                "unlocked".to_owned()
            },
        ),
        (
            "backend",
            format!("{} @ {}", backend.name, crate::sanitize::one_line(&backend.host, 40)),
        ),
        ("channel", channel.to_owned()),
        // Redaction and retention arrive with their own features; until then
        // nothing is masked and nothing expires, and the bar says so.
        ("redaction", "off".to_owned()),
        ("retention", "keep".to_owned()),
    ];
    if state.incognito {
        facts.push(("incognito", "on".to_owned()));
    }
    if state.is_streaming() {
        facts.push(("reply", "streaming".to_owned()));
    }
    facts
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let base = theme.status();
    let mut spans = Vec::new();
    let wide = area.width >= 100;
    for (label, value) in facts(state) {
        if !spans.is_empty() {
            spans.push(Span::styled(" │ ", base));
        }
        let warn = value.starts_with("INSECURE") || label == "incognito" || label == "reply";
        let value_style = if warn { base.add_modifier(Modifier::BOLD) } else { base };
        if wide || label == "backend" {
            spans.push(Span::styled(format!("{label} "), base.add_modifier(Modifier::DIM)));
        }
        spans.push(Span::styled(value, value_style));
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
    let row = Rect::new(area.x, area.y + area.height - 1, area.width, 1);
    let text = crate::sanitize::one_line(&notice.text, 600);
    frame.render_widget(ratatui::widgets::Clear, row);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(format!(" {text}"), style))).style(theme.base()),
        row,
    );
}
