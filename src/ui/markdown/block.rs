//! What a reply is drawn as: lines, wrapped at draw time, and tables, laid
//! out at draw time; both know how to overwrite the text they hold.

use ratatui::text::{Line, Span};

use super::table::Table;
use crate::model::wrap::{StyledLine, wrap_styled};

/// One drawn element of a reply: a line (wrapped at draw time) or a table
/// (laid out at draw time).
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Line(StyledLine),
    Table(Table),
}

impl Block {
    /// The rows of the block at `width` columns.
    pub fn rows(&self, width: usize) -> Vec<Line<'static>> {
        match self {
            Block::Line(line) => wrap_styled(line, width),
            Block::Table(table) => table.rows(width),
        }
    }

    /// Every span of text the block holds.
    pub fn spans(&self) -> Box<dyn Iterator<Item = &Span<'static>> + '_> {
        match self {
            Block::Line(line) => Box::new(line.first.iter().chain(&line.rest).chain(&line.spans)),
            Block::Table(table) => Box::new(table.spans()),
        }
    }

    pub fn zeroize(&mut self) {
        match self {
            Block::Line(line) => line.zeroize(),
            Block::Table(table) => table.zeroize(),
        }
    }
}
