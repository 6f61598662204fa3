"""Changed payload formats (issue 19, item 3): a day whose GP-API transactions arrive with
``amount`` renamed ``amount_minor`` from mid-day on is quarantined line by line; the
``payload_shape`` check names the new and vanished field (never a value); the co-pilot suggests
the rename first; approving it writes a versioned row into mappings/field_mappings.csv, and the
replay from the untouched landing segments loads the lines — conservation holding before and
after — and the day's journals become ready. Known GP-API variants are never drift."""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.mapping_copilot import queue
from hl_d365_assets.sandbox import DefectRates
from hl_d365_assets.settings import Settings
from hl_d365_assets_tests.conftest import run_range
from hl_d365_assets_tests.held_days import land_small_day, launch_decision, replay_requests

DAY = date(2026, 11, 12)
ENTITY = ("heartland", "payment_transactions")


def checks(result: dg.ExecuteInProcessResult, name: str) -> list:
    return [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and e.event_specific_data.check_name == name
        and e.event_specific_data.asset_key.path[-1] == ENTITY[1]
    ]


def job(name: str) -> dg.JobDefinition:
    from hl_d365_assets.definitions import defs

    return defs.resolve_job_def(name)


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql, {"day": DAY} if "$day" in sql else None).fetchall()


def land_drifted_day(folder: Path, rewrite) -> tuple[Settings, Path]:
    """A clean small sandbox day whose transactions change shape mid-day: from then on each line
    of the first segment arrives as ``rewrite`` makes it (the gateway's new API version)."""
    settings = land_small_day(folder, DAY, DefectRates.none())
    # The day as it landed, for the evaluation: every field under its contract name.
    shutil.copytree(settings.landing_dir, folder / "clean" / "landing")
    [segment, *_] = sorted(
        (settings.data_dir / "landing" / ENTITY[0] / ENTITY[1]).rglob(
            f"business_date={DAY.isoformat()}/*"
        )
    )
    lines = segment.read_text().splitlines()
    half = len(lines) // 2
    assert all(line.count('"amount":') == 1 for line in lines)
    segment.write_text("\n".join(lines[:half] + [rewrite(ln) for ln in lines[half:]]) + "\n")
    return settings, segment


@pytest.fixture(scope="module")
def renamed_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    return land_drifted_day(
        tmp_path_factory.mktemp("payload_drift"),
        lambda line: line.replace('"amount":', '"amount_minor":'),
    )


@pytest.fixture(scope="module")
def moved_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """``amount`` arrives one object down, in a new ``totals`` object where it stood."""
    return land_drifted_day(
        tmp_path_factory.mktemp("payload_move"),
        lambda line: re.sub(r'"amount":("[^"]*")', r'"totals":{"amount":\1}', line),
    )


def test_held_out_field_renames_are_suggested_right(
    renamed_day, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 5 for field renames: a fraction of the day's fields renamed by rule, the figures
    printed by the command a user runs (docs/mapping-copilot.md quotes them)."""
    settings, _ = renamed_day
    monkeypatch.setenv("HL_D365_DATA_DIR", str(settings.data_dir.parent / "clean"))
    monkeypatch.setenv("HL_D365_MAPPINGS_DIR", str(settings.mappings_dir))
    for extra in ([], ["--all-day"]):
        assert main(["mappings", "evaluate", "--field-renames", "--day", str(DAY), *extra]) == 0
        *_, total = capsys.readouterr().out.strip().splitlines()
        name, renames, top1, top3 = total.split()
        assert name == "all" and int(renames) >= 50
        assert float(top1.rstrip("%")) >= 90 and float(top3.rstrip("%")) >= 90


def test_a_renamed_field_is_named_suggested_approved_and_replayed(renamed_day) -> None:
    held_suggested_approved_and_replayed(
        *renamed_day,
        new={"payload.amount_minor": 20},
        vanished={"payload.amount": 20},
        landed_field="payload.amount_minor",
    )


def test_a_moved_field_is_named_suggested_approved_and_replayed(moved_day) -> None:
    """A path change, not a renamed key: the new object is the change the check names, the
    value inside it is what the co-pilot pairs with the place it left, and the replay moves it
    back on the staged copy, its bytes as landed."""
    settings, segment = moved_day
    held_suggested_approved_and_replayed(
        settings,
        segment,
        new={"payload.totals": 20},
        vanished={"payload.amount": 20},
        landed_field="payload.totals.amount",
    )
    payloads = [json.loads(line)["payload"] for line in segment.read_text().splitlines()]
    landed_amounts = [
        int(p["amount"] if "amount" in p else p["totals"]["amount"]) for p in payloads
    ]
    loaded = query(
        settings, "SELECT amount FROM raw.payment_transactions WHERE business_date = $day"
    )
    assert sorted(amount for (amount,) in loaded) == sorted(landed_amounts)


def held_suggested_approved_and_replayed(
    settings: Settings, segment: Path, new: dict, vanished: dict, landed_field: str
) -> None:
    """The day is held (quarantined, named by payload_shape), the co-pilot's first field
    suggestion for ``landed_field`` is ``payload.amount``, a finance user approves it from the
    UI, the sensor replays the day from the untouched segment and everything loads."""
    landed = segment.read_bytes()
    with dg.DagsterInstance.ephemeral() as instance:
        before = run_range(settings, instance, [DAY], raise_on_error=False)

        [shape] = checks(before, "payload_shape")
        assert not shape.passed
        assert shape.metadata["new_fields"].value == new
        assert shape.metadata["vanished_fields"].value == vanished
        [conservation] = checks(before, "conservation")
        assert conservation.passed and conservation.metadata["quarantined"].value == 20
        assert query(
            settings, "SELECT bool_and(passed) FROM gl.journal_checks WHERE business_date = $day"
        ) != [(True,)]

        # The finance user's path in the UI: refresh, approve from the Launchpad, the sensor
        # replays the held day (the CLI's approve runs the same queue.approve and replay).
        resources = build_resources(settings)
        assert (
            job("suggest_mappings_job")
            .execute_in_process(instance=instance, resources=resources)
            .success
        )
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
            [first, *_] = [
                s
                for s in queue.list_suggestions(conn)
                if s["mapping_kind"] == "field_rename" and s["unmapped_value"] == landed_field
            ]
        assert (first["suggestion_rank"], first["target"]) == (1, "payload.amount")
        decided = launch_decision(instance, resources, first["suggestion_id"], "finance.user")
        assert decided.success
        with (settings.mappings_dir / "field_mappings.csv").open() as handle:
            [row] = list(csv.DictReader(handle))
        assert (row["landed_field"], row["contract_field"]) == (landed_field, "payload.amount")
        assert (row["valid_from"], row["approved_by"]) == (DAY.isoformat(), "finance.user")

        [request] = replay_requests(instance, decided)
        assert (request.job_name, request.partition_key) == ("daily_heartland_job", str(DAY))
        assert (
            job(request.job_name)
            .execute_in_process(
                instance=instance,
                resources=resources,
                partition_key=request.partition_key,
                tags=request.tags,
            )
            .success
        )
        raw = dg.AssetKey(["raw", ENTITY[1]])
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(raw, "conservation"), dg.AssetCheckKey(raw, "payload_shape")]
        )
        after = {
            key.name: record.event.dagster_event.event_specific_data
            for key, record in latest.items()
        }
        assert after["conservation"].passed
        assert after["conservation"].metadata["quarantined"].value == 0
        assert after["conservation"].metadata["loaded"].value == 40
        assert after["payload_shape"].passed  # the approved rename is no longer drift
    assert segment.read_bytes() == landed  # the landing segment is immutable
    assert query(
        settings,
        "SELECT count(*) FROM ops.quarantine WHERE entity = 'payment_transactions' "
        "AND business_date = $day",
    ) == [(0,)]
    assert query(
        settings, "SELECT bool_and(passed) FROM gl.journal_checks WHERE business_date = $day"
    ) == [(True,)]
