//! Secrets in a Markdown table: the cells of a column whose header is a
//! secret's name.

use super::names::is_secret_name;
use super::values::is_value;

/// Cells of a Markdown table's column whose header is a secret's name.
pub(super) fn markdown_table_values(text: &str, push: &mut impl FnMut(usize, usize)) {
    let mut offset = 0;
    let mut column: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('|') && trimmed.ends_with('|') {
            let cells = table_cells(line, offset);
            if trimmed.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
                // The separator row keeps the column found in the header.
            } else if column.is_none() {
                column = cells.iter().position(|(s, e)| is_secret_name(text[*s..*e].trim()));
                if column.is_none() {
                    column = Some(usize::MAX);
                }
            } else if let Some(i) = column.filter(|i| *i != usize::MAX)
                && let Some((s, e)) = cells.get(i)
            {
                let cell = &text[*s..*e];
                let value = cell.trim().trim_matches('`');
                if is_value(value) {
                    let start = s + cell.find(value).unwrap_or(0);
                    push(start, start + value.len());
                }
            }
        } else {
            column = None;
        }
        offset += line.len();
    }
}

/// The byte ranges of a table row's cells, between its pipes.
fn table_cells(line: &str, offset: usize) -> Vec<(usize, usize)> {
    let pipes: Vec<usize> = line.match_indices('|').map(|(i, _)| i).collect();
    pipes.windows(2).map(|w| (offset + w[0] + 1, offset + w[1])).collect()
}
