//! Fenced code blocks: where they open and close, and what they hold. The
//! chat pane numbers the blocks it draws and `/copy N` copies block N, so
//! both read the fences through these functions.

/// The contents of each fenced code block of `source`, in order (for copying).
pub fn code_blocks(source: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<((char, usize), String)> = None;
    for line in source.lines() {
        match &mut current {
            None => {
                if let Some((fence, _)) = fence_open(line) {
                    current = Some((fence, String::new()));
                }
            }
            Some((fence, text)) => {
                if closes(line, *fence) {
                    blocks.push(std::mem::take(text));
                    current = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    if let Some((_, text)) = current {
        blocks.push(text);
    }
    blocks
}

/// A fence opening: its character, length and info string.
pub fn fence_open(line: &str) -> Option<((char, usize), &str)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|x| *x == c).count();
    if len < 3 {
        return None;
    }
    let info = trimmed[len..].trim();
    if c == '`' && info.contains('`') {
        return None;
    }
    Some(((c, len), info))
}

pub fn closes(line: &str, (c, len): (char, usize)) -> bool {
    let trimmed = line.trim();
    trimmed.len() >= len && trimmed.chars().all(|x| x == c)
}
