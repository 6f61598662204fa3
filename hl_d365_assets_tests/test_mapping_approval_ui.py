"""Done when (issue 19), the UI path: in a real Dagster instance a finance user launches
``suggest_mappings_job`` (its metadata lists the suggestions), then ``decide_mapping_job`` from
the Launchpad with the chosen id; the sensor ``replay_after_mapping_decision`` asks for exactly
the held partition of ``daily_heartland_job``, whose run leaves the day's checks passing and its
journal posted exactly once. A suggestion nobody approved stays out of every file and journal."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.ledger.exactly_once import post_day
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_ENVIRONMENT_URL,
    SANDBOX_TENANT_ID,
    D365Simulator,
)
from hl_d365_assets.settings import Settings
from hl_d365_assets_tests.held_days import (
    HELD_DAY,
    UNMAPPED_PAYMENT_TYPE,
    copy_of,
    launch_decision,
    load_held_day,
    replay_requests,
)

pytestmark = pytest.mark.schedule_first


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_held_day(tmp_path_factory.mktemp("held_day_ui"))


def job(name: str) -> dg.JobDefinition:
    from hl_d365_assets.definitions import defs

    return defs.resolve_job_def(name)


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql, {"day": HELD_DAY} if "$day" in sql else None).fetchall()


def test_a_held_day_is_approved_from_the_launchpad_and_only_its_partition_is_replayed(
    loaded: Settings, tmp_path: Path
) -> None:
    settings = copy_of(loaded, tmp_path)
    resources = build_resources(settings)
    files_before = {p.name: p.read_bytes() for p in settings.mappings_dir.glob("*.csv")}
    with dg.instance_for_test() as instance:
        suggested = job("suggest_mappings_job").execute_in_process(
            instance=instance, resources=resources
        )
        [listing] = [
            e.step_output_data.metadata["suggestions"].value
            for e in suggested.all_events
            if e.is_successful_output
        ]
        [cash] = re.findall(
            rf"`(MS_\w+)` retail_payment_type  \*\*{UNMAPPED_PAYMENT_TYPE}\*\* → CASH ", listing
        )
        wrong = re.findall(
            r"`(MS_\w+)` retail_payment_type  \*\*\w+\*\* → (?:GIFT_CARD|STORE_CREDIT) ", listing
        )
        assert len(wrong) == 2
        # Suggestions alone change no file.
        assert {p.name: p.read_bytes() for p in settings.mappings_dir.glob("*.csv")} == files_before

        decided = launch_decision(instance, resources, cash, "finance.user")
        assert decided.success
        changed = {
            p.name
            for p in settings.mappings_dir.glob("*.csv")
            if files_before[p.name] != p.read_bytes()
        }
        assert changed == {"retail_payment_types.csv"}

        requests = replay_requests(instance, decided)
        assert [(r.job_name, r.partition_key) for r in requests] == [
            ("daily_heartland_job", HELD_DAY.isoformat())
        ]
        [request] = requests
        replayed = job(request.job_name).execute_in_process(
            instance=instance,
            resources=resources,
            partition_key=request.partition_key,
            tags=request.tags,
        )
        assert replayed.success

    assert query(
        settings, "SELECT bool_and(passed) FROM gl.journal_checks WHERE business_date = $day"
    ) == [(True,)]
    statuses = dict(query(settings, "SELECT suggestion_id, status FROM ops.mapping_suggestions"))
    assert statuses[cash] == "approved" and {statuses[w] for w in wrong} == {"rejected"}

    sim = D365Simulator(tmp_path / "d365.sqlite")
    client = D365Client(
        environment_url=SANDBOX_ENVIRONMENT_URL,
        tenant_id=SANDBOX_TENANT_ID,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
    )
    try:
        with client.open(sim.transport(), sleep=lambda seconds: None) as api:
            report = post_day(resources["warehouse"].writer, api, HELD_DAY)
        assert report.posted and not report.blocked
        assert len(sim.journals("usrt")) == len(report.posted)
    finally:
        sim.close()
