//! Themes: the colour files in `themes/` (embedded in the binary) and the
//! user's own files in the config dir, which override single fields of a
//! built-in theme of the same name or of their `base`. A broken file is
//! reported (file, line, what is wrong) and the default theme is used
//! instead. `NO_COLOR` turns every colour off and keeps only bold, italic,
//! underline and reverse video.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::Color;
use serde::Deserialize;

mod styles;
mod syntax;
use syntax::SyntaxMap;
pub use syntax::SyntaxRule;

/// The theme used when none is chosen or the chosen one is broken.
pub const DEFAULT_THEME: &str = "dark";

const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

/// Every colour a theme sets. The names are the keys of a theme file's `[colors]`.
macro_rules! palette {
    ($($field:ident),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct Palette { $(pub $field: Color,)* }

        const FIELDS: &[&str] = &[$(stringify!($field),)*];

        impl Palette {
            fn set(&mut self, field: &str, color: Color) -> bool {
                match field {
                    $(stringify!($field) => { self.$field = color; true })*
                    _ => false,
                }
            }

            fn all_reset() -> Self {
                Palette { $($field: Color::Reset,)* }
            }

            /// The colour of the field named `field`.
            fn get(&self, field: &str) -> Option<Color> {
                match field {
                    $(stringify!($field) => Some(self.$field),)*
                    _ => None,
                }
            }

            fn field(name: &str) -> Option<&'static str> {
                FIELDS.iter().copied().find(|f| *f == name)
            }
        }
    };
}

palette!(
    background,
    text,
    muted,
    accent,
    user,
    bot,
    system,
    heading,
    emphasis,
    code,
    code_background,
    code_keyword,
    code_string,
    code_comment,
    code_number,
    link,
    quote,
    warning,
    error,
    ok,
    border,
    border_focus,
    status,
    status_background,
    selection,
    selection_background,
);

/// A theme ready to draw with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub colors: Palette,
    /// Code token styles, from the `[syntax]` table.
    pub syntax: Vec<SyntaxRule>,
    /// `NO_COLOR`: colours are off; emphasis comes from modifiers alone.
    pub monochrome: bool,
}

/// What is wrong with a theme file, with where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("theme file '{file}', line {line}: {message}")]
pub struct ThemeError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    /// For people reading the file; the file name is what names a theme.
    #[cfg_attr(not(test), allow(dead_code))]
    name: Option<String>,
    base: Option<String>,
    #[serde(default)]
    colors: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
    #[serde(default)]
    syntax: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
}

/// What theme files set, laid over one another before it is resolved.
#[derive(Clone, Debug)]
struct Layers {
    palette: Palette,
    syntax: SyntaxMap,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Applies the `[colors]` of a theme file over `palette`.
/// Lays the theme file `text` over the default palette (for the fuzz tests:
/// any text gives a theme or an error, never a panic).
#[cfg(test)]
pub(crate) fn apply_text(file: &str, text: &str) -> Result<(), ThemeError> {
    let mut layers = built_in_layers(DEFAULT_THEME).expect("invariant: the default theme is built in");
    apply(file, text, &mut layers).map(|_| ())
}

fn apply(file: &str, text: &str, layers: &mut Layers) -> Result<ThemeFile, ThemeError> {
    let error = |offset: usize, message: String| ThemeError {
        file: file.to_owned(),
        line: line_of(text, offset),
        message,
    };
    let parsed: ThemeFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        error(offset, e.message().trim().to_owned())
    })?;
    for (key, value) in &parsed.colors {
        let color = Color::from_str(value.get_ref().trim()).map_err(|_| {
            error(
                value.span().start,
                format!(
                    "'{}' is not a colour for '{}': use \"#rrggbb\", a name such as \"lightblue\", \
                     \"reset\", or a number 0-255",
                    value.get_ref(),
                    key.get_ref()
                ),
            )
        })?;
        if !layers.palette.set(key.get_ref(), color) {
            return Err(error(
                key.span().start,
                format!(
                    "unknown colour '{}'; the fields are: {}",
                    key.get_ref(),
                    FIELDS.join(", ")
                ),
            ));
        }
    }
    for (selector, spec) in &parsed.syntax {
        syntax::check(selector.get_ref(), spec.get_ref()).map_err(|message| error(selector.span().start, message))?;
        layers
            .syntax
            .set(selector.get_ref().trim().to_owned(), spec.get_ref().clone());
    }
    Ok(parsed)
}

fn built_in_layers(name: &str) -> Option<Layers> {
    let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
    let mut layers = Layers {
        palette: Palette::all_reset(),
        syntax: SyntaxMap::new(),
    };
    // The built-in files are tested to parse; a failure here is a build defect.
    apply(&format!("themes/{name}.toml"), text, &mut layers).ok()?;
    Some(layers)
}

/// The themes available: the built-in ones and the user's, by name.
#[derive(Clone, Debug, Default)]
pub struct ThemeCatalog {
    /// The user's theme directory (config dir `themes/`), if any.
    pub user_dir: Option<PathBuf>,
}

impl ThemeCatalog {
    pub fn new(user_dir: Option<PathBuf>) -> Self {
        ThemeCatalog { user_dir }
    }

    /// Every theme name, built-in first, then the user's own, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILT_IN.iter().map(|(n, _)| (*n).to_owned()).collect();
        let mut own = Vec::new();
        if let Some(dir) = &self.user_dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml")
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                    && !names.iter().any(|n| n == stem)
                {
                    own.push(stem.to_owned());
                }
            }
        }
        own.sort();
        names.extend(own);
        names
    }

    /// Loads theme `name`: the built-in one, with the user's file of the same
    /// name laid over it; or the user's own theme over its `base`.
    pub fn load(&self, name: &str, no_color: bool) -> Result<Theme, ThemeError> {
        let user_file = self.user_file(name);
        let mut layers = built_in_layers(name);
        if let Some(path) = user_file {
            let shown = path.display().to_string();
            let text = read_theme_file(&path, &shown)?;
            let mut over = match layers {
                Some(p) => p,
                None => {
                    // A new theme: start from its base (peek at it first).
                    let peek: ThemeFile = toml::from_str(&text).map_err(|e| ThemeError {
                        file: shown.clone(),
                        line: line_of(&text, e.span().map_or(0, |s| s.start)),
                        message: e.message().trim().to_owned(),
                    })?;
                    let base = peek.base.as_deref().unwrap_or(DEFAULT_THEME);
                    built_in_layers(base).ok_or_else(|| ThemeError {
                        file: shown.clone(),
                        line: 1,
                        message: format!(
                            "unknown base theme '{base}'; the built-in themes are: {}",
                            BUILT_IN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                        ),
                    })?
                }
            };
            apply(&shown, &text, &mut over)?;
            layers = Some(over);
        }
        let layers = layers.ok_or_else(|| ThemeError {
            file: name.to_owned(),
            line: 0,
            message: format!(
                "there is no theme '{name}'; the themes are: {}",
                self.names().join(", ")
            ),
        })?;
        Ok(Theme::from_layers(name, &layers, no_color))
    }

    fn user_file(&self, name: &str) -> Option<PathBuf> {
        // Names are file stems: nothing that could walk out of the directory.
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return None;
        }
        let path = self.user_dir.as_ref()?.join(format!("{name}.toml"));
        path.is_file().then_some(path)
    }
}

fn read_theme_file(path: &Path, shown: &str) -> Result<String, ThemeError> {
    const MAX_THEME_BYTES: u64 = 64 * 1024;
    let error = |message: String| ThemeError {
        file: shown.to_owned(),
        line: 0,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    if meta.len() > MAX_THEME_BYTES {
        return Err(error("it is larger than 64 KiB; a theme is a few dozen lines".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    String::from_utf8(bytes).map_err(|_| error("it is not UTF-8 text".into()))
}

impl Theme {
    fn from_layers(name: &str, layers: &Layers, no_color: bool) -> Theme {
        Theme {
            name: name.to_owned(),
            colors: if no_color { Palette::all_reset() } else { layers.palette },
            syntax: syntax::resolve(&layers.syntax, &layers.palette, no_color),
            monochrome: no_color,
        }
    }

    /// The built-in default, which always loads.
    pub fn fallback(no_color: bool) -> Theme {
        let layers = built_in_layers(DEFAULT_THEME).unwrap_or_else(|| Layers {
            palette: Palette::all_reset(),
            syntax: SyntaxMap::new(),
        });
        Theme::from_layers(DEFAULT_THEME, &layers, no_color)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Modifier, Style};

    fn catalog_with(files: &[(&str, &str)]) -> (tempfile::TempDir, ThemeCatalog) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write theme");
        }
        let catalog = ThemeCatalog::new(Some(dir.path().to_path_buf()));
        (dir, catalog)
    }

    #[test]
    fn every_built_in_theme_sets_every_colour() {
        for (name, text) in BUILT_IN {
            let mut layers = Layers {
                palette: Palette::all_reset(),
                syntax: SyntaxMap::new(),
            };
            let parsed = apply(name, text, &mut layers).expect("built-in theme parses");
            for scope in [
                "comment",
                "string",
                "constant.numeric",
                "keyword",
                "entity.name.function",
            ] {
                assert!(
                    layers
                        .syntax
                        .selectors()
                        .any(|k| k.split(',').any(|s| s.trim() == scope)),
                    "{name} does not map '{scope}'"
                );
            }
            assert_eq!(parsed.name.as_deref(), Some(*name));
            let keys: Vec<&str> = parsed.colors.keys().map(|k| k.get_ref().as_str()).collect();
            for field in FIELDS {
                assert!(keys.contains(field), "{name} lacks '{field}'");
            }
        }
    }

    #[test]
    fn a_user_file_overrides_single_fields_of_a_built_in_theme() {
        let (_dir, catalog) = catalog_with(&[("dark.toml", "[colors]\naccent = \"#ff0000\"\n")]);
        let theme = catalog.load("dark", false).expect("loads");
        assert_eq!(theme.colors.accent, Color::Rgb(255, 0, 0));
        assert_eq!(theme.colors.text, Theme::fallback(false).colors.text);
    }

    #[test]
    fn a_new_user_theme_starts_from_its_base() {
        let (_dir, catalog) = catalog_with(&[("mine.toml", "base = \"light\"\n[colors]\nuser = \"magenta\"\n")]);
        assert!(catalog.names().contains(&"mine".to_owned()));
        let theme = catalog.load("mine", false).expect("loads");
        assert_eq!(theme.colors.user, Color::Magenta);
        assert_eq!(
            theme.colors.text,
            catalog.load("light", false).expect("light").colors.text
        );
    }

    #[test]
    fn a_broken_theme_names_the_file_the_line_and_the_problem() {
        let (_dir, catalog) = catalog_with(&[
            ("bad.toml", "name = \"bad\"\n[colors]\ntext = \"#zzzzzz\"\n"),
            ("typo.toml", "[colors]\n\naccnet = \"red\"\n"),
            ("syntax.toml", "[colors\ntext = 1\n"),
        ]);
        let e = catalog.load("bad", false).expect_err("bad colour");
        assert!(e.file.ends_with("bad.toml"));
        assert_eq!(e.line, 3);
        assert!(e.message.contains("'#zzzzzz' is not a colour"), "{}", e.message);
        let e = catalog.load("typo", false).expect_err("unknown field");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("unknown colour 'accnet'"), "{}", e.message);
        let e = catalog.load("syntax", false).expect_err("syntax");
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn a_user_file_maps_scopes_of_its_own_and_recolours_through_colour_fields() {
        let (_dir, catalog) = catalog_with(&[
            (
                "dark.toml",
                "[colors]\ncode_keyword = \"#010203\"\n[syntax]\n\"variable.parameter\" = \"red underline\"\n",
            ),
            ("bad.toml", "base = \"dark\"\n[syntax]\n\"keyword\" = \"blod\"\n"),
        ]);
        let theme = catalog.load("dark", false).expect("loads");
        let rule = |selector: &str| theme.syntax.iter().find(|r| r.selector == selector).map(|r| r.style);
        assert_eq!(
            rule("variable.parameter"),
            Some(Style::default().fg(Color::Red).add_modifier(Modifier::UNDERLINED))
        );
        let keyword = theme
            .syntax
            .iter()
            .find(|r| r.selector.contains("keyword"))
            .expect("keyword rule");
        assert_eq!(
            keyword.style.fg,
            Some(Color::Rgb(1, 2, 3)),
            "keywords follow code_keyword"
        );
        // An equal match: the user's rule comes first, so it wins.
        let first = theme.syntax.iter().position(|r| r.selector == "variable.parameter");
        let built_in = theme
            .syntax
            .iter()
            .position(|r| r.selector.starts_with("variable.parameter,"));
        assert!(first < built_in, "{:?}", theme.syntax);
        let e = catalog.load("bad", false).expect_err("a bad style");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("'blod'"), "{}", e.message);
    }

    #[test]
    fn an_unknown_theme_lists_the_ones_there_are() {
        let e = ThemeCatalog::default().load("neon", false).expect_err("unknown");
        assert!(e.message.contains("dark, light, high-contrast"), "{}", e.message);
    }

    #[test]
    fn no_color_leaves_only_modifiers() {
        let theme = ThemeCatalog::default().load("dark", true).expect("loads");
        assert!(theme.monochrome);
        assert_eq!(theme.colors, Palette::all_reset());
        assert!(theme.status().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn theme_names_cannot_leave_the_theme_directory() {
        let (_dir, catalog) = catalog_with(&[]);
        assert!(catalog.user_file("../etc/passwd").is_none());
        assert!(catalog.load("../dark", false).is_err());
    }
}
