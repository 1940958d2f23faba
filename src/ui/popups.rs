//! Popups over the chat: help (keys and the command table), confirmations,
//! search results, and pickers for backends and themes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use crate::model::commands::COMMANDS;
use crate::model::layout::centered;
use crate::model::state::{PickerKind, Popup, State};
use crate::model::wrap::{StyledLine, wrap_styled};

/// The keys, as `/help` lists them.
pub const KEYS: &[(&str, &str)] = &[
    ("Enter", "send (or run a /command)"),
    ("Alt-Enter, Ctrl-J", "new line"),
    ("Esc", "stop a streaming reply (what arrived is kept); close a popup"),
    ("Ctrl-C", "stop a reply; quit (asks again when a draft would be lost)"),
    (
        "Up / Down",
        "move in the draft; earlier messages at its first / last line",
    ),
    ("Ctrl-A / Ctrl-E, Home / End", "start / end of the line"),
    ("Alt-B / Alt-F, Ctrl-Left / Right", "word left / right"),
    (
        "Ctrl-W, Alt-D, Ctrl-U, Ctrl-K",
        "delete word before / after, to line start / end",
    ),
    ("Ctrl-O", "edit the draft in $EDITOR"),
    ("PgUp / PgDn, wheel", "scroll the conversation"),
    ("Shift-Up / Shift-Down", "scroll one row"),
    ("Ctrl-Home / Ctrl-End", "top / bottom of the conversation"),
    ("Alt-Up / Alt-Down", "previous / next conversation"),
    ("Tab", "complete a /command; otherwise switch to the sidebar"),
    ("Sidebar: Enter, n, r, d", "open, new, rename, delete"),
    ("Ctrl-B", "show / hide the sidebar"),
    ("Ctrl-N", "new conversation"),
    ("Ctrl-L", "redraw the screen"),
    ("//text", "send a message that starts with '/'"),
];

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let Some(popup) = &state.popup else {
        return;
    };
    let theme = &state.theme;
    let block = |title: String| {
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Span::styled(title, theme.accent()))
            .style(theme.base())
    };
    match popup {
        Popup::Help { scroll } => {
            let rect = centered(area, 100, area.height);
            let text_width = rect.width.saturating_sub(2) as usize;
            let key_width = if text_width >= 80 { 36 } else { 0 };
            let entry = |key: String, what: &str| {
                // Key and description side by side when there is room,
                // else the description on its own indented line.
                let mut line = StyledLine {
                    first: vec![Span::styled(format!("  {key:<key_width$}"), theme.accent())],
                    rest: vec![Span::raw(" ".repeat(if key_width > 0 { key_width + 2 } else { 4 }))],
                    spans: vec![Span::styled(what.to_owned(), theme.text())],
                    ..Default::default()
                };
                if key_width == 0 {
                    let mut rows = wrap_styled(&StyledLine::plain(line.first.clone()), text_width);
                    line.first = line.rest.clone();
                    rows.extend(wrap_styled(&line, text_width));
                    rows
                } else {
                    wrap_styled(&line, text_width)
                }
            };
            let mut lines = vec![Line::from(Span::styled("Keys", theme.heading()))];
            for (keys, what) in KEYS {
                lines.extend(entry((*keys).to_owned(), what));
            }
            lines.push(Line::default());
            lines.push(Line::from(Span::styled("Commands", theme.heading())));
            for command in COMMANDS {
                lines.extend(entry(format!("/{} {}", command.name, command.args), command.help));
            }
            lines.push(Line::default());
            lines.extend(wrap_styled(
                &StyledLine::plain(vec![Span::styled(
                    format!("Your vault: {}", state.vault_path),
                    theme.muted(),
                )]),
                text_width,
            ));
            frame.render_widget(Clear, rect);
            let visible = rect.height.saturating_sub(2) as usize;
            let scroll = (*scroll).min(lines.len().saturating_sub(visible));
            frame.render_widget(
                Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>())
                    .block(block(" Help (Esc closes, ↑↓ PgUp PgDn scroll) ".into())),
                rect,
            );
        }
        Popup::Report { title, lines, scroll } => {
            let rect = centered(area, 110, area.height);
            let visible = rect.height.saturating_sub(2) as usize;
            let start = (*scroll).min(lines.len().saturating_sub(visible));
            let mut shown: Vec<Line> = lines
                .iter()
                .skip(start)
                .take(visible)
                .map(|l| {
                    let text = crate::sanitize::one_line(l, crate::model::notice::NOTICE_MAX_CHARS);
                    Line::from(Span::styled(text, theme.text()))
                })
                .collect();
            if lines.is_empty() {
                shown.push(Line::from(Span::styled("Nothing recorded.", theme.muted())));
            }
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(shown)
                    .block(block(format!(" {title} (Esc closes, ↑↓ scroll) ")))
                    .wrap(Wrap { trim: false }),
                rect,
            );
        }
        Popup::Confirm {
            title, body, answer, ..
        } => {
            let mut lines = vec![Line::from(Span::styled(body.clone(), theme.text())), Line::default()];
            let rect = match answer {
                None => {
                    lines.push(Line::from(vec![
                        Span::styled("[y]", theme.accent()),
                        Span::styled(" yes    ", theme.text()),
                        Span::styled("[n]", theme.accent()),
                        Span::styled(" no", theme.text()),
                    ]));
                    centered(area, 64, 10)
                }
                Some(answer) => {
                    let words = answer.describe();
                    lines.push(Line::from(Span::styled(
                        format!("Type {words} and press Enter to confirm; Esc keeps everything."),
                        theme.muted(),
                    )));
                    lines.push(Line::from(vec![
                        Span::styled("> ", theme.accent()),
                        Span::styled(crate::sanitize::one_line(&answer.typed, 60), theme.text()),
                        Span::styled("▏", theme.accent()),
                    ]));
                    centered(area, 70, 12)
                }
            };
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines)
                    .block(block(format!(" {title} ")))
                    .wrap(Wrap { trim: true }),
                rect,
            );
        }
        Popup::Search { query, hits, selected } => {
            let rect = centered(area, 90, area.height.saturating_sub(4).max(5));
            frame.render_widget(Clear, rect);
            let outer = block(" Search all conversations (Enter searches / opens, Esc closes) ".into());
            let inner = outer.inner(rect);
            frame.render_widget(outer, rect);
            if inner.height == 0 {
                return;
            }
            let query_line = Line::from(vec![
                Span::styled("Find: ", theme.muted()),
                Span::styled(query.clone(), theme.bold()),
                Span::styled("▏", theme.accent()),
            ]);
            frame.render_widget(Paragraph::new(query_line), Rect::new(inner.x, inner.y, inner.width, 1));
            let list_area = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
            match hits {
                None => frame.render_widget(
                    Paragraph::new(Span::styled("Press Enter to search.", theme.muted())),
                    list_area,
                ),
                Some(hits) if hits.is_empty() => {
                    frame.render_widget(Paragraph::new(Span::styled("Nothing found.", theme.muted())), list_area)
                }
                Some(hits) => {
                    let items: Vec<ListItem> = hits
                        .iter()
                        .map(|h| {
                            ListItem::new(vec![
                                Line::from(Span::styled(crate::sanitize::one_line(&h.title, 80), theme.accent())),
                                Line::from(Span::styled(format!("  {}", h.snippet), theme.text())),
                            ])
                        })
                        .collect();
                    let mut list_state = ListState::default().with_selected(Some(*selected));
                    frame.render_stateful_widget(
                        List::new(items).highlight_style(theme.selection()),
                        list_area,
                        &mut list_state,
                    );
                }
            }
        }
        Popup::Redaction {
            items,
            selected,
            blocked,
            ..
        } => {
            let mut lines = vec![
                Line::from(Span::styled(
                    "This message holds personal data. It is not sent until you choose:",
                    theme.text(),
                )),
                Line::default(),
            ];
            for (i, item) in items.iter().enumerate() {
                let marker = if i == *selected { "› " } else { "  " };
                let what = if item.send_anyway {
                    "sent as written"
                } else {
                    "withheld (placeholder)"
                };
                lines.push(Line::from(vec![
                    Span::styled(marker, theme.accent()),
                    Span::styled(format!("{:<16}", item.kind.name()), theme.bold()),
                    Span::styled(format!("{:<24}", item.preview), theme.text()),
                    Span::styled(what, if item.send_anyway { theme.warning() } else { theme.ok() }),
                ]));
            }
            lines.push(Line::default());
            let mut keys = vec![
                Span::styled("[m]", theme.accent()),
                Span::styled(" send with placeholders   ", theme.text()),
            ];
            if !*blocked {
                keys.push(Span::styled("[space]", theme.accent()));
                keys.push(Span::styled(" send this item as written   ", theme.text()));
            }
            keys.push(Span::styled("[e]/Esc", theme.accent()));
            keys.push(Span::styled(" edit", theme.text()));
            lines.push(Line::from(keys));
            let title = if *blocked {
                " Personal data (redaction: block) "
            } else {
                " Personal data (redaction: warn) "
            };
            let rect = centered(area, 80, items.len() as u16 + 7);
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines)
                    .block(block(title.into()))
                    .wrap(Wrap { trim: false }),
                rect,
            );
        }
        Popup::Picker { kind, items, selected } => {
            let title = match kind {
                PickerKind::Backend => " Backend ",
                PickerKind::Theme => " Theme ",
            };
            let rows: Vec<ListItem> = items
                .iter()
                .map(|name| {
                    let detail = match kind {
                        PickerKind::Backend => state
                            .backends
                            .iter()
                            .find(|b| b.name == *name)
                            .map(|b| format!("  {}", b.destination()))
                            .unwrap_or_default(),
                        PickerKind::Theme => String::new(),
                    };
                    ListItem::new(Line::from(vec![
                        Span::styled(name.clone(), theme.bold()),
                        Span::styled(detail, theme.muted()),
                    ]))
                })
                .collect();
            let rect = centered(area, 72, items.len() as u16 + 2);
            frame.render_widget(Clear, rect);
            let mut list_state = ListState::default().with_selected(Some(*selected));
            frame.render_stateful_widget(
                List::new(rows)
                    .block(block(title.into()))
                    .highlight_style(theme.selection()),
                rect,
                &mut list_state,
            );
        }
    }
}
