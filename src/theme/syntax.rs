//! The `[syntax]` table of a theme file: which style each kind of code token
//! gets. Keys are TextMate scope selectors, the language of syntax
//! definitions (`"keyword"`, `"entity.name.function, support.function"`,
//! `"string - string.regexp"`); values are a colour (as in `[colors]`, or the
//! name of a `[colors]` field, so a user who sets `code_keyword` recolours
//! keywords) and any of `bold`, `italic`, `underline`, `dim`.
//!
//! A theme maps only the scopes it cares about: a token no rule matches gets
//! the code block's own colour. Under `NO_COLOR` the colours go and the
//! modifiers stay, so keywords still stand out in bold.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use super::Palette;

/// One resolved rule: a scope selector and the style of what it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxRule {
    pub selector: String,
    pub style: Style,
}

/// The `[syntax]` entries as written, laid over one another (built-in theme,
/// then the user's file) in the order they were laid: an entry for a
/// selector already there replaces it and moves to the end. Resolved
/// against the palette once loading is done.
#[derive(Clone, Debug, Default)]
pub(super) struct SyntaxMap(Vec<(String, String)>);

impl SyntaxMap {
    pub fn new() -> Self {
        SyntaxMap(Vec::new())
    }

    pub fn set(&mut self, selector: String, spec: String) {
        self.0.retain(|(s, _)| *s != selector);
        self.0.push((selector, spec));
    }

    #[cfg(test)]
    pub fn selectors(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(s, _)| s)
    }
}

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("italic", Modifier::ITALIC),
    ("underline", Modifier::UNDERLINED),
    ("dim", Modifier::DIM),
];

/// Checks one entry; the error says what is wrong and what would do.
pub(super) fn check(selector: &str, spec: &str) -> Result<(), String> {
    if selector.trim().is_empty() || syntect::highlighting::ScopeSelectors::from_str(selector).is_err() {
        return Err(format!(
            "'{selector}' is not a scope selector: use scopes such as \"keyword\" or \
             \"entity.name.function, support.function\""
        ));
    }
    let mut colours = 0;
    for word in spec.split_whitespace() {
        if MODIFIERS.iter().any(|(name, _)| *name == word) {
            continue;
        }
        if Palette::field(word).is_none() && Color::from_str(word).is_err() {
            return Err(format!(
                "'{word}' in the style of '{selector}' is neither a colour nor one of \
                 bold, italic, underline, dim: use \"#rrggbb\", a name such as \"lightblue\", \
                 a [colors] field such as \"code_keyword\", or a number 0-255"
            ));
        }
        colours += 1;
    }
    if colours > 1 {
        return Err(format!("the style of '{selector}' names {colours} colours; give one"));
    }
    Ok(())
}

/// The rules of `map`, with palette names replaced by the palette's colours,
/// the last laid first: where two selectors match a token equally well, the
/// highlighter takes the first, so the user's file wins over the theme it
/// overrides.
pub(super) fn resolve(map: &SyntaxMap, palette: &Palette, monochrome: bool) -> Vec<SyntaxRule> {
    map.0
        .iter()
        .rev()
        .map(|(selector, spec)| {
            let mut style = Style::default();
            for word in spec.split_whitespace() {
                if let Some((_, modifier)) = MODIFIERS.iter().find(|(name, _)| *name == word) {
                    style = style.add_modifier(*modifier);
                } else if !monochrome {
                    let colour = palette.get(word).or_else(|| Color::from_str(word).ok());
                    if let Some(colour) = colour {
                        style = style.fg(colour);
                    }
                }
            }
            SyntaxRule {
                selector: selector.clone(),
                style,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_a_selector_and_one_colour_with_modifiers() {
        assert_eq!(check("keyword, storage", "#b48ead bold"), Ok(()));
        assert_eq!(check("comment", "code_comment italic"), Ok(()));
        assert_eq!(check("string", "italic"), Ok(()));
        let e = check("keyword", "#b48ead red").expect_err("two colours");
        assert!(e.contains("names 2 colours"), "{e}");
        let e = check("keyword", "blod").expect_err("typo");
        assert!(e.contains("'blod'"), "{e}");
        let e = check(" ", "red").expect_err("empty selector");
        assert!(e.contains("not a scope selector"), "{e}");
    }

    #[test]
    fn palette_names_resolve_and_no_color_keeps_only_modifiers() {
        let mut palette = Palette::all_reset();
        palette.code_keyword = Color::Rgb(1, 2, 3);
        let mut map = SyntaxMap::new();
        map.set("keyword".to_owned(), "code_keyword bold".to_owned());
        let rules = resolve(&map, &palette, false);
        assert_eq!(
            rules[0].style,
            Style::default().fg(Color::Rgb(1, 2, 3)).add_modifier(Modifier::BOLD)
        );
        let rules = resolve(&map, &palette, true);
        assert_eq!(rules[0].style, Style::default().add_modifier(Modifier::BOLD));
    }
}
