"""Which D365 payment method a store's card brand or tender type maps to on a business day: the
store's own row of mappings/payment_methods.csv before the all-stores row (store_id blank or
``*``), and within each, the newest ``valid_from`` on or before the day. Every reader of payment
methods (the canonical payments, POS tenders and settlement fees) asks through the one lookup
``mapped_payment_method`` that the ref loader creates; this pins its rule on the real loader.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.mapping_files import append_row
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema

UNIQUE = ("source_field", "source_value", "store_id", "valid_from")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, Path]:
    mappings = tmp_path_factory.mktemp("overrides") / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    for code, valid_from, store in (
        ("VISA_PHX", "2026-06-01", "S007"),  # S007's own row from June
        ("VISA_NEW", "2026-09-01", ""),  # every store from September
        ("VISA_PHX2", "2026-10-01", "S007"),  # S007's own row from October
        ("EBT", "2026-01-01", "S008"),  # a value only S008 takes
        ("CASH_DEN", "2026-01-01", "*"),  # * reads as every store, as in pos_discount_policy
    ):
        field, value = ("tender_type", "EBT") if code == "EBT" else ("card_brand", "Visa")
        if code == "CASH_DEN":
            field, value = "tender_type", "Cash Deposit"
        append_row(
            mappings / "payment_methods.csv",
            {"source_field": field, "source_value": value, "payment_method_code": code,
             "valid_from": valid_from, "store_id": store},
            UNIQUE,
        )  # fmt: skip
    conn = duckdb.connect()
    ensure_schema(conn)
    load_mappings(conn, mappings)
    yield conn, mappings
    conn.close()


def mapped(conn: duckdb.DuckDBPyConnection, field: str, value: str, store: str | None, day: str):
    return conn.execute(
        "SELECT mapped_payment_method($field, $value, $store, CAST($day AS DATE))",
        {"field": field, "value": value, "store": store, "day": day},
    ).fetchone()[0]


@pytest.mark.parametrize(
    ("store", "day", "code"),
    [
        # Before any override: the shipped all-stores row.
        ("S007", "2026-05-31", "VISA"),
        # The store's own row from its valid_from.
        ("S007", "2026-06-01", "VISA_PHX"),
        # A newer all-stores row does not take over a store that has its own row on the day.
        ("S007", "2026-09-15", "VISA_PHX"),
        # Within the store's own rows, the newest on or before the day.
        ("S007", "2026-10-01", "VISA_PHX2"),
        # Another store: the all-stores rows alone, newest on or before the day.
        ("S001", "2026-08-31", "VISA"),
        ("S001", "2026-09-01", "VISA_NEW"),
        # A record whose store is unknown maps as every store does.
        (None, "2026-10-15", "VISA_NEW"),
    ],
)
def test_a_stores_own_row_wins_over_the_all_stores_row_each_by_valid_from(
    warehouse, store: str | None, day: str, code: str
) -> None:
    conn, _ = warehouse
    # Matched as the sources send it: any case, spaces as underscores.
    assert mapped(conn, "card_brand", " visa ", store, day) == code


def test_a_value_only_one_store_maps_stays_unmapped_for_the_others(warehouse) -> None:
    conn, _ = warehouse
    assert mapped(conn, "tender_type", "EBT", "S008", "2026-11-20") == "EBT"
    assert mapped(conn, "tender_type", "EBT", "S001", "2026-11-20") is None
    assert mapped(conn, "tender_type", "EBT", "S008", "2025-12-31") is None
    assert mapped(conn, "card_brand", "EBT", "S008", "2026-11-20") is None


def test_a_star_or_blank_store_is_every_store(warehouse) -> None:
    conn, _ = warehouse
    assert mapped(conn, "tender_type", "cash deposit", "S003", "2026-11-20") == "CASH_DEN"
    assert conn.execute(
        "SELECT count(*) FROM ref.payment_methods WHERE store_id IS NULL"
    ).fetchone()[0] == 11 + 2  # fmt: skip


def test_two_rows_of_one_value_scope_and_day_naming_different_methods_are_refused(
    tmp_path: Path,
) -> None:
    """Which of the two applies cannot be decided: the load names them instead of picking one."""
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    with (mappings / "payment_methods.csv").open("a") as file:
        file.write("card_brand,Visa,VISA_A,first,2026-06-01,S007\n")
        file.write("card_brand,VISA,VISA_B,second,2026-06-01,S007\n")
    conn = duckdb.connect()
    ensure_schema(conn)
    with pytest.raises(duckdb.Error, match=r"VISA for store S007 from 2026-06-01 .*VISA_A, VISA_B"):
        load_mappings(conn, mappings)
