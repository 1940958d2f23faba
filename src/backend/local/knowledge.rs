//! Knowledge bases: Markdown files cut into sections at their headings. The
//! built-in base ships inside the binary; users add directories of their own
//! (`--knowledge DIR`, or `knowledge = [...]` in the config), read when the
//! bot starts and bounded in size.
//!
//! Under a heading, a comment line `<!-- asked as: one way | another way -->`
//! lists how people ask for that section in their own words. Ranking weighs
//! those phrasings above the body; they are not part of the answer text.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One section: the text under a heading, up to the next heading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// `file-stem#heading-slug`, unique within a base.
    pub id: String,
    /// Where it came from, as shown to the user ("sotto: storage.md", "runbooks/vpn.md").
    pub source: String,
    /// The headings above it, outermost first.
    pub headings: Vec<String>,
    /// How people ask for this section, from its `asked as` comments.
    pub asked: Vec<String>,
    pub body: String,
}

/// How the source of every built-in section begins.
const BUILT_IN_SOURCE: &str = "sotto: ";

impl Section {
    /// Whether it ships with sotto (not from the user's own notes).
    pub fn is_built_in(&self) -> bool {
        self.source.starts_with(BUILT_IN_SOURCE)
    }

    /// "Storage › Where your data lives".
    pub fn title(&self) -> String {
        self.headings.join(" › ")
    }

    /// The ways it is named: its own (innermost) heading, then each "asked
    /// as" phrasing.
    pub fn phrasings(&self) -> impl Iterator<Item = &String> {
        self.headings.last().into_iter().chain(&self.asked)
    }

    /// Whether `other` is the same topic for another thing: in the same file
    /// under the same outer headings, with a heading of as many words (at
    /// least two) that differs in one of them ("Connecting to vLLM",
    /// "Connecting to llama.cpp"). Words are split at spaces only, so a
    /// name like "llama.cpp" stays one word.
    pub fn is_sibling_of(&self, other: &Section) -> bool {
        let (Some((own, outer)), Some((theirs, their_outer))) =
            (self.headings.split_last(), other.headings.split_last())
        else {
            return false;
        };
        let words = |heading: &str| -> Vec<String> { heading.split_whitespace().map(str::to_lowercase).collect() };
        let (own, theirs) = (words(own), words(theirs));
        self.source == other.source
            && outer == their_outer
            && own.len() >= 2
            && own.len() == theirs.len()
            && own.iter().zip(&theirs).filter(|(a, b)| a != b).count() == 1
    }
}

/// The knowledge base sotto ships: how it works, and privacy practice.
const BUILT_IN: &[(&str, &str)] = &[
    ("using-sotto.md", include_str!("kb/using-sotto.md")),
    ("storage.md", include_str!("kb/storage.md")),
    ("view-export-wipe.md", include_str!("kb/view-export-wipe.md")),
    ("keys-and-passphrases.md", include_str!("kb/keys-and-passphrases.md")),
    ("backends-and-consent.md", include_str!("kb/backends-and-consent.md")),
    ("redaction.md", include_str!("kb/redaction.md")),
    ("privacy-practices.md", include_str!("kb/privacy-practices.md")),
    ("troubleshooting.md", include_str!("kb/troubleshooting.md")),
];

/// Limits on a user's knowledge directory.
const MAX_FILES: usize = 10_000;
const MAX_FILE_BYTES: u64 = 2 << 20;

/// What all of a bot's knowledge directories may hold together: the files
/// are read into memory and indexed, so a directory pointed at by mistake
/// (a home directory, a mirror of some wiki) must not take the machine's
/// memory.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// Bytes still allowed across all of one bot's knowledge directories.
#[derive(Clone, Copy, Debug)]
pub struct Budget(pub u64);

impl Default for Budget {
    fn default() -> Self {
        Budget(MAX_TOTAL_BYTES)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("cannot read the knowledge directory '{}': {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the knowledge directory '{}' holds more than {MAX_FILES} Markdown files; point --knowledge at a smaller directory", .path.display())]
    TooMany { path: PathBuf },
}

/// Questions people type into sotto that the built-in base does not answer
/// (other apps, operating-system tasks, general knowledge…), grouped by
/// theme, one section each. They are never answered from: a question about
/// as near one of these themes as to the best built-in section is declined.
/// The user's own sections are not weighed against them. Written from the
/// sections' texts alone, none of them a question of the labelled set.
const OFF_TOPIC: &str = include_str!("kb/off-topic.md");

pub fn built_in() -> Vec<Section> {
    BUILT_IN
        .iter()
        .flat_map(|(name, text)| parse(&format!("{BUILT_IN_SOURCE}{name}"), name, text))
        .collect()
}

/// How many folds the labelled set's tuning part is scored, and the answer
/// model learnt, in. Its questions in scope are also the base's "asked as"
/// lines (people's own words are the best phrasings there are), so a
/// question is read by a base without the fold it falls in
/// (`built_in_without`): as a question the base has never seen.
pub const FOLDS: usize = 5;

/// What two phrasings share when they are the same question: their words,
/// in lower case ("Export?" and "export" are one question).
pub fn same_question(text: &str) -> String {
    super::text::words(text).join(" ")
}

/// What fold `fold` of the tuning part holds out, as [`same_question`]
/// reads it: every [`FOLDS`]th question from the `fold`th, and likewise
/// every follow-up (`(previous, text)`) with the question it follows.
pub fn held_in_fold<'a>(
    fold: usize,
    questions: impl Iterator<Item = &'a str>,
    followups: impl Iterator<Item = (&'a str, &'a str)>,
) -> HashSet<String> {
    let followups = followups.skip(fold).step_by(FOLDS);
    questions
        .skip(fold)
        .step_by(FOLDS)
        .chain(followups.flat_map(|(previous, text)| [previous, text]))
        .map(same_question)
        .collect()
}

/// The built-in sections without the "asked as" phrasings that are the
/// same question as one in `held` (see [`same_question`], [`FOLDS`]).
pub fn built_in_without(held: &HashSet<String>) -> Vec<Section> {
    let mut sections = built_in();
    for section in &mut sections {
        section
            .asked
            .retain(|phrasing| !held.contains(&same_question(phrasing)));
    }
    sections
}

/// The off-topic themes: sections that are never an answer (see [`OFF_TOPIC`]).
pub fn off_topic() -> Vec<Section> {
    parse(&format!("{BUILT_IN_SOURCE}off-topic.md"), "off-topic.md", OFF_TOPIC)
}

/// Every `.md` file under `dir` (recursively), cut into sections, in name
/// order. Files over 2 MiB, and files past what `budget` still allows, are
/// skipped with a note in `skipped`.
pub fn load_dir(dir: &Path, budget: &mut Budget, skipped: &mut Vec<String>) -> Result<Vec<Section>, KnowledgeError> {
    let unreadable = |path: &Path| {
        let path = path.to_owned();
        move |source| KnowledgeError::Unreadable { path, source }
    };
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).map_err(unreadable(&current))? {
            let entry = entry.map_err(unreadable(&current))?;
            let kind = entry.file_type().map_err(unreadable(&entry.path()))?;
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md")) {
                files.push(path);
                if files.len() > MAX_FILES {
                    return Err(KnowledgeError::TooMany { path: dir.to_owned() });
                }
            }
        }
    }
    files.sort();
    let mut sections = Vec::new();
    for path in files {
        let relative = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().into_owned();
        let size = std::fs::metadata(&path).map_err(unreadable(&path))?.len();
        if size > MAX_FILE_BYTES {
            skipped.push(format!("'{relative}' is larger than 2 MiB"));
            continue;
        }
        if size > budget.0 {
            skipped.push(format!(
                "'{relative}' would take the knowledge past {} MiB in all",
                MAX_TOTAL_BYTES >> 20
            ));
            continue;
        }
        budget.0 -= size;
        // Read no more than was counted, should the file grow meanwhile.
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|file| std::io::Read::read_to_end(&mut std::io::Read::take(file, size), &mut bytes))
            .map_err(unreadable(&path))?;
        let text = String::from_utf8_lossy(&bytes);
        sections.extend(parse(&relative, &relative, &text));
    }
    Ok(sections)
}

fn slug(text: &str) -> String {
    let words = super::text::plain_words(text);
    if words.is_empty() {
        "section".into()
    } else {
        words.join("-")
    }
}

/// Cuts Markdown into sections at ATX headings (`#` … `######`) outside fenced
/// code blocks. Text before the first heading belongs to the file's name.
pub fn parse(source: &str, file_name: &str, text: &str) -> Vec<Section> {
    let stem = file_name
        .rsplit('/')
        .next()
        .unwrap_or(file_name)
        .trim_end_matches(".md")
        .trim_end_matches(".MD");
    let mut sections = Vec::new();
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut body = String::new();
    let mut asked: Vec<String> = Vec::new();
    let mut fence: Option<String> = None;
    let mut ids = std::collections::HashSet::new();
    let mut flush =
        |headings: &[(usize, String)], body: &mut String, asked: &mut Vec<String>, sections: &mut Vec<Section>| {
            let text = body.trim();
            if !text.is_empty() {
                let names: Vec<String> = if headings.is_empty() {
                    vec![stem.to_owned()]
                } else {
                    headings.iter().map(|(_, h)| h.clone()).collect()
                };
                let base = format!("{stem}#{}", slug(names.last().map_or(stem, String::as_str)));
                let mut id = base.clone();
                let mut n = 2;
                while !ids.insert(id.clone()) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                sections.push(Section {
                    id,
                    source: source.to_owned(),
                    headings: names,
                    asked: std::mem::take(asked),
                    body: text.to_owned(),
                });
            }
            asked.clear();
            body.clear();
        };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str()) {
                fence = None;
            }
            body.push_str(line);
            body.push('\n');
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(trimmed[..3].to_owned());
            body.push_str(line);
            body.push('\n');
            continue;
        }
        let level = trimmed.chars().take_while(|c| *c == '#').count();
        let is_heading =
            (1..=6).contains(&level) && trimmed[level..].starts_with(' ') && line.len() - trimmed.len() < 4;
        if let Some(phrasings) = asked_as(trimmed) {
            asked.extend(phrasings);
            continue;
        }
        if is_heading {
            flush(&headings, &mut body, &mut asked, &mut sections);
            let title = trimmed[level..].trim().trim_end_matches('#').trim().to_owned();
            headings.retain(|(l, _)| *l < level);
            headings.push((level, title));
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&headings, &mut body, &mut asked, &mut sections);
    sections
}

/// The phrasings of an `<!-- asked as: a | b -->` line, if `line` is one.
fn asked_as(line: &str) -> Option<Vec<String>> {
    let inner = line.strip_prefix("<!--")?.trim_end().strip_suffix("-->")?.trim();
    let (label, list) = inner.split_once(':')?;
    if !label.trim().eq_ignore_ascii_case("asked as") {
        return None;
    }
    Some(
        list.split('|')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sibling_is_the_same_heading_for_another_thing_under_the_same_parent() {
        let text = "# Backends\nb\n## Connecting to vLLM\nb\n## Connecting to OpenAI\nb\n## Connecting to llama.cpp\nb\n\
                    ## Choosing a backend\nb\n## Connecting\nb\n## Linking\nb\n# Other\nb\n## Connecting to Ollama\nb\n";
        let s = parse("x.md", "x.md", text);
        let [_, vllm, openai, llama, choosing, connecting, linking, _, ollama] = &s[..] else {
            panic!("{} sections", s.len());
        };
        assert!(vllm.is_sibling_of(openai) && openai.is_sibling_of(vllm));
        assert!(llama.is_sibling_of(vllm) && openai.is_sibling_of(llama));
        // Nor the same headings in another file.
        let elsewhere = parse("y.md", "y.md", "# Backends\nb\n## Connecting to Ollama\nb\n");
        assert!(!vllm.is_sibling_of(&elsewhere[1]));
        // Not itself, not two words apart, not one-word headings, not under another parent.
        assert!(!vllm.is_sibling_of(vllm));
        assert!(!vllm.is_sibling_of(choosing));
        assert!(!connecting.is_sibling_of(linking));
        assert!(!vllm.is_sibling_of(ollama));
    }

    #[test]
    fn sections_are_cut_at_headings_and_keep_their_path() {
        let text = "# Guide\nintro\n## Setup\nstep one\n```\n# not a heading\n```\n### Deeper\ndeep\n## Other\nmore\n";
        let sections = parse("x.md", "x.md", text);
        let titles: Vec<String> = sections.iter().map(Section::title).collect();
        assert_eq!(
            titles,
            ["Guide", "Guide › Setup", "Guide › Setup › Deeper", "Guide › Other"]
        );
        assert!(sections[1].body.contains("# not a heading"));
        assert_eq!(sections[2].id, "x#deeper");
    }

    #[test]
    fn asked_as_comments_become_phrasings_and_leave_the_body() {
        let text = "## Export\n<!-- asked as: save my chats | download history -->\nExport writes a file.\n\
                    <!-- Asked as: back up conversations -->\n## Other\n<!-- a plain comment -->\nmore\n";
        let sections = parse("x.md", "x.md", text);
        assert_eq!(
            sections[0].asked,
            ["save my chats", "download history", "back up conversations"]
        );
        assert_eq!(sections[0].body, "Export writes a file.");
        assert!(sections[1].asked.is_empty());
        assert_eq!(sections[1].body, "<!-- a plain comment -->\nmore");
    }

    #[test]
    fn duplicate_headings_get_distinct_ids() {
        let sections = parse("x.md", "x.md", "## Notes\na\n## Notes\nb\n");
        assert_eq!(sections[0].id, "x#notes");
        assert_eq!(sections[1].id, "x#notes-2");
    }

    #[test]
    fn oversized_files_and_files_past_the_total_are_skipped_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: usize| {
            std::fs::write(dir.path().join(name), format!("# {name}\n{}", "x".repeat(bytes))).unwrap();
        };
        write("a.md", 100);
        write("b.md", 3 << 20);
        write("c.md", 100);
        write("d.md", 100);
        let mut budget = Budget(250);
        let mut skipped = Vec::new();
        let sections = load_dir(dir.path(), &mut budget, &mut skipped).unwrap();
        let sources: Vec<&str> = sections.iter().map(|s| s.source.as_str()).collect();
        assert_eq!(sources, ["a.md", "c.md"]);
        assert_eq!(
            skipped,
            [
                "'b.md' is larger than 2 MiB",
                "'d.md' would take the knowledge past 64 MiB in all"
            ]
        );
        // The budget spans directories: a second one gets what is left.
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("e.md"), "# e\nsmall").unwrap();
        assert_eq!(load_dir(other.path(), &mut budget, &mut skipped).unwrap().len(), 1);
        assert!(budget.0 < 50);
    }

    #[test]
    fn the_built_in_base_parses_into_many_sections_with_unique_ids() {
        let sections = built_in();
        assert!(sections.len() >= 30, "only {} sections", sections.len());
        let ids: std::collections::HashSet<&str> = sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), sections.len());
    }
}
