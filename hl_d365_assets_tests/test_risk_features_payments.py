"""Risk features of the payments and settlement domains (sql/risk/features_payments.sql,
features_settlement.sql) and their rules in mappings/risk_rules.csv.

Clean sandbox days, landed and materialised through raw and canonical by the real job, must give
(almost) no rule hits at the shipped thresholds; each pattern, added to a copy of that warehouse
as hand-made canonical rows, must fire its rule, and a near miss must not. The rules are evaluated
here with a small join of risk.features and the CSV: the production evaluator is the risk assets'.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.pci import contains_card_number
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.risk.config import read_risk_settings
from hl_d365_assets.sandbox import SandboxConfig
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema, run_script, sql_file

from .conftest import daily_job, generate_days, make_settings

MAPPINGS = PROJECT_ROOT / "mappings"
DAYS = [date(2026, 11, 10) + timedelta(days=n) for n in range(7)]
HISTORY_START = DAYS[0]
SCORED = DAYS[-2:]
DAY = DAYS[-1]
PER_STORE = 300

RULE_HITS = """
WITH rules AS (
    SELECT * FROM read_csv($rules, header = true, all_varchar = true)
)
SELECT f.business_date, f.entity_kind, f.entity_id, r.rule_id, r.pattern, f.value, f.evidence, f.record_ids
FROM risk.features AS f
JOIN rules AS r USING (domain, entity_kind, feature)
WHERE CASE r.operator
    WHEN '>=' THEN f.value >= r.threshold::DOUBLE
    WHEN '>' THEN f.value > r.threshold::DOUBLE
    WHEN '<=' THEN f.value <= r.threshold::DOUBLE
    WHEN '<' THEN f.value < r.threshold::DOUBLE
END
ORDER BY ALL
"""


@pytest.fixture(scope="module")
def clean_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven clean sandbox days (five stores x 300 transactions, order payments on), landed and
    materialised through raw and canonical in one run of the real job; every day before the last
    scored in turn, as the daily job scores them (a terminal's baseline and the phone orders of
    the history are read from those days' features)."""
    settings = make_settings(tmp_path_factory.mktemp("risk_payments") / "data")
    generate_days(
        settings,
        DAYS,
        SandboxConfig(
            transactions_per_store_day=PER_STORE,
            order_payments=True,
            mappings_dir=settings.mappings_dir,
        ),
    )
    job = daily_job()
    layers = {
        key for key in job.asset_layer.executable_asset_keys if key.path[0] in ("raw", "canonical")
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.get_subset(asset_selection=layers).execute_in_process(
            instance=instance,
            resources=build_resources(settings),
            tags={
                "dagster/asset_partition_range_start": str(DAYS[0]),
                "dagster/asset_partition_range_end": str(DAYS[-1]),
            },
        )
    assert result.success
    conn = duckdb.connect(str(settings.warehouse_path))
    ensure_schema(conn)
    load_mappings(conn, MAPPINGS)
    for day in DAYS[:-1]:
        score(conn, day, day)
    conn.close()
    return settings.warehouse_path


@pytest.fixture
def warehouse(clean_warehouse: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A copy of the clean warehouse for one test to add its records to."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(clean_warehouse, path)
    conn = duckdb.connect(str(path))
    ensure_schema(conn)
    load_mappings(conn, MAPPINGS)
    yield conn
    conn.close()


def score(conn: duckdb.DuckDBPyConnection, first: date = DAY, last: date = DAY) -> list[tuple]:
    """Write both domains' features for first..last over the trailing history; the rule hits."""
    conn.execute("DELETE FROM risk.features WHERE business_date BETWEEN ? AND ?", [first, last])
    params = {
        **read_risk_settings(conn).feature_params(first),
        "last": last,
        "window_start": HISTORY_START,
    }
    run_script(conn, sql_file("risk/features_payments.sql"), params)
    run_script(conn, sql_file("risk/features_settlement.sql"), params)
    return conn.execute(RULE_HITS, {"rules": str(MAPPINGS / "risk_rules.csv")}).fetchall()


def fired(hits: list[tuple], rule_id: str) -> list[tuple]:
    return [hit for hit in hits if hit[3] == rule_id]


def feature(conn: duckdb.DuckDBPyConnection, name: str, entity_id: str) -> float | None:
    row = conn.execute(
        "SELECT max(value) FROM risk.features WHERE feature = ? AND entity_id = ?",
        [name, entity_id],
    ).fetchone()
    return row[0]


def template(conn: duckdb.DuckDBPyConnection, store_id: str = "S001") -> str:
    """A plain captured, untipped chip sale of the scored day to copy hand-made rows from."""
    return conn.execute(
        """
        SELECT transaction_id FROM canonical.payments
        WHERE business_date = ? AND store_id = ? AND transaction_type = 'SALE'
          AND gateway_status = 'CAPTURED' AND tip_amount = 0 AND entry_mode = 'CHIP'
        ORDER BY transaction_id LIMIT 1
        """,
        [DAY, store_id],
    ).fetchone()[0]


def add_payment(
    conn: duckdb.DuckDBPyConnection,
    transaction_id: str,
    local_time: datetime,
    *,
    store_id: str = "S001",
    amount: str = "25.00",
    tip: str = "0.00",
    token: str | None = None,
    status: str = "CAPTURED",
    entry_mode: str = "CHIP",
    utc_offset_hours: int = 5,
) -> None:
    """A gateway transaction shaped like the store's others (copied from one of them), with no
    POS ticket: a card-not-present or abandoned attempt."""
    conn.execute(
        """
        INSERT INTO canonical.payments
        SELECT * REPLACE (
            $id AS transaction_id, CAST($local AS DATE) AS business_date, $store AS store_id,
            $status AS gateway_status,
            $mode AS entry_mode, $amount::DECIMAL(18, 2) AS amount, $tip::DECIMAL(18, 2) AS tip_amount,
            $amount::DECIMAL(18, 2) AS base_amount, coalesce($token, 'PMT_' || $id) AS payment_token,
            $local AS local_time, timezone('UTC', $local + to_hours($offset)) AS time_created,
            'EVT_' || $id AS source_event_id
        )
        FROM canonical.payments
        WHERE transaction_id = $template
        """,
        {
            "id": transaction_id,
            "store": store_id,
            "status": status,
            "mode": entry_mode,
            "amount": amount,
            "tip": tip,
            "token": token,
            "local": local_time,
            "offset": utc_offset_hours,
            "template": template(conn, store_id),
        },
    )


def at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second)


# Clean days ------------------------------------------------------------------------------------


def test_clean_sandbox_days_fire_no_payment_or_settlement_rule(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    hits = score(warehouse, SCORED[0], SCORED[-1])
    transactions = warehouse.execute(
        "SELECT count(*) FROM canonical.payments WHERE business_date BETWEEN ? AND ?",
        [SCORED[0], SCORED[-1]],
    ).fetchone()[0]
    assert transactions >= 2 * 5 * PER_STORE * 0.9
    # Fewer than one alert per 10,000 transactions: on these ~3,000, none at all.
    assert hits == [], [hit[-2] for hit in hits]


def test_every_till_transaction_gets_its_amount_row_and_every_batch_brand_its_fee_row(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    score(warehouse)
    # Phone and web orders (keyed in, no ticket) have too little history here for a distribution
    # of their own: only the till's transactions are held against one.
    missing = warehouse.execute(
        """
        SELECT count(*) FROM canonical.payments AS p
        WHERE p.business_date = $day AND p.store_id IS NOT NULL AND p.amount IS NOT NULL
          AND (p.entry_mode <> 'MANUAL' OR EXISTS (
            SELECT 1 FROM canonical.pos_tenders AS t WHERE t.gateway_transaction_id = p.transaction_id))
          AND NOT EXISTS (
            SELECT 1 FROM risk.features AS f
            WHERE f.feature = 'amount_robust_z' AND f.entity_id = p.transaction_id)
        """,
        {"day": DAY},
    ).fetchone()[0]
    assert missing == 0
    fee_rows, brand_rows = warehouse.execute(
        """
        SELECT
            (SELECT count(*) FROM risk.features WHERE feature = 'fee_excess_bp' AND business_date = $day),
            (SELECT count(*) FROM canonical.settlement_fees WHERE business_date = $day AND sales_amount > 0)
        """,
        {"day": DAY},
    ).fetchone()
    assert fee_rows == brand_rows > 0
    # The clean sandbox is charged exactly its contract (card_brands.py = card_fee_contracts.csv).
    assert warehouse.execute(
        "SELECT max(abs(value)) FROM risk.features WHERE feature = 'fee_excess_bp'"
    ).fetchone()[0] == pytest.approx(0.0)


def test_features_are_long_format_rows_with_record_ids_and_no_card_numbers(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    score(warehouse)
    rows = warehouse.execute(
        "SELECT domain, entity_kind, entity_id, evidence, record_ids, value FROM risk.features"
    ).fetchall()
    assert {row[0] for row in rows} == {"payments", "settlement"}
    assert {row[1] for row in rows} >= {"transaction", "terminal", "store", "batch_brand"}
    for _, kind, entity_id, evidence, record_ids, value in rows:
        # a share of nothing (no keyed-in sale on a register) has no records behind it
        assert record_ids or value == 0, (kind, entity_id)
        assert all(r.startswith(("transaction:TRN_", "batch:BAT_")) for r in record_ids)
        assert not contains_card_number(f"{entity_id} {evidence}")


def test_the_window_summed_from_kept_daily_bins_gives_the_features_binning_canonical_gives(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """The days before were scored, so their bins are kept and the day sums them; with the bins
    gone, the same day re-bins its window from canonical (and keeps those bins): same features."""
    features = (
        "SELECT entity_kind, entity_id, feature, value, evidence, record_ids FROM risk.features "
        "WHERE business_date = $day ORDER BY ALL"
    )
    window = (
        "SELECT count(DISTINCT business_date) FROM risk.payment_day_bins WHERE business_date < $day"
    )
    assert warehouse.execute(window, {"day": DAY}).fetchone()[0] == len(DAYS) - 1
    score(warehouse)
    from_bins = warehouse.execute(features, {"day": DAY}).fetchall()
    warehouse.execute("DELETE FROM risk.payment_day_bins")
    score(warehouse)
    assert warehouse.execute(features, {"day": DAY}).fetchall() == from_bins
    assert warehouse.execute(window, {"day": DAY}).fetchone()[0] == len(DAYS) - 1
    assert any(f == "amount_robust_z" for _, _, f, *_ in from_bins)


# Patterns, hand-made ----------------------------------------------------------------------------


def test_card_testing_burst_fires_and_the_same_attempts_spread_over_hours_do_not(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    for n in range(12):
        add_payment(
            warehouse,
            f"TRN_CT{n:04d}",
            at(14, 2) + timedelta(seconds=30 * n),
            amount="1.00",
            status="DECLINED" if n % 3 else "CAPTURED",
            entry_mode="MANUAL",
        )
    # The near miss: as many small keyed sales at S002, one every 20 minutes.
    for n in range(12):
        add_payment(
            warehouse,
            f"TRN_SP{n:04d}",
            at(9 + n // 3, 20 * (n % 3)),
            store_id="S002",
            amount="1.00",
            entry_mode="MANUAL",
            utc_offset_hours=6,
        )
    hits = fired(score(warehouse), "PAY_CARD_TESTING_SMALL")
    assert [(kind, entity) for _, kind, entity, *_ in hits] == [("store", "S001")]
    assert {f"transaction:TRN_CT{n:04d}" for n in range(12)} <= set(hits[0][-1])
    assert "12 sales under" in hits[0][-2] and "14:02 and 14:07" in hits[0][-2]
    assert feature(warehouse, "small_auths_10min_max", "S002") == 1


def test_one_card_at_two_stores_within_an_hour_fires_and_hours_apart_does_not(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_payment(warehouse, "TRN_MS0001", at(12, 0), token="PMT_TRAVEL1")
    # 11:40 in Chicago is 12:40 in New York: 40 minutes later.
    add_payment(
        warehouse,
        "TRN_MS0002",
        at(11, 40),
        store_id="S002",
        token="PMT_TRAVEL1",
        utc_offset_hours=6,
    )
    add_payment(warehouse, "TRN_MS0003", at(9, 0), token="PMT_TRAVEL2")
    add_payment(
        warehouse, "TRN_MS0004", at(13, 0), store_id="S002", token="PMT_TRAVEL2", utc_offset_hours=6
    )
    hits = fired(score(warehouse), "PAY_CARD_MANY_STORES")
    assert len(hits) == 1
    assert set(hits[0][-1]) == {"transaction:TRN_MS0001", "transaction:TRN_MS0002"}
    assert "2 stores (S001, S002) within one hour" in hits[0][-2]


def test_an_amount_far_above_the_store_s_own_fires_and_a_large_basket_does_not(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_payment(warehouse, "TRN_AO0001", at(15, 0), amount="6000.00")
    add_payment(warehouse, "TRN_AO0002", at(15, 5), amount="900.00")
    hits = fired(score(warehouse), "PAY_AMOUNT_OUTLIER")
    assert [entity for _, _, entity, *_ in hits] == ["TRN_AO0001"]
    assert hits[0][-2].startswith("6000.00 USD against a median of about ")
    assert feature(warehouse, "amount_robust_z", "TRN_AO0002") < 3.5


def test_an_amount_outlier_waits_for_three_days_of_history(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """A warehouse's first days hold no amount against a spread of a day or two of sales
    (amount_min_history_days, mappings/risk_settings.csv): the same far-out sale fires once the
    store's paid sales span three days of the window."""
    assert read_risk_settings(warehouse).amount_min_history_days == 3
    second, fourth = DAYS[1], DAYS[3]
    add_payment(warehouse, "TRN_AO1001", at(15, 0, day=second), amount="6000.00")
    add_payment(warehouse, "TRN_AO1003", at(15, 0, day=fourth), amount="6000.00")

    assert fired(score(warehouse, second, second), "PAY_AMOUNT_OUTLIER") == []
    [[on_second_day]] = warehouse.execute(
        "SELECT count(*) FROM risk.features WHERE business_date = ? AND feature = 'amount_robust_z'",
        [second],
    ).fetchall()
    assert on_second_day == 0

    hits = fired(score(warehouse, fourth, fourth), "PAY_AMOUNT_OUTLIER")
    assert [entity for _, _, entity, *_ in hits] == ["TRN_AO1003"]
    assert hits[0][-2].endswith(" over 3 days")


def test_a_transaction_at_night_fires_and_one_ten_minutes_after_closing_does_not(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_payment(warehouse, "TRN_OH0001", at(3, 10))
    add_payment(warehouse, "TRN_OH0002", at(21, 10))
    hits = fired(score(warehouse), "PAY_OFF_HOURS")
    assert [entity for _, _, entity, *_ in hits] == ["TRN_OH0001"]
    assert hits[0][5] == pytest.approx(290.0)
    assert "at 03:10 local, 290 minutes outside S001's hours 08:00-21:00" in hits[0][-2]
    assert feature(warehouse, "minutes_outside_trading_hours", "TRN_OH0002") == pytest.approx(10.0)
    assert feature(warehouse, "off_hours_transactions", "S001") == 2


def test_a_tip_of_sixty_percent_fires_and_one_of_twenty_two_percent_does_not(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_payment(warehouse, "TRN_TP0001", at(13, 0), amount="80.00", tip="30.00")
    add_payment(warehouse, "TRN_TP0002", at(13, 5), amount="61.00", tip="11.00")
    hits = fired(score(warehouse), "PAY_EXCESSIVE_TIP")
    assert [entity for _, _, entity, *_ in hits] == ["TRN_TP0001"]
    assert "tip 30.00 on 50.00 USD (60.0 %)" in hits[0][-2]
    assert feature(warehouse, "tip_ratio", "TRN_TP0002") == pytest.approx(0.22)


def _register_sales(conn: duckdb.DuckDBPyConnection, register: str, day: date) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            """
            SELECT p.transaction_id
            FROM canonical.payments AS p
            JOIN canonical.pos_tenders AS t ON t.gateway_transaction_id = p.transaction_id
            JOIN canonical.pos_sales AS s ON s.ticket_id = t.ticket_id AND s.business_date = t.business_date
            WHERE p.business_date = ? AND p.store_id = 'S001' AND s.register_id = ?
              AND p.transaction_type = 'SALE'
            ORDER BY p.transaction_id
            """,
            [day, register],
        ).fetchall()
    ]


def _set_entry_mode(conn: duckdb.DuckDBPyConnection, ids: list[str], mode: str) -> None:
    conn.execute(
        "UPDATE canonical.payments SET entry_mode = $mode WHERE list_contains($ids, transaction_id)",
        {"mode": mode, "ids": ids},
    )


def test_a_register_swiping_half_its_sales_for_days_fires_and_two_more_swipes_do_not(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    # R02 is compromised from the day before: half its sales swiped (fallback) on both days,
    # and the day before was scored so.
    for day in (DAYS[-2], DAY):
        sales = _register_sales(warehouse, "R02", day)
        assert len(sales) >= 30
        _set_entry_mode(warehouse, sales[::2], "SWIPE")
    assert fired(score(warehouse, DAYS[-2], DAYS[-2]), "PAY_TERMINAL_SWIPED")
    # R03 swipes two sales more than it would.
    chip = [
        tid
        for tid in _register_sales(warehouse, "R03", DAY)
        if warehouse.execute(
            "SELECT entry_mode FROM canonical.payments WHERE transaction_id = ?", [tid]
        ).fetchone()[0]
        != "SWIPE"
    ]
    _set_entry_mode(warehouse, chip[:2], "SWIPE")
    hits = [hit for hit in fired(score(warehouse), "PAY_TERMINAL_SWIPED") if hit[0] == DAY]
    # the second day still stands out: the median of its history moved little
    assert [entity for _, _, entity, *_ in hits] == ["S001/R02"]
    assert "swiped" in hits[0][-2] and "against a usual" in hits[0][-2]
    assert feature(warehouse, "swiped_share_lift", "S001/R03") < 1.5


def test_keyed_in_sales_on_a_register_fire_against_its_own_history(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    sales = _register_sales(warehouse, "R04", DAY)
    _set_entry_mode(warehouse, sales[::4], "MANUAL")
    hits = fired(score(warehouse), "PAY_TERMINAL_KEYED")
    assert [entity for _, _, entity, *_ in hits] == ["S001/R04"]


def test_fees_above_the_contract_fire_and_a_cent_does_not(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    visa, mastercard = warehouse.execute(
        """
        SELECT
            max(batch_id || '/' || card_brand) FILTER (WHERE card_brand = 'VISA' AND store_id = 'S001'),
            max(batch_id || '/' || card_brand) FILTER (WHERE card_brand = 'MASTERCARD' AND store_id = 'S002')
        FROM canonical.settlement_fees WHERE business_date = ?
        """,
        [DAY],
    ).fetchone()
    # VISA charged 2.05 % instead of 1.80 %; Mastercard one cent more than its contract.
    warehouse.execute(
        """
        UPDATE canonical.settlement_fees
        SET fees_amount = fees_amount + CASE card_brand
            WHEN 'VISA' THEN round(sales_amount * 0.0025, 2) ELSE 0.01 END
        WHERE business_date = ? AND batch_id || '/' || card_brand IN (?, ?)
        """,
        [DAY, visa, mastercard],
    )
    hits = fired(score(warehouse), "SET_FEE_ABOVE_CONTRACT")
    assert [entity for _, _, entity, *_ in hits] == [visa]
    assert hits[0][5] == pytest.approx(25.0, abs=0.01)
    assert hits[0][-1] == [f"batch:{visa}"]
    effective = feature(warehouse, "effective_fee_rate_bp", visa)
    assert effective == pytest.approx(205.0, abs=0.05)
    assert Decimal(str(round(feature(warehouse, "fee_excess_bp", mastercard), 4))) < 2


def test_fees_on_a_brand_without_sales_fire_with_the_amount_exact_in_the_evidence_only(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """A feature's value is a DOUBLE statistic; the fees are money, so they are not the value."""
    [(brand,)] = warehouse.execute(
        "SELECT min(batch_id || '/' || card_brand) FROM canonical.settlement_fees "
        "WHERE business_date = ? AND card_brand = 'VISA' AND store_id = 'S001'",
        [DAY],
    ).fetchall()
    warehouse.execute(
        "UPDATE canonical.settlement_fees SET sales_amount = 0, transaction_count = 0, "
        "fees_amount = 0.29 WHERE business_date = ? AND batch_id || '/' || card_brand = ?",
        [DAY, brand],
    )
    hits = fired(score(warehouse), "SET_FEES_WITHOUT_SALES")
    assert [entity for _, _, entity, *_ in hits] == [brand]
    assert feature(warehouse, "fees_without_sales", brand) == 1
    assert "VISA fees 0.29 USD with no captured sales" in hits[0][6]
