//! The screens before the chat: the first-run welcome with its passphrase
//! form and strength meter, the backend choice, the unlock screen, and the
//! wait while scrypt runs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::model::layout::centered;
use crate::model::state::{SecretField, State, UnlockForm, WelcomeForm};
use crate::theme::Theme;

fn field<'a>(label: &'a str, value: &SecretField, focused: bool, theme: &Theme) -> Line<'a> {
    let dots = "•".repeat(value.chars().min(40));
    let cursor = if focused { "▏" } else { "" };
    Line::from(vec![
        Span::styled(
            format!("{label:<12}"),
            if focused { theme.accent() } else { theme.muted() },
        ),
        Span::styled(dots, theme.bold()),
        Span::styled(cursor, theme.accent()),
    ])
}

fn meter(form: &WelcomeForm, theme: &Theme) -> Vec<Line<'static>> {
    let Some(strength) = &form.strength else {
        return vec![Line::from(Span::styled(
            "Strength      (type a passphrase)",
            theme.muted(),
        ))];
    };
    let filled = usize::from(strength.score) * 5 + 5;
    let (word, style) = match strength.score {
        0 | 1 => ("very weak", theme.error()),
        2 => ("weak", theme.error()),
        3 => ("almost", theme.warning()),
        _ => ("strong", theme.ok()),
    };
    vec![
        Line::from(vec![
            Span::styled("Strength    ", theme.muted()),
            Span::styled("█".repeat(filled), style),
            Span::styled("░".repeat(25 - filled), theme.muted()),
            Span::styled(format!(" {word}"), style),
        ]),
        Line::from(Span::styled(strength.advice(), theme.muted())),
    ]
}

pub fn welcome(frame: &mut Frame, area: Rect, state: &State, form: &WelcomeForm) {
    let theme = &state.theme;
    let text = |t: String| Line::from(Span::styled(t, theme.text()));
    let explanation = vec![
        Line::from(Span::styled("Welcome to sotto", theme.heading())),
        Line::default(),
        text(format!(
            "sotto keeps your conversations on this machine only, in an encrypted vault at {}.",
            state.vault_path
        )),
        text(
            "• Stored: your messages, the replies, conversation titles, your settings, and a log of privacy \
             events (never their content)."
                .into(),
        ),
        text(
            "• Protected: every record is encrypted before it is written; the keys are locked by the \
             passphrase you choose now. Without it the files are unreadable, to anyone, us included: \
             nobody can reset it for you."
                .into(),
        ),
        text(
            "• Sent: nothing, with the built-in bot. A backend on another machine gets a conversation only \
             after you agree. You can see, export and wipe everything later."
                .into(),
        ),
    ];
    let mut form_lines = vec![
        Line::from(Span::styled(
            "Choose a passphrase. Four or five random words are strong and easy to type.",
            theme.bold(),
        )),
        field("Passphrase", &form.passphrase, form.focus == 0, theme),
    ];
    form_lines.extend(meter(form, theme));
    form_lines.push(field("Again", &form.confirm, form.focus == 1, theme));
    if let Some(error) = &form.error {
        form_lines.push(Line::from(Span::styled(error.clone(), theme.error())));
    }
    form_lines.push(Line::from(Span::styled(
        "Enter: next / create the vault · Tab: switch field · Esc: leave, creating nothing",
        theme.muted(),
    )));
    let rect = centered(area, 90, area.height);
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(true));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    // The form always gets the room it needs; the explanation takes the rest.
    let width = inner.width.max(1) as usize;
    let form_height: usize = form_lines
        .iter()
        .map(|l| crate::model::wrap::wrap_styled(&crate::model::wrap::StyledLine::plain(l.spans.clone()), width).len())
        .sum();
    let form_height = (form_height as u16).min(inner.height);
    let top = Rect::new(inner.x, inner.y, inner.width, inner.height - form_height);
    let bottom = Rect::new(inner.x, inner.y + top.height, inner.width, form_height);
    frame.render_widget(Paragraph::new(explanation).wrap(Wrap { trim: false }), top);
    frame.render_widget(Paragraph::new(form_lines).wrap(Wrap { trim: false }), bottom);
}

pub fn unlock(frame: &mut Frame, area: Rect, state: &State, form: &UnlockForm) {
    let theme = &state.theme;
    let prompt = if form.repair {
        format!("The database of your vault at {} is damaged", state.vault_path)
    } else if form.prompt.is_empty() {
        format!("Unlock your vault at {}", state.vault_path)
    } else {
        form.prompt.clone()
    };
    let mut lines = vec![
        Line::from(Span::styled("sotto", theme.heading())),
        Line::default(),
        Line::from(Span::styled(prompt, theme.text())),
        Line::default(),
        field("Passphrase", &form.passphrase, true, theme),
        Line::default(),
    ];
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(error.clone(), theme.error())));
    }
    let keys = if form.repair {
        "Enter: repair (as 'sotto repair' does)    Esc: leave"
    } else {
        "Enter: unlock    Esc: leave"
    };
    lines.push(Line::from(Span::styled(keys, theme.muted())));
    let rect = centered(area, 80, if form.repair { 16 } else { 12 });
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).border_style(theme.border(true))),
        rect,
    );
}

pub fn choose_backend(frame: &mut Frame, area: Rect, state: &State, selected: usize) {
    let theme = &state.theme;
    let mut lines = vec![
        Line::from(Span::styled("Your vault is ready. Who should answer?", theme.heading())),
        Line::default(),
    ];
    for (i, backend) in state.backends.iter().enumerate() {
        let style = if i == selected { theme.selection() } else { theme.text() };
        let marker = if i == selected { "› " } else { "  " };
        lines.push(Line::from(vec![
            Span::styled(format!("{marker}{}", backend.name), style),
            Span::styled(format!("  {}", backend.destination()), theme.muted()),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Backends come from your config file; /backend switches later. Enter: choose",
        theme.muted(),
    )));
    let rect = centered(area, 90, state.backends.len() as u16 + 7);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).border_style(theme.border(true))),
        rect,
    );
}

pub fn working(frame: &mut Frame, area: Rect, state: &State, text: &str) {
    let rect = centered(area, 70, 3);
    frame.render_widget(
        Paragraph::new(Span::styled(text.to_owned(), state.theme.text())).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(state.theme.border(false)),
        ),
        rect,
    );
}
