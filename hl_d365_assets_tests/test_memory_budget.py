"""The memory budget: every warehouse connection works within HL_D365_MEMORY_LIMIT, spilling to
HL_D365_SPILL_DIR what does not fit, and a raw load larger than the budget completes by spilling."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.resources import local_resources
from hl_d365_assets.sandbox import SandboxConfig, generate
from hl_d365_assets.settings import DEFAULT_MEMORY_LIMIT, SettingsError, load_settings
from hl_d365_assets.warehouse import WarehouseResource

DAY = date(2026, 11, 19)


def _setting(conn, name: str) -> str:
    [(value,)] = conn.execute(f"SELECT current_setting('{name}')").fetchall()
    return str(value)


def test_the_budget_defaults_to_one_gigabyte_spilling_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"HL_D365_DATA_DIR": str(tmp_path)})
    assert settings.memory_limit == DEFAULT_MEMORY_LIMIT == "1GB"
    assert settings.spill_dir == tmp_path.resolve() / "spill"
    assert settings.threads == 0


def test_the_budget_is_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "HL_D365_DATA_DIR": str(tmp_path),
            "HL_D365_MEMORY_LIMIT": "1500MB",
            "HL_D365_SPILL_DIR": str(tmp_path / "fast-disk"),
            "HL_D365_THREADS": "2",
        }
    )
    assert (settings.memory_limit, settings.spill_dir, settings.threads) == (
        "1500MB",
        (tmp_path / "fast-disk").resolve(),
        2,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("HL_D365_MEMORY_LIMIT", "lots"), ("HL_D365_MEMORY_LIMIT", "2"), ("HL_D365_THREADS", "-1")],
)
def test_a_budget_that_is_not_a_size_fails_when_the_settings_load(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_every_warehouse_connection_gets_the_budget_from_the_settings(tmp_path: Path) -> None:
    settings = dataclasses.replace(
        load_settings({"HL_D365_DATA_DIR": str(tmp_path)}), memory_limit="300MB", threads=1
    )
    warehouse = local_resources(settings)["warehouse"]
    assert isinstance(warehouse, WarehouseResource)
    with warehouse.writer() as conn:
        writer = (
            _setting(conn, "memory_limit"),
            _setting(conn, "temp_directory"),
            _setting(conn, "threads"),
        )
    with warehouse.reader() as conn:
        reader = _setting(conn, "memory_limit")
    # DuckDB reports the limit back in its own units (300MB -> "286.1 MiB").
    assert writer[0] == reader == "286.1 MiB"
    assert Path(writer[1]) == settings.spill_dir
    assert settings.spill_dir.is_dir()
    assert writer[2] == "1"


def test_a_raw_load_larger_than_the_budget_spills_rather_than_fails(tmp_path: Path) -> None:
    """Two days whose load needs more than a 96 MB budget: with the spill directory they load
    exactly as with no budget at all (same rows, quarantine and duplicates, each day conserved);
    with spilling switched off the same load runs out of memory, so it was the spill that made
    it fit. Each day is delivered four times (the pull's redeliveries: three of every four lines
    are duplicates), which makes the days big without generating many transactions; they are
    landed in 2 MiB segments, as the webhook receiver's rotation lands them (the line splitter
    reads a segment in one buffer, so a budget must hold one: the default 1GB holds the 64 MiB
    segments the generator writes)."""
    generated = LandingZone(tmp_path / "generated")
    days = [DAY, DAY + timedelta(days=1)]
    generate(
        generated,
        days,
        SandboxConfig(seed=11, store_count=1, transactions_per_store_day=8_000),
        ground_truth_path=tmp_path / "truth.ndjson",
    )
    zone = LandingZone(tmp_path / "landing")
    with LandingWriter(zone, "test", max_segment_bytes=2 * 2**20) as writer:
        for day in days:
            for _delivery in range(4):
                for path in generated.segments("heartland", "payment_transactions", day):
                    lines = path.read_text().splitlines()
                    writer.append_lines("heartland", "payment_transactions", day, lines)
    segments = [p for day in days for p in zone.segments("heartland", "payment_transactions", day)]

    def load(folder: str, memory_limit: str, spill: bool = True) -> tuple[list, list]:
        warehouse = WarehouseResource(
            database=str(tmp_path / folder / "warehouse.duckdb"),
            read_copy=str(tmp_path / folder / "read.duckdb"),
            memory_limit=memory_limit,
            temp_directory=str(tmp_path / folder / "spill"),
            threads=1,
            # An empty temp_directory is DuckDB's switch for "never spill".
            connection_config={} if spill else {"temp_directory": ""},
        )
        with warehouse.writer() as conn:
            loads = load_entity(conn, "payment_transactions", segments, days)
            rows = conn.execute(
                "SELECT business_date, count(*), sum(amount), count(DISTINCT event_id) "
                "FROM raw.payment_transactions GROUP BY ALL ORDER BY 1"
            ).fetchall()
        return loads, rows

    tight_loads, tight_rows = load("tight", "96MB")
    free_loads, free_rows = load("free", "")
    assert tight_loads == free_loads
    assert tight_rows == free_rows
    assert [load.business_date for load in tight_loads] == days
    for day_load in tight_loads:
        assert day_load.landed == day_load.loaded + day_load.duplicates + day_load.quarantined
        assert day_load.loaded > 7_000
        assert day_load.duplicates >= 3 * day_load.loaded
    with pytest.raises(duckdb.OutOfMemoryException):
        load("no_spill", "96MB", spill=False)
