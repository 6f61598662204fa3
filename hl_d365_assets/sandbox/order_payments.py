"""D365 sales orders paid by card over the phone or the web, through Heartland.

The D365 simulator opens with the sales orders of ``d365_seed/sales_orders.csv``; customers pay
them by card without coming into a store, so the payment is a gateway transaction with no POS
ticket, whose merchant reference is the order number. With ``SandboxConfig(order_payments=True)``
each business day pays a few of them (create_order_payments.sql):

- order *i* (its 1-based row in the file) is paid on the days whose ``date.toordinal()`` is *i*
  modulo ``PAYMENT_CYCLE_DAYS``: two of the 40 seed orders a day, each once in the cycle;
- on the merchant id of the first store of mappings/stores.csv of the order's legal entity and
  currency (S001 for usrt USD, S004 for usrt CAD), and only when that store is generated;
- for the order total, in the order's currency, captured at a time inside the store's trading
  hours, and settled in the store's batch of the day like any other captured sale.

They are business, not defects: the ground truth names none of them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from hl_d365_assets.package_files import package_folder
from hl_d365_assets.sandbox.sql_files import run_sql_file
from hl_d365_assets.sandbox.stores import Store

SALES_ORDERS_CSV = package_folder("hl_d365_assets.sandbox", "d365_seed") / "sales_orders.csv"
PAYMENT_CYCLE_DAYS = 20
"""Each seed order is paid on one day of every cycle of this many days."""

# Order numbers go into the gateway lines as they are (like the store codes of stores.py).
_ORDER_NUMBER = re.compile(r"[A-Za-z0-9_-]+")
# The sandbox's currencies (USD, CAD) have two decimals; a finer total is not a price.
_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class SeedOrder:
    position: int
    """1-based row of the order in sales_orders.csv: decides its payment day."""
    legal_entity: str
    order_number: str
    currency: str
    total_minor: int
    """OrderTotalAmount in minor units (cents)."""


def load_seed_orders(path: Path = SALES_ORDERS_CSV) -> list[SeedOrder]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    orders = []
    for position, row in enumerate(rows, 1):
        number, total = row["SalesOrderNumber"], Decimal(row["OrderTotalAmount"])
        if not _ORDER_NUMBER.fullmatch(number):
            raise ValueError(f"{path.name}: sales order number {number!r} is not a plain code")
        if total <= 0 or total != total.quantize(_CENTS):
            raise ValueError(f"{path.name}: {number} total {total} is not a positive cent amount")
        orders.append(
            SeedOrder(
                position=position,
                legal_entity=row["dataAreaId"].lower(),
                order_number=number,
                currency=row["CurrencyCode"].upper(),
                total_minor=int(total / _CENTS),
            )
        )
    return orders


def paying_store_ids(stores: list[Store]) -> dict[tuple[str, str], str]:
    """(legal entity, currency) -> the first store of mappings/stores.csv that takes them."""
    paying: dict[tuple[str, str], str] = {}
    for store in sorted(stores, key=lambda store: store.store_id):
        paying.setdefault((store.legal_entity.lower(), store.currency), store.store_id)
    return paying


def create_order_tables(
    con: duckdb.DuckDBPyConnection, orders: list[SeedOrder], all_stores: list[Store]
) -> None:
    """``seed_orders`` with the store that takes each order's payment, read once per run.

    ``all_stores`` are every store of the mappings, not only the generated ones: an order whose
    paying store is not generated is not paid (create_order_payments.sql joins the day's stores).
    """
    paying = paying_store_ids(all_stores)
    run_sql_file(con, "create_seed_orders")
    rows = [
        (o.position, o.legal_entity, o.order_number, o.currency, o.total_minor, store_id)
        for o in orders
        if (store_id := paying.get((o.legal_entity, o.currency))) is not None
    ]
    if rows:
        con.executemany("INSERT INTO seed_orders VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute("SET VARIABLE payment_cycle_days = ?::BIGINT", [PAYMENT_CYCLE_DAYS]).fetchall()
