-- The business-day clock. A record belongs to the local date of its time in its store's zone
-- (DESIGN.md), and that date is computed from ONE time-zone database: the ICU data compiled into
-- the pinned duckdb wheel (requirements.lock). The canonical SQL calls these macros; Python
-- (hl_d365_assets/time_zones.py) builds its tzinfo from utc_offset_changes, so the landing code
-- and the SQL cannot file the same instant under different days. Python's zoneinfo is not used
-- for business days: it reads the OS's zone files first (Debian's tzdata 2025b here, without
-- British Columbia's and other Canadian 2026 rules), then the tzdata wheel, a third release.

-- Seconds east of UTC in force in `zone` at `moment` (a TIMESTAMPTZ).
CREATE OR REPLACE MACRO utc_offset_seconds(zone, moment) AS
    date_diff('second', timezone('UTC', moment), timezone(zone, moment));

-- The business day of `moment` in `zone`: its local date.
CREATE OR REPLACE MACRO business_date_of(zone, moment) AS CAST(timezone(zone, moment) AS DATE);

-- When the business day `business_date` of `zone` ends, as a TIMESTAMPTZ (its next local midnight).
CREATE OR REPLACE MACRO business_day_ends_at(zone, business_date) AS
    timezone(zone, CAST(business_date + 1 AS TIMESTAMP));

-- Every change of `zone`'s UTC offset between two instants (epoch seconds), to the minute, the
-- first row giving the offset in force at `from_epoch`. Hours are scanned first and only an hour
-- whose offset differs from the previous one is scanned by the minute: zones such as
-- America/St_Johns (UTC-3:30) change off the UTC hour, and none changes twice within an hour.
CREATE OR REPLACE MACRO utc_offset_changes(zone, from_epoch, until_epoch) AS TABLE
WITH hourly_offsets AS (
    SELECT at_utc, utc_offset_seconds(zone, at_utc) AS utc_offset
    FROM (
        SELECT unnest(generate_series(to_timestamp(from_epoch), to_timestamp(until_epoch), INTERVAL 1 HOUR)) AS at_utc
    )
),
changed_hours AS (
    SELECT at_utc AS hour_end, utc_offset
    FROM hourly_offsets
    QUALIFY lag(utc_offset) OVER (ORDER BY at_utc) IS DISTINCT FROM utc_offset
),
minutes_of_changed_hours AS (
    SELECT
        hour_end, utc_offset,
        unnest(generate_series(hour_end - INTERVAL 59 MINUTE, hour_end, INTERVAL 1 MINUTE)) AS at_utc
    FROM changed_hours
    WHERE hour_end > to_timestamp(from_epoch)
),
changes AS (
    SELECT min(at_utc) AS changes_at, utc_offset
    FROM minutes_of_changed_hours
    WHERE utc_offset_seconds(zone, at_utc) = utc_offset
    GROUP BY hour_end, utc_offset
)
SELECT CAST(epoch(hour_end) AS BIGINT) AS changes_at_epoch, utc_offset
FROM changed_hours
WHERE hour_end = to_timestamp(from_epoch)
UNION ALL
SELECT CAST(epoch(changes_at) AS BIGINT), utc_offset FROM changes
ORDER BY changes_at_epoch;
