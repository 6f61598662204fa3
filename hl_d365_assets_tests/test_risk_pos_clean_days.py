"""Clean sandbox days (no risk patterns, no defects) through the real daily job, then
sql/risk/features_pos.sql and the POS rules of mappings/risk_rules.csv: fewer than one alert per
10,000 transactions, while every ticket and cashier of the days is scored."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.sandbox import SandboxConfig
from hl_d365_assets.sandbox.defects import DefectRates
from hl_d365_assets_tests.conftest import daily_job, generate_days, make_settings, run_range
from hl_d365_assets_tests.risk_features import alerting, fired_rules, write_features

DAYS = [date(2026, 11, 16) + timedelta(days=offset) for offset in range(3)]
CLEAN = SandboxConfig(seed=18, transactions_per_store_day=300, defect_rates=DefectRates.none())


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory, instance: dg.DagsterInstance) -> dict:
    settings = make_settings(tmp_path_factory.mktemp("risk_pos_clean") / "data")
    generate_days(settings, DAYS, CLEAN)
    # The real job's raw and canonical layers only: features_pos.sql reads canonical and ref
    # (which canonical loads) alone, so the later groups' steps would change nothing it reads.
    layers = {
        key
        for key in daily_job().asset_layer.executable_asset_keys
        if key.path[0] in ("raw", "canonical")
    }
    assert run_range(settings, instance, DAYS, assets=layers).success
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        write_features(conn, "pos", DAYS[1], DAYS[-1])
        [(transactions,)] = conn.execute(
            "SELECT count(*) FROM canonical.payments WHERE business_date BETWEEN ? AND ?",
            [DAYS[1], DAYS[-1]],
        ).fetchall()
        features = dict(
            conn.execute(
                "SELECT feature, count(*) FROM risk.features WHERE domain = 'pos' GROUP BY ALL"
            ).fetchall()
        )
        return {
            "transactions": transactions,
            "features": features,
            "fired": fired_rules(conn, "pos"),
        }


def test_clean_days_give_fewer_than_one_alert_per_10000_transactions(scored) -> None:
    alerts = {(row["business_date"], row["entity_id"]) for row in alerting(scored["fired"])}
    assert scored["transactions"] > 2000
    assert len(alerts) * 10_000 < scored["transactions"], alerting(scored["fired"])


def test_every_feature_of_a_clean_day_is_computed(scored) -> None:
    assert {
        "void_still_captured",
        "refund_no_sale",
        "refund_to_sale_ratio",
        "refund_other_card",
        "discount_share_to_policy",
        "voids_after_capture",
        "voids_after_capture_excess",
        "split_tickets_under_limit",
        "discounts_above_policy",
        "refund_rate_to_own_history",
        "void_rate_to_own_history",
        "refund_rate_to_store_history",
    } <= set(scored["features"])
