"""What a Heartland event is, wherever it comes from: its id, its type, its entity and its day.

The webhook receiver and the end-of-day API pull both land events, and the raw layer counts a
second delivery of an event id as a duplicate. So the two must give the same event the same id.
The id is derived from fields every real row carries, never invented, and never from
``action.id``: in a report row (``GET /transactions``, ``/settlement/transactions``) the
``action`` object, when there is one at all, is the read itself (``TRANSACTION_SINGLE`` in the
SDKs' samples), a new id per pull, while a notification carries the action that made the state.
``action_create_id`` is on report rows but names the action that *created* the resource, so a
void would share it with its sale, and no source shows it on notifications. What both carry is
the resource ``id`` and its ``status`` (every SDK mapper reads both), so, in this order:

- a transaction state: ``EVT_`` + ``id`` without ``TRN_`` + ``_`` + its ``status``. Each status
  a transaction reaches is its own event (``CAPTURED``, then ``BATCHED`` with its batch id, then
  ``FUNDED`` with its deposit; ``REVERSED`` for a void), as the canonical layer keeps the latest
  state per transaction: a pull after the batch closed brings the newer state, not a duplicate
  that would be dropped with the batch id it adds;
- a closed batch: ``EVT_`` + the batch id without ``BAT_`` + ``_`` + its status (a batch closes once).

POS tickets are not Heartland events: they are pulled from Heartland Retail, which has no ticket
webhooks (heartland_retail/pull.py).

The sandbox generator follows the same rules, so a sandbox day sent through the receiver and
pulled again from the simulator lands each event under one id.

The business day is the local date of the record's time in its store's zone (DESIGN.md), the
store found by ``site_reference`` or ``merchant_id`` in ``mappings/stores.csv``, and the zone's
offsets are DuckDB's (``time_zones.py``), so the canonical SQL puts the event on the same day.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path

from hl_d365_assets.time_zones import zone

TRANSACTION_EVENT_TYPES = (
    "transaction.captured",
    "transaction.preauthorized",
    "transaction.declined",
    "transaction.refunded",
    "transaction.voided",
    "transaction.reversed",
)
EVENT_TYPES: Mapping[str, str] = {
    **dict.fromkeys(TRANSACTION_EVENT_TYPES, "payment_transactions"),
    "batch.closed": "settlement_batches",
}
"""Event type -> landing entity. Anything else is refused (see the receiver): POS tickets come
from the Heartland Retail pull (docs/heartland_retail.md), never through this receiver."""

ID_FIELD = {"payment_transactions": "id", "settlement_batches": "id"}
DAY_FIELD = {
    "payment_transactions": "time_created",
    "settlement_batches": "time_created",
    "payment_notifications": "time_created",
}
EVENT_TIME_FIELDS = {
    "payment_transactions": ("time_last_updated", "time_created"),
    "settlement_batches": ("time_closed", "time_created"),
    "payment_notifications": ("time_last_updated", "time_created"),
}
"""Where an event's own time is: the first non-empty field wins."""


class EventShapeError(ValueError):
    """The body is JSON but not a Heartland event; the message says which field and why."""


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    entity: str
    payload: dict

    @property
    def event_time(self) -> datetime:
        """When the event happened by its own account (for the receiver's replay window)."""
        for name in EVENT_TIME_FIELDS[self.entity]:
            value = self.payload.get(name)
            if value:
                return parse_time(value, f"payload.{name}")
        raise EventShapeError(
            f"payload has none of {', '.join(EVENT_TIME_FIELDS[self.entity])} for {self.entity}"
        )


@dataclass(frozen=True)
class StoreZones:
    """Store -> time zone, from mappings/stores.csv; unknown stores use the merchant's zone.

    Zones are :func:`hl_d365_assets.time_zones.zone`, never ``zoneinfo``: see that module for why.
    """

    by_site: Mapping[str, tzinfo]
    by_merchant: Mapping[str, tzinfo]
    default: tzinfo

    @classmethod
    def from_mappings(cls, mappings_dir: Path, default_timezone: str) -> StoreZones:
        with (mappings_dir / "stores.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return cls(
            by_site={row["store_id"]: zone(row["timezone"]) for row in rows},
            by_merchant={row["merchant_id"]: zone(row["timezone"]) for row in rows},
            default=zone(default_timezone),
        )

    def zone_of(self, payload: Mapping) -> tzinfo:
        site = payload.get("site_reference") or payload.get("store_id")
        if site in self.by_site:
            return self.by_site[site]
        return self.by_merchant.get(payload.get("merchant_id"), self.default)

    def business_day(self, event: Event) -> date:
        name = DAY_FIELD[event.entity]
        value = event.payload.get(name)
        if not isinstance(value, str) or not value:
            raise EventShapeError(f"payload.{name} is missing; it decides the business day")
        moment = parse_time(value, f"payload.{name}")
        return moment.astimezone(self.zone_of(event.payload)).date()


def parse_time(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise EventShapeError(f"{where} is not a timestamp string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise EventShapeError(f"{where} {value!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise EventShapeError(f"{where} {value!r} has no UTC offset")
    return moment


def event_from_body(body: object) -> Event:
    """A notification body as an event: our envelope form, or a bare GP-API resource.

    Envelope form (the sandbox sends it): ``{"event_id", "event_type",
    "payload"}``. Bare form (what GP-API posts to a ``status_url``): the transaction or batch
    resource itself, its id and type derived as the module docstring says.
    """
    if not isinstance(body, dict):
        raise EventShapeError("body is not a JSON object")
    if "payload" in body or "event_type" in body:
        return _from_envelope(body)
    return event_from_resource(body)


def event_from_resource(resource: Mapping) -> Event:
    """A GP-API transaction or batch resource (a list row or a notification) as an event."""
    resource_id = resource.get("id")
    if not isinstance(resource_id, str) or not resource_id:
        raise EventShapeError("resource has no id")
    if resource_id.startswith("TRN_"):
        status = resource.get("status")
        if not isinstance(status, str) or not status:
            raise EventShapeError(f"transaction {resource_id} has no status")
        return Event(
            event_id=transaction_event_id(resource_id, status),
            event_type=transaction_event_type(resource),
            entity="payment_transactions",
            payload=dict(resource),
        )
    if resource_id.startswith("BAT_"):
        status = resource.get("status")
        if status != "CLOSED":
            raise EventShapeError(f"batch {resource_id} has status {status!r}; only CLOSED lands")
        return Event(
            event_id=batch_event_id(resource_id, status),
            event_type="batch.closed",
            entity="settlement_batches",
            payload=dict(resource),
        )
    raise EventShapeError(f"resource id {resource_id!r} is neither a transaction nor a batch")


def transaction_event_type(resource: Mapping) -> str:
    status = resource.get("status")
    if status == "REVERSED":
        return "transaction.reversed"
    if status == "DECLINED":
        return "transaction.declined"
    if status == "PREAUTHORIZED":
        return "transaction.preauthorized"
    if resource.get("type") == "REFUND":
        return "transaction.refunded"
    return "transaction.captured"


def transaction_event_id(transaction_id: str, status: str) -> str:
    return f"EVT_{transaction_id.removeprefix('TRN_')}_{status}"


def batch_event_id(batch_id: str, status: str = "CLOSED") -> str:
    return f"EVT_{batch_id.removeprefix('BAT_')}_{status}"


def _from_envelope(body: Mapping) -> Event:
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise EventShapeError("event_type is missing")
    entity = EVENT_TYPES.get(event_type)
    if entity is None:
        raise UnknownEventType(event_type)
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip():
        raise EventShapeError("event_id is missing")
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise EventShapeError("payload is missing or not an object")
    key = ID_FIELD[entity]
    if not isinstance(payload.get(key), str) or not payload[key]:
        raise EventShapeError(f"payload.{key} is missing for {event_type}")
    return Event(event_id=event_id, event_type=event_type, entity=entity, payload=payload)


class UnknownEventType(EventShapeError):
    def __init__(self, event_type: str) -> None:
        super().__init__(
            f"unknown event_type {event_type!r}; this receiver takes {', '.join(EVENT_TYPES)}"
        )
        self.event_type = event_type
