"""The POS benchmark's code path at a tiny size, so `make bench` cannot rot between runs: a few
hundred Retail tickets rendered, served by the simulator child on loopback, pulled by the
production pull, read bare and loaded through raw and canonical_pos, every landed record
accounted for. (The figures themselves are `make bench`'s business, not a test's.)"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from hl_d365_assets.bench import retail_pos
from hl_d365_assets.bench.pipeline import bench_settings

# One test running the whole bench: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first


def test_a_tiny_pos_day_goes_through_every_step_of_the_bench(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    settings = dataclasses.replace(bench_settings(), data_dir=tmp_path / "bench")

    figures = retail_pos.measure(settings, transactions_per_store=40, in_process=True)
    retail_pos.report(figures)

    assert 100 < figures.tickets < 1000 and figures.lines > figures.tickets
    # Keyset pages of 1,000 tickets, each timed; one request for each page of every entity.
    assert figures.pages == math.ceil(figures.tickets / retail_pos.PAGE_SIZE)
    assert len(figures.page_cpu_ms) == figures.pages
    assert figures.served_requests == figures.pages + len(retail_pos.ENTITIES) - 1
    assert 0 < figures.served_seconds < figures.pull_seconds
    assert figures.landed_bytes > 0 and figures.bare_read_seconds > 0
    load = figures.load
    assert load["success"]
    # Conservation: every landed record loaded, counted as a duplicate or quarantined.
    assert load["loaded"] + load["duplicates"] + load["quarantined"] == figures.records
    steps = {step["key"] for step in load["steps"]}
    assert {"raw__retail_tickets", "canonical_pos"} <= steps
    printed = capsys.readouterr().out
    assert "ratio to baseline" in printed and "per ticket page" in printed
