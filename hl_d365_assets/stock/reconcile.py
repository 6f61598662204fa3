"""recon.inventory and its exceptions for a window of business days, in the caller's transaction.

The SQL does the work (sql/recon/): the item join in one file (stage_inventory_items.sql, the
single place that decides which Retail item is which D365 item), the comparison
(reconcile_inventory.sql), then the exceptions (record_inventory_exceptions.sql), so a re-run of
a day replaces its rows and keeps accountants' notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.warehouse import run_script, sql_file

STATUSES = (
    "matched",
    "explained",
    "difference",
    "missing_in_d365",
    "missing_in_retail",
    "location_unmapped",
)


@dataclass(frozen=True)
class InventoryOutcome:
    """What the comparison found over the window."""

    by_status: dict[str, int]
    """Rows (item x location x day) per status; every status present, zero when none."""
    open_exceptions_by_kind: dict[str, int]
    """Open inventory_* exceptions of the window, per kind."""
    days_without_d365_snapshot: list[date]
    """Days with Retail stock but no D365 snapshot: not compared (no rows, no exceptions)."""
    item_join: str
    """``product_match`` (canonical.products) or ``item_number`` (no product match yet)."""


def reconcile_inventory(
    conn: duckdb.DuckDBPyConnection, mappings_dir: str | Path, first: date, last: date, run_id: str
) -> InventoryOutcome:
    """Rebuild recon.inventory for ``first``..``last`` and record its exceptions."""
    window = {"first": first, "last": last}
    load_mappings(conn, mappings_dir)
    matched = conn.execute("SELECT count(*) FROM canonical.products").fetchone()[0]
    run_script(conn, sql_file("recon/stage_inventory_items.sql"), window)
    run_script(conn, sql_file("recon/reconcile_inventory.sql"), window)
    run_script(
        conn, sql_file("recon/record_inventory_exceptions.sql"), {**window, "run_id": run_id}
    )
    conn.execute("DROP TABLE inventory_items")
    counted = dict(
        conn.execute(sql_file("recon/count_by_status.sql", table="inventory"), window).fetchall()
    )
    open_by_kind = {
        kind: count
        for kind, count in conn.execute(
            sql_file("recon/count_open_exceptions_by_kind.sql"), window
        ).fetchall()
        if kind.startswith("inventory_")
    }
    unsnapped = conn.execute(sql_file("recon/list_days_without_d365_snapshot.sql"), window)
    return InventoryOutcome(
        by_status={status: counted.get(status, 0) for status in STATUSES},
        open_exceptions_by_kind=open_by_kind,
        days_without_d365_snapshot=[day for (day,) in unsnapped.fetchall()],
        item_join="product_match" if matched else "item_number",
    )
