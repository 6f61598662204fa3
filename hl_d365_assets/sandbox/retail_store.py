"""The sandbox's Heartland Retail account: the documents the Retail simulator serves, as files.

Rendered from the same seeded day as the GP-API data (day_build.py), so the POS and the gateway
agree where real ones would (a card payment's ``custom.gateway_transaction_id`` is the TRN id
that took it) and disagree only where a defect says so. The store is a directory,
``<data_dir>/sandbox/heartland_retail/``, the interface to the simulator:

- ``<resource>.ndjson`` for each of ``RESOURCES``: one served document per line, exactly as
  docs/heartland_retail.md shows it, money as JSON numbers in major units (rendered in SQL from
  integer minor units, never through a float). A later line with the same ``id`` and a later
  ``updated_at`` is that record edited.
- ``tickets`` and ``customers`` grow: each generated day appends its tickets (its edited tickets
  after them), and the customers of each store-week the first time a day of it is written.
  Generating a day twice appends its tickets twice, as the landing zone lands it twice.
- The other resources are snapshots, replaced whole (write, then rename) by every day written:
  the catalogue, locations and payment types do not change; ``inventory_values`` is the stock at
  the end of the last day written.
- ``customer_duplicates.ndjson``: the customers issue's ground truth, one line per person on file
  more than once (customers.py).

At a million transactions a day tickets are rendered in chunks of one store's slots, like the
landing lines (delivery.py), and written as each chunk comes.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox.card_brands import CARD_BRANDS, RETAIL_PAYMENT_TYPE_NAMES
from hl_d365_assets.sandbox.customers import (
    EMAIL_DOMAINS,
    FIRST_NAMES,
    STREETS,
    SURNAMES,
    region_of,
)
from hl_d365_assets.sandbox.day_build import build_day, open_world, set_variable
from hl_d365_assets.sandbox.delivery import CHUNK_SLOTS, END_OF_STORE
from hl_d365_assets.sandbox.order_payments import create_order_tables, load_seed_orders
from hl_d365_assets.sandbox.products import (
    ADJECTIVES,
    CATALOG_DESCRIPTIONS,
    CATALOG_SKUS,
    GRID_COLORS,
    GRID_NOUNS,
    GRID_SIZES,
    NOUNS,
)
from hl_d365_assets.sandbox.sql_files import run_sql_file, sql_statement, sql_text
from hl_d365_assets.sandbox.stores import Store

if TYPE_CHECKING:
    from hl_d365_assets.sandbox.generator import SandboxConfig

RESOURCES: tuple[str, ...] = (
    "tickets",
    "items",
    "item_grids",
    "customers",
    "locations",
    "stations",
    "payment_types",
    "inventory_values",
)
SNAPSHOTS: tuple[str, ...] = (
    "items",
    "item_grids",
    "locations",
    "stations",
    "payment_types",
    "inventory_values",
)
CUSTOMER_DUPLICATES = "customer_duplicates"
CATALOGUE_TIME = "2020-01-02T14:00:00.000Z"
"""When the sandbox account's catalogue, locations and payment types were set up (the stores'
mappings are valid from 2020-01-01)."""
TICKET_IDS_PER_DAY = 10_000_000
"""Ticket ids are day number x 10 million + position (create_retail_macros.sql)."""
PAYMENT_TYPE_NAMES: tuple[str, ...] = (
    "Cash",
    *(RETAIL_PAYMENT_TYPE_NAMES[brand.name] for brand in CARD_BRANDS),
    "Gift Card",
    "Store Credit",
    "Crypto",
)
"""In id order (ids 1..11); retail_payment_type_id in create_retail_macros.sql relies on it."""

_CUSTOMER_ID = re.compile(r'^\{"id":(\d+),')

Progress = Callable[[str], None]


@dataclass
class RetailStoreReport:
    directory: Path
    tickets: dict[str, int]
    """business date -> ticket documents appended (edited versions included)."""
    customers: int
    """customer documents appended, the walk-in customer included."""
    seconds: float


def default_retail_store_dir(zone: LandingZone) -> Path:
    """``<data_dir>/sandbox/heartland_retail`` for a zone at ``<data_dir>/landing``."""
    return zone.root.parent / "sandbox" / "heartland_retail"


def prepare_retail_world(con: duckdb.DuckDBPyConnection, all_stores: list[Store]) -> None:
    """Add what every day's Retail documents share to a world opened by ``open_world``."""
    grid_of = {noun: index for index, noun in enumerate(GRID_NOUNS, 1)}
    grids, sizes, colors = [], [], []
    for sku in range(len(CATALOG_SKUS)):
        adjective, noun = sku % len(ADJECTIVES), NOUNS[sku // len(ADJECTIVES)]
        grid = grid_of.get(noun, 0)
        grids.append(grid)
        sizes.append(GRID_SIZES[adjective // len(GRID_COLORS)] if grid else None)
        colors.append(GRID_COLORS[adjective % len(GRID_COLORS)] if grid else None)
    for name, value, sql_type in (
        ("retail_catalogue_time", CATALOGUE_TIME, "VARCHAR"),
        ("retail_catalog_skus", list(CATALOG_SKUS), "VARCHAR[]"),
        ("retail_catalog_descriptions", list(CATALOG_DESCRIPTIONS), "VARCHAR[]"),
        (
            "retail_catalog_descriptions_json",
            [json.dumps(text, ensure_ascii=False) for text in CATALOG_DESCRIPTIONS],
            "VARCHAR[]",
        ),
        ("retail_item_grids", grids, "INTEGER[]"),
        ("retail_item_sizes", sizes, "VARCHAR[]"),
        ("retail_item_colors", colors, "VARCHAR[]"),
        ("retail_grid_names", list(GRID_NOUNS), "VARCHAR[]"),
        ("retail_payment_type_names", list(PAYMENT_TYPE_NAMES), "VARCHAR[]"),
        ("retail_payment_type_count", len(PAYMENT_TYPE_NAMES), "BIGINT"),
        ("retail_first_names", [first for first, _ in FIRST_NAMES], "VARCHAR[]"),
        ("retail_nicknames", [nickname for _, nickname in FIRST_NAMES], "VARCHAR[]"),
        ("retail_surnames", list(SURNAMES), "VARCHAR[]"),
        ("retail_streets", [street for street, _ in STREETS], "VARCHAR[]"),
        ("retail_street_abbreviations", [short for _, short in STREETS], "VARCHAR[]"),
        ("retail_email_domains", list(EMAIL_DOMAINS), "VARCHAR[]"),
    ):
        set_variable(con, name, value, sql_type)
    run_sql_file(con, "create_retail_macros")
    run_sql_file(con, "create_retail_catalogue")
    run_sql_file(con, "create_retail_locations")
    rows = []
    for store in all_stores:
        region = region_of(store.timezone)
        rows.append(
            (
                store.number,
                store.store_id,
                store.store_name,
                region.city,
                region.state,
                region.country,
                region.area_code,
                region.zip_prefix,
            )
        )
    con.executemany(f"INSERT INTO retail_locations VALUES ({', '.join('?' * 8)})", rows)


def write_retail_day(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    day: date,
    store_count: int,
    slots_per_store: int,
) -> tuple[int, int]:
    """Write the day built in ``con`` into the store; (tickets, customers) appended."""
    run_sql_file(con, "create_retail_customers")
    run_sql_file(con, "create_retail_tickets")
    run_sql_file(con, "create_retail_inventory_values")
    ticket_numbers = con.execute("SELECT sum(ticket_numbers) FROM retail_ticket_bases").fetchall()[
        0
    ][0]
    if ticket_numbers >= TICKET_IDS_PER_DAY:
        raise ValueError(
            f"{day}: {ticket_numbers:,} ticket numbers do not fit the {TICKET_IDS_PER_DAY:,} "
            "Retail ticket ids of a day; generate fewer transactions per store"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for resource in SNAPSHOTS:
        _replace(directory / f"{resource}.ndjson", _documents(con, resource))
    customers = _append_customers(con, directory)

    tickets = 0
    chunks = _ticket_chunks(store_count, slots_per_store)
    with (directory / "tickets.ndjson").open("a", encoding="utf-8") as handle:
        if len(chunks) == 1:
            rows = con.execute(sql_text("select_retail_tickets")).fetchall()
            return _write_lines(handle, rows), customers
        for chunk in chunks:
            rows = con.execute(sql_text("select_retail_ticket_lines"), chunk).fetchall()
            tickets += _write_lines(handle, rows)
        edits = con.execute(sql_text("select_retail_ticket_edits")).fetchall()
        tickets += _write_lines(handle, edits)
    return tickets, customers


def _ticket_chunks(store_count: int, slots_per_store: int) -> list[dict[str, int]]:
    """Stores and slot ranges of about ``CHUNK_SLOTS`` slots each, in landing order."""
    if slots_per_store <= CHUNK_SLOTS:
        stores_per_chunk = CHUNK_SLOTS // slots_per_store
        return [
            {
                "first_store": first_store,
                "end_store": min(first_store + stores_per_chunk, store_count),
                "first": 0,
                "end": END_OF_STORE,
            }
            for first_store in range(0, store_count, stores_per_chunk)
        ]
    return [
        {
            "first_store": store_idx,
            "end_store": store_idx + 1,
            "first": first,
            "end": first + CHUNK_SLOTS if first + CHUNK_SLOTS < slots_per_store else END_OF_STORE,
        }
        for store_idx in range(store_count)
        for first in range(0, slots_per_store, CHUNK_SLOTS)
    ]


def write_retail_store(
    directory: Path,
    days: list[date],
    config: SandboxConfig,
    progress: Progress | None = None,
) -> RetailStoreReport:
    """Write ``days`` into the Retail store at ``directory`` without landing anything.

    The same seed, days and configuration give the same documents ``generate`` writes.
    """
    started = time.monotonic()
    say = progress or (lambda _message: None)
    all_stores, stores = config.stores()
    tickets: dict[str, int] = {}
    customers = 0
    with closing(open_world(config.seed)) as con:
        if config.order_payments:
            create_order_tables(con, load_seed_orders(), all_stores)
        prepare_retail_world(con, all_stores)
        for day in days:
            build_day(
                con,
                day,
                stores,
                config.transactions_per_store_day,
                config.defect_rates,
                config.order_payments,
                risk=config.risk,
            )
            day_tickets, day_customers = write_retail_day(
                con, directory, day, len(stores), config.transactions_per_store_day
            )
            tickets[day.isoformat()] = tickets.get(day.isoformat(), 0) + day_tickets
            customers += day_customers
            say(f"{day}: wrote {day_tickets:,} Retail tickets to {directory}")
    return RetailStoreReport(directory, tickets, customers, time.monotonic() - started)


def _documents(con: duckdb.DuckDBPyConnection, resource: str) -> list[tuple[str]]:
    return con.execute(sql_statement("select_retail_documents", resource=resource)).fetchall()


def _append_customers(con: duckdb.DuckDBPyConnection, directory: Path) -> int:
    """Append the day's store-weeks not in the store yet, the walk-in customer first of all."""
    path = directory / "customers.ndjson"
    written: set[int] = set()
    lines: list[tuple[str]] = []
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                match = _CUSTOMER_ID.match(line)
                if match and int(match.group(1)) > 1:
                    written.add(int(match.group(1)) // 1000)
    else:
        lines = con.execute("SELECT line FROM retail_walk_in_customer_document").fetchall()
    parameters = {"written": sorted(written)}
    lines += con.execute(sql_text("select_retail_customers"), parameters).fetchall()
    duplicates = con.execute(sql_text("select_retail_customer_duplicates"), parameters).fetchall()
    with path.open("a", encoding="utf-8") as handle:
        appended = _write_lines(handle, lines)
    with (directory / f"{CUSTOMER_DUPLICATES}.ndjson").open("a", encoding="utf-8") as handle:
        _write_lines(handle, duplicates)
    return appended


def _write_lines(handle, rows: list[tuple[str]]) -> int:
    if rows:
        handle.write("\n".join(row[0] for row in rows) + "\n")
    return len(rows)


def _replace(path: Path, rows: list[tuple[str]]) -> None:
    """Write a snapshot beside ``path`` and rename it over, so a reader sees the old or the new."""
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as handle:
        _write_lines(handle, rows)
    os.replace(partial, path)
