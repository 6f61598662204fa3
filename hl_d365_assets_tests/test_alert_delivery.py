"""Alerts reach the configured webhook once, and a dead or failing endpoint never fails the day.

Real components: a loopback HTTP server as the endpoint, a real run of the daily job over a
sandbox day with defects (its reconciliation raises high-severity alerts).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.alerts import AlertWebhookResource
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.sandbox import SandboxConfig
from hl_d365_assets.settings import Settings
from hl_d365_assets_tests.conftest import daily_job, generate_days

# A sandbox day run twice per test, a minute in three tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 12)


class Endpoint:
    """A webhook endpoint on loopback that answers each POST with the next scripted status."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[dict] = []
        self.statuses = list(statuses or [])
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = endpoint.statuses.pop(0) if endpoint.statuses else 200
                if status == 200:
                    endpoint.received.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-token-123"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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

        revived = Endpoint()
        try:
            assert run(day_with_breaks, instance, AlertWebhookResource(url=revived.url)).success
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
