//! A small inventory model: items, stock movements and a report.
//! Written for the corpus as ordinary code with nothing to withhold.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How long a reservation holds stock before it is released.
pub const RESERVATION_TTL: Duration = Duration::from_secs(15 * 60);
/// Items below this level show up in the reorder report.
pub const DEFAULT_REORDER_LEVEL: u32 = 12;
const MAX_LINE_ITEMS: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sku(pub u32);

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SKU-{:06}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub sku: Sku,
    pub name: String,
    pub unit_price_cents: u64,
    pub on_hand: u32,
    pub reserved: u32,
    pub reorder_level: u32,
}

impl Item {
    pub fn new(sku: u32, name: &str, unit_price_cents: u64) -> Self {
        Item {
            sku: Sku(sku),
            name: name.to_owned(),
            unit_price_cents,
            on_hand: 0,
            reserved: 0,
            reorder_level: DEFAULT_REORDER_LEVEL,
        }
    }

    /// Stock that can still be sold.
    pub fn available(&self) -> u32 {
        self.on_hand.saturating_sub(self.reserved)
    }

    pub fn needs_reorder(&self) -> bool {
        self.available() < self.reorder_level
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Movement {
    Received { sku: Sku, quantity: u32 },
    Shipped { sku: Sku, quantity: u32 },
    Reserved { sku: Sku, quantity: u32 },
    Released { sku: Sku, quantity: u32 },
    Counted { sku: Sku, quantity: u32 },
}

#[derive(Debug, PartialEq)]
pub enum StockError {
    UnknownSku(Sku),
    NotEnough { sku: Sku, wanted: u32, available: u32 },
    TooManyLines(usize),
}

impl fmt::Display for StockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StockError::UnknownSku(sku) => write!(f, "unknown item {sku}"),
            StockError::NotEnough { sku, wanted, available } => {
                write!(f, "{sku}: wanted {wanted}, only {available} available")
            }
            StockError::TooManyLines(n) => write!(f, "{n} lines, at most {MAX_LINE_ITEMS} allowed"),
        }
    }
}

impl std::error::Error for StockError {}

#[derive(Default)]
pub struct Inventory {
    items: BTreeMap<Sku, Item>,
    history: Vec<Movement>,
}

impl Inventory {
    pub fn add_item(&mut self, item: Item) {
        self.items.insert(item.sku, item);
    }

    pub fn get(&self, sku: Sku) -> Option<&Item> {
        self.items.get(&sku)
    }

    pub fn apply(&mut self, movement: Movement) -> Result<(), StockError> {
        let sku = match &movement {
            Movement::Received { sku, .. }
            | Movement::Shipped { sku, .. }
            | Movement::Reserved { sku, .. }
            | Movement::Released { sku, .. }
            | Movement::Counted { sku, .. } => *sku,
        };
        let item = self.items.get_mut(&sku).ok_or(StockError::UnknownSku(sku))?;
        match movement {
            Movement::Received { quantity, .. } => item.on_hand += quantity,
            Movement::Shipped { quantity, .. } => {
                if quantity > item.on_hand {
                    return Err(StockError::NotEnough { sku, wanted: quantity, available: item.on_hand });
                }
                item.on_hand -= quantity;
                item.reserved = item.reserved.saturating_sub(quantity);
            }
            Movement::Reserved { quantity, .. } => {
                if quantity > item.available() {
                    return Err(StockError::NotEnough { sku, wanted: quantity, available: item.available() });
                }
                item.reserved += quantity;
            }
            Movement::Released { quantity, .. } => item.reserved = item.reserved.saturating_sub(quantity),
            Movement::Counted { quantity, .. } => item.on_hand = quantity,
        }
        self.history.push(movement);
        Ok(())
    }

    /// Applies an order's lines all or nothing.
    pub fn reserve_order(&mut self, lines: &[(Sku, u32)]) -> Result<(), StockError> {
        if lines.len() > MAX_LINE_ITEMS {
            return Err(StockError::TooManyLines(lines.len()));
        }
        for &(sku, quantity) in lines {
            let item = self.items.get(&sku).ok_or(StockError::UnknownSku(sku))?;
            if quantity > item.available() {
                return Err(StockError::NotEnough { sku, wanted: quantity, available: item.available() });
            }
        }
        for &(sku, quantity) in lines {
            self.apply(Movement::Reserved { sku, quantity })?;
        }
        Ok(())
    }

    pub fn stock_value_cents(&self) -> u64 {
        self.items.values().map(|i| i.unit_price_cents * u64::from(i.on_hand)).sum()
    }

    pub fn reorder_report(&self) -> String {
        let mut out = String::from("SKU         available  level  name\n");
        for item in self.items.values().filter(|i| i.needs_reorder()) {
            out.push_str(&format!(
                "{:<11} {:>9}  {:>5}  {}\n",
                item.sku.to_string(),
                item.available(),
                item.reorder_level,
                item.name
            ));
        }
        out
    }
}

pub fn format_price(cents: u64) -> String {
    let euros = cents / 100;
    let rest = cents % 100;
    let mut digits = euros.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(".{tail}{grouped}");
    }
    format!("{digits}{grouped},{rest:02} EUR")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Inventory {
        let mut inv = Inventory::default();
        inv.add_item(Item::new(1042, "Ceramic mug, 350 ml", 1290));
        inv.add_item(Item::new(2077, "Notebook A5, dotted", 849));
        inv.add_item(Item::new(3310, "Desk lamp, warm white", 4599));
        inv.apply(Movement::Received { sku: Sku(1042), quantity: 40 }).unwrap();
        inv.apply(Movement::Received { sku: Sku(2077), quantity: 8 }).unwrap();
        inv
    }

    #[test]
    fn shipping_more_than_on_hand_fails() {
        let mut inv = sample();
        let err = inv.apply(Movement::Shipped { sku: Sku(2077), quantity: 9 }).unwrap_err();
        assert_eq!(err, StockError::NotEnough { sku: Sku(2077), wanted: 9, available: 8 });
    }

    #[test]
    fn an_order_is_reserved_all_or_nothing() {
        let mut inv = sample();
        assert!(inv.reserve_order(&[(Sku(1042), 5), (Sku(3310), 1)]).is_err());
        assert_eq!(inv.get(Sku(1042)).unwrap().reserved, 0);
        inv.reserve_order(&[(Sku(1042), 5), (Sku(2077), 2)]).unwrap();
        assert_eq!(inv.get(Sku(1042)).unwrap().available(), 35);
    }

    #[test]
    fn the_report_lists_low_stock_only() {
        let inv = sample();
        let report = inv.reorder_report();
        assert!(report.contains("SKU-002077"));
        assert!(report.contains("SKU-003310"));
        assert!(!report.contains("SKU-001042"));
    }

    #[test]
    fn prices_are_grouped_by_thousands() {
        assert_eq!(format_price(123_456_789), "1.234.567,89 EUR");
        assert_eq!(format_price(1290), "12,90 EUR");
        assert_eq!(format_price(5), "0,05 EUR");
    }

    #[test]
    fn stock_value_sums_every_item() {
        let inv = sample();
        assert_eq!(inv.stock_value_cents(), 40 * 1290 + 8 * 849);
    }
}
