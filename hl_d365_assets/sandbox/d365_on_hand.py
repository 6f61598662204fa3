"""The D365 simulator's stock, kept consistent with the sandbox's Heartland Retail stock.

The two systems agree where real ones would: D365's warehouse of a store holds what the store's
Retail location held at the start of the sandbox day (Retail's end-of-day stock plus the units
the day's tickets took out), and learns of the day's POS sales only when they are posted
(:func:`post_pos_sales_of_day`, the sandbox's stand-in for D365 Commerce's statement posting).
So before posting, Retail is lower than D365 by exactly the day's net units sold — the part
recon.inventory explains — and after posting the two agree, except for the differences injected
here on purpose (:data:`STOCK_DIFFERENCES`), which :func:`seed_on_hand_from_retail` returns as
ground truth.

Reads the Retail store's files (``<data_dir>/sandbox/heartland_retail/``, retail_store.py) and
the store → warehouse mapping (mappings/store_warehouses.csv); writes through the simulator's
own admin calls (:mod:`hl_d365_assets.sandbox.d365_simulator.on_hand`).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from hl_d365_assets.sandbox.d365_simulator import D365Simulator
from hl_d365_assets.sandbox.sql_files import sql_text
from hl_d365_assets.warehouse import run_script

FIRST_RETAIL_DAY_ORDINAL = 730120
"""Retail ticket ids start with the day's ordinal less this (create_retail_macros.sql)."""


@dataclass(frozen=True)
class StockDifference:
    """A difference the sandbox puts into D365 on purpose: ``units`` more in D365 than Retail."""

    store_id: str
    item_number: str
    units: Decimal
    why: str


STOCK_DIFFERENCES: tuple[StockDifference, ...] = (
    StockDifference(
        "S002", "SKU-10007", Decimal(3), "shrinkage counted in Retail, never booked in D365"
    ),
    StockDifference(
        "S004", "SKU-10100", Decimal(-2), "damaged units written off in D365, still on the shelf"
    ),
)


@dataclass
class OnHandSeed:
    """What :func:`seed_on_hand_from_retail` wrote."""

    records: dict[str, int] = field(default_factory=dict)
    """D365 warehouse -> stock records written."""
    injected: list[StockDifference] = field(default_factory=list)
    """The ground truth: differences between the systems that no posting explains."""


def seed_on_hand_from_retail(
    sim: D365Simulator,
    retail_dir: Path,
    mappings_dir: Path,
    day: date,
    differences: tuple[StockDifference, ...] = STOCK_DIFFERENCES,
) -> OnHandSeed:
    """Set every mapped store's D365 warehouse to its stock at the start of ``day`` (the last
    day written into the Retail store), with ``differences`` applied."""
    with closing(duckdb.connect()) as con:
        _day_units(con, retail_dir, mappings_dir, day)
        rows = con.execute(
            sql_text("select_d365_opening_on_hand"),
            {
                "inventory": _file(retail_dir, "inventory_values"),
                "items": _file(retail_dir, "items"),
                "locations": _file(retail_dir, "locations"),
                "warehouses": _warehouses(mappings_dir),
            },
        ).fetchall()
    by_warehouse: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    store_of: dict[tuple[str, str, str], str] = {}
    for company, site, warehouse, store_id, item, name, on_hand, reserved in rows:
        by_warehouse[(company, site, warehouse)].append(
            {"ItemNumber": item, "ProductName": name, "OnHandQuantity": on_hand,
             "ReservedOnHandQuantity": reserved}
        )  # fmt: skip
        store_of[(company, site, warehouse)] = store_id
    seed = OnHandSeed()
    for place, stock in by_warehouse.items():
        for difference in differences:
            if difference.store_id != store_of[place]:
                continue
            for entry in stock:
                if entry["ItemNumber"] == difference.item_number:
                    entry["OnHandQuantity"] += difference.units
                    seed.injected.append(difference)
        seed.records[place[2]] = sim.on_hand.set_position(*place, stock)
    return seed


def pos_sales_of_day(retail_dir: Path, mappings_dir: Path, day: date) -> dict[tuple, dict]:
    """(legal entity, site, warehouse, store) -> {item: net units sold} of the day's tickets."""
    with closing(duckdb.connect()) as con:
        _day_units(con, retail_dir, mappings_dir, day)
        rows = con.execute(sql_text("select_retail_day_units")).fetchall()
    sales: dict[tuple, dict] = defaultdict(dict)
    for company, site, warehouse, store_id, item, units in rows:
        sales[(company, site, warehouse, store_id)][item] = units
    return dict(sales)


def post_pos_sales_of_day(
    sim: D365Simulator,
    retail_dir: Path,
    mappings_dir: Path,
    day: date,
    stores: set[str] | None = None,
) -> dict[str, bool]:
    """Post the day's POS sales of ``stores`` (all mapped stores by default) to D365's stock,
    once per store and day; store -> whether this call moved stock."""
    posted = {}
    for (company, site, warehouse, store_id), units in pos_sales_of_day(
        retail_dir, mappings_dir, day
    ).items():
        if stores is None or store_id in stores:
            posted[store_id] = sim.on_hand.post_pos_sales(
                company, site, warehouse, f"{store_id}:{day.isoformat()}", units
            )
    return posted


def _day_units(
    con: duckdb.DuckDBPyConnection, retail_dir: Path, mappings_dir: Path, day: date
) -> None:
    run_script(
        con,
        sql_text("create_retail_day_units"),
        {
            "tickets": _file(retail_dir, "tickets"),
            "locations": _file(retail_dir, "locations"),
            "warehouses": _warehouses(mappings_dir),
            "day_number": day.toordinal() - FIRST_RETAIL_DAY_ORDINAL,
        },
    )


def _file(retail_dir: Path, resource: str) -> str:
    return str(Path(retail_dir) / f"{resource}.ndjson")


def _warehouses(mappings_dir: Path) -> str:
    return str(Path(mappings_dir) / "store_warehouses.csv")
