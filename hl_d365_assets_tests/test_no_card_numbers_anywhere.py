"""No card number survives anywhere, checked by a scanner that is not the product's own.

A sandbox week lands a test PAN in every string field it produces (``card_numbers_everywhere``):
in every field of some lines, in exactly one field of others, so a field the product's scan
skipped would let that line's PAN load. The week then runs through the real job on its own
Dagster instance, and ``independent_card_scan`` (its own pattern, Luhn and issuer table; it
imports neither ``hl_d365_assets.pci`` nor the SQL macros) reads every column of every table of
the warehouse and the read copy, every file under ``data/`` but the landing zone (the input as
received) and the sandbox's Heartland Retail store (the input as a Retail account serves it),
every table and file of the Dagster instance's storage, and the run's Python log (every
record reaching the root logger, the project's loggers included, written to ``data/logs/`` during
the run; Dagster's own run log is its event-log storage, scanned with the instance).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import SandboxConfig, generate

from .conftest import make_settings, run_range
from .independent_card_scan import (
    card_numbers_in,
    scan_duckdb,
    scan_file_bytes,
    scan_sqlite,
)

# A sandbox week built once, half a minute in five tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAYS = [date(2026, 11, 16) + timedelta(days=n) for n in range(7)]


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("everywhere")
    settings = make_settings(root / "data")
    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    generate(
        LandingZone(settings.landing_dir),
        DAYS,
        SandboxConfig(
            seed=11,
            store_count=2,
            transactions_per_store_day=20,
            mappings_dir=settings.mappings_dir,
            card_numbers_everywhere=True,
        ),
        ground_truth_path=settings.data_dir / "sandbox" / "ground_truth.ndjson",
    )
    (settings.data_dir / "logs").mkdir(parents=True)
    log = logging.FileHandler(settings.data_dir / "logs" / "run.log", encoding="utf-8")
    log.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(), logging.getLogger("dagster")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(log)
        logger.setLevel(logging.DEBUG)
    try:
        # Card numbers in every field quarantine most of the week by design; the load-health
        # check would rightly hold such days back, so let the whole chain run and be scanned.
        with pytest.MonkeyPatch.context() as env:
            env.setenv("HL_D365_QUARANTINE_WARN_SHARE", "1")
            env.setenv("HL_D365_QUARANTINE_FAIL_SHARE", "1")
            with dg.instance_for_test(temp_dir=str(dagster_home)) as instance:
                result = run_range(settings, instance, DAYS, raise_on_error=False)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(log)
            logger.setLevel(level)
        log.close()
    return settings, dagster_home, result


def _string_paths(value: object, path: str = "") -> list[tuple[str, str]]:
    """(path, text) of every string in a JSON value; list items share one path."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _string_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for item in value for p in _string_paths(item, f"{path}[]")]
    return [(path, value)] if isinstance(value, str) else []


def _landed_lines(settings) -> list[tuple[str, dict]]:
    lines = []
    for segment in sorted(settings.landing_dir.rglob("*.ndjson")):
        entity = segment.parent.parent.name
        for line in segment.read_text(encoding="utf-8").splitlines():
            try:
                lines.append((entity, json.loads(line)))
            except json.JSONDecodeError:
                continue  # the malformed_json defect
    return lines


def test_the_week_puts_a_card_number_in_every_string_field(week) -> None:
    """The input really is hostile (the independent scanner says where): every string field of
    every entity carries a card number in some line, and every field of transactions and tickets
    is, in some line, the only place that line holds one. (A week has only 14 batch lines for 40
    batch fields, so those are covered by the lines that carry a PAN in every field.)"""
    settings, _, _ = week
    every_path: set[tuple[str, str]] = set()
    carried: set[tuple[str, str]] = set()
    sole_carrier: set[tuple[str, str]] = set()
    whole_value: set[tuple[str, str]] = set()
    for entity, document in _landed_lines(settings):
        strings = _string_paths(document)
        every_path |= {(entity, path) for path, _ in strings}
        carriers = {path for path, text in strings if card_numbers_in(text)}
        carried |= {(entity, path) for path in carriers}
        if len(carriers) == 1:
            sole_carrier.add((entity, path := carriers.pop()))
            if re.fullmatch(r"[0-9 -]+", dict(strings)[path]):
                whole_value.add((entity, path))
    # The field the scan used to skip, holding nothing but a card number: what a blanked-out
    # field would have let through.
    assert ("payment_transactions", ".payload.payment_method.card.brand_reference") in whole_value
    assert every_path - carried == set()
    assert {
        (entity, path)
        for entity, path in every_path - sole_carrier
        if entity != "settlement_batches"
    } == set()


def test_the_week_ran_and_quarantined_the_card_numbers(week) -> None:
    settings, _, result = week
    assert result.success
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        quarantined, loaded = conn.execute(
            "SELECT (SELECT count(*) FROM ops.quarantine WHERE reason_code = 'card_number_detected'), "
            "(SELECT count(*) FROM raw.payment_transactions)"
        ).fetchall()[0]
    finally:
        conn.close()
    assert quarantined > 0
    assert loaded > 0  # clean lines still flow, so the later layers are scanned with data in them


def test_no_card_number_in_the_warehouse_or_the_read_copy(week) -> None:
    settings, _, _ = week
    assert settings.read_copy_path.exists()
    hits = [*scan_duckdb(settings.warehouse_path), *scan_duckdb(settings.read_copy_path)]
    assert hits == []


def test_no_card_number_in_any_file_under_data_but_the_landing_zone(week) -> None:
    settings, _, _ = week
    retail_store = settings.data_dir / "sandbox" / "heartland_retail"
    files = [
        path
        for path in settings.data_dir.rglob("*")
        if path.is_file()
        and not path.is_relative_to(settings.landing_dir)
        and not path.is_relative_to(retail_store)
    ]
    assert settings.data_dir / "sandbox" / "ground_truth.ndjson" in files
    assert (settings.data_dir / "logs" / "run.log").stat().st_size > 0
    hits = [hit for path in files for hit in scan_file_bytes(path)]
    assert hits == []


def test_no_card_number_in_the_dagster_instance_storage(week) -> None:
    _, dagster_home, _ = week
    files = [path for path in dagster_home.rglob("*") if path.is_file()]
    databases = [path for path in files if path.read_bytes()[:16] == b"SQLite format 3\x00"]
    assert databases, "the instance keeps its runs and event logs in SQLite files"
    hits = [hit for path in databases for hit in scan_sqlite(path)]
    hits += [hit for path in files for hit in scan_file_bytes(path)]
    assert hits == []
