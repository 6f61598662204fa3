"""The product sync: D365's catalogue and prices into Heartland Retail, exactly once.

D365 is the master of the catalogue and of prices by default; which Retail field follows which
system is finance's choice per field (mappings/product_sync_fields.csv: d365, retail or none).
What to send comes from canonical.products, set-based (sql/mdm/stage_product_sync_plan.sql): a
D365 SKU Retail lacks is created there (``POST items``, answered 201 with the new item's URL in
``Location``), a matched item whose D365-mastered fields differ gets D365's values (``PUT
items/{id}``, only those fields). Ambiguous and Retail-only rows are never pushed: the match lists
them as exceptions for a person.

Exactly once through the outbox (hl_d365_assets/outbox.py), as the customer sync does it
(hl_d365_assets/mdm/sync.py): every request has a key,
``sku|heartland_retail|action|version``, recorded in mdm.product_sync_requests as ``sending``
before it leaves and finished after, in short writer sessions (nothing holds the warehouse across
an HTTP call). A create first looks in Retail for an item whose ``public_id`` is the D365 item
number (the Item # the create gives it), and adopts what it finds; so a run killed after Retail
applied a create and before it was recorded adopts that item on the next run instead of creating
a second. An update is a PUT of the same values, harmless to repeat. The item created comes back
with the next Retail pull and matches its D365 product (by barcode, else item number).

Money goes as exact decimals (JSON numbers with the digits of D365's price); a price with a
fraction of a cent is refused and listed, never rounded.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import duckdb

from hl_d365_assets.heartland_retail import (
    HeartlandRetailApiError,
    HeartlandRetailOutcomeUnknown,
    RetailApi,
)
from hl_d365_assets.outbox import Outbox, send_once
from hl_d365_assets.products.catalogue import load_product_settings
from hl_d365_assets.warehouse import run_script, sql_file, transaction

logger = logging.getLogger(__name__)

Writer = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]

ITEMS = "items"
MONEY_FIELDS = frozenset({"price", "original_price", "cost"})
KNOWN_FIELDS = ("description", "price", "original_price", "cost", "upc")
MASTERS = frozenset({"d365", "retail", "none"})
UPC_FIELD = "upc"
"""Key of the Retail item custom field holding the UPC (as the sandbox account keeps it)."""
OUTBOX = Outbox(
    record="mdm/record_product_sync_request.sql", finish="mdm/finish_product_sync_request.sql"
)
OUTCOMES = ("created", "adopted", "updated", "rejected")


@dataclass(frozen=True)
class PlannedChange:
    """One request of the plan: what a dry run prints and a real run sends."""

    request_key: str
    action: str
    version: str
    sku: str
    legal_entity: str
    item_number: str
    target_key: str | None
    changes: list[dict]
    """``{"field", "retail_value", "d365_value"}`` each, values as text (money in cents)."""

    def describe(self) -> str:
        if self.action == "create":
            values = ", ".join(f"{c['field']}={c['d365_value']!r}" for c in self.changes)
            return f"create {self.item_number} in Heartland Retail: {values}"
        values = ", ".join(
            f"{c['field']} {c['retail_value']!r} -> {c['d365_value']!r}" for c in self.changes
        )
        return f"update {self.item_number} (Retail item {self.target_key}): {values}"

    def body(self) -> dict[str, object]:
        """The Retail item fields: money as ``Decimal`` (written as a JSON number with exactly
        its digits), the UPC as the item custom field."""
        body: dict[str, object] = {}
        for change in self.changes:
            name, value = change["field"], change["d365_value"]
            if name in MONEY_FIELDS:
                body[name] = Decimal(value)
            elif name == UPC_FIELD:
                body[f"custom@{UPC_FIELD}"] = value
            else:
                body[name] = value
        if self.action == "create":
            body = {"public_id": self.item_number, "active": True, **body}
        return body


@dataclass
class ProductSyncReport:
    """Counts (the asset's metadata) and, for a dry run, the changes it would send."""

    dry_run: bool = False
    planned: list[PlannedChange] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)
    """Values D365 holds that cannot go to Retail exactly (a fraction of a cent), in words."""

    def count(self, status: str) -> int:
        return self.outcomes[status]

    def metadata(self) -> dict[str, object]:
        would = Counter(change.action for change in self.planned)
        if self.dry_run:
            counts = {"would_create": would["create"], "would_update": would["update"]}
        else:
            counts = {status: self.count(status) for status in OUTCOMES}
        return {
            "dry_run": self.dry_run,
            "planned_requests": len(self.planned),
            **counts,
            "unchanged": self.unchanged,
            "refused_values": len(self.refused),
        }

    def lines(self) -> list[str]:
        """What a dry run prints: every change, then what is refused."""
        return [change.describe() for change in self.planned] + [
            f"refused: {reason}" for reason in self.refused
        ]


def plan_product_sync(conn: duckdb.DuckDBPyConnection, mappings_dir: str) -> ProductSyncReport:
    """Stage the plan from canonical.products; the caller holds the transaction."""
    load_product_settings(conn, mappings_dir)
    _check_fields(conn)
    run_script(conn, sql_file("mdm/stage_product_sync_plan.sql"))
    cursor = conn.execute(sql_file("mdm/list_product_sync_plan.sql"))
    report = ProductSyncReport(
        planned=[PlannedChange(*row) for row in cursor.fetchall()],
    )
    (report.unchanged,) = conn.execute(sql_file("mdm/count_unchanged_products.sql")).fetchone()
    report.refused = [
        f"{sku}: {refusal}"
        for sku, refusal in conn.execute(sql_file("mdm/list_refused_product_values.sql")).fetchall()
    ]
    return report


def sync_products(
    writer: Writer,
    retail: RetailApi | None,
    mappings_dir: str,
    *,
    dry_run: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ProductSyncReport:
    """Send every planned request once (see the module doc); with ``dry_run`` only plan: nothing
    is recorded and nothing is sent (``retail`` may then be None). A rejection (Retail refused
    the data) is recorded and the others go on; any other failure is recorded and raised."""
    with writer() as conn, transaction(conn):
        report = plan_product_sync(conn, mappings_dir)
    report.dry_run = dry_run
    if dry_run:
        return report
    if retail is None:
        raise ValueError("a product sync that is not a dry run needs a Heartland Retail session")
    for change in report.planned:
        _send_once(writer, retail, change, report, now)
    return report


def _check_fields(conn: duckdb.DuckDBPyConnection) -> None:
    rows = conn.execute("SELECT field, master FROM ref.product_sync_fields").fetchall()
    unknown = sorted({name for name, _ in rows} - set(KNOWN_FIELDS))
    masters = sorted({master for _, master in rows} - MASTERS)
    if unknown or masters:
        raise ValueError(
            f"mappings/product_sync_fields.csv: fields {unknown or 'ok'} (known: "
            f"{', '.join(KNOWN_FIELDS)}), masters {masters or 'ok'} (known: d365, retail, none)"
        )


def _send_once(
    writer: Writer,
    retail: RetailApi,
    change: PlannedChange,
    report: ProductSyncReport,
    now: Callable[[], datetime],
) -> None:
    request = {
        "request_key": change.request_key,
        "legal_entity": change.legal_entity,
        "item_number": change.item_number,
        "sku": change.sku,
        "action": change.action,
        "version": change.version,
        "target_key": change.target_key,
        "fields": [c["field"] for c in change.changes],
    }
    status, _ = send_once(writer, OUTBOX, request, lambda: _send(retail, change), now)
    report.outcomes[status] += 1


def _send(retail: RetailApi, change: PlannedChange) -> tuple[str, str]:
    if change.action == "update":
        retail.update(f"{ITEMS}/{change.target_key}", change.body())
        return "updated", str(change.target_key)
    found = _item_holding(retail, change.item_number)
    if found is not None:
        logger.info("%s: Retail already holds item %s; adopted", change.request_key, found)
        return "adopted", found
    try:
        created = retail.create(ITEMS, change.body())
    except HeartlandRetailOutcomeUnknown:
        found = _item_holding(retail, change.item_number)
        if found is not None:
            return "adopted", found
        raise
    return "created", str(created)


def _item_holding(retail: RetailApi, public_id: str) -> str | None:
    """The Retail item whose Item # is ``public_id``: the key only our create gives it."""
    page = retail.list_page(ITEMS, filters={"public_id": public_id}, only=["id"], per_page=2)
    if page.total > 1:
        raise HeartlandRetailApiError(
            f"{page.total} Retail items carry public_id {public_id}; expected at most one",
            request=f"GET /api/{ITEMS} (public_id)",
        )
    return str(page.records[0].data["id"]) if page.records else None
