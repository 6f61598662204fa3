"""Analysts and runs side by side: a reader never hangs and never sees a half-written table.

The writer here is a real second process holding the warehouse the way a materialisation does.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import WarehouseBusy, WarehouseResource, open_for_analysis


def _warehouse(settings: Settings) -> WarehouseResource:
    return WarehouseResource(
        database=str(settings.warehouse_path), read_copy=str(settings.read_copy_path)
    )


def _count(path: Path) -> tuple[int, int]:
    conn = open_for_analysis(path)
    try:
        return conn.execute("SELECT count(*), sum(amount) FROM canonical.ledger_probe").fetchall()[
            0
        ]
    finally:
        conn.close()


@pytest.fixture
def published(settings: Settings) -> WarehouseResource:
    warehouse = _warehouse(settings)
    with warehouse.writer() as conn:
        conn.execute(
            "CREATE TABLE canonical.ledger_probe AS SELECT range AS id, 1 AS amount FROM range(1000)"
        ).fetchall()
    warehouse.publish_read_copy()
    return warehouse


def _start_writer(settings: Settings, hold_seconds: float) -> subprocess.Popen:
    """A separate process that rewrites the probe table inside one long transaction, then publishes."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from hl_d365_assets.warehouse import WarehouseResource
        warehouse = WarehouseResource(database={str(settings.warehouse_path)!r}, read_copy={str(settings.read_copy_path)!r})
        with warehouse.writer() as conn:
            conn.execute("BEGIN TRANSACTION").fetchall()
            conn.execute("DELETE FROM canonical.ledger_probe WHERE id >= 500").fetchall()
            print("writing", flush=True)
            time.sleep({hold_seconds})
            conn.execute("INSERT INTO canonical.ledger_probe SELECT range, 2 FROM range(500, 1000)").fetchall()
            conn.execute("COMMIT").fetchall()
        warehouse.publish_read_copy()
        print("published", flush=True)
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    return writer


def test_reader_of_the_read_copy_sees_the_last_published_state_during_a_run(
    settings: Settings, published: WarehouseResource
) -> None:
    writer = _start_writer(settings, hold_seconds=2.0)
    try:
        started = time.monotonic()
        assert _count(settings.read_copy_path) == (1000, 1000)
        assert time.monotonic() - started < 1.0
    finally:
        assert writer.wait(timeout=60) == 0
    assert _count(settings.read_copy_path) == (1000, 1500)


def test_reader_of_the_live_file_during_a_run_is_told_what_to_do_at_once(
    settings: Settings, published: WarehouseResource
) -> None:
    writer = _start_writer(settings, hold_seconds=2.0)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match="read copy"):
            open_for_analysis(settings.warehouse_path)
        assert time.monotonic() - started < 1.0
    finally:
        assert writer.wait(timeout=60) == 0


def test_a_session_open_across_a_publication_keeps_its_snapshot(
    settings: Settings, published: WarehouseResource
) -> None:
    conn = open_for_analysis(settings.read_copy_path)
    try:
        writer = _start_writer(settings, hold_seconds=0.1)
        assert writer.wait(timeout=60) == 0
        assert conn.execute(
            "SELECT count(*), sum(amount) FROM canonical.ledger_probe"
        ).fetchall() == [(1000, 1000)]
    finally:
        conn.close()
    assert _count(settings.read_copy_path) == (1000, 1500)


def test_writers_queue_for_the_warehouse_instead_of_failing(
    settings: Settings, published: WarehouseResource
) -> None:
    writer = _start_writer(settings, hold_seconds=1.0)
    started = time.monotonic()
    with published.writer() as conn:
        waited = time.monotonic() - started
        rows = conn.execute("SELECT count(*), sum(amount) FROM canonical.ledger_probe").fetchall()
    assert writer.wait(timeout=60) == 0
    assert waited > 0.5
    assert rows == [(1000, 1500)]


def test_a_writer_that_waits_too_long_gets_a_clear_error(
    settings: Settings, published: WarehouseResource
) -> None:
    writer = _start_writer(settings, hold_seconds=3.0)
    impatient = published.model_copy(update={"lock_timeout_seconds": 0.5})
    try:
        with pytest.raises(WarehouseBusy, match="held by another writer"), impatient.writer():
            pass
    finally:
        assert writer.wait(timeout=60) == 0
