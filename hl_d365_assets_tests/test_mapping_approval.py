"""Done when (issue 19): a finance user takes a day held back by an unmapped payment type to
posted, by either path.

The command line alone, no editor: ``hl-d365 post`` says it is held, ``hl-d365 mappings
suggest`` lists what the value could map to and why, ``hl-d365 mappings approve ID`` writes the
row into the mapping file (one appended line) and rebuilds exactly the held day from the landing
zone in the project's Dagster instance, and ``hl-d365 post`` posts it into the D365 simulator.

The UI: in a real Dagster instance the user launches ``suggest_mappings_job`` (its metadata lists
the suggestions), then ``decide_mapping_job`` from the Launchpad with the chosen id; the sensor
``replay_after_mapping_decision`` asks for exactly the held partition of ``daily_heartland_job``,
whose run leaves the day's checks passing and its journal posted exactly once. A suggestion
nobody approved stays out of every file and journal.

Both paths start from copies of one loaded held day (they were two files, each loading the same
day through a daily run of its own)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.cli import main
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
from hl_d365_assets.sandbox.d365_simulator.server import serve
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
    return load_held_day(tmp_path_factory.mktemp("held_day"))


@pytest.fixture
def user(
    loaded: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, D365Simulator]]:
    """The user's environment: their data folder, mapping files, Dagster instance and a D365."""
    settings = copy_of(loaded, tmp_path)
    sim = D365Simulator(tmp_path / "d365.sqlite")
    server = serve(sim)
    monkeypatch.setenv("HL_D365_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HL_D365_MAPPINGS_DIR", str(settings.mappings_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("D365_SANDBOX_URL", server.base_url)
    monkeypatch.delenv("D365_CLIENT_SECRET", raising=False)
    yield settings, sim
    server.stop()
    sim.close()


def query(settings: Settings, sql: str, **params) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql, params).fetchall()


def test_a_day_held_by_an_unmapped_payment_type_is_posted_using_only_the_cli(
    user: tuple[Settings, D365Simulator], capsys: pytest.CaptureFixture[str]
) -> None:
    user, sim = user
    day = HELD_DAY.isoformat()
    assert main(["post", "--day", day]) == 0
    assert "held back: inputs_mapped" in capsys.readouterr().out
    assert sim.journals("usrt") == []

    assert main(["mappings", "suggest"]) == 0
    listed = capsys.readouterr().out
    assert "1 unmapped value(s), 3 suggestion(s) (offline)" in listed
    # The user reads the list and picks the line that maps Crypto (paid at a till, no card) to cash.
    [cash] = re.findall(
        rf"^(MS_\w+) +open +retail_payment_type +{UNMAPPED_PAYMENT_TYPE} +\d +[\d.]+ +CASH$",
        listed,
        re.MULTILINE,
    )
    assert "name no gateway transaction" in listed
    mapping_file = user.mappings_dir / "retail_payment_types.csv"
    before = mapping_file.read_text()

    assert main(["mappings", "approve", cash, "--by", "alice"]) == 0
    approved = capsys.readouterr().out

    added = mapping_file.read_text().removeprefix(before)
    assert before in mapping_file.read_text() and added.count("\n") == 1
    assert added.startswith(f"{UNMAPPED_PAYMENT_TYPE},CASH,,") and added.endswith(f",{day}\n")
    assert f"rebuilding the held days from the landing zone: {day}" in approved
    assert "daily_heartland_job over 2026-11-10 .. 2026-11-10 as one run" in approved
    assert query(
        user,
        "SELECT bool_and(passed) FROM gl.journal_checks WHERE business_date = $day",
        day=HELD_DAY,
    ) == [(True,)]
    assert query(
        user,
        "SELECT count(*) FROM canonical.pos_tenders "
        "WHERE business_date = $day AND mapping_issue IS NOT NULL",
        day=HELD_DAY,
    ) == [(0,)]
    [(status, who)] = query(
        user,
        "SELECT status, decided_by FROM ops.mapping_suggestions WHERE suggestion_id = $id",
        id=cash,
    )
    assert (status, who) == ("approved", "alice")
    with dg.DagsterInstance.from_config(str(Path(user.data_dir).parent / "dagster_home")) as home:
        [run] = home.get_runs()
        assert run.job_name == "daily_heartland_job"
        assert run.tags["dagster/asset_partition_range_start"] == day
        assert run.tags["dagster/asset_partition_range_end"] == day

    assert main(["post", "--day", day]) == 0
    posted = capsys.readouterr().out
    assert "held back" not in posted and "D365 journal" in posted
    journals = query(
        user,
        "SELECT DISTINCT journal_key FROM gl.journal_lines WHERE business_date = $day",
        day=HELD_DAY,
    )
    # The first attempt was recorded as blocked; each journal is now posted, once.
    assert query(
        user,
        "SELECT count(*) FROM gl.postings WHERE business_date = $day AND status = 'posted'",
        day=HELD_DAY,
    ) == [(len(journals),)]
    assert len(sim.journals("usrt")) == len(journals)


def job(name: str) -> dg.JobDefinition:
    from hl_d365_assets.definitions import defs

    return defs.resolve_job_def(name)


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
        settings,
        "SELECT bool_and(passed) FROM gl.journal_checks WHERE business_date = $day",
        day=HELD_DAY,
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
