"""The Heartland Retail pull: POS tickets, reference data and stock into the landing zone.

Retail offers no ticket or stock webhooks (reference §7), so sales and stock are polled:

- **Tickets** incrementally (``ticket_cursor.py``): first an edits pass over tickets already
  pulled (``updated_at`` after the cursor's edit position, ``id <= last_id``, sorted by
  ``updated_at`` then ``id``), then the new tickets (``id > last_id``, sorted by ``id``). Both
  are keyset pages: every request asks for page 1 past the last record landed, so records created
  or edited while the pull runs never shift a page boundary (offset paging would skip one). The
  edits pass runs first so that new tickets, whose ``updated_at`` is late, cannot move the edit
  position past an edit not yet read.
  Each page is a chunk: its lines are committed to their segments, then the cursor is handed to
  ``on_chunk`` (the Dagster asset records it), so a run that fails on page k has landed pages
  1..k-1 exactly once and the next run starts at page k.
- **Reference data and stock** (locations with stations, payment types, items, customers with
  addresses, inventory values per item x location) as a snapshot dated by the merchant's date of
  the pull, paged by ``id`` the same way (inventory values have no id: by page number), segments
  committed every page so a crash loses at most one page. A second snapshot the same day lands the
  same versions under the same event ids, which the raw layer counts as duplicates.

Each line is the contract's envelope (docs/heartland_retail.md, "Landing") with the record's text
exactly as the client re-emitted it (``RetailRecord.text``, digits as sent): it is spliced into the
line, never parsed into floats and written back.

A ticket lands under the local date of ``completed_at`` (else ``created_at``) in its location's
zone: ``source_location_id`` (else the station's location) -> the location's ``public_id`` (our
``store_id``) -> ``mappings/stores.csv``. A ticket whose location is not there, or whose time does
not parse, still lands (under the merchant's date of the pull or the merchant zone's date of its
time) with a ``receiver_problem`` so the raw layer quarantines it, counted, never dropped.

Item grids are not landed: the landing contract has no entity for them; items carry ``grid_id``.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland_retail.ticket_cursor import TicketCursor
from hl_d365_assets.landing import LandingWriter, LandingZone, envelope, utc_now_iso
from hl_d365_assets.webhook.event_window import (
    EARLIEST_PLAUSIBLE,
    LAST_PARTITION_AHEAD,
    LATEST_PLAUSIBLE_AHEAD,
)

SOURCE = "heartland_retail"
PRODUCER = "retail-pull"
TICKETS = "tickets"
SNAPSHOT_ENTITIES = ("locations", "payment_types", "items", "customers", "inventory_values")
ENTITIES = (TICKETS, *SNAPSHOT_ENTITIES)
SINGULAR = {
    "tickets": "ticket",
    "locations": "location",
    "payment_types": "payment_type",
    "items": "item",
    "customers": "customer",
    "inventory_values": "inventory_value",
}
TICKETS_PATH = "sales/tickets"
TICKET_INCLUDES = ("lines", "payments")


@dataclass(frozen=True)
class Listing:
    """How one snapshot entity is asked for."""

    path: str
    include: tuple[str, ...] = ()
    params: Mapping[str, object] | None = None
    by_id: bool = True
    """Keyset pages on ``id``; False for inventory values, which have none (page numbers)."""


LISTINGS = {
    "locations": Listing("locations", include=("stations",)),
    "payment_types": Listing("payment_types"),
    "items": Listing("items"),
    "customers": Listing("customers", include=("addresses",)),
    # One row per item x location (reference §5); empty locations are kept: a zero is a fact.
    "inventory_values": Listing(
        "inventory/values", params={"group[]": ["item_id", "location_id"]}, by_id=False
    ),
}


@dataclass
class RetailPullReport:
    snapshot_day: str
    cursor: TicketCursor
    landed: dict[str, Counter[str]] = field(
        default_factory=lambda: {entity: Counter() for entity in ENTITIES}
    )
    """entity -> business date -> lines landed."""
    pages: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    """entity -> lines landed with a ``receiver_problem`` for the raw layer to quarantine."""
    edited_versions: int = 0
    """Later versions of tickets already pulled (the edits pass): each a new event that wins."""
    new_tickets: int = 0
    page_cpu_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    """entity -> CPU seconds per page: the client's parsing plus building the lines."""
    segments: list[str] = field(default_factory=list)

    def records(self, entity: str) -> int:
        return sum(self.landed[entity].values())


@dataclass(frozen=True)
class TicketPlaces:
    """Ticket -> business-day zone, from the locations the pull read and mappings/stores.csv."""

    location_store: Mapping[int, str]
    station_location: Mapping[int, int]
    zones: StoreZones

    @classmethod
    def from_locations(cls, locations: Iterable[Mapping], zones: StoreZones) -> TicketPlaces:
        location_store: dict[int, str] = {}
        station_location: dict[int, int] = {}
        for location in locations:
            location_store[location.get("id")] = location.get("public_id")
            for station in location.get("stations") or ():
                station_location[station.get("id")] = location.get("id")
        return cls(location_store, station_location, zones)

    def zone_of(self, ticket: Mapping) -> tuple[tzinfo, str | None]:
        """The ticket's zone, and the problem when its location is not a mapped store."""
        location_id = ticket.get("source_location_id")
        if location_id is None:
            location_id = self.station_location.get(ticket.get("station_id"))
        store_id = self.location_store.get(location_id)
        if store_id in self.zones.by_site:
            return self.zones.by_site[store_id], None
        if store_id is None:
            problem = f"location {location_id} is not among the account's locations"
        else:
            problem = f"location {location_id} (Location # {store_id}) is not in stores.csv"
        return self.zones.default, f"unknown_location: ticket {ticket.get('id')}: {problem}"


def pull(
    api,
    zone: LandingZone,
    *,
    entities: Sequence[str],
    zones: StoreZones,
    snapshot_day: date,
    cursor: TicketCursor,
    on_chunk: Callable[[TicketCursor], None] = lambda cursor: None,
    edit_overlap: timedelta = timedelta(0),
    first_business_day: date | None = None,
) -> RetailPullReport:
    """Pull ``entities`` and land them; ``api`` is an open ``RetailApi``.

    ``edit_overlap`` re-reads edits this long before the edit position (the end-of-day run):
    an edit saved while an earlier run was between its two passes can carry an ``updated_at``
    below a new ticket's, which moved the position past it. Versions read again land under the
    event id they had, counted by the raw layer as duplicates.
    """
    report = RetailPullReport(snapshot_day=snapshot_day.isoformat(), cursor=cursor)
    received_at = utc_now_iso()
    with LandingWriter(zone, producer=PRODUCER, max_segment_age_seconds=float("inf")) as writer:
        locations: list[Mapping] = []
        for entity in SNAPSHOT_ENTITIES:
            if entity in entities:
                kept = _pull_snapshot(api, writer, entity, snapshot_day, received_at, report)
                if entity == "locations":
                    locations = kept
        if TICKETS in entities:
            if "locations" not in entities:
                locations = [
                    record.data
                    for page in _keyset_pages(api, LISTINGS["locations"])
                    for record in page.records
                ]
            places = TicketPlaces.from_locations(locations, zones)
            tickets = _TicketLanding(
                writer,
                places,
                snapshot_day,
                received_at,
                report,
                on_chunk,
                _Partitions.at(datetime.now(UTC), zones.default, first_business_day),
            )
            tickets.edits(api, edit_overlap)
            tickets.new(api)
        report.segments = [path.name for path in writer.committed]
    return report


def _pull_snapshot(
    api,
    writer: LandingWriter,
    entity: str,
    snapshot_day: date,
    received_at: str,
    report: RetailPullReport,
) -> list[Mapping]:
    """Land one snapshot entity; returns the locations' records (the tickets need them)."""
    listing = LISTINGS[entity]
    pages = (
        _keyset_pages(api, listing)
        if listing.by_id
        else api.iter_pages(listing.path, include=listing.include, params=listing.params)
    )
    kept: list[Mapping] = []
    for page, started in _timed(pages):
        lines = []
        for record in page.records:
            event_id, problem = snapshot_event_id(entity, record.data, snapshot_day)
            lines.append(
                envelope(
                    event_id,
                    f"{SOURCE}.{SINGULAR[entity]}",
                    received_at=received_at,
                    receiver_problem=problem,
                    payload_text=record.text,
                )
            )
            report.flagged[entity] += problem is not None
            if entity == "locations":
                kept.append(record.data)
        writer.append_lines(SOURCE, entity, snapshot_day, lines)
        writer.close()
        report.landed[entity][snapshot_day.isoformat()] += len(lines)
        report.pages[entity] += 1
        report.page_cpu_seconds[entity].append(time.process_time() - started)
    return kept


def _keyset_pages(api, listing: Listing, per_page: int | None = None) -> Iterator:
    """Page 1 past the last id each time: no page drifts when records are added meanwhile."""
    last_id = 0
    while True:
        page = api.list_page(
            listing.path,
            filters=[{"id": {"$gt": last_id}}],
            sort=("id",),
            include=listing.include,
            params=listing.params,
            per_page=per_page,
        )
        yield page
        if page.pages <= 1 or not page.records:
            return
        last_id = page.records[-1].data["id"]


def _timed(pages: Iterable) -> Iterator[tuple[object, float]]:
    """Each page with the process time taken when its request started (CPU, not waits)."""
    iterator = iter(pages)
    while True:
        started = time.process_time()
        try:
            page = next(iterator)
        except StopIteration:
            return
        yield page, started


class _TicketLanding:
    """The two ticket passes, landing each page as one committed chunk and moving the cursor."""

    def __init__(
        self,
        writer: LandingWriter,
        places: TicketPlaces,
        snapshot_day: date,
        received_at: str,
        report: RetailPullReport,
        on_chunk: Callable[[TicketCursor], None],
        partitions: _Partitions,
    ) -> None:
        self.partitions = partitions
        self.writer = writer
        self.places = places
        self.snapshot_day = snapshot_day
        self.received_at = received_at
        self.report = report
        self.on_chunk = on_chunk

    def edits(self, api, overlap: timedelta) -> None:
        cursor = self.report.cursor
        if not cursor.started or cursor.last_updated_at is None:
            return  # nothing pulled yet: the new-ticket pass reads every ticket's latest version
        last_id = cursor.last_id
        position = (
            _earlier(cursor.last_updated_at, overlap),
            None if overlap else cursor.last_updated_id,
        )
        while True:
            after, after_id = position
            moved_on = {"updated_at": {"$gt": after}}
            filters: list[dict] = [{"id": {"$lte": last_id}}]
            if after_id is None:
                filters.append(moved_on)
            else:
                filters.append({"$or": [moved_on, {"updated_at": after, "id": {"$gt": after_id}}]})
            page = self._land_page(api, filters, ("updated_at", "id"), edits=True)
            if not page.records:
                return
            last = page.records[-1].data
            position = (last["updated_at"], last["id"])
            if page.pages <= 1:
                return

    def new(self, api) -> None:
        while True:
            last_id = self.report.cursor.last_id
            filters = [] if last_id is None else [{"id": {"$gt": last_id}}]
            page = self._land_page(api, filters, ("id",), edits=False)
            if page.pages <= 1 or not page.records:
                return

    def _land_page(self, api, filters: list[dict], sort: tuple[str, ...], *, edits: bool):
        started = time.process_time()
        page = api.list_page(TICKETS_PATH, filters=filters, sort=sort, include=TICKET_INCLUDES)
        by_day: dict[str, list[str]] = defaultdict(list)
        cursor = self.report.cursor
        for record in page.records:
            ticket = record.data
            day, problem = self._business_day(ticket)
            event_id, id_problem = snapshot_event_id(TICKETS, ticket, None)
            problem = problem or id_problem
            by_day[day].append(
                envelope(
                    event_id,
                    f"{SOURCE}.ticket",
                    received_at=self.received_at,
                    receiver_problem=problem,
                    payload_text=record.text,
                )
            )
            self.report.flagged[TICKETS] += problem is not None
            if isinstance(ticket.get("id"), int):
                cursor = (
                    cursor.after_edit(ticket["id"], ticket.get("updated_at"))
                    if edits
                    else cursor.after_new(ticket["id"], ticket.get("updated_at"))
                )
        for day, lines in by_day.items():
            self.writer.append_lines(SOURCE, TICKETS, day, lines)
            self.report.landed[TICKETS][day] += len(lines)
        self.writer.close()
        # Only now, with the page's lines committed, may the cursor move past them.
        self.report.cursor = cursor
        self.report.pages[TICKETS] += 1
        if edits:
            self.report.edited_versions += len(page.records)
        else:
            self.report.new_tickets += len(page.records)
        self.report.page_cpu_seconds[TICKETS].append(time.process_time() - started)
        if page.records:
            self.on_chunk(cursor)
        return page

    def _business_day(self, ticket: Mapping) -> tuple[str, str | None]:
        local_zone, problem = self.places.zone_of(ticket)
        field_name = "completed_at" if ticket.get("completed_at") else "created_at"
        value = ticket.get(field_name)
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("no UTC offset")
            day = moment.astimezone(local_zone).date()
            outside = self.partitions.outside(moment, day, f"payload.{field_name}")
            if outside:
                return self.partitions.home.isoformat(), problem or outside
            return day.isoformat(), problem
        # An absurd year overflows while converting: unplaceable like a missing time.
        except (TypeError, ValueError, OverflowError):
            return self.snapshot_day.isoformat(), (
                f"schema_violation: ticket {ticket.get('id')}: {field_name} is missing or not "
                "an ISO 8601 timestamp with an offset; it decides the business day"
            )


@dataclass(frozen=True)
class _Partitions:
    """The business days a run can load, seen from the pull: a ticket whose day is none of them
    would land in a folder no partition reads (acknowledged nowhere, outside the conservation
    ledger). It lands under ``home`` (the pull's day) flagged instead, as the webhook receiver
    does with such events (``webhook/event_window.py``), and the raw layer quarantines it."""

    now: datetime
    today: date
    first: date | None

    @classmethod
    def at(cls, now: datetime, merchant_zone: tzinfo, first: date | None) -> _Partitions:
        return cls(now, now.astimezone(merchant_zone).date(), first)

    @property
    def home(self) -> date:
        return max(self.today, self.first or self.today)

    def outside(self, moment: datetime, day: date, field_name: str) -> str | None:
        if moment < EARLIEST_PLAUSIBLE or moment - self.now > LATEST_PLAUSIBLE_AHEAD:
            return (
                f"absurd_timestamp: {field_name} {moment.isoformat()} is before 1970 or more "
                f"than a year after the pull; landed under {self.home}"
            )
        if self.first is not None and day < self.first:
            return (
                f"outside_partitions: business day {day} of {field_name} is before the first "
                f"partition {self.first} (HL_D365_FIRST_BUSINESS_DAY); landed under {self.home}"
            )
        if day > self.today + LAST_PARTITION_AHEAD:
            return (
                f"outside_partitions: business day {day} of {field_name} is after the last "
                f"partition at the pull ({self.today + LAST_PARTITION_AHEAD}); landed under "
                f"{self.home}"
            )
        return None


def snapshot_event_id(
    entity: str, record: Mapping, snapshot_day: date | None
) -> tuple[str, str | None]:
    """The contract's event id, and a problem when the record lacks what identifies it."""
    if entity == "inventory_values":
        item_id, location_id = record.get("item_id"), record.get("location_id")
        problem = (
            None
            if item_id is not None and location_id is not None
            else "schema_violation: inventory value without item_id or location_id"
        )
        return (
            f"HR_inventory_values_{item_id}_{location_id}_{snapshot_day:%Y%m%d}",
            problem,
        )
    record_id = record.get("id")
    updated_at = record.get("updated_at")
    digits = re.sub(r"\D", "", updated_at) if isinstance(updated_at, str) else ""
    problem = None
    if record_id is None:
        problem = f"schema_violation: {SINGULAR[entity]} without id"
    elif not digits:
        problem = f"schema_violation: {SINGULAR[entity]} {record_id} without updated_at"
    return f"HR_{entity}_{record_id}_{digits or 'NONE'}", problem


def _earlier(timestamp: str, overlap: timedelta) -> str:
    """``timestamp`` moved back by ``overlap``, in its own offset (unchanged when no overlap)."""
    if not overlap:
        return timestamp
    moment = datetime.fromisoformat(timestamp) - overlap
    return moment.isoformat(timespec="milliseconds")
