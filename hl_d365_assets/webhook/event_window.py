"""Where an accepted event lands, and whether the raw layer must quarantine it for its time.

An event lands in the folder of its business day, and a partition run reads only its own day's
folder. So an event whose day is no partition's (before ``HL_D365_FIRST_BUSINESS_DAY``, or days
ahead of the receipt) would sit in a folder no run ever reads: acknowledged, yet in no raw table
and not in ``ops.quarantine``, invisible to the conservation ledger. Such an event, and one whose
time cannot be a real event's, is landed in the receipt day's folder instead (the first partition
when the receipt is older still), with a ``receiver_problem`` the raw layer quarantines it by:

- ``absurd_timestamp``: a time before 1970, more than a year after receipt, or one that falls off
  the calendar in the store's zone (``0001-01-01T00:00:00+05:00``); no clock of a real sender says
  that, so it is not worth a partition of its own;
- ``outside_partitions``: a plausible day that no partition loads: before the first business day,
  or more than a day after the receipt's (the last partition is the merchant's today, and a store
  east of the merchant may be a day ahead);
- ``stale_event``: inside the partitions but outside the replay window (GP-API signatures carry
  no timestamp, so a captured notification can be replayed forever): landed in its own day.

A timestamp that does not parse at all is still refused (400 ``bad_shape``), before anything lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hl_d365_assets.heartland.events import (
    DAY_FIELD,
    EVENT_TIME_FIELDS,
    Event,
    StoreZones,
    parse_time,
)
from hl_d365_assets.webhook.config import ReceiverConfig

EARLIEST_PLAUSIBLE = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_PLAUSIBLE_AHEAD = timedelta(days=366)
LAST_PARTITION_AHEAD = timedelta(days=1)
"""A store's business day may run this far ahead of the merchant's (a store in a zone east of it)."""


@dataclass(frozen=True)
class Placement:
    business_date: date
    """The day folder the line lands in: its own business day, or the receipt day's."""
    problem: str | None
    """``"<reason_code>: <detail>"`` for the raw layer to quarantine the line by, or None."""


def place(event: Event, zones: StoreZones, now: datetime, config: ReceiverConfig) -> Placement:
    """The landing day and time problem of an accepted event received at ``now`` (UTC).

    Raises :class:`hl_d365_assets.heartland.events.EventShapeError` when a time is missing or does
    not parse, as the shape checks do.
    """
    receipt_day = now.astimezone(zones.default).date()
    home = max(receipt_day, config.first_business_day or receipt_day)
    day_field = f"payload.{DAY_FIELD[event.entity]}"
    event_time = event.event_time
    day_time = event.payload.get(DAY_FIELD[event.entity])
    # Both times are judged before the business day is computed: the zone's offsets are taken
    # per year, and there is no year 0 or 10000 to take them for.
    moments = [event_time] + ([parse_time(day_time, day_field)] if day_time else [])
    try:
        absurd = next(filter(None, (_absurd(moment, now) for moment in moments)), None)
    except OverflowError:
        absurd = "off the calendar"
    if absurd:
        return Placement(home, _absurd_problem(day_field, event, absurd, home))
    business_date = zones.business_day(event)
    first = config.first_business_day
    if first is not None and business_date < first:
        return Placement(
            home,
            f"outside_partitions: business day {business_date} of {day_field} is before the "
            f"first partition {first} (HL_D365_FIRST_BUSINESS_DAY); landed under {home}",
        )
    if business_date > receipt_day + LAST_PARTITION_AHEAD:
        return Placement(
            home,
            f"outside_partitions: business day {business_date} of {day_field} is after the last "
            f"partition at receipt ({receipt_day + LAST_PARTITION_AHEAD}); landed under {home}",
        )
    return Placement(business_date, stale_problem(event_time, now, config))


def _absurd(moment: datetime, now: datetime) -> str | None:
    """Why ``moment`` cannot be a real event's time, or None. May raise OverflowError."""
    utc = moment.astimezone(UTC)
    if utc < EARLIEST_PLAUSIBLE:
        return "is before 1970"
    if utc - now > LATEST_PLAUSIBLE_AHEAD:
        return "is more than a year after receipt"
    return None


def _absurd_problem(day_field: str, event: Event, why: str, home: date) -> str:
    # The raw text, not a parsed value: it may not survive a conversion. It is short (a parsed
    # ISO 8601 timestamp), and the raw layer masks card numbers in every quarantine detail.
    names = dict.fromkeys((day_field.removeprefix("payload."), *EVENT_TIME_FIELDS[event.entity]))
    times = ", ".join(
        f"payload.{name} {event.payload[name]!s:.40}" for name in names if event.payload.get(name)
    )
    return f"absurd_timestamp: {times}: a time {why}; landed under {home}"


def stale_problem(event_time: datetime, now: datetime, config: ReceiverConfig) -> str | None:
    if now - event_time > config.max_event_age:
        side, gap = "before", now - event_time
    elif event_time - now > config.max_clock_skew:
        side, gap = "after", event_time - now
    else:
        return None
    minutes = int(gap.total_seconds() // 60)
    return (
        f"stale_event: {iso_ms(event_time)} is {minutes // 60}h {minutes % 60:02d}m {side} "
        f"receipt at {iso_ms(now)}; window -{_compact(config.max_event_age)}"
        f"/+{_compact(config.max_clock_skew)}"
    )


def _compact(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
