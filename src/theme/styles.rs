//! The styles each part of the screen draws with, from a theme's palette.
//! Under `NO_COLOR` the colours are all `reset`, and the styles that must
//! still stand out (muted text, focus, the status bar, selection) get a
//! modifier instead.

use ratatui::style::{Color, Modifier, Style};

use super::Theme;

impl Theme {
    fn fg(&self, color: Color) -> Style {
        Style::default().fg(color)
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.colors.text).bg(self.colors.background)
    }
    pub fn text(&self) -> Style {
        self.fg(self.colors.text)
    }
    pub fn muted(&self) -> Style {
        let style = self.fg(self.colors.muted);
        if self.monochrome {
            style.add_modifier(Modifier::DIM)
        } else {
            style
        }
    }
    pub fn accent(&self) -> Style {
        self.fg(self.colors.accent).add_modifier(Modifier::BOLD)
    }
    pub fn user_label(&self) -> Style {
        self.fg(self.colors.user).add_modifier(Modifier::BOLD)
    }
    pub fn bot_label(&self) -> Style {
        self.fg(self.colors.bot).add_modifier(Modifier::BOLD)
    }
    pub fn system_label(&self) -> Style {
        self.fg(self.colors.system).add_modifier(Modifier::BOLD)
    }
    pub fn heading(&self) -> Style {
        self.fg(self.colors.heading).add_modifier(Modifier::BOLD)
    }
    pub fn bold(&self) -> Style {
        self.fg(self.colors.emphasis).add_modifier(Modifier::BOLD)
    }
    pub fn italic(&self) -> Style {
        self.fg(self.colors.emphasis).add_modifier(Modifier::ITALIC)
    }
    pub fn strike(&self) -> Style {
        self.fg(self.colors.muted).add_modifier(Modifier::CROSSED_OUT)
    }
    pub fn code(&self) -> Style {
        self.fg(self.colors.code).bg(self.colors.code_background)
    }
    pub fn code_keyword(&self) -> Style {
        let style = self.fg(self.colors.code_keyword);
        if self.monochrome {
            style.add_modifier(Modifier::BOLD)
        } else {
            style
        }
    }
    pub fn code_string(&self) -> Style {
        self.fg(self.colors.code_string)
    }
    pub fn code_comment(&self) -> Style {
        self.fg(self.colors.code_comment).add_modifier(Modifier::ITALIC)
    }
    pub fn code_number(&self) -> Style {
        self.fg(self.colors.code_number)
    }
    pub fn link(&self) -> Style {
        self.fg(self.colors.link).add_modifier(Modifier::UNDERLINED)
    }
    pub fn quote(&self) -> Style {
        self.fg(self.colors.quote).add_modifier(Modifier::ITALIC)
    }
    pub fn warning(&self) -> Style {
        self.fg(self.colors.warning).add_modifier(Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        self.fg(self.colors.error).add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.fg(self.colors.ok)
    }
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            let style = self.fg(self.colors.border_focus);
            if self.monochrome {
                style.add_modifier(Modifier::BOLD)
            } else {
                style
            }
        } else {
            self.fg(self.colors.border)
        }
    }
    pub fn status(&self) -> Style {
        let style = Style::default()
            .fg(self.colors.status)
            .bg(self.colors.status_background);
        if self.monochrome {
            style.add_modifier(Modifier::REVERSED)
        } else {
            style
        }
    }
    pub fn selection(&self) -> Style {
        let style = Style::default()
            .fg(self.colors.selection)
            .bg(self.colors.selection_background);
        if self.monochrome {
            style.add_modifier(Modifier::REVERSED)
        } else {
            style
        }
    }
}
