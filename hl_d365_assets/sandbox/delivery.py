"""How a built sandbox day lands: its own segments first, then redeliveries, then late events.

Lines are rendered in chunks, one store's range of slots per query, each with its own ORDER BY.
A renderer thread runs the queries; two writer threads, one for the gateway's entities and one
for the POS tickets, hand the chunks to their own :class:`LandingWriter`. Rendering and both
writers' disk writes overlap, which matters at a million transactions a day (2.5 GB of lines).

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
ENTITIES: tuple[str, ...] = ("payment_transactions", "settlement_batches", "pos_tickets")
PRODUCER = "sandbox"
CHUNK_SLOTS = 100_000
# A store's last chunk also takes the slots after its own: its order payments
# (create_order_payments.sql).
END_OF_STORE = 2**62
PROGRESS_EVERY_LINES = 250_000
# Which writer thread lands an entity.
LANES = {"payment_transactions": 0, "settlement_batches": 0, "pos_tickets": 1}

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
    """The day's own lines as queries of one store's slot range, the two lanes interleaved."""
    per_entity: dict[str, list[Query]] = {}
    for entity in ENTITIES:
        if entity == "settlement_batches":
            per_entity[entity] = [(entity, sql_text("select_batch_envelope_lines"), {})]
            continue
        select = sql_statement("select_envelope_lines", entity=entity)
        per_entity[entity] = [
            (
                entity,
                select,
                {
                    "store_idx": store_idx,
                    "first": first,
                    "end": (
                        first + CHUNK_SLOTS
                        if first + CHUNK_SLOTS < slots_per_store
                        else END_OF_STORE
                    ),
                },
            )
            for store_idx in range(store_count)
            for first in range(0, slots_per_store, CHUNK_SLOTS)
        ]
    gateway = per_entity["payment_transactions"] + per_entity["settlement_batches"]
    pos = per_entity["pos_tickets"]
    interleaved = [query for pair in zip(gateway, pos, strict=False) for query in pair]
    longer = gateway if len(gateway) > len(pos) else pos
    return interleaved + longer[len(interleaved) // 2 :]


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
    lanes: list[queue.Queue[Chunk | None]] = [queue.Queue(maxsize=2) for _ in range(2)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def put(lane: queue.Queue[Chunk | None], item: Chunk | None) -> bool:
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
                if not put(lanes[LANES[entity]], (entity, con.execute(sql, params).fetchall())):
                    return
        except BaseException as exc:
            errors.append(exc)
            stop.set()
        finally:
            for lane in lanes:
                put(lane, None)

    def write(lane: queue.Queue[Chunk | None]) -> None:
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

    threads = [threading.Thread(target=render, name="sandbox-render", daemon=True)] + [
        threading.Thread(target=write, args=(lane,), name=f"sandbox-write-{index}", daemon=True)
        for index, lane in enumerate(lanes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return landed, sorted(segments)
