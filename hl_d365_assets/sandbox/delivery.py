"""How a built sandbox day's gateway data lands: its own segments first, then redeliveries, then
late events. (The POS tickets are not landed by the sandbox: they go to the Heartland Retail
store, retail_store.py, and the Retail pull lands them.)

Lines are rendered in chunks, one store's range of slots per query, each with its own ORDER BY.
A renderer thread runs the queries; a writer thread hands the chunks to its
:class:`LandingWriter`. Rendering and disk writes overlap, which matters at a million
transactions a day.

Within a day's own segments lines come per store in slot (time) order; malformed_json lines
come cut short in their place and late_event lines are held back. Duplicates and late events are
written by fresh writers once the day's own segments are committed, so they land in separate
segments whose names sort after those.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.sandbox.sql_files import sql_statement, sql_text

SOURCE = "heartland"
ENTITIES: tuple[str, ...] = ("payment_transactions", "settlement_batches")
PRODUCER = "sandbox"
CHUNK_SLOTS = 100_000
# A store's last chunk also takes the slots after its own: its order payments
# (create_order_payments.sql).
END_OF_STORE = 2**62
PROGRESS_EVERY_LINES = 250_000

Progress = Callable[[str], None]
Chunk = tuple[str, list[tuple[str]]]
Query = tuple[str, str, dict[str, int]]  # entity, statement, its parameters


def land_day(
    con: duckdb.DuckDBPyConnection,
    zone: LandingZone,
    day: date,
    store_count: int,
    slots_per_store: int,
    progress: Progress,
) -> tuple[dict[str, int], list[Path]]:
    """Land the day built in ``con``; returns lines landed per entity and the segments written."""
    landed, segments = _land_own_lines(
        con, zone, day, _chunk_queries(store_count, slots_per_store), progress
    )

    for delivery in ("duplicate_delivery", "late_event"):
        with LandingWriter(zone, producer=PRODUCER) as writer:
            for entity in ENTITIES:
                rows = con.execute(
                    sql_statement("select_redelivered_lines", entity=entity),
                    {"delivery": delivery},
                ).fetchall()
                if rows:
                    writer.append_lines(SOURCE, entity, day, [row[0] for row in rows])
                    landed[entity] += len(rows)
            segments.extend(writer.close())

    return landed, segments


def _chunk_queries(store_count: int, slots_per_store: int) -> list[Query]:
    """The day's own lines as queries of one store's slot range, then the batches."""
    select = sql_statement("select_envelope_lines", entity="payment_transactions")
    transactions = [
        (
            "payment_transactions",
            select,
            {
                "store_idx": store_idx,
                "first": first,
                "end": (
                    first + CHUNK_SLOTS if first + CHUNK_SLOTS < slots_per_store else END_OF_STORE
                ),
            },
        )
        for store_idx in range(store_count)
        for first in range(0, slots_per_store, CHUNK_SLOTS)
    ]
    return [*transactions, ("settlement_batches", sql_text("select_batch_envelope_lines"), {})]


def _land_own_lines(
    con: duckdb.DuckDBPyConnection,
    zone: LandingZone,
    day: date,
    queries: list[Query],
    progress: Progress,
) -> tuple[dict[str, int], list[Path]]:
    started = time.monotonic()
    landed = dict.fromkeys(ENTITIES, 0)
    segments: list[Path] = []
    lane: queue.Queue[Chunk | None] = queue.Queue(maxsize=2)
    stop = threading.Event()
    errors: list[BaseException] = []

    def put(item: Chunk | None) -> bool:
        while not stop.is_set():
            try:
                lane.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def render() -> None:
        # The only thread that touches `con` until all threads are joined.
        try:
            for entity, sql, params in queries:
                if not put((entity, con.execute(sql, params).fetchall())):
                    return
        except BaseException as exc:
            errors.append(exc)
            stop.set()
        finally:
            put(None)

    def write() -> None:
        try:
            with LandingWriter(zone, producer=PRODUCER) as writer:
                reported: dict[str, int] = {}
                while (chunk := lane.get()) is not None:
                    entity, rows = chunk
                    writer.append_lines(SOURCE, entity, day, [row[0] for row in rows])
                    landed[entity] += len(rows)
                    if landed[entity] - reported.get(entity, 0) >= PROGRESS_EVERY_LINES:
                        reported[entity] = landed[entity]
                        progress(
                            f"{day} {entity}: {landed[entity]:,} lines ({time.monotonic() - started:.1f}s)"
                        )
                segments.extend(writer.close())
        except BaseException as exc:
            errors.append(exc)
            stop.set()

    threads = [
        threading.Thread(target=render, name="sandbox-render", daemon=True),
        threading.Thread(target=write, name="sandbox-write", daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return landed, sorted(segments)
