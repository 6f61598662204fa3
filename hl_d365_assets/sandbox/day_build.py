"""A sandbox day as tables in an in-memory DuckDB, built by the SQL files in ``sandbox/sql/``.

``open_world`` loads what every day shares (seed, catalogue, card brands, defect texts, macros);
``build_day`` then creates, for one business day, the tables the day's lines are rendered from:

    stores -> slots -> tickets -> transaction_events -> (defects) -> (risk patterns)
           -> (order payments) -> settlement_batches -> (fees above contract)
           -> <entity>_envelopes views (the gateway's; the POS tickets
           are rendered as Heartland Retail documents by retail_store.py)

Order payments (order_payments.py) need ``create_order_tables`` run once on the world first.

Every value is a pure function of (seed, day, store, slot), so a day's tables are the same
whatever DuckDB's thread count; nothing reads the wall clock.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import duckdb

from hl_d365_assets.sandbox.card_brands import CARD_BRANDS
from hl_d365_assets.sandbox.defects import (
    BATCH_DEFECT_KINDS,
    RECORD_DEFECT_KINDS,
    DefectRates,
    choose_defects,
    set_defect_variables,
)
from hl_d365_assets.sandbox.products import (
    CARDHOLDER_NAMES,
    CATALOG_SIZE,
)
from hl_d365_assets.sandbox.risk_patterns import (
    RiskPatternRates,
    inject_risk_batches,
    inject_risk_records,
)
from hl_d365_assets.sandbox.sql_files import run_sql_file
from hl_d365_assets.sandbox.stores import Store

# card_masked_number (create_macros.sql) draws one of 12 BIN slots per brand.
BIN_SLOTS_PER_BRAND = 12
# Makes hex digits 1 and 12 of a 64-bit half a letter (hex32 in create_macros.sql).
HEX_LETTER_MASK = 0xA0000000000A0000


def open_world(seed: int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the sandbox's shared variables, macros and card brands."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false").fetchall()
    for name, value, sql_type in (
        ("seed", seed, "BIGINT"),
        ("catalog_size", CATALOG_SIZE, "BIGINT"),
        (
            "cardholder_names_json",
            [json.dumps(name, ensure_ascii=False) for name in CARDHOLDER_NAMES],
            "VARCHAR[]",
        ),
        ("cardholder_name_count", len(CARDHOLDER_NAMES), "BIGINT"),
        ("brand_names", [brand.name for brand in CARD_BRANDS], "VARCHAR[]"),
        (
            "brand_bins",
            [
                brand.bins[i % len(brand.bins)]
                for brand in CARD_BRANDS
                for i in range(BIN_SLOTS_PER_BRAND)
            ],
            "VARCHAR[]",
        ),
        ("brand_masks", ["X" * (brand.pan_length - 10) for brand in CARD_BRANDS], "VARCHAR[]"),
        (
            "brand_pick",
            [
                index
                for index, brand in enumerate(CARD_BRANDS, 1)
                for _ in range(brand.share_per_mille)
            ],
            "INTEGER[]",
        ),
    ):
        set_variable(con, name, value, sql_type)
    set_defect_variables(con)
    run_sql_file(con, "create_catalog_macros")
    for name, macro in (("catalog_prices", "catalog_price"), ("catalog_costs", "catalog_cost")):
        con.execute(
            f"SET VARIABLE {name} = (SELECT list({macro}(sku) ORDER BY sku) FROM range(?) AS r(sku))",
            [CATALOG_SIZE],
        ).fetchall()
    run_sql_file(con, "create_macros")
    run_sql_file(con, "create_card_brands")
    con.executemany(
        "INSERT INTO card_brands VALUES (?, ?, ?, ?)",
        [(index, b.name, b.fee_rate_bp, b.fee_per_sale) for index, b in enumerate(CARD_BRANDS, 1)],
    )
    return con


def build_day(
    con: duckdb.DuckDBPyConnection,
    day: date,
    stores: list[Store],
    transactions_per_store: int,
    defect_rates: DefectRates,
    order_payments: bool = False,
    card_numbers_everywhere: bool = False,
    risk: RiskPatternRates | None = None,
) -> None:
    """Create the day's tables and envelope views, defects applied, orders paid if asked, risk
    patterns injected if ``risk`` (risk_patterns.py; their truth: ``risk_truth``)."""
    set_variable(con, "day", day.toordinal(), "BIGINT")
    set_variable(con, "day_text", day.strftime("%Y%m%d"), "VARCHAR")
    set_variable(con, "deposit_date", (day + timedelta(days=1)).isoformat(), "VARCHAR")
    set_variable(con, "slots_per_store", transactions_per_store, "BIGINT")
    _create_stores(con, day, stores)
    run_sql_file(con, "create_slots")
    run_sql_file(con, "create_tickets")
    run_sql_file(con, "create_transaction_events")
    run_sql_file(con, "create_defects")
    choose_defects(con, RECORD_DEFECT_KINDS, defect_rates, "create_defect_candidates")
    run_sql_file(con, "apply_record_defects")
    if risk is not None:
        inject_risk_records(con, risk)
    if order_payments:
        run_sql_file(con, "create_order_payments")
    run_sql_file(con, "create_settlement_batches")
    choose_defects(con, BATCH_DEFECT_KINDS, defect_rates, "create_batch_defect_candidates")
    run_sql_file(con, "apply_batch_defects")
    if risk is not None:
        inject_risk_batches(con)
    run_sql_file(con, "create_envelopes")
    if card_numbers_everywhere:
        run_sql_file(con, "inject_card_numbers_everywhere")
    run_sql_file(con, "describe_malformed_lines")


def set_variable(con: duckdb.DuckDBPyConnection, name: str, value: object, sql_type: str) -> None:
    con.execute(f"SET VARIABLE {name} = ?::{sql_type}", [value]).fetchall()


def _create_stores(con: duckdb.DuckDBPyConnection, day: date, stores: list[Store]) -> None:
    """One row per store with what its day needs: codes, tax rate, the day's UTC offset, ids."""
    midnight_ms = (day - date(1970, 1, 1)).days * 86_400_000
    rows = []
    for index, store in enumerate(stores):
        offset = store.utc_offset(day)
        rows.append(
            (
                index,
                store.store_id,
                store.merchant_id,
                store.store_name,
                json.dumps(store.store_name, ensure_ascii=False),
                _account_id(store.merchant_id),
                store.currency,
                store.tax_code,
                store.tax_rate_ppm,
                midnight_ms,
                offset // timedelta(milliseconds=1),
                _offset_text(offset),
                f"BAT_{day.toordinal()}-{store.number:03d}",
                f"DEP_{day.toordinal()}{store.number:03d}",
            )
        )
    run_sql_file(con, "create_stores")
    con.executemany(f"INSERT INTO stores VALUES ({', '.join('?' * len(rows[0]))})", rows)


def _account_id(merchant_id: str) -> str:
    """``TRA_`` + 32 hex, broken up by letters like the SQL ids (hex32 in create_macros.sql)."""
    digest = hashlib.md5(f"{merchant_id}:Transaction_Processing".encode()).digest()
    halves = (
        int.from_bytes(digest[:8]) | HEX_LETTER_MASK,
        int.from_bytes(digest[8:]) | HEX_LETTER_MASK,
    )
    return "TRA_" + "".join(f"{half:016X}" for half in halves)


def _offset_text(offset: timedelta) -> str:
    minutes = offset // timedelta(minutes=1)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
