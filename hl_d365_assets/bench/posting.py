"""`hl-d365 bench --part posting`: 10,000 journal lines into the D365 simulator, on loopback with
20 ms added to every request, the way the poster sends them (per journal: a key lookup, the
header, all lines in one changeset) against the naive way (one request per line). Both end with
every line they sent in D365 exactly once, which is checked, not assumed.

The naive way takes about 11 minutes for all 10,000 lines, so by default it is measured on one
journal (1,000 lines) and scaled by the journal count: its requests grow exactly with the lines
(one per line plus one header per journal) and each costs the same 20 ms of latency plus the
simulator's work, so the scaled figure is a fair estimate. The output says it is scaled, and
``--posting-naive-journals 10`` measures it whole."""

from __future__ import annotations

import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from hl_d365_assets.ledger.d365_journals import GENERAL_JOURNAL
from hl_d365_assets.ledger.exactly_once import create_journal_once
from hl_d365_assets.ledger.journal_key import JournalKey
from hl_d365_assets.ledger.plan import JOURNAL_NAME, PlannedJournal, PlannedLine
from hl_d365_assets.sandbox.d365_simulator.app import D365Simulator
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.sandbox.resources import d365_client

LINES = 10_000
LINES_PER_JOURNAL = 1_000
LATENCY_SECONDS = 0.020
DAY = date(2026, 11, 20)
ACCOUNTS = ("401100-001-RETAIL", "112100-001-RETAIL", "110100-001-RETAIL", "500100-001-RETAIL")


def journals() -> list[PlannedJournal]:
    """Balanced USD journals (rate 1: no rounding line, so lines sent = lines planned)."""
    planned = []
    for number in range(LINES // LINES_PER_JOURNAL):
        lines = []
        for index in range(LINES_PER_JOURNAL // 2):
            amount = Decimal(index % 997 + 1) + Decimal("0.37")
            account = ACCOUNTS[index % len(ACCOUNTS)]
            lines += [
                PlannedLine(None, account, "USD", amount, f"bench {number}/{index}"),
                PlannedLine(None, "140100-001-RETAIL", "USD", -amount, f"bench {number}/{index}"),
            ]
        # One journal and its adjustments: each sequence has a key of its own.
        planned.append(
            PlannedJournal(
                JournalKey("usrt", DAY, "USD"), "USD", Decimal(1), number, lines, "799900"
            )
        )
    return planned


def _measure(sim: D365Simulator, url: str, send, expected: int = LINES) -> tuple[int, float]:
    sim.reset()
    sim.latency_seconds = LATENCY_SECONDS
    with d365_client(url).open() as api:
        api.read_all("JournalNames", top=1)  # the token, outside the measurement
        before = sim.request_count()
        started = time.perf_counter()
        send(api)
        seconds = time.perf_counter() - started
    requests = sim.request_count() - before
    lines = sum(len(journal["lines"]) for journal in sim.journals("usrt"))
    assert lines == expected, f"{lines} lines in D365, expected {expected} exactly once"
    return requests, seconds


def run_posting_bench(naive_journals: int = 1) -> int:
    planned = journals()
    naive_journals = max(1, min(naive_journals, len(planned)))
    sample = planned[:naive_journals]
    scale = len(planned) / len(sample)

    def batched(api) -> None:
        for journal in planned:
            create_journal_once(api, journal)

    def naive(api) -> None:
        for journal in sample:
            header = api.create(
                GENERAL_JOURNAL.header_set,
                {
                    "dataAreaId": "usrt",
                    "JournalName": JOURNAL_NAME,
                    "Description": str(journal.idempotency_key),
                },
            )
            for number, line in enumerate(journal.d365_lines(), start=1):
                api.create(
                    GENERAL_JOURNAL.line_set,
                    {**line, "dataAreaId": "usrt", "JournalBatchNumber": header["JournalBatchNumber"],
                     "LineNumber": number},
                )  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        sim = D365Simulator(Path(folder) / "d365.sqlite")
        server = serve(sim)
        sim.environment_url = server.base_url
        try:
            print(
                f"posting benchmark: {LINES:,} journal lines in {len(planned)} journals, "
                f"{LATENCY_SECONDS * 1000:.0f} ms added per request, simulator on loopback",
                flush=True,
            )
            batched_requests, batched_seconds = _measure(sim, server.base_url, batched)
            print(
                f"  as the poster sends them: {batched_requests:>6,} requests, {batched_seconds:6.1f} s",
                flush=True,
            )
            sample_lines = sum(len(journal.lines) for journal in sample)
            measured_requests, measured_seconds = _measure(
                sim, server.base_url, naive, expected=sample_lines
            )
            naive_requests = round(measured_requests * scale)
            naive_seconds = measured_seconds * scale
            how = (
                "measured"
                if scale == 1
                else f"scaled x{scale:g} from {measured_requests:,} requests in "
                f"{measured_seconds:.1f} s measured on {len(sample)} of {len(planned)} journals "
                f"({sample_lines:,} lines)"
            )
            print(
                f"  one request per line:     {naive_requests:>6,} requests, {naive_seconds:6.1f} s "
                f"({how})",
                flush=True,
            )
        finally:
            server.stop()
            sim.close()
    print(
        f"  {naive_requests / batched_requests:,.0f}x fewer requests (target >= 20x), "
        f"{naive_seconds / batched_seconds:,.1f}x faster (target >= 10x); every line in D365 "
        "exactly once in both",
        flush=True,
    )
    return (
        0
        if naive_requests >= 20 * batched_requests and naive_seconds >= 10 * batched_seconds
        else 1
    )
