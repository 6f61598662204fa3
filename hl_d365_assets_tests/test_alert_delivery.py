"""Alerts reach the configured webhook once, and a dead or failing endpoint never fails the day.

Real components: a loopback HTTP server as the endpoint, a real run of the daily job over a
sandbox day with defects (its reconciliation raises high-severity alerts).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.alerts import AlertWebhookResource, count_pending, pending_batches
from hl_d365_assets.defs.ops.assets import ALERT_DELIVERY
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.sandbox import SandboxConfig
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import WarehouseResource, sql_file
from hl_d365_assets_tests.conftest import daily_job, generate_days, rematerialise
from hl_d365_assets_tests.webhook_endpoint import Endpoint

# A sandbox day run in each of two tests (twice in one), a minute: started first under xdist.
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 12)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    served = Endpoint()
    yield served
    served.close()


@pytest.fixture
def day_with_breaks(settings: Settings) -> Settings:
    generate_days(
        settings,
        [DAY],
        SandboxConfig(seed=31, transactions_per_store_day=120),
        ground_truth_path=settings.data_dir / "truth.ndjson",
    )
    return settings


def run(settings: Settings, instance, webhook: AlertWebhookResource) -> dg.ExecuteInProcessResult:
    return daily_job().execute_in_process(
        partition_key=DAY.isoformat(),
        instance=instance,
        resources={**build_resources(settings), "alert_webhook": webhook},
    )


def alerts(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(
            "SELECT alert_id, delivered_at IS NOT NULL, delivery_error FROM ops.alerts ORDER BY 1"
        ).fetchall()


def test_each_alert_is_posted_once_and_marked_delivered(day_with_breaks, endpoint) -> None:
    webhook = AlertWebhookResource(url=endpoint.url)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run(day_with_breaks, instance, webhook).success
        raised = alerts(day_with_breaks)
        assert raised and all(delivered for _, delivered, _ in raised)
        assert sorted(a["alert_id"] for a in endpoint.received) == [a for a, _, _ in raised]
        assert {a["kind"] for a in endpoint.received} >= {"card_number_received"}
        assert any(a["kind"].startswith("reconciliation_") for a in endpoint.received)

        assert run(day_with_breaks, instance, webhook).success  # the day again: nothing re-sent

    assert len(endpoint.received) == len(raised)


def test_a_dead_endpoint_never_fails_the_day_and_is_retried_next_run(day_with_breaks) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/hooks/secret-token-123"
    webhook = AlertWebhookResource(url=dead, max_attempts=2, backoff_base_seconds=0.01)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run(day_with_breaks, instance, webhook)

        assert result.success
        undelivered = alerts(day_with_breaks)
        assert undelivered and not any(delivered for _, delivered, _ in undelivered)
        for _, _, error in undelivered:
            assert error.startswith("POST http://127.0.0.1:") and "ConnectError" in error
            assert "secret-token-123" not in error  # the URL's secret part is never stored

        # The endpoint is back: the operator re-runs the day's alert delivery ("materialize
        # selected" of ops/alert_delivery for the day); the undelivered alerts wait in ops.alerts
        # for whichever run delivers next. What is under test is that retry, each stored alert
        # sent once; that a whole re-run of the day raises no alert twice is the first test's.
        revived = Endpoint()
        try:
            retried = rematerialise(
                day_with_breaks,
                instance,
                [DAY],
                dg.AssetSelection.assets(ALERT_DELIVERY),
                resources={"alert_webhook": AlertWebhookResource(url=revived.url)},
            )
            assert retried.success
        finally:
            revived.close()
    assert len(revived.received) == len(undelivered)
    assert all(delivered for _, delivered, _ in alerts(day_with_breaks))


def test_a_throttling_endpoint_is_retried_and_a_rejecting_one_is_not() -> None:
    throttled = Endpoint(statuses=[429, 503, 200])
    rejecting = Endpoint(statuses=[400])
    try:
        alert = {"alert_id": "ALR_1", "kind": "test", "message": "m"}
        [delivery] = AlertWebhookResource(url=throttled.url, backoff_base_seconds=0.01).deliver(
            [alert]
        )
        [refused] = AlertWebhookResource(url=rejecting.url).deliver([alert])
    finally:
        throttled.close()
        rejecting.close()
    assert (delivery.delivered, delivery.attempts) == (True, 3)
    assert (refused.delivered, refused.attempts) == (False, 1)
    assert refused.error.endswith("HTTP 400")


def test_a_day_of_many_alerts_is_read_a_batch_at_a_time_each_alert_once(tmp_path) -> None:
    """A day can hold a million alerts; they are read a batch at a time, oldest first, each
    exactly once, ties on raised_at broken by alert_id, and counted without being held."""
    warehouse = WarehouseResource(
        database=str(tmp_path / "warehouse.duckdb"), read_copy=str(tmp_path / "read.duckdb")
    )
    with warehouse.writer() as conn:
        conn.execute(
            "INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message) "
            "SELECT printf('ALR_%03d', n), TIMESTAMPTZ '2026-11-20 10:00:00+00' + "
            "to_seconds(n // 7), 'high', 'reconciliation_x', DATE '2026-11-20', 'm' "
            "FROM range(25) AS t(n)"
        )
    select = sql_file("ops/select_undelivered_alerts.sql")
    window = {"first": date(2026, 11, 20), "last": date(2026, 11, 20)}

    batches = list(pending_batches(warehouse.writer, select, window, batch_size=10))

    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert [a["alert_id"] for batch in batches for a in batch] == [
        f"ALR_{n:03d}" for n in range(25)
    ]
    assert count_pending(warehouse.writer, select, window) == 25
