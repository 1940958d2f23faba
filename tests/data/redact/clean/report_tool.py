"""Summarises a CSV of orders into a monthly report.

Plain code written for the corpus: dates, amounts, versions and ids, and
nothing that should be withheld.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path

__version__ = "1.4.2"
DEFAULT_CURRENCY = "EUR"
VAT_RATES = {"DE": Decimal("0.19"), "FR": Decimal("0.20"), "NL": Decimal("0.21"), "AT": Decimal("0.20")}
MAX_ROWS = 1_000_000


@dataclass
class Order:
    order_id: str
    placed: dt.date
    country: str
    net: Decimal
    items: int
    status: str = "paid"

    @property
    def gross(self) -> Decimal:
        rate = VAT_RATES.get(self.country, Decimal("0"))
        return (self.net * (1 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class MonthSummary:
    month: str
    orders: int = 0
    items: int = 0
    net: Decimal = Decimal("0")
    gross: Decimal = Decimal("0")
    refunds: int = 0
    basket_sizes: list[int] = field(default_factory=list)

    def add(self, order: Order) -> None:
        if order.status == "refunded":
            self.refunds += 1
            return
        self.orders += 1
        self.items += order.items
        self.net += order.net
        self.gross += order.gross
        self.basket_sizes.append(order.items)

    def median_basket(self) -> float:
        return statistics.median(self.basket_sizes) if self.basket_sizes else 0.0


def parse_date(text: str) -> dt.date:
    """Accepts 2024-03-05, 05.03.2024 and 05/03/2024 (day first)."""
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date: {text!r}")


def read_orders(path: Path) -> list[Order]:
    orders = []
    with path.open(newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            if n > MAX_ROWS:
                raise SystemExit(f"{path}: more than {MAX_ROWS} rows")
            if not row.get("order_id"):
                print(f"{path}:{n}: skipped, no order id", file=sys.stderr)
                continue
            orders.append(Order(
                order_id=row["order_id"],
                placed=parse_date(row["placed"]),
                country=row.get("country", "DE").upper(),
                net=Decimal(row["net"].replace(",", ".")),
                items=int(row.get("items", 1)),
                status=row.get("status", "paid"),
            ))
    return orders


def summarise(orders: list[Order]) -> dict[str, MonthSummary]:
    months: dict[str, MonthSummary] = defaultdict(lambda: MonthSummary(month=""))
    for order in orders:
        key = order.placed.strftime("%Y-%m")
        summary = months[key]
        summary.month = key
        summary.add(order)
    return dict(sorted(months.items()))


def render(months: dict[str, MonthSummary], currency: str = DEFAULT_CURRENCY) -> str:
    lines = [f"{'month':<8} {'orders':>7} {'items':>7} {'net':>12} {'gross':>12} {'refunds':>8} {'median':>7}"]
    for m in months.values():
        lines.append(
            f"{m.month:<8} {m.orders:>7} {m.items:>7} {m.net:>12,.2f} {m.gross:>12,.2f} {m.refunds:>8} {m.median_basket():>7.1f}"
        )
    total_net = sum((m.net for m in months.values()), Decimal("0"))
    lines.append(f"total net: {total_net:,.2f} {currency}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Monthly order report")
    parser.add_argument("csv", type=Path)
    parser.add_argument("--currency", default=DEFAULT_CURRENCY)
    parser.add_argument("--since", type=parse_date, help="first day to include, e.g. 2024-01-01")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    orders = read_orders(args.csv)
    if args.since:
        orders = [o for o in orders if o.placed >= args.since]
    print(render(summarise(orders), args.currency))
    return 0


def test_parse_date_formats():
    assert parse_date("2024-03-05") == dt.date(2024, 3, 5)
    assert parse_date("05.03.2024") == dt.date(2024, 3, 5)
    assert parse_date("05/03/2024") == dt.date(2024, 3, 5)


def test_gross_adds_vat():
    order = Order("ORD-100234", dt.date(2024, 5, 1), "DE", Decimal("100.00"), 2)
    assert order.gross == Decimal("119.00")


def test_refunds_are_counted_not_summed():
    s = MonthSummary("2024-05")
    s.add(Order("ORD-1", dt.date(2024, 5, 2), "NL", Decimal("10"), 1, "refunded"))
    s.add(Order("ORD-2", dt.date(2024, 5, 3), "NL", Decimal("20"), 3))
    assert (s.orders, s.refunds, s.net) == (1, 1, Decimal("20"))


if __name__ == "__main__":
    sys.exit(main())
