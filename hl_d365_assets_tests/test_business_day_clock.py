"""Python and SQL put every instant on the same business day, in every store's zone.

The landing code (webhook receiver, end-of-day pull) files an event under a business day in
Python; the canonical SQL recomputes the local date and flags ``wrong_business_day`` where they
differ. With two time-zone databases (the OS's zone files for Python, DuckDB's ICU data for SQL)
they did differ: British Columbia's 2026 rule was in one and not the other, and the midnight hour
of every day from 1 November 2026 in America/Vancouver (60 hours) fell on different days
(hl_d365_assets/time_zones.py says which source won).
"""

from __future__ import annotations

import csv
from datetime import datetime, time
from pathlib import Path

import duckdb

from hl_d365_assets.heartland.events import Event, StoreZones
from hl_d365_assets.sandbox.stores import load_stores
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import sql_file

from .conftest import make_settings

NORTH_AMERICAN_ZONES = (
    "America/Vancouver",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Toronto",
    "Pacific/Honolulu",
    "America/Anchorage",
)


def zones_under_test(tmp_path: Path) -> list[str]:
    """The sandbox stores' zones, the configured merchant zone, and the North American nine."""
    zones = {store.timezone for store in load_stores(PROJECT_ROOT / "mappings")}
    zones.add(make_settings(tmp_path).merchant_timezone)
    zones.update(NORTH_AMERICAN_ZONES)
    return sorted(zones)


def warehouse_clock() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the business-day macros the canonical SQL calls."""
    conn = duckdb.connect(":memory:")
    conn.execute(sql_file("macros/business_days.sql")).fetchall()
    return conn


def test_python_and_sql_file_every_hour_of_2026_under_the_same_day_in_every_store_zone(
    tmp_path: Path,
) -> None:
    zones = zones_under_test(tmp_path)
    # One store per zone, read by the receiver's and the pull's own StoreZones.
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    with (mappings / "stores.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["store_id", "merchant_id", "timezone"])
        writer.writerows([zone, f"MER_{zone}", zone] for zone in zones)
    store_zones = StoreZones.from_mappings(mappings, "America/New_York")

    conn = warehouse_clock()
    conn.execute("CREATE TABLE zones AS SELECT unnest(CAST(? AS VARCHAR[])) AS zone", [zones])
    conn.execute("""
        CREATE TABLE instants AS
        SELECT zone, at_utc, strftime(timezone('UTC', at_utc), '%Y-%m-%dT%H:%M:%SZ') AS time_created
        FROM zones
        CROSS JOIN (
            SELECT unnest(generate_series(
                TIMESTAMPTZ '2026-01-01 00:00:00+00', TIMESTAMPTZ '2026-12-31 23:00:00+00', INTERVAL 1 HOUR
            )) AS at_utc
        )
    """)
    # Python's answer is the landing code's own, one event at a time, as the receiver files them;
    # it goes back to DuckDB as a file so the comparison itself is one set-based query.
    python_days = tmp_path / "python_days.csv"
    with python_days.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["zone", "time_created", "python_day"])
        for zone, time_created in conn.execute(
            "SELECT zone, time_created FROM instants"
        ).fetchall():
            payload = {"id": "TRN_x", "time_created": time_created, "site_reference": zone}
            event = Event("EVT_x", "transaction.captured", "payment_transactions", payload)
            writer.writerow([zone, time_created, store_zones.business_day(event).isoformat()])
    conn.execute(
        "CREATE TABLE answers AS "
        "SELECT i.zone, i.at_utc, business_date_of(i.zone, i.at_utc) AS sql_day, p.python_day,"
        " utc_offset_seconds(i.zone, i.at_utc) AS utc_offset "
        "FROM instants AS i LEFT JOIN read_csv(?, types = {'python_day': 'DATE'}) AS p USING (zone, time_created)",
        [str(python_days)],
    )
    hours, offset_changes = conn.execute("""
        SELECT count(*),
               (SELECT count(*) FROM (
                   SELECT lag(utc_offset) OVER (PARTITION BY zone ORDER BY at_utc) <> utc_offset AS changed
                   FROM answers) WHERE changed)
        FROM answers
    """).fetchall()[0]
    assert hours == 8760 * len(zones)
    # The DST switches (spring and autumn where the zone has them) are inside the year tested.
    assert offset_changes >= 2 * (len(zones) - 3), "expected the year's DST changes in the grid"

    disagreements = conn.execute("""
        SELECT zone, count(*) AS hours, min(at_utc) AS first_at, any_value(sql_day), any_value(python_day)
        FROM answers
        WHERE sql_day IS DISTINCT FROM python_day
        GROUP BY zone ORDER BY zone
    """).fetchall()
    assert disagreements == [], (
        f"Python and SQL file instants under different days: {disagreements}"
    )


def test_the_sandbox_stamps_each_store_day_with_the_offset_the_sql_reads(tmp_path: Path) -> None:
    """The generator writes local times with ``Store.utc_offset``; the SQL must read them back
    on the same day, so its noon offset is ICU's for every store and day of 2026."""
    conn = warehouse_clock()
    stores = load_stores(PROJECT_ROOT / "mappings")
    days = conn.execute(
        "SELECT CAST(unnest(generate_series(DATE '2026-01-01', DATE '2026-12-31', INTERVAL 1 DAY)) AS DATE)"
    ).fetchall()
    rows = [
        (
            store.timezone,
            datetime.combine(day, time(12)),
            int(store.utc_offset(day).total_seconds()),
        )
        for store in stores
        for (day,) in days
    ]
    conn.execute(
        "CREATE TABLE sandbox_offsets (zone VARCHAR, local_noon TIMESTAMP, utc_offset INTEGER)"
    )
    conn.executemany("INSERT INTO sandbox_offsets VALUES (?, ?, ?)", rows)
    wrong = conn.execute("""
        SELECT zone, count(*), min(local_noon)
        FROM sandbox_offsets
        WHERE utc_offset_seconds(zone, timezone(zone, local_noon)) <> utc_offset
        GROUP BY zone ORDER BY zone
    """).fetchall()
    assert wrong == []
