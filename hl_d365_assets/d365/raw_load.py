"""raw.d365_*: loading landed D365 pulls, and what a pull needs to know of the tables.

A reference-data table is loaded from the newest *completed* pull landed for its entity (its
``d365.pull_completed`` line names how to apply it): a full pull replaces the table. Sales orders
and their lines replay every completed pull since the newest full one, oldest first: the full
pull replaces the tables, each incremental one (the nightly poll by creation time, and the
targeted pulls business events trigger, ``d365/order_refresh.py``) replaces the orders it
fetched. So two pulls landing close together — a poll and an event's targeted pull — are both
applied, whichever run loads first, and an order ends as the latest pull read it. Applying the
same pulls twice gives the same rows, so re-materialising raw.d365_* replays the landing zone
without D365. All the tables are written in one transaction; the on-hand snapshot replaces only its own
business date.

A table emptied by hand and rebuilt from an incremental pull gets back only the orders that pull
fetched; the next full sales-order pull (Sundays, or ``full_sales_order_pull``) restores the rest,
as it would have without the landing zone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from hl_d365_assets.d365.pull import (
    ENTITIES,
    ORDER_ENTITIES,
    SALES_ORDERS,
    SOURCE,
    PulledEntity,
)
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.warehouse import run_script, sql_file

OUR_COLUMNS = ("pulled_at", "snapshot_date")
"""Columns the raw layer adds; every other column of raw.d365_* is a D365 field."""
EMPTY_DATE_BEFORE = "1900-01-02 00:00:00+00"
"""D365's empty date is 1900-01-01T12:00:00Z; an order without a creation time sets no watermark."""
ENVELOPE_COLUMNS = {"event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR"}


class PullRefused(RuntimeError):
    """A landed pull holds something the warehouse would not keep exactly; nothing was written."""


class NoLandedPull(RuntimeError):
    """The landing zone holds no completed D365 pull for an entity."""


@dataclass(frozen=True)
class LandedPull:
    """One completed pull of one entity, as the landing zone holds it."""

    entity: PulledEntity
    business_date: str
    received_at: str
    segments: list[str]
    completion: dict

    @property
    def pulled_at(self) -> datetime:
        return datetime.fromisoformat(self.received_at)

    @property
    def incremental(self) -> bool:
        return self.completion["mode"] == "incremental"

    @property
    def params(self) -> dict:
        return {"segments": self.segments, "received_at": self.received_at}


def newest_pull(
    conn: duckdb.DuckDBPyConnection, zone: LandingZone, entity: PulledEntity
) -> LandedPull:
    """The newest completed pull of ``entity`` (days in the order of their newest pull)."""
    for day, segments in _days_newest_first(zone, entity):
        completions = conn.execute(
            sql_file("raw/find_d365_pull_completions.sql"), {"segments": segments}
        ).fetchall()
        if completions:
            received_at, completion = completions[0]
            return LandedPull(entity, day, received_at, segments, json.loads(completion))
    raise NoLandedPull(
        f"no completed D365 pull of {entity.entity_set} under "
        f"{zone.root / SOURCE / entity.entity}: run d365_pull_job"
    )


def _days_newest_first(zone: LandingZone, entity: PulledEntity) -> list[tuple[date, list[str]]]:
    """The business days holding pulls of ``entity`` with their segments, the day of the newest
    segment first: a segment's name starts with its pull's start time, and a pull may land under
    an earlier day than the one it was taken on (``snapshot_date``)."""
    by_day = {
        day: sorted(str(path) for path in zone.segments(SOURCE, entity.entity, day))
        for day in zone.business_dates(SOURCE, entity.entity)
    }
    return sorted(
        ((day, segments) for day, segments in by_day.items() if segments),
        key=lambda item: Path(item[1][-1]).name,
        reverse=True,
    )


def pulls_since_full(
    conn: duckdb.DuckDBPyConnection, zone: LandingZone, entity: PulledEntity
) -> list[LandedPull]:
    """Every completed pull of ``entity`` from the newest full one on, oldest first. Each holds
    only its own segments: those created from its start up to the one with its completion line
    (one segment, unless a pull outgrew the writer's segment size)."""
    newest_first: list[LandedPull] = []
    for day, segments in _days_newest_first(zone, entity):
        for received_at, completion, last_segment in conn.execute(
            sql_file("raw/find_d365_order_pulls.sql"), {"segments": segments}
        ).fetchall():
            started = datetime.fromisoformat(received_at).strftime("%Y%m%dT%H%M%S%fZ")
            own = [s for s in segments if started <= Path(s).name <= Path(last_segment).name]
            pull = LandedPull(entity, day, received_at, own, json.loads(completion))
            newest_first.append(pull)
            if not pull.incremental:
                return newest_first[::-1]
    if not newest_first:
        raise NoLandedPull(
            f"no completed D365 pull of {entity.entity_set} under "
            f"{zone.root / SOURCE / entity.entity}: run d365_pull_job"
        )
    return newest_first[::-1]


def newest_pulls(conn: duckdb.DuckDBPyConnection, zone: LandingZone) -> dict[str, LandedPull]:
    """The newest completed pull of every entity, by raw table. Sales orders and their lines are
    applied together, so they must come from the same pull."""
    pulls = {entity.table: newest_pull(conn, zone, entity) for entity in ENTITIES}
    orders, lines = (pulls[entity.table] for entity in ORDER_ENTITIES)
    if orders.received_at != lines.received_at:
        raise PullRefused(
            f"the newest landed sales orders ({orders.received_at}) and order lines "
            f"({lines.received_at}) are from different pulls; nothing was written"
        )
    return pulls


def load_pulls(
    conn: duckdb.DuckDBPyConnection,
    pulls: dict[str, LandedPull],
    fields: dict[str, list[str]],
    order_history: dict[str, list[LandedPull]] | None = None,
) -> None:
    """Stage every entity's pull, refuse one that would be rounded, then replace; the caller
    holds the transaction. Orders and lines replay ``order_history`` (by table, oldest first;
    :func:`pulls_since_full`), else apply their newest pull; in each pull the orders are staged
    before their lines, which an incremental pull replaces per fetched order."""
    history = order_history or {}
    orders, lines = (history.get(e.table, [pulls[e.table]]) for e in ORDER_ENTITIES)
    if [pull.received_at for pull in orders] != [pull.received_at for pull in lines]:
        raise PullRefused(
            "the landed sales-order and order-line pulls since the newest full one differ; "
            "nothing was written"
        )
    applied = [(entity, pulls[entity.table]) for entity in ENTITIES if entity not in ORDER_ENTITIES]
    applied += [
        (entity, pull)
        for pair in zip(orders, lines, strict=True)
        for entity, pull in zip(ORDER_ENTITIES, pair, strict=True)
    ]
    for entity, pull in applied:
        payload = ", ".join(f'"{name}" VARCHAR' for name in fields[entity.table])
        run_script(
            conn,
            sql_file("raw/stage_d365_pull.sql", staged=entity.staged),
            {**pull.params, "columns": {**ENVELOPE_COLUMNS, "payload": f"STRUCT({payload})"}},
        )
        rounded = conn.execute(
            sql_file("raw/find_d365_rounding.sql", staged=entity.staged), {"table": entity.table}
        ).fetchall()
        if rounded:
            raise PullRefused(
                f"{entity.entity_set}: D365 sent decimals with more places than raw.{entity.table} "
                "keeps, which would be rounded: "
                + "; ".join(
                    f"{name}={text} (column keeps {scale})" for name, text, scale in rounded
                )
                + f". Widen the column in sql/raw/create_{entity.table}.sql; nothing was written."
            )
        if entity.snapshot:
            run_script(
                conn,
                sql_file("raw/replace_d365_snapshot.sql", table=entity.table, staged=entity.staged),
                {"pulled_at": pull.pulled_at, "snapshot_date": pull.business_date},
            )
            continue
        if entity in ORDER_ENTITIES and pull.incremental:
            script = sql_file(
                "raw/replace_d365_orders.sql",
                table=entity.table,
                staged=entity.staged,
                orders=SALES_ORDERS.staged,
            )
        else:
            script = sql_file(
                "raw/replace_d365_table.sql", table=entity.table, staged=entity.staged
            )
        run_script(conn, script, {"pulled_at": pull.pulled_at})


def describe(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, bool, str]]:
    """(name, type, nullable, description) of each column of raw.<table>."""
    return conn.execute(sql_file("raw/describe_d365_table.sql"), {"table": table}).fetchall()


def d365_fields(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Each table's D365 columns, in order: what is $select-ed, landed and staged."""
    return {
        entity.table: [row[0] for row in describe(conn, entity.table) if row[0] not in OUR_COLUMNS]
        for entity in ENTITIES
    }


def orders_held(conn: duckdb.DuckDBPyConnection) -> tuple[int, datetime | None]:
    """How many sales orders are held, and the newest creation time among them."""
    [(count, newest)] = conn.execute(
        sql_file("raw/find_newest_d365_sales_order.sql"), {"after": EMPTY_DATE_BEFORE}
    ).fetchall()
    return count, newest


def row_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    # Built from the tables' names (identifiers), one short statement per table.
    return {
        entity.table: conn.execute(f"SELECT count(*) FROM raw.{entity.table}").fetchall()[0][0]
        for entity in ENTITIES
    }


def rows_of_pull(conn: duckdb.DuckDBPyConnection, pull: LandedPull) -> int:
    """Rows of the pull's table that the pull wrote: each carries its pulled_at. (One statement
    built from the table's name, an identifier.)"""
    table = pull.entity.table
    return conn.execute(
        f"SELECT count(*) FROM raw.{table} WHERE pulled_at = $pulled_at",
        {"pulled_at": pull.pulled_at},
    ).fetchall()[0][0]


def landed_records(conn: duckdb.DuckDBPyConnection, pull: LandedPull) -> tuple[int, int]:
    """(records landed, exact repeats among them) for the pull, recounted from its segments."""
    [(landed, duplicates)] = conn.execute(
        sql_file("raw/count_d365_pull_records.sql"), pull.params
    ).fetchall()
    return landed, duplicates
