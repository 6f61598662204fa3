"""The landing sensor: one run per business day with new segments, nothing twice, cheap ticks."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date

import dagster as dg
import pytest

from hl_d365_assets.defs.landing.sensors import NEWEST_SEGMENT_TAG, landing_sensor
from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.landing_watch import DEFAULT_MARGIN_NS, scan
from hl_d365_assets.resources import LandingZoneResource
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import open_for_analysis
from hl_d365_assets_tests import retail_days
from hl_d365_assets_tests.conftest import generate_days, make_settings, run_day

DAY = date(2026, 11, 20)
NEXT_DAY = date(2026, 11, 21)
CLEAN = SandboxConfig(
    seed=3, store_count=1, transactions_per_store_day=5, defect_rates=DefectRates.none()
)


@pytest.fixture
def fresh_instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture(scope="module")
def materialised_day(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, LandingZone, dg.DagsterInstance]]:
    """A landed day (gateway and POS) materialised by the real job, shared by the two tests that
    start from a materialised day: a run of the daily job is most of their cost. The first
    leaves it materialised again with nothing new landed (it asserts so), the state the second
    starts from; run alone, either gets it fresh."""
    settings = make_settings(tmp_path_factory.mktemp("materialised_day") / "data")
    generate_days(settings, [DAY], CLEAN)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_day(settings, instance, DAY).success
        yield settings, LandingZone(settings.landing_dir), instance


def tick(instance: dg.DagsterInstance, zone: LandingZone, cursor: str | None = None):
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"landing": LandingZoneResource(root=str(zone.root))},
    )
    return landing_sensor(context), context


def requested(result) -> dict[str, str]:
    return {r.partition_key: r.run_key for r in (result.run_requests or [])}


def land_one(
    zone: LandingZone, day: date, entity: str = "payment_transactions", source: str = "heartland"
) -> str:
    with LandingWriter(zone, "test") as writer:
        writer.append(
            source,
            entity,
            day,
            '{"event_id":"EVT_LATE","event_type":"transaction.captured","payload":{}}',
        )
    return writer.committed[-1].name


def test_each_day_with_new_segments_gets_one_run_request(
    fresh_instance, settings: Settings, zone
) -> None:
    generate_days(settings, [DAY, NEXT_DAY], CLEAN)

    result, _ = tick(fresh_instance, zone)

    assert set(requested(result)) == {DAY.isoformat(), NEXT_DAY.isoformat()}
    assert all(r.job_name in (None, "daily_heartland_job") for r in result.run_requests)
    streams = (
        *(("heartland", entity) for entity in ("payment_transactions", "settlement_batches")),
        ("heartland_retail", "tickets"),
    )
    newest = max(p.name for stream in streams for p in zone.segments(*stream, DAY))
    assert requested(result)[DAY.isoformat()] == f"landing:{DAY}@{newest}"
    [request] = [r for r in result.run_requests if r.partition_key == DAY.isoformat()]
    assert {"heartland/payment_transactions", "heartland_retail/tickets"} <= set(
        request.tags["hl_d365/new_streams"].split(",")
    )


def test_a_newly_pulled_retail_ticket_reopens_its_day_and_loads_into_raw_retail_tickets(
    materialised_day,
) -> None:
    settings, zone, instance = materialised_day
    nothing, _ = tick(instance, zone)
    assert requested(nothing) == {}

    late_ticket = retail_days.ticket(
        4_242_424_242, [retail_days.item_line(1, 20001, "SKU-00001", "1", "10.00")]
    )
    retail_days.land_records(zone, "tickets", DAY, [late_ticket])
    [segment] = [
        p for p in zone.segments("heartland_retail", "tickets", DAY) if "-retail-test-" in p.name
    ]
    reopened, _ = tick(instance, zone)

    assert requested(reopened) == {DAY.isoformat(): f"landing:{DAY}@{segment.name}"}
    [request] = reopened.run_requests
    assert request.tags["hl_d365/new_streams"] == "heartland_retail/tickets"

    assert run_day(settings, instance, DAY).success
    conn = open_for_analysis(settings.read_copy_path)
    try:
        loaded = conn.execute(
            "SELECT count(*) FROM raw.retail_tickets WHERE business_date = $day "
            "AND ticket_id = '4242424242'",
            {"day": DAY},
        ).fetchone()
    finally:
        conn.close()
    assert loaded == (1,)
    settled, _ = tick(instance, zone)
    assert requested(settled) == {}


def test_a_repeated_evaluation_requests_the_same_runs_and_the_next_tick_none(
    fresh_instance, zone
) -> None:
    generate(zone, [DAY], CLEAN)
    first, _ = tick(fresh_instance, zone)
    again, _ = tick(fresh_instance, zone)  # the same tick evaluated twice: same run keys

    assert requested(again) == requested(first)

    # The cursor moved: a later tick finds nothing new (past the mtime margin).
    aged = _age_zone(zone, seconds=60)
    later, _ = tick(fresh_instance, zone, json.dumps({"watermark_ns": aged}))
    assert requested(later) == {}
    assert "no new completed segments" in later.skip_reason.skip_message


def test_a_running_run_of_the_day_is_not_requested_again_until_a_segment_lands_after_it(
    fresh_instance, zone
) -> None:
    """While the day's run loads stream after stream, the streams it has not reached yet look
    unloaded; the run was requested for them, so no second run is (seen with a real daemon)."""
    generate(zone, [DAY], CLEAN)
    first, _ = tick(fresh_instance, zone)
    [request] = first.run_requests
    fresh_instance.add_run(
        dg.DagsterRun(
            job_name="daily_heartland_job",
            status=dg.DagsterRunStatus.STARTED,
            tags={**request.tags, "dagster/partition": DAY.isoformat()},
        )
    )

    during, _ = tick(fresh_instance, zone)
    assert requested(during) == {}
    assert "a running run was requested for these segments" in during.skip_reason.skip_message

    late = land_one(zone, DAY)
    assert late > request.tags[NEWEST_SEGMENT_TAG]
    reopened, _ = tick(fresh_instance, zone)
    assert requested(reopened) == {DAY.isoformat(): f"landing:{DAY}@{late}"}


def test_a_materialised_day_is_not_run_again_until_a_late_segment_lands(
    materialised_day,
) -> None:
    _, zone, instance = materialised_day
    nothing, _ = tick(instance, zone)
    assert requested(nothing) == {}

    late = land_one(zone, DAY)
    reopened, _ = tick(instance, zone)

    assert requested(reopened) == {DAY.isoformat(): f"landing:{DAY}@{late}"}
    [request] = reopened.run_requests
    assert request.tags["hl_d365/new_streams"] == "heartland/payment_transactions"


def test_a_day_with_a_run_waiting_to_start_is_left_to_that_run(fresh_instance, zone) -> None:
    generate(zone, [DAY], CLEAN)
    from hl_d365_assets_tests.conftest import daily_job

    fresh_instance.create_run_for_job(
        daily_job(),
        run_config={},
        tags={"dagster/partition": DAY.isoformat()},
        status=dg.DagsterRunStatus.NOT_STARTED,
    )

    result, _ = tick(fresh_instance, zone)

    assert requested(result) == {}
    assert "already waiting" in result.skip_reason.skip_message


def test_half_written_segments_and_days_outside_the_partitions_request_nothing(
    fresh_instance, zone
) -> None:
    hidden = zone.day_dir("heartland", "payment_transactions", DAY)
    hidden.mkdir(parents=True)
    (hidden / ".20261120T000000000000Z-webhook-0000.ndjson.tmp").write_text("{}\n")
    land_one(zone, date(2025, 6, 1))  # before HL_D365_FIRST_BUSINESS_DAY

    result, _ = tick(fresh_instance, zone)

    assert requested(result) == {}
    assert "2025-06-01: outside the business-day partitions" in result.skip_reason.skip_message


def test_d365_segments_are_left_to_the_d365_pull_job_and_request_no_daily_run(
    fresh_instance, zone
) -> None:
    """A D365 pull lands under the day it ran, but holds reference data, not that day's events:
    its own job loads it, so the sensor must not start a Heartland day for it."""
    with LandingWriter(zone, "odata-pull") as writer:
        writer.append(
            "d365",
            "customers",
            DAY,
            '{"event_id":"D365_1","event_type":"d365.record","payload":{}}',
        )

    result, _ = tick(fresh_instance, zone)

    assert requested(result) == {}
    assert "no new completed segments" in result.skip_reason.skip_message


def test_a_tick_lists_only_the_changed_day_among_tens_of_thousands_of_segments(
    tmp_path,
) -> None:
    zone = LandingZone(tmp_path / "landing")
    streams = (
        ("heartland", "payment_transactions"),
        ("heartland", "settlement_batches"),
        ("heartland_retail", "tickets"),
    )
    days = [date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + n) for n in range(300)]
    for source, entity in streams:
        for day in days:
            directory = zone.day_dir(source, entity, day)
            directory.mkdir(parents=True)
            for n in range(34):
                (directory / f"20260101T0000{n:02d}000000Z-sandbox-00.ndjson").touch()
    watermark = _age_zone(zone, seconds=3600)
    assert sum(1 for _ in zone.root.rglob("*.ndjson")) == 30_600

    land_one(zone, days[100], "tickets", source="heartland_retail")
    changes = scan(zone.root, watermark)

    assert changes.day_dirs_seen == 900
    assert changes.day_dirs_listed == 1
    assert list(changes.newest) == [days[100].isoformat()]


def _age_zone(zone: LandingZone, seconds: int) -> int:
    """Backdate every day directory, as if the zone had been quiet; returns the cursor a tick
    would have saved then, plus the sensor's mtime margin."""
    newest = 0
    for directory in zone.root.glob("*/*/business_date=*"):
        stat = directory.stat()
        past = stat.st_mtime_ns - seconds * 1_000_000_000
        os.utime(directory, ns=(stat.st_atime_ns, past))
        newest = max(newest, past)
    return newest + DEFAULT_MARGIN_NS + 1
