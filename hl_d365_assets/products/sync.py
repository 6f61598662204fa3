"""The product sync: D365's catalogue and prices into Heartland Retail, and the fields finance
made Retail's back into D365, each change exactly once.

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

Fields whose master is ``retail`` go the other way, to D365, in the same run and through the
same outbox (products/writeback.py). One master per field means one direction per field, so a
value never bounces between the two systems.
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

from hl_d365_assets.d365.client import D365Api
from hl_d365_assets.heartland_retail import (
    HeartlandRetailApiError,
    HeartlandRetailOutcomeUnknown,
    RetailApi,
)
from hl_d365_assets.outbox import Outbox, send_once
from hl_d365_assets.products.catalogue import load_product_settings
from hl_d365_assets.products.writeback import PlannedWrite, send_write
from hl_d365_assets.warehouse import run_script, sql_file, transaction

logger = logging.getLogger(__name__)

Writer = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]

ITEMS = "items"
RETAIL = "heartland_retail"
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
    """Requests to Heartland Retail (D365-mastered fields)."""
    writes: list[PlannedWrite] = field(default_factory=list)
    """Requests to D365 (Retail-mastered fields)."""
    outcomes: Counter[str] = field(default_factory=Counter)
    d365_outcomes: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)
    """Values that cannot go either way exactly (D365: a fraction of a cent; Retail: empty, or a
    UPC another D365 product carries), in words."""

    def count(self, status: str) -> int:
        return self.outcomes[status]

    def metadata(self) -> dict[str, object]:
        would = Counter(change.action for change in self.planned)
        would_d365 = Counter(write.action for write in self.writes)
        if self.dry_run:
            counts = {
                "would_create": would["create"],
                "would_update": would["update"],
                "would_create_d365": would_d365["create"],
                "would_update_d365": would_d365["update"],
            }
        else:
            counts = {status: self.count(status) for status in OUTCOMES} | {
                f"d365_{status}": self.d365_outcomes[status] for status in OUTCOMES
            }
        return {
            "dry_run": self.dry_run,
            "planned_requests": len(self.planned),
            "planned_d365_requests": len(self.writes),
            **counts,
            "unchanged": self.unchanged,
            "refused_values": len(self.refused),
        }

    def lines(self) -> list[str]:
        """What a dry run prints: every change to Retail, every write to D365, then what is
        refused."""
        return (
            [change.describe() for change in self.planned]
            + [write.describe() for write in self.writes]
            + [f"refused: {reason}" for reason in self.refused]
        )


def plan_product_sync(conn: duckdb.DuckDBPyConnection, mappings_dir: str) -> ProductSyncReport:
    """Stage the plan from canonical.products; the caller holds the transaction."""
    settings = load_product_settings(conn, mappings_dir)
    _check_fields(conn)
    run_script(conn, sql_file("mdm/stage_product_sync_plan.sql"))
    run_script(
        conn,
        sql_file("mdm/stage_product_writeback_plan.sql"),
        {"barcode_setup": settings.get("d365_barcode_setup") or None},
    )
    report = ProductSyncReport(
        planned=[
            PlannedChange(*row)
            for row in conn.execute(sql_file("mdm/list_product_sync_plan.sql")).fetchall()
        ],
        writes=[
            PlannedWrite(*row)
            for row in conn.execute(sql_file("mdm/list_product_writeback_plan.sql")).fetchall()
        ],
    )
    (report.unchanged,) = conn.execute(sql_file("mdm/count_unchanged_products.sql")).fetchone()
    report.refused = [
        f"{sku}: {refusal}"
        for statement in ("list_refused_product_values", "list_refused_product_writebacks")
        for sku, refusal in conn.execute(sql_file(f"mdm/{statement}.sql")).fetchall()
    ]
    return report


def sync_products(
    writer: Writer,
    retail: RetailApi | None,
    mappings_dir: str,
    *,
    d365: D365Api | None = None,
    dry_run: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ProductSyncReport:
    """Send every planned request once (see the module doc): Retail's first, then D365's; with
    ``dry_run`` only plan: nothing is recorded and nothing is sent (``retail`` and ``d365`` may
    then be None). A rejection (the target refused the data) is recorded, listed as an exception,
    and the others go on; any other failure is recorded and raised."""
    with writer() as conn, transaction(conn):
        report = plan_product_sync(conn, mappings_dir)
    report.dry_run = dry_run
    if dry_run:
        return report
    if report.planned and retail is None:
        raise ValueError("a product sync that is not a dry run needs a Heartland Retail session")
    if report.writes and d365 is None:
        raise ValueError("Retail-mastered fields to write, and no D365 session")
    try:
        for change in report.planned:
            _send_once(writer, retail, change, report, now)
        for write in report.writes:
            status, _ = send_once(
                writer, OUTBOX, write.request(), lambda write=write: send_write(d365, write), now
            )
            report.d365_outcomes[status] += 1
    finally:
        with writer() as conn, transaction(conn):
            (day,) = conn.execute(
                "SELECT max(retail_snapshot_date) FROM canonical.products"
            ).fetchone()
            run_script(
                conn,
                sql_file("recon/record_product_sync_exceptions.sql"),
                {"day": day or now().date()},
            )
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
        "system": RETAIL,
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
