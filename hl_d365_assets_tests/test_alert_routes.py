"""An alert route written as YAML sends only the alerts whose kind and severity it takes, only
outside its quiet hours (on its own clock), each once, to its own webhook.

Real components: the component loaded from a defs.yaml by Dagster's loader, a DuckDB warehouse,
a loopback HTTP endpoint, and a real Dagster run of the route's asset.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster.components.testing import create_defs_folder_sandbox

from hl_d365_assets.alert_routes import route_alerts
from hl_d365_assets.alerts import AlertWebhookResource
from hl_d365_assets.warehouse import WarehouseResource
from hl_d365_assets_tests.webhook_endpoint import Endpoint

DAY = "2026-11-20"
ALERTS = [
    ("ALR_RECON_HIGH", "high", "reconciliation_settlement_discrepancy"),
    ("ALR_RECON_CRIT", "critical", "reconciliation_deposit_difference"),
    ("ALR_RULE_HIGH", "high", "business_rule_validate_customer_id"),
    ("ALR_CARD", "critical", "card_number_received"),
    ("ALR_RECON_MEDIUM", "medium", "reconciliation_inventory_difference"),
]


def route_yaml(quiet_start: str, quiet_end: str) -> str:
    return textwrap.dedent(
        f"""\
        type: hl_d365_assets.components.AlertRoute
        attributes:
          name: finance_breaks
          description: Reconciliation breaks and business rules for the finance channel
          webhook_url_env: HL_D365_TEST_ROUTE_URL
          kinds: ["reconciliation_*", "business_rule_*"]
          min_severity: high
          quiet_hours:
            start: "{quiet_start}"
            end: "{quiet_end}"
            timezone: America/New_York
        """
    )


def load_route(yaml_text: str) -> tuple[dg.Component, dg.Definitions]:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "finance_breaks"
        folder.mkdir()
        (folder / "defs.yaml").write_text(yaml_text)
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
            return component, defs


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    served = Endpoint()
    yield served
    served.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    resource = WarehouseResource(
        database=str(tmp_path / "warehouse.duckdb"), read_copy=str(tmp_path / "read.duckdb")
    )
    with resource.writer() as conn:
        for alert_id, severity, kind in ALERTS:
            conn.execute(
                "INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, "
                "message) VALUES ($id, now(), $severity, $kind, $day, 'what happened')",
                {"id": alert_id, "severity": severity, "kind": kind, "day": DAY},
            ).fetchall()
    return resource


def test_a_route_sends_matching_kinds_outside_quiet_hours_once(warehouse, endpoint):
    component, _ = load_route(route_yaml("22:00", "07:00"))
    route = component.route()
    webhook = AlertWebhookResource(url=endpoint.url)
    day = datetime.fromisoformat(DAY).date()
    # 02:30 in New York (07:30 UTC) is quiet; 09:00 in New York (14:00 UTC) is not.
    night = datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
    morning = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)

    held = route_alerts(warehouse.writer, route, webhook, day, day, night)
    assert (held.matching, held.held_for_quiet_hours, endpoint.received) == (3, 3, [])

    sent = route_alerts(warehouse.writer, route, webhook, day, day, morning)
    assert (sent.delivered, sent.failed) == (3, 0)
    assert sorted(alert["alert_id"] for alert in endpoint.received) == [
        "ALR_RECON_CRIT",
        "ALR_RECON_HIGH",
        "ALR_RULE_HIGH",
    ]

    again = route_alerts(warehouse.writer, route, webhook, day, day, morning + timedelta(hours=1))
    assert (again.matching, again.delivered, len(endpoint.received)) == (0, 0, 3)
    # The default webhook's record is untouched: the route keeps its own.
    with warehouse.writer() as conn:
        assert conn.execute(
            "SELECT count(*) FROM ops.alerts WHERE delivered_at IS NOT NULL"
        ).fetchall() == [(0,)]


def test_the_route_asset_delivers_in_a_real_run(warehouse, endpoint, monkeypatch):
    monkeypatch.setenv("HL_D365_TEST_ROUTE_URL", endpoint.url)
    # Quiet hours far from now on New York's clock, so the run is in allowed hours.
    now_there = datetime.now(UTC) - timedelta(hours=5)
    start = (now_there + timedelta(hours=6)).strftime("%H:00")
    end = (now_there + timedelta(hours=8)).strftime("%H:00")
    _, defs = load_route(route_yaml(start, end))
    [asset] = defs.assets

    result = dg.materialize(
        [asset],
        partition_key=DAY,
        resources={"warehouse": warehouse},
        instance=dg.DagsterInstance.ephemeral(),
        selection=[dg.AssetKey(["ops", "alert_route_finance_breaks"])],
    )

    assert result.success
    [materialization] = result.asset_materializations_for_node("ops__alert_route_finance_breaks")
    assert materialization.metadata["delivered"].value == 3
    assert {alert["kind"] for alert in endpoint.received} == {
        "reconciliation_settlement_discrepancy",
        "reconciliation_deposit_difference",
        "business_rule_validate_customer_id",
    }
    assert "secret-token" not in str(materialization.metadata)


def test_quiet_hours_must_be_quoted_clock_times():
    with pytest.raises(Exception) as refused:
        load_route(route_yaml("22:00", "7").replace('"7"', "7"))
    causes, cause = [], refused.value
    while cause is not None:
        causes.append(str(cause))
        cause = cause.__cause__
    assert any("HH:MM" in text or "string" in text for text in causes)
