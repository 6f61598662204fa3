"""The end-of-day pull: any past day from the Heartland API into landing, a day whose webhooks
were partly lost completed without loading anything twice, a schedule after each day closes, and
a range backfilled as one run.

Real components: the simulator over sandbox days (what Heartland holds), served on loopback to
a real Dagster run, and the warehouse the run writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.defs.landing.schedules import end_of_day_pull
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland.pull import pull_days
from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
from hl_d365_assets.settings import PROJECT_ROOT, Settings

# Simulated API pulls and runs, half a minute in five tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAYS = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]
DAY = DAYS[1]
CLEAN = SandboxConfig(
    seed=8, store_count=5, transactions_per_store_day=40, defect_rates=DefectRates.none()
)
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
PAYMENTS_LOAD = {
    dg.AssetKey(["raw", "payment_transactions"]),
    dg.AssetKey(["canonical", "payments"]),
}


@pytest.fixture(scope="module")
def heartland_holds(tmp_path_factory: pytest.TempPathFactory) -> LandingZone:
    """What Heartland has for three days: the sandbox generator's lines."""
    zone = LandingZone(tmp_path_factory.mktemp("heartland") / "holds")
    generate(zone, DAYS, CLEAN, ground_truth_path=zone.root / "truth.ndjson")
    return zone


@pytest.fixture(scope="module")
def api_url(heartland_holds: LandingZone) -> Iterator[str]:
    with serve(HeartlandSimulator(heartland_holds.root)) as server:
        yield server.base_url


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as fresh:
        yield fresh


def client(api_url: str) -> HeartlandClient:
    return HeartlandClient(base_url=api_url, app_id=SANDBOX_APP_ID, app_key=SANDBOX_APP_KEY)


def zones() -> StoreZones:
    return StoreZones.from_mappings(PROJECT_ROOT / "mappings", "America/New_York")


def latest_states(zone: LandingZone, entity: str, day: date) -> dict[str, str]:
    """Resource id -> event id of its latest state, as the generator landed them."""
    latest: dict[str, tuple[str, str]] = {}
    for segment in zone.segments("heartland", entity, day):
        for line in segment.read_text().splitlines():
            event = json.loads(line)
            payload = event["payload"]
            stamp = payload.get("time_last_updated") or payload.get("time_closed") or ""
            if payload["id"] not in latest or stamp >= latest[payload["id"]][0]:
                latest[payload["id"]] = (stamp, event["event_id"])
    return {key: event_id for key, (_, event_id) in latest.items()}


def landed_events(zone: LandingZone, entity: str, day: date) -> dict[str, str]:
    return {
        event["payload"]["id"]: event["event_id"]
        for segment in zone.segments("heartland", entity, day)
        for event in map(json.loads, segment.read_text().splitlines())
    }


def test_a_pulled_day_lands_every_resource_of_that_business_day_under_its_webhook_event_id(
    heartland_holds, api_url, zone: LandingZone
) -> None:
    with client(api_url).open() as api:
        report = pull_days(api, zone, [DAY], zones())

    for entity in ("payment_transactions", "settlement_batches"):
        assert landed_events(zone, entity, DAY) == latest_states(heartland_holds, entity, DAY)
        assert report.landed[entity][DAY.isoformat()] == len(
            latest_states(heartland_holds, entity, DAY)
        )
    # The neighbouring days' rows came back in the UTC-date window and were left to their own pull.
    assert report.outside_days["payment_transactions"] > 0
    assert zone.segments("heartland", "payment_transactions", DAY + timedelta(days=1)) == []


def test_a_day_whose_webhooks_were_partly_lost_is_completed_without_double_loading(
    heartland_holds, api_url, settings: Settings, instance
) -> None:
    zone = LandingZone(settings.landing_dir)
    delivered = _land_like_webhooks(heartland_holds, zone, DAY, lose_every=7)
    with client(api_url).open() as api:
        pull_days(api, zone, [DAY], zones())

    # The daily job's gateway-transaction load only: the raw and canonical payments it asserts
    # on are the same in a whole day's run, whose other ~80 steps read other entities.
    result = _run(
        settings, instance, "daily_heartland_job", DAY, client(api_url), assets=PAYMENTS_LOAD
    )

    assert result.success
    with duckdb.connect(str(settings.read_copy_path), read_only=True) as conn:
        [(payments, duplicates)] = conn.execute(
            """
            SELECT (SELECT count(*) FROM canonical.payments WHERE business_date = $day),
                   (SELECT count(*) FROM ops.duplicate_events
                    WHERE entity = 'payment_transactions' AND business_date = $day)
            """,
            {"day": DAY},
        ).fetchall()
    expected = latest_states(heartland_holds, "payment_transactions", DAY)
    assert payments == len(expected)
    # Every pulled event whose webhook had arrived was counted as a duplicate, not loaded again.
    assert duplicates == len(set(expected.values()) & delivered)


def test_the_schedule_pulls_the_day_that_just_closed() -> None:
    when = datetime(2026, 11, 21, 2, 30, tzinfo=ZoneInfo("America/New_York"))
    context = dg.build_schedule_context(scheduled_execution_time=when)

    request = end_of_day_pull(context)

    assert request.partition_key == "2026-11-20"
    assert request.run_key == "end_of_day_pull:2026-11-20"


def test_a_range_backfills_from_the_api_in_one_run(api_url, settings: Settings, instance) -> None:
    result = _run(settings, instance, "heartland_backfill_job", DAYS, client(api_url))

    assert result.success
    assert len(instance.get_runs()) == 1
    with duckdb.connect(str(settings.read_copy_path), read_only=True) as conn:
        rows = conn.execute(
            "SELECT business_date, count(*) FROM raw.settlement_batches GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert rows == [(day, 5) for day in DAYS]


def test_an_api_that_keeps_failing_fails_the_pull_naming_the_request(
    heartland_holds, settings: Settings, instance
) -> None:
    simulator = HeartlandSimulator(heartland_holds.root)
    simulator.faults.fail(times=None, status=503, path="/ucp/transactions")
    with serve(simulator) as server:
        failing = HeartlandClient(
            base_url=server.base_url,
            app_id=SANDBOX_APP_ID,
            app_key=SANDBOX_APP_KEY,
            max_attempts=2,
            backoff_base_seconds=0.01,
        )
        result = _run(settings, instance, "heartland_pull_job", DAY, failing)

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert "GET /ucp/transactions?" in message and "503" in message and "2 attempts" in message
    assert (
        LandingZone(settings.landing_dir).segments("heartland", "payment_transactions", DAY) == []
    )


def _land_like_webhooks(holds: LandingZone, zone: LandingZone, day: date, lose_every: int) -> set:
    """Copy the day as webhooks would have landed it, losing every n-th gateway event."""
    delivered: set[str] = set()
    with LandingWriter(zone, "webhook") as writer:
        for entity in ("payment_transactions", "settlement_batches"):
            lines = [
                line
                for segment in holds.segments("heartland", entity, day)
                for line in segment.read_text().splitlines()
            ]
            if entity == "payment_transactions":
                lines = [line for n, line in enumerate(lines) if n % lose_every != 0]
            delivered |= {json.loads(line)["event_id"] for line in lines}
            writer.append_lines("heartland", entity, day, lines)
    return delivered


def _run(settings, instance, job: str, days, heartland: HeartlandClient, assets=None):
    from hl_d365_assets.definitions import defs

    days = days if isinstance(days, list) else [days]
    tags = {
        "dagster/asset_partition_range_start": str(days[0]),
        "dagster/asset_partition_range_end": str(days[-1]),
    }
    job_def = defs.resolve_job_def(job)
    if assets is not None:
        job_def = job_def.get_subset(asset_selection=assets)
    return job_def.execute_in_process(
        instance=instance,
        resources={**build_resources(settings), "heartland": heartland},
        tags=tags,
        run_config=QUIET,
        raise_on_error=False,
    )
