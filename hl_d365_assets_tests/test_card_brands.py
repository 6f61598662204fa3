"""Every card brand GP-API reports is mapped to a clearing account, and the sandbox sends each.

A million-transaction day from another generator carried 200,000 JCB payments, and every one was
flagged unmapped: the mappings covered only the brands our sandbox happened to generate.
"""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.sandbox.card_brands import CARD_BRANDS, CARD_BRANDS_BY_NAME
from hl_d365_assets.settings import PROJECT_ROOT

from .conftest import generate_days, make_settings, run_day

MAPPINGS = PROJECT_ROOT / "mappings"
D365_SEED = PROJECT_ROOT / "hl_d365_assets" / "sandbox" / "d365_seed"

GP_BRANDS = ("VISA", "MASTERCARD", "AMEX", "DISCOVER", "JCB", "DINERS", "CUP", "UNIONPAY")
"""``payment_method.card.brand`` as GP-API reports it (the GP SDKs' CardType, and both spellings
of UnionPay, whose string no GP source shows)."""

SCHEME_NUMBERS = {
    # brand -> (IIN ranges as (low, high) over the first six digits, card-number length), from
    # the schemes' published ranges, independent of the BIN lists in card_brands.py.
    "VISA": ([(400000, 499999)], 16),
    "MASTERCARD": ([(510000, 559999), (222100, 272099)], 16),
    "AMEX": ([(340000, 349999), (370000, 379999)], 15),
    "DISCOVER": ([(601100, 601199), (644000, 659999)], 16),
    "JCB": ([(352800, 358999)], 16),
    "DINERS": ([(360000, 369999), (300000, 305999)], 14),
    "CUP": ([(620000, 629999)], 16),
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_gp_brand_has_a_payment_method_a_clearing_rule_and_an_account_in_the_d365_chart() -> (
    None
):
    methods = {
        row["source_value"]: row["payment_method_code"]
        for row in _rows(MAPPINGS / "payment_methods.csv")
        if row["source_field"] == "card_brand"
    }
    rules = {
        row["match_value"]: row["main_account"]
        for row in _rows(MAPPINGS / "gl_posting_rules.csv")
        if row["posting_kind"] == "tender"
    }
    chart = {row["main_account"] for row in _rows(MAPPINGS / "gl_main_accounts.csv")}
    seed_chart = {row["MainAccountId"] for row in _rows(D365_SEED / "main_accounts.csv")}
    for brand in GP_BRANDS:
        assert brand in methods, f"{brand} is not in mappings/payment_methods.csv"
        account = rules.get(methods[brand])
        assert account, f"no tender rule for {methods[brand]} in gl_posting_rules.csv"
        assert account.startswith("112"), f"{brand} should clear in a card clearing account"
        assert account in chart and account in seed_chart
    # Each scheme settles and is charged separately, so each has its own clearing account.
    accounts = {rules[methods[brand]] for brand in GP_BRANDS}
    assert len(accounts) == len(set(methods[brand] for brand in GP_BRANDS)) == 7
    assert chart == seed_chart, "the D365 simulator's seed chart mirrors gl_main_accounts.csv"


def test_the_sandbox_sends_every_gp_brand() -> None:
    assert {brand.name for brand in CARD_BRANDS} == set(GP_BRANDS) - {"UNIONPAY"}


SHARE_DAY = date(2026, 11, 18)


@pytest.fixture(scope="module")
def large_day(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """One clean sandbox day of 5 x 4,000 transactions, its payments as a DuckDB table."""
    root = tmp_path_factory.mktemp("brands")
    zone = LandingZone(root / "landing")
    generate(
        zone,
        [SHARE_DAY],
        SandboxConfig(
            seed=11,
            transactions_per_store_day=4000,
            defect_rates=DefectRates.none(),
            mappings_dir=MAPPINGS,
        ),
    )
    conn = duckdb.connect(":memory:")
    segments = [str(path) for path in zone.segments("heartland", "payment_transactions", SHARE_DAY)]
    conn.execute(
        """
        CREATE TABLE cards AS
        SELECT DISTINCT
            payload.id AS transaction_id,
            payload.payment_method.card.brand AS brand,
            payload.payment_method.card.masked_number_first6last4 AS masked_number
        FROM read_json(?, format = 'newline_delimited', maximum_object_size = 1048576)
        """,
        [segments],
    )
    return conn


def test_the_sandbox_draws_each_brand_at_its_share(large_day: duckdb.DuckDBPyConnection) -> None:
    counts = dict(large_day.execute("SELECT brand, count(*) FROM cards GROUP BY brand").fetchall())
    total = sum(counts.values())
    assert total >= 19_000
    for brand in CARD_BRANDS:
        expected = brand.share_per_mille / 1000
        observed = counts.get(brand.name, 0) / total
        # Five standard deviations of a binomial share: fails on a wrong share, never by chance.
        tolerance = 5 * math.sqrt(expected * (1 - expected) / total)
        assert abs(observed - expected) <= tolerance, (brand.name, observed, expected)


def test_sandbox_card_numbers_lie_in_their_scheme_iin_range_and_length(
    large_day: duckdb.DuckDBPyConnection,
) -> None:
    rows = large_day.execute("SELECT DISTINCT brand, masked_number FROM cards").fetchall()
    assert {brand for brand, _ in rows} == set(SCHEME_NUMBERS)
    for brand, masked in rows:
        ranges, length = SCHEME_NUMBERS[brand]
        assert len(masked) == length == CARD_BRANDS_BY_NAME[brand].pan_length, (brand, masked)
        first6 = int(masked[:6])
        assert any(low <= first6 <= high for low, high in ranges), (brand, masked)


def test_a_day_of_every_brand_maps_with_no_unmapped_issue(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    day = date(2026, 11, 19)
    settings = make_settings(tmp_path / "data")
    generate_days(
        settings,
        [day],
        SandboxConfig(
            seed=5,
            transactions_per_store_day=400,
            defect_rates=DefectRates.none(),
            mappings_dir=settings.mappings_dir,
        ),
    )
    result = run_day(settings, instance, day)
    assert result.success
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        brands = conn.execute(
            "SELECT card_brand, payment_method_code, count(*) FILTER (WHERE mapping_issue LIKE '%unmapped%') "
            "FROM canonical.payments WHERE card_brand IS NOT NULL GROUP BY ALL ORDER BY 1"
        ).fetchall()
        unmapped_tenders = conn.execute(
            "SELECT count(*) FROM canonical.pos_tenders WHERE mapping_issue LIKE '%unmapped%'"
        ).fetchall()[0][0]
        unmapped_lines = conn.execute(
            "SELECT count(*) FROM gl.journal_lines WHERE mapping_issue IS NOT NULL"
        ).fetchall()[0][0]
        clearing = {
            account
            for (account,) in conn.execute(
                "SELECT DISTINCT main_account FROM gl.journal_lines WHERE main_account LIKE '112%'"
            ).fetchall()
        }
    finally:
        conn.close()
    assert brands == [
        ("AMEX", "AMEX", 0),
        ("CUP", "UNIONPAY", 0),
        ("DINERS", "DINERS", 0),
        ("DISCOVER", "DISC", 0),
        ("JCB", "JCB", 0),
        ("MASTERCARD", "MC", 0),
        ("VISA", "VISA", 0),
    ]
    assert unmapped_tenders == 0
    assert unmapped_lines == 0
    assert clearing == {"112100", "112200", "112300", "112400", "112500", "112600", "112700"}
