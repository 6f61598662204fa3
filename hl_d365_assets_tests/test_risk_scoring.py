"""Risk scoring from risk.features to the people: the rules of mappings/risk_rules.csv fire
set-based and say why in words, the newest rule version of a day wins, an IsolationForest trained
on the trailing window (never the day it scores) adds its points, alerts land in the one review
queue (recon.exceptions, kind risk_<pattern>) whose reviewer decisions survive re-runs and become
labels, high alerts reach ops.alerts, the blocking risk_hold check holds a day's journals, and a
D365 order whose customer or card is on an alert is not sent for payment until reviewed.

The feature rows are hand-made in the shape of the contract (the feature files belong to other
pieces); everything else is the real warehouse (DuckDB, ensure_schema), the real mappings loader
and a real Dagster instance.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pyarrow as pa
import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.defs.risk.assets import alerts, features, scores
from hl_d365_assets.ledger.journals import evaluate_journal_checks
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.risk.config import read_risk_settings
from hl_d365_assets.risk.scoring import DOMAINS, write_alerts, write_features, write_scores
from hl_d365_assets.risk.truth import evaluate
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets.warehouse import ensure_schema, run_script, sql_file, transaction
from hl_d365_assets_tests.conftest import make_settings

DAY = date(2026, 11, 20)
RULES = """rule_id,domain,entity_kind,feature,operator,threshold,points,severity,pattern,reason,valid_from
PAY_CT_1,payments,terminal,small_auths_10min_max,>=,8,70,high,card_testing,"{value} small authorisations within 10 minutes (rule: {threshold} or more): {evidence}",2026-01-01
PAY_AMT_1,payments,transaction,amount_robust_z,>=,12,40,medium,amount_outlier,"amount robust z {value} (rule v1: {threshold}): {evidence}",2026-01-01
PAY_AMT_1,payments,transaction,amount_robust_z,>=,10,40,medium,amount_outlier,"amount robust z {value} (rule v2: {threshold}): {evidence}",2026-11-20
PAY_AMT_1,payments,transaction,amount_robust_z,>=,2,40,medium,amount_outlier,"amount robust z {value} (rule v3, not yet in force): {evidence}",2026-12-01
PAY_TIP_1,payments,transaction,tip_ratio,>=,0.5,30,medium,excessive_tip,"tip ratio {value} (rule: {threshold}): {evidence}",2026-01-01
PR_DUP_1,payroll,employee,paychecks_in_run,>=,2,80,high,duplicate_paycheck,"paid {value} times in one run: {evidence}",2026-01-01
"""


def _mappings(directory: Path, **settings: float) -> Path:
    shutil.copytree(PROJECT_ROOT / "mappings", directory)
    (directory / "risk_rules.csv").write_text(RULES)
    if settings:
        path = directory / "risk_settings.csv"
        kept = [
            line for line in path.read_text().splitlines() if line.split(",")[0] not in settings
        ]
        path.write_text(
            "\n".join(kept + [f"{name},{value},test" for name, value in settings.items()]) + "\n"
        )
    return directory


def _feature(day, domain, kind, entity, feature, value, evidence=None, records=None, store="S001",
             legal_entity="usmf"):  # fmt: skip
    return (day, domain, kind, entity, store, legal_entity, feature, float(value), evidence,
            records or [f"transaction:{entity}"])  # fmt: skip


FEATURE_COLUMNS = ("business_date", "domain", "entity_kind", "entity_id", "store_id",
                   "legal_entity", "feature", "value", "evidence", "record_ids")  # fmt: skip


def _insert(conn: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """One INSERT of the rows, as the feature files write them (one statement per file)."""
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(FEATURE_COLUMNS)})
    conn.register("hand_made_features", table)
    conn.execute("INSERT INTO risk.features BY NAME SELECT * FROM hand_made_features")
    conn.unregister("hand_made_features")


def _history(days: int = 28, per_day: int = 40, seed: int = 1) -> list[tuple]:
    """Quiet transactions of the window before DAY: amounts near their median, small tips."""
    rng = np.random.default_rng(seed)
    rows = []
    for back in range(days, 0, -1):
        day = DAY - timedelta(days=back)
        for n in range(per_day):
            entity = f"TRN_{day:%m%d}_{n:03d}"
            rows.append(_feature(day, "payments", "transaction", entity, "amount_robust_z",
                                 rng.normal(0, 1), f"amount {10 + n}.00 USD"))  # fmt: skip
            rows.append(_feature(day, "payments", "transaction", entity, "tip_ratio",
                                 rng.uniform(0, 0.2)))  # fmt: skip
    return rows


def _score(conn: duckdb.DuckDBPyConnection, first: date = DAY, last: date = DAY, run_id="run"):
    settings = read_risk_settings(conn)
    with transaction(conn):
        write_scores(conn, first, last, settings)
        write_alerts(conn, first, last, settings, run_id)


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The schema and the test's mappings, built once and copied into each test."""
    folder = tmp_path_factory.mktemp("risk_template")
    path = folder / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)
        load_mappings(conn, _mappings(folder / "mappings"))
    return path


@pytest.fixture
def warehouse(tmp_path: Path, empty_warehouse: Path) -> duckdb.DuckDBPyConnection:
    shutil.copy(empty_warehouse, tmp_path / "warehouse.duckdb")
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield conn
    conn.close()


def test_a_high_rule_alone_alerts_with_its_reason_in_words(warehouse):
    _insert(warehouse, [_feature(DAY, "payments", "terminal", "S001/R2", "small_auths_10min_max",
                                 14, "14 authorisations under 2.00 USD between 14:02 and 14:09",
                                 ["transaction:TRN_B", "transaction:TRN_A"])])  # fmt: skip
    _score(warehouse)
    alert = warehouse.execute(
        "SELECT alert_id, pattern, severity, score, reasons, record_ids, exception_id "
        "FROM risk.alerts"
    ).fetchall()
    assert len(alert) == 1
    alert_id, pattern, severity, score, reasons, record_ids, exception_id = alert[0]
    assert (pattern, severity, score) == ("card_testing", "high", 70)
    assert reasons == (
        "14 small authorisations within 10 minutes (rule: 8 or more): 14 authorisations under "
        "2.00 USD between 14:02 and 14:09 (PAY_CT_1, +70)"
    )
    assert record_ids == ["transaction:TRN_A", "transaction:TRN_B"]
    assert alert_id.startswith("RSK_") and exception_id == "EXC_" + alert_id[4:]
    kind, status, detail = warehouse.execute(
        "SELECT kind, status, detail FROM recon.exceptions WHERE exception_id = ?", [exception_id]
    ).fetchone()
    assert (kind, status) == ("risk_card_testing", "open")
    assert "score 70 (high, terminal S001/R2)" in detail and "transaction:TRN_A" in detail
    # High: one alert for the webhook, raised once however often the day is scored.
    _score(warehouse)
    assert warehouse.execute("SELECT alert_id, kind FROM ops.alerts").fetchall() == [
        ("ALR_" + alert_id[4:], "risk_card_testing")
    ]


def test_the_rule_version_in_force_on_the_day_decides(warehouse):
    before = DAY - timedelta(days=1)
    _insert(warehouse, [
        _feature(before, "payments", "transaction", "TRN_OLD", "amount_robust_z", 11, "amount 900.00 USD"),
        _feature(DAY, "payments", "transaction", "TRN_NEW", "amount_robust_z", 11, "amount 900.00 USD"),
    ])  # fmt: skip
    _score(warehouse, before, DAY)
    fired = dict(
        warehouse.execute(
            "SELECT entity_id, top_reasons FROM risk.scores WHERE rule_points > 0"
        ).fetchall()
    )
    # v1 (12) was in force the day before; v2 (10) from DAY; v3 (2) only from December.
    assert list(fired) == ["TRN_NEW"]
    assert fired["TRN_NEW"].startswith("amount robust z 11 (rule v2: 10): amount 900.00 USD")


def test_points_add_up_and_the_strongest_rule_names_the_pattern(warehouse):
    _insert(warehouse, [
        _feature(DAY, "payments", "transaction", "TRN_X", "amount_robust_z", 10.5, "amount 800.00 USD"),
        _feature(DAY, "payments", "transaction", "TRN_X", "tip_ratio", 0.75, "tip 600.00 USD on 800.00 USD"),
        _feature(DAY, "payments", "transaction", "TRN_Y", "tip_ratio", 0.9, "tip 9.00 USD on 10.00 USD"),
    ])  # fmt: skip
    _score(warehouse)
    rows = warehouse.execute(
        "SELECT entity_id, rule_points, rules_fired, patterns, score, severity FROM risk.scores "
        "ORDER BY entity_id"
    ).fetchall()
    assert rows == [
        (
            "TRN_X",
            70,
            ["PAY_AMT_1", "PAY_TIP_1"],
            ["amount_outlier", "excessive_tip"],
            70,
            "medium",
        ),
        ("TRN_Y", 30, ["PAY_TIP_1"], ["excessive_tip"], 30, "medium"),
    ]
    assert warehouse.execute("SELECT entity_id, pattern FROM risk.alerts").fetchall() == [
        ("TRN_X", "amount_outlier")
    ]
    # Medium: reviewed in the queue, not pushed to the webhook.
    assert warehouse.execute("SELECT count(*) FROM ops.alerts").fetchone()[0] == 0


def test_a_feature_written_twice_for_an_entity_counts_once_at_its_larger_value(warehouse):
    # A store's busiest burst written once per currency: the rule fires once, on the larger.
    _insert(warehouse, [
        _feature(DAY, "payments", "terminal", "S001/R2", "small_auths_10min_max", 9,
                 "9 small auths in CAD", ["transaction:TRN_C1"]),
        _feature(DAY, "payments", "terminal", "S001/R2", "small_auths_10min_max", 12,
                 "12 small auths in USD", ["transaction:TRN_U1"]),
    ])  # fmt: skip
    _score(warehouse)
    assert warehouse.execute(
        "SELECT rule_points, rules_fired, features, record_ids, top_reasons FROM risk.scores"
    ).fetchall() == [
        (70, ["PAY_CT_1"], {"small_auths_10min_max": 12.0},
         ["transaction:TRN_C1", "transaction:TRN_U1"],
         "12 small authorisations within 10 minutes (rule: 8 or more): 12 small auths in USD "
         "(PAY_CT_1, +70)")
    ]  # fmt: skip


def test_a_feature_written_twice_in_the_window_trains_the_model_at_its_larger_value(warehouse):
    # The training matrix's cell for an entity-day's duplicated feature must not depend on which
    # row DuckDB returns last: each order of the two rows gives the larger value, once.
    for values in ((9.0, 12.0), (12.0, 9.0)):
        warehouse.execute(
            "CREATE OR REPLACE TEMP TABLE risk_model_training AS SELECT * FROM (VALUES "
            "(0, 0, 'small_auths_10min_max', $first), (0, 0, 'small_auths_10min_max', $second), "
            "(0, 0, 'decline_ratio', 0.5)) AS t(model_group, row_no, feature, value)",
            {"first": values[0], "second": values[1]},
        )
        warehouse.execute(
            "CREATE OR REPLACE TEMP TABLE risk_model_columns AS SELECT * FROM (VALUES "
            "(0, 'decline_ratio', 0), (0, 'small_auths_10min_max', 1)) AS c(model_group, feature, col)"
        )
        cells = warehouse.execute(sql_file("risk/select_model_training.sql")).fetchall()
        assert sorted(cells) == [(0, 0, 0, 0.5), (0, 0, 1, 12.0)]


def test_a_reviewers_decision_survives_re_runs_and_becomes_a_label(warehouse):
    _insert(warehouse, [
        _feature(DAY, "payments", "terminal", "S001/R2", "small_auths_10min_max", 14, "14 small auths"),
        _feature(DAY, "payments", "terminal", "S002/R1", "small_auths_10min_max", 9, "9 small auths", store="S002"),
    ])  # fmt: skip
    _score(warehouse)
    ids = dict(warehouse.execute("SELECT entity_id, exception_id FROM risk.alerts").fetchall())
    warehouse.execute(
        "UPDATE recon.exceptions SET status = 'fraud', resolution_note = 'stolen card numbers "
        "tested; terminal replaced', resolved_by = 'risk desk' WHERE exception_id = ?",
        [ids["S001/R2"]],
    )
    # The rules change their mind on both terminals: the open alert is cleared by the pipeline,
    # the decided one keeps the reviewer's status and note.
    warehouse.execute("UPDATE risk.features SET value = 3")
    _score(warehouse, run_id="rerun")
    rows = dict(
        warehouse.execute(
            "SELECT exception_id, (status, resolution_note, still_detected, cleared_by_run_id) "
            "FROM recon.exceptions"
        ).fetchall()
    )
    assert rows[ids["S001/R2"]] == (
        "fraud", "stolen card numbers tested; terminal replaced", False, "rerun"
    )  # fmt: skip
    assert rows[ids["S002/R1"]] == ("cleared", None, False, "rerun")
    labels = warehouse.execute(
        "SELECT entity_id, pattern, is_fraud, resolution_note, features FROM risk.labels"
    ).fetchall()
    assert labels == [
        ("S001/R2", "card_testing", True, "stolen card numbers tested; terminal replaced",
         {"small_auths_10min_max": 3.0})
    ]  # fmt: skip
    # The alert coming back reopens only what the pipeline cleared.
    warehouse.execute("UPDATE risk.features SET value = 14")
    _score(warehouse)
    statuses = dict(
        warehouse.execute("SELECT exception_id, status FROM recon.exceptions").fetchall()
    )
    assert statuses == {ids["S001/R2"]: "fraud", ids["S002/R1"]: "open"}


def test_the_model_learns_the_window_never_the_day_it_scores(warehouse, tmp_path):
    conn = warehouse
    # A model allowed to alert alone from 0.62 (the default, 0.80, is reached only far out).
    load_mappings(conn, _mappings(tmp_path / "m", model_floor=0.5, model_alert_score=0.62))
    _insert(conn, _history())
    # 60 transactions of the scored day alike and far from the window: a model trained on the
    # day itself would find them usual (they are a third of it); trained on the window, they are
    # anomalies. No rule fires on them (z 6 < 10, tip 0.4 < 0.5).
    day_rows = [
        row
        for n in range(60)
        for row in (
            _feature(DAY, "payments", "transaction", f"TRN_ODD_{n:02d}", "amount_robust_z", 6.0, "amount 400.00 USD"),
            _feature(DAY, "payments", "transaction", f"TRN_ODD_{n:02d}", "tip_ratio", 0.4),
        )
    ] + [
        row
        for n in range(120)
        for row in (
            _feature(DAY, "payments", "transaction", f"TRN_OK_{n:03d}", "amount_robust_z", (n % 7 - 3) / 3),
            _feature(DAY, "payments", "transaction", f"TRN_OK_{n:03d}", "tip_ratio", 0.1),
        )
    ]  # fmt: skip
    _insert(conn, day_rows)
    _score(conn)
    by_kind = conn.execute(
        "SELECT starts_with(entity_id, 'TRN_ODD') AS odd, min(model_score), max(model_score), "
        "count(*) FILTER (WHERE score >= 60) FROM risk.scores WHERE business_date = ? "
        "GROUP BY odd ORDER BY odd",
        [DAY],
    ).fetchall()
    (_, _, ok_max, ok_alerts), (_, odd_min, _, odd_alerts) = by_kind
    assert odd_min > ok_max and (odd_alerts, ok_alerts) == (60, 0)
    pattern, reasons, version = conn.execute(
        "SELECT pattern, reasons, model_version FROM risk.alerts LIMIT 1"
    ).fetchone()
    assert pattern == "model_anomaly"
    assert reasons.startswith("model: anomaly score ") and "most unusual" in reasons
    assert version.startswith(
        "scikit-learn 1.8.0 IsolationForest window 2026-10-23..2026-11-19 params "
    )
    # The same window gives the same model and the same scores (fixed random_state).
    first = conn.execute("SELECT entity_id, model_score FROM risk.scores ORDER BY 1").fetchall()
    _score(conn)
    assert (
        conn.execute("SELECT entity_id, model_score FROM risk.scores ORDER BY 1").fetchall()
        == first
    )
    # The window's first day has no history: rules only, model_score NULL.
    first_day = DAY - timedelta(days=28)
    _score(conn, first_day, first_day)
    assert conn.execute(
        "SELECT count(*), count(model_score) FROM risk.scores WHERE business_date = ?", [first_day]
    ).fetchone() == (40, 0)


def test_the_runner_replaces_the_days_rows_of_every_domain(warehouse, tmp_path):
    stale = DAY - timedelta(days=1)
    _insert(warehouse, [
        _feature(DAY, domain, "x", "E1", "f", 1) for domain in DOMAINS
    ] + [_feature(stale, "payments", "x", "E1", "f", 1)])  # fmt: skip
    with transaction(warehouse):
        outcome = write_features(warehouse, DAY, DAY, read_risk_settings(warehouse))
    # The domains whose file this build has wrote their rows again; the others are named.
    present = {f"risk/features_{d}.sql" for d in DOMAINS} - set(outcome.missing_files)
    assert set(outcome.rows_by_domain) <= {p.split("_")[1].removesuffix(".sql") for p in present}
    assert (
        warehouse.execute(
            "SELECT count(*) FROM risk.features WHERE business_date = ? AND entity_kind = 'x'",
            [DAY],
        ).fetchone()[0]
        == 0
    )
    assert (
        warehouse.execute(
            "SELECT count(*) FROM risk.features WHERE business_date = ?", [stale]
        ).fetchone()[0]
        == 1
    )


def _journal_line(conn, day, journal_key, legal_entity, line_number, amount):
    amount = Decimal(amount)
    conn.execute(
        "INSERT INTO gl.journal_lines (business_date, journal_key, legal_entity, currency, "
        "line_key, line_number, line_type, posting_kinds, text, amount, debit_amount, "
        "credit_amount, source_count, main_account, base_currency, base_amount, "
        "base_debit_amount, base_credit_amount, dimension_values) "
        "VALUES (?, ?, ?, 'USD', ?, ?, 'ledger', 'tender', 'card sales', ?, ?, ?, 1, NULL, "
        "'USD', ?, ?, ?, '')",
        [day, journal_key, legal_entity, f"{journal_key}-{line_number}", line_number, amount,
         max(amount, 0), max(-amount, 0), amount, max(amount, 0), max(-amount, 0)],
    )  # fmt: skip


def _gateway_transactions(conn, day, legal_entity, count):
    conn.execute(
        """
        INSERT INTO canonical.payments (business_date, transaction_id, merchant_id, legal_entity,
            transaction_type, gateway_status, currency, amount, time_created, last_received_at,
            is_late, event_count, source_event_id, source_segment_path, source_line_number)
        SELECT $day, 'TRN_V' || i, 'M1', $le, 'SALE', 'CAPTURED', 'USD', 1.00, now(), now(), false,
               1, 'E' || i, 'seg', i
        FROM range($count) AS t(i)
        """,
        {"day": day, "le": legal_entity, "count": count},
    )


def _risk_hold(conn) -> dict[str, tuple[bool, str]]:
    with transaction(conn):
        evaluate_journal_checks(conn, DAY, DAY)
    return {
        key: (passed, detail)
        for key, passed, detail in conn.execute(
            "SELECT journal_key, passed, detail FROM gl.journal_checks "
            "WHERE check_name = 'risk_hold' ORDER BY 1"
        ).fetchall()
    }


def _burst_terminals(count: int, store: str = "S001") -> list[tuple]:
    return [
        _feature(DAY, "payments", "terminal", f"{store}/R{n}", "small_auths_10min_max", 14,
                 "14 small auths", [f"transaction:TRN_R{n}"], store=store)
        for n in range(1, count + 1)
    ]  # fmt: skip


def test_more_open_high_alerts_than_the_limit_hold_the_days_journals_until_reviewed(warehouse):
    # risk_hold_max_open_high_alerts is 3 (mappings/risk_settings.csv): one alert in five is no
    # fraud at the target precision, so a day holds on the fourth open high alert, not the first.
    for entity in ("usmf", "demf"):
        key = f"{entity}-{DAY}-USD"
        _journal_line(warehouse, DAY, key, entity, 1, "100.00")
        _journal_line(warehouse, DAY, key, entity, 2, "-100.00")
    _insert(warehouse, _burst_terminals(4))
    _score(warehouse)
    held = _risk_hold(warehouse)
    # The alerts are usmf's: its journal is held, demf's posts.
    assert held["demf-2026-11-20-USD"] == (True, "no open high-severity risk alert")
    passed, detail = held["usmf-2026-11-20-USD"]
    assert not passed
    assert detail.startswith(
        "4 open high-severity risk alert(s), more than the limit of 3 (the larger of 3 and 1 per "
        "10,000 of the day's 0 gateway transactions, mappings/risk_settings.csv): RSK_"
    )
    assert "card_testing terminal S001/R1 score 70" in detail
    assert warehouse.execute(
        "SELECT checks_passed FROM gl.journals WHERE journal_key = 'usmf-2026-11-20-USD'"
    ).fetchone() == (False,)
    # A reviewer finds one of them no fraud: three open, at the limit, the day posts.
    warehouse.execute(
        "UPDATE recon.exceptions SET status = 'not_fraud', resolution_note = 'a charity "
        "collection with small amounts' WHERE source_keys LIKE '%/S001/R4'"
    )
    assert _risk_hold(warehouse)["usmf-2026-11-20-USD"] == (
        True,
        "3 open high-severity risk alert(s), within the limit of 3 (reviewers decide them in "
        "recon.exceptions)",
    )


def test_a_busy_day_holds_only_above_the_clean_day_alert_rate(warehouse, tmp_path):
    # 1 per 10,000 gateway transactions (the clean-day target) raises the limit on a busy day; at
    # 50,000 transactions, 5 open high alerts post and a sixth holds.
    _journal_line(warehouse, DAY, f"usmf-{DAY}-USD", "usmf", 1, "100.00")
    _journal_line(warehouse, DAY, f"usmf-{DAY}-USD", "usmf", 2, "-100.00")
    _gateway_transactions(warehouse, DAY, "usmf", 50_000)
    _insert(warehouse, _burst_terminals(5))
    _score(warehouse)
    assert _risk_hold(warehouse)[f"usmf-{DAY}-USD"][1].startswith(
        "5 open high-severity risk alert(s), within the limit of 5"
    )
    _insert(warehouse, _burst_terminals(6)[-1:])
    _score(warehouse)
    passed, detail = _risk_hold(warehouse)[f"usmf-{DAY}-USD"]
    assert not passed and detail.startswith(
        "6 open high-severity risk alert(s), more than the limit of 5 (the larger of 3 and 1 per "
        "10,000 of the day's 50000 gateway transactions"
    )
    # Finance sets the limits in mappings/risk_settings.csv: hold on any open high alert.
    load_mappings(
        warehouse,
        _mappings(
            tmp_path / "strict",
            risk_hold_max_open_high_alerts=0,
            risk_hold_max_open_high_alerts_per_10k=0,
        ),
    )
    assert not _risk_hold(warehouse)[f"usmf-{DAY}-USD"][0]
    warehouse.execute("UPDATE recon.exceptions SET status = 'fraud'")
    assert _risk_hold(warehouse)[f"usmf-{DAY}-USD"] == (True, "no open high-severity risk alert")


def test_an_order_whose_customer_or_card_is_on_an_open_alert_waits_for_the_review(warehouse):
    warehouse.execute(
        """
        INSERT INTO canonical.payments (business_date, transaction_id, merchant_id,
            transaction_type, gateway_status, currency, amount, payment_token, time_created,
            last_received_at, is_late, event_count, source_event_id, source_segment_path,
            source_line_number)
        VALUES (?, 'TRN_STOLEN', 'M1', 'SALE', 'CAPTURED', 'USD', 1.00, 'PMT_STOLEN', now(), now(),
                false, 1, 'E1', 'seg', 1)
        """,
        [DAY],
    )
    warehouse.execute(
        """
        INSERT INTO mdm.customers (golden_id, status, email, record_count, retail_record_count,
            d365_record_count, payment_record_count, created_at, updated_at)
        VALUES ('G1', 'active', 'pat@example.com', 2, 0, 1, 1, now(), now()),
               ('G2', 'active', 'PAT@example.com', 1, 0, 1, 0, now(), now()),
               ('G3', 'active', 'lee@example.com', 1, 0, 1, 0, now(), now())
        """
    )
    warehouse.execute(
        """
        INSERT INTO mdm.customer_xref (record_key, golden_id, source, source_key, linked_by,
            golden_has_d365, golden_has_retail, first_linked_at, linked_at)
        VALUES ('payments/PMT_STOLEN', 'G1', 'payments', 'PMT_STOLEN', 'rule', true, false, now(), now()),
               ('d365/usmf/US-001', 'G1', 'd365', 'usmf/US-001', 'rule', true, false, now(), now()),
               ('d365/usmf/US-002', 'G2', 'd365', 'usmf/US-002', 'rule', true, false, now(), now()),
               ('d365/usmf/US-003', 'G3', 'd365', 'usmf/US-003', 'rule', true, false, now(), now())
        """
    )
    warehouse.execute(
        """
        INSERT INTO ops.payment_requests (request_id, legal_entity, sales_order_number, kind,
            amount, currency, customer_account, payment_method_id, status, recorded_at, attempts)
        VALUES ('usmf-SO-1-link', 'usmf', 'SO-1', 'link', 10.00, 'USD', 'US-001', NULL, 'recorded', now(), 0),
               ('usmf-SO-2-link', 'usmf', 'SO-2', 'link', 10.00, 'USD', 'US-002', NULL, 'recorded', now(), 0),
               ('usmf-SO-3-card', 'usmf', 'SO-3', 'stored_card', 10.00, 'USD', 'US-003', 'PMT_STOLEN', 'waiting', now(), 1),
               ('usmf-SO-4-link', 'usmf', 'SO-4', 'link', 10.00, 'USD', 'US-003', NULL, 'recorded', now(), 0)
        """
    )  # fmt: skip
    _insert(warehouse, [_feature(DAY, "payments", "terminal", "S001/R2", "small_auths_10min_max",
                                 14, "14 small auths", ["transaction:TRN_STOLEN"])])  # fmt: skip
    _score(warehouse)

    for name in ("order_payment_methods", "currencies"):
        run_script(
            warehouse, sql_file(f"ref/load_{name}.sql"), {"dir": str(PROJECT_ROOT / "mappings")}
        )

    def to_send() -> list[str]:
        run_script(warehouse, sql_file("ops/stage_risk_held_payment_requests.sql"))
        run_script(warehouse, sql_file("ops/hold_payment_requests_at_risk.sql"))
        return [
            r[0]
            for r in warehouse.execute(
                sql_file("ops/select_payment_requests_to_send.sql")
            ).fetchall()
        ]

    # SO-1: the customer whose card is on the alert; SO-2: another golden record with the same
    # e-mail; SO-3: a charge on the card itself. SO-4 (same customer as SO-3, by link) goes.
    assert to_send() == ["usmf-SO-4-link"]
    assert (
        warehouse.execute(
            "SELECT last_error FROM ops.payment_requests WHERE request_id = 'usmf-SO-1-link'"
        )
        .fetchone()[0]
        .startswith("held for risk review: open risk alert(s) RSK_")
    )
    warehouse.execute("UPDATE recon.exceptions SET status = 'fraud'")
    assert to_send() == ["usmf-SO-4-link"]
    warehouse.execute("UPDATE recon.exceptions SET status = 'not_fraud'")
    assert sorted(to_send()) == [
        "usmf-SO-1-link", "usmf-SO-2-link", "usmf-SO-3-card", "usmf-SO-4-link"
    ]  # fmt: skip


def test_truth_gives_recall_per_pattern_precision_and_the_clean_day_rate(
    warehouse, tmp_path, monkeypatch, capsys
):
    clean_day = DAY - timedelta(days=1)
    warehouse.execute(
        """
        INSERT INTO canonical.payments (business_date, transaction_id, merchant_id,
            transaction_type, gateway_status, currency, amount, time_created, last_received_at,
            is_late, event_count, source_event_id, source_segment_path, source_line_number)
        SELECT ?, 'TRN_C' || i, 'M1', 'SALE', 'CAPTURED', 'USD', 1.00, now(), now(), false, 1,
               'E' || i, 'seg', i
        FROM range(20000) AS t(i)
        """,
        [clean_day],
    )
    _insert(warehouse, [
        _feature(DAY, "payments", "terminal", "S001/R2", "small_auths_10min_max", 14, "burst",
                 ["transaction:TRN_1", "transaction:TRN_2"]),
        _feature(DAY, "payments", "terminal", "S003/R1", "small_auths_10min_max", 9, "burst",
                 ["transaction:TRN_9"]),
        _feature(clean_day, "payments", "terminal", "S002/R1", "small_auths_10min_max", 8, "burst",
                 ["transaction:TRN_C7"]),
    ])  # fmt: skip
    _score(warehouse, clean_day, DAY)
    truth = tmp_path / "risk_truth.ndjson"
    lines = [
        ("card_testing", "CT1", "transaction:TRN_1"),
        ("card_testing", "CT1", "transaction:TRN_2"),
        ("card_testing", "CT2", "transaction:TRN_5"),
        ("off_hours", "OH1", "transaction:TRN_1"),
    ]
    truth.write_text(
        "".join(
            json.dumps({"business_date": str(DAY), "pattern": p, "instance_id": i, "record_id": r})
            + "\n"
            for p, i, r in lines
        )
    )
    result = evaluate(warehouse, truth, clean_day, DAY)
    assert [(p.pattern, p.instances, p.found) for p in result.patterns] == [
        ("card_testing", 2, 1),
        ("off_hours", 1, 1),
    ]
    assert (result.alerts, result.true_alerts) == (3, 1)
    assert result.clean_days == [(clean_day, 20000, 1)]
    assert result.clean_alerts_per_10k == 0.5
    assert "| card_testing | 2 | 1 | 0.500 |" in result.table()

    # The same figures from the command line, on the analysts' read copy; exit 1: below target.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    warehouse.execute("CHECKPOINT")
    shutil.copy(tmp_path / "warehouse.duckdb", data_dir / "warehouse_read.duckdb")
    monkeypatch.setenv("HL_D365_DATA_DIR", str(data_dir))
    status = main(
        ["risk", "evaluate", "--from", str(clean_day), "--to", str(DAY), "--truth", str(truth)]
    )
    assert status == 1
    assert "| off_hours | 1 | 1 | 1.000 |" in capsys.readouterr().out


@pytest.fixture(scope="module")
def instance():
    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance


def test_the_risk_assets_show_alerts_by_pattern_precision_and_a_score_plot(tmp_path, instance):
    settings: Settings = make_settings(tmp_path / "data")
    settings = Settings(**{**settings.__dict__, "mappings_dir": _mappings(tmp_path / "mappings")})
    resources = build_resources(settings)
    with resources["warehouse"].writer() as conn:
        load_mappings(conn, settings.mappings_dir)
        _insert(conn, [
            _feature(DAY, "payments", "terminal", "S001/R2", "small_auths_10min_max", 14, "burst"),
            _feature(DAY - timedelta(days=3), "payments", "terminal", "S001/R2",
                     "small_auths_10min_max", 14, "burst"),
            _feature(DAY, "payments", "transaction", "TRN_1", "tip_ratio", 0.1),
        ])  # fmt: skip
        _score(conn, DAY - timedelta(days=3), DAY - timedelta(days=3))
        conn.execute("UPDATE recon.exceptions SET status = 'fraud'")
    result = dg.materialize(
        [features, scores, alerts],
        selection=[scores.key, alerts.key],
        partition_key=str(DAY),
        instance=instance,
        resources=resources,
    )
    assert result.success
    metadata = result.asset_materializations_for_node("risk__alerts")[0].metadata
    assert metadata["alerts"].value == 1
    assert "| card_testing | 1 | 1 |" in metadata["alerts_by_pattern"].value
    assert metadata["precision_reviewed_30d"].value == 1.0
    assert metadata["reviewed_alerts_30d"].value == 1
    plot = metadata["score_plot"].value
    assert "| 0–9 | 1 |" in plot and "| 70–79 | 1 |" in plot
    report = Path(metadata["score_report"].value)
    assert report.is_file() and "<svg" in report.read_text()


def test_open_high_payroll_alerts_hold_the_pay_runs_journal_on_its_check_date(warehouse, tmp_path):
    # A merchant that holds a pay run on its first open high alert (the default holds above 3).
    load_mappings(warehouse, _mappings(tmp_path / "m", risk_hold_max_open_high_alerts=0))
    for line_number, amount in ((1, "2500.00"), (2, "-2500.00")):
        warehouse.execute(
            "INSERT INTO gl.payroll_journal_lines (business_date, journal_key, run_key, pay_group, "
            "payroll_run_id, legal_entity, currency, line_key, line_number, item_classes, text, "
            "amount, debit_amount, credit_amount, source_count, base_amount) "
            "VALUES (?, 'PAY-usmf-1', 'R1', 'WEEKLY', '20261120-1', 'usmf', 'USD', ?, ?, 'earning', "
            "'wages', ?, ?, ?, 1, ?)",
            [DAY, f"PAY-usmf-1-{line_number}", line_number, Decimal(amount),
             max(Decimal(amount), 0), max(-Decimal(amount), 0), Decimal(amount)],
        )  # fmt: skip
    _insert(warehouse, [
        _feature(DAY, "payroll", "employee", "20261120-1/E10004", "paychecks_in_run", 2,
                 "2 paychecks of 1,250.00 USD", ["payroll_item:20261120-1/E10004/REG"], store=None),
        # A payments alert of the same day holds the day's journals, not the pay run's.
        _feature(DAY, "payments", "terminal", "S001/R2", "small_auths_10min_max", 14, "burst"),
    ])  # fmt: skip
    _score(warehouse)

    def pay_run_hold() -> tuple[bool, str]:
        with transaction(warehouse):
            run_script(
                warehouse, sql_file("gl/evaluate_payroll_checks.sql"), {"first": DAY, "last": DAY}
            )
        return warehouse.execute(
            "SELECT passed, detail FROM gl.payroll_journal_checks WHERE check_name = 'risk_hold'"
        ).fetchone()

    passed, detail = pay_run_hold()
    assert not passed
    assert "1 open high-severity risk alert(s), more than the limit of 0" in detail
    assert "duplicate_paycheck employee 20261120-1/E10004 score 80" in detail
    warehouse.execute(
        "UPDATE recon.exceptions SET status = 'fraud', resolution_note = 'second check voided' "
        "WHERE kind = 'risk_duplicate_paycheck'"
    )
    assert pay_run_hold() == (True, "no open high-severity risk alert")
