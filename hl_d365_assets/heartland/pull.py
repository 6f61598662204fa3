"""The end-of-day pull: business days from the Heartland API into the landing zone.

Any past day can be loaded without webhooks, and a day whose webhooks were partly lost is
completed: a pulled resource lands under the event id its webhook had (``events.py`` derives
both from the resource's id and status), so the raw layer counts the ones already landed as
duplicates and loads only what was missing.

The API filters by UTC *date* of ``time_created`` (the SDKs send ``YYYY-MM-DD``), while a
business day is a local date per store, so the pull asks for the day before to the day after
and lands only the rows whose business day it was asked for; the rest are counted as
``outside_days`` (their own day's pull lands them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from hl_d365_assets.heartland.events import (
    EventShapeError,
    StoreZones,
    event_from_resource,
)
from hl_d365_assets.landing import LandingWriter, LandingZone, envelope, utc_now_iso

SOURCE = "heartland"
PRODUCER = "api-pull"
PULLED_ENTITIES = ("payment_transactions", "settlement_batches")
RESOURCES = {"payment_transactions": "transactions", "settlement_batches": "batches"}
"""The GP-API resource each landed entity is pulled from."""


@dataclass
class PullReport:
    landed: dict[str, Counter[str]] = field(
        default_factory=lambda: {entity: Counter() for entity in PULLED_ENTITIES}
    )
    """entity -> business date -> events landed."""
    flagged: Counter[str] = field(default_factory=Counter)
    """entity -> rows landed with a problem for the raw layer to quarantine."""
    outside_days: Counter[str] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    """entity -> rows the API returned (landed, outside the days, or flagged)."""
    requested_days: list[str] = field(default_factory=list)
    """The business days asked for, each reported even when nothing came back for it."""
    api_dates: tuple[str, str] = ("", "")
    """The UTC ``time_created`` date range sent to the API (a day wider on each side)."""
    segments: list[str] = field(default_factory=list)

    def landed_by_day(self, entity: str) -> dict[str, int]:
        """Events landed per requested day, zeros included: silence is reported, not omitted."""
        return {day: self.landed[entity][day] for day in self.requested_days}


def pull_days(
    api,
    zone: LandingZone,
    days: Sequence[date],
    zones: StoreZones,
) -> PullReport:
    """Pull ``days`` (a contiguous range) of transactions and batches and land them.

    ``api`` is an open :class:`hl_d365_assets.heartland.client.HeartlandApi`.
    """
    wanted = {day.isoformat() for day in days}
    first, last = min(days) - timedelta(days=1), max(days) + timedelta(days=1)
    report = PullReport(
        requested_days=sorted(wanted), api_dates=(first.isoformat(), last.isoformat())
    )
    received_at = utc_now_iso()
    with LandingWriter(zone, producer=PRODUCER, max_segment_age_seconds=float("inf")) as writer:
        for entity, pages in (
            ("payment_transactions", api.iter_transactions(first, last)),
            ("settlement_batches", api.iter_batches(first, last)),
        ):
            for page in pages:
                report.pages[entity] += 1
                report.received[entity] += len(page.rows)
                _land_page(writer, entity, page.rows, wanted, zones, received_at, report)
        report.segments = [path.name for path in writer.close()]
    return report


def _land_page(
    writer: LandingWriter,
    entity: str,
    resources: Iterable[dict],
    wanted: set[str],
    zones: StoreZones,
    received_at: str,
    report: PullReport,
) -> None:
    """One page of API rows as envelope lines, grouped by business day, appended in bulk.

    A row the pull cannot identify (no id or status, no usable time) is not dropped: it lands on
    the first requested day with a ``receiver_problem`` so the raw layer quarantines it.
    """
    by_day: dict[str, list[str]] = defaultdict(list)
    for resource in resources:
        try:
            event = event_from_resource(resource)
            day = zones.business_day(event).isoformat()
        # An absurd time (year 0001 or 9999) overflows the calendar while its day is computed:
        # unidentifiable like a row with no usable time, so quarantined, never a crashed pull.
        except (EventShapeError, ValueError, OverflowError) as problem:
            day = min(wanted)
            by_day[day].append(_unidentified(entity, resource, str(problem), received_at))
            report.flagged[entity] += 1
            continue
        if day not in wanted:
            report.outside_days[entity] += 1
            continue
        by_day[day].append(envelope(event.event_id, event.event_type, event.payload, received_at))
    for day, lines in by_day.items():
        writer.append_lines(SOURCE, entity, day, lines)
        report.landed[entity][day] += len(lines)


def _unidentified(entity: str, resource: dict, problem: str, received_at: str) -> str:
    resource_id = resource.get("id") if isinstance(resource, dict) else None
    return envelope(
        event_id=f"EVT_UNIDENTIFIED_{resource_id or 'NO_ID'}",
        event_type="transaction.captured" if entity == "payment_transactions" else "batch.closed",
        payload=resource if isinstance(resource, dict) else {"value": resource},
        received_at=received_at,
        receiver_problem=f"schema_violation: API row from the end-of-day pull: {problem}",
    )
