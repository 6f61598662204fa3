"""The business rule "check inventory levels" on D365 sales orders: an open confirmed order line
asking for more than its shipping warehouse has available (newest on-hand snapshot) is named,
by order and line number only — never the customer.

Whether that warns or blocks is the finance team's call per legal entity
(mappings/inventory_tolerances.csv, ``order_stock_check``): ``block`` makes the check fail with
ERROR severity, which as a blocking asset check stops what is downstream of the order lines in
the same run; ``warn`` reports the same lines without stopping anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file


@dataclass(frozen=True)
class ShortLine:
    legal_entity: str
    sales_order_number: str
    line_number: Decimal
    item_number: str
    warehouse: str | None
    ordered: Decimal
    available: Decimal

    def describe(self) -> str:
        return (
            f"{self.legal_entity} {self.sales_order_number} line {self.line_number.normalize():f}: "
            f"{self.ordered.normalize():f} x {self.item_number} from {self.warehouse}, "
            f"{self.available.normalize():f} available"
        )


@dataclass(frozen=True)
class OrderStockCheck:
    short_lines: list[ShortLine]
    """Lines asking more than their warehouse has available."""
    blocking_lines: list[ShortLine]
    """Those of them whose legal entity is configured to block."""
    unjudged_lines: int
    """Lines whose warehouse the newest snapshot does not hold."""


def check_order_lines(conn: duckdb.DuckDBPyConnection, mappings_dir: str | Path) -> OrderStockCheck:
    """The open confirmed order lines the newest on-hand snapshot cannot serve."""
    run_script(conn, sql_file("ref/load_inventory_tolerances.sql"), {"dir": str(mappings_dir)})
    rows = conn.execute(sql_file("recon/check_order_lines_within_available_stock.sql")).fetchall()
    short, blocking, unjudged = [], [], 0
    for entity, order, line, item, warehouse, ordered, available, judged, _, blocks in rows:
        if not judged:
            unjudged += 1
            continue
        found = ShortLine(
            entity, order, Decimal(line), item, warehouse, Decimal(ordered), Decimal(available)
        )
        short.append(found)
        if blocks:
            blocking.append(found)
    return OrderStockCheck(short_lines=short, blocking_lines=blocking, unjudged_lines=unjudged)
