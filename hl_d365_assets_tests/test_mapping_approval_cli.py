"""Done when (issue 19): a finance user takes a day held back by an unmapped payment type to
posted with the command line alone, no editor: ``hl-d365 post`` says it is held,
``hl-d365 mappings suggest`` lists what the value could map to and why, ``hl-d365 mappings
approve ID`` writes the row into the mapping file (one appended line) and rebuilds exactly the
held day from the landing zone in the project's Dagster instance, and ``hl-d365 post`` posts it
into the D365 simulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.sandbox.d365_simulator.app import D365Simulator
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.settings import Settings
from hl_d365_assets_tests.held_days import HELD_DAY, UNMAPPED_PAYMENT_TYPE, copy_of, load_held_day

pytestmark = pytest.mark.schedule_first


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_held_day(tmp_path_factory.mktemp("held_day_cli"))


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
