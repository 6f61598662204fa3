"""A GP-API payment notification, and the landing event it becomes.

GP posts the outcome of a customer's payment to the link's ``status_url`` as a *transaction*
resource, not a link resource (shared/reference/gp-api-orders-customers.md §2; gp-api.md §5). GP's
WooCommerce plugin reads the order from ``link_data.reference`` and falls back to the top-level
``reference``; hosted pages also carry ``order.reference`` (§6). All three are accepted, in that
order, by ``sql/raw/parse_payment_notifications.sql``; here only what identifies the event is read.

The event id is ``NTF_`` + the transaction id without ``TRN_`` + ``_`` + its status. The same
state found by the poll (``poll.py``) gets the same id, so the raw layer keeps the first delivery
and counts the other as a duplicate. It is not the ``EVT_`` id of ``heartland/events.py``: the
receiver's redelivery journal is keyed by event id alone, and the same transaction state may also
reach ``payment_transactions`` (the money feed) through the end-of-day pull, which must not be
taken for a redelivery of the notification.
"""

from __future__ import annotations

from collections.abc import Mapping

from hl_d365_assets.heartland.events import Event, EventShapeError

SOURCE = "heartland"
ENTITY = "payment_notifications"
NOTIFIED = "payment.notified"
"""Event type of a notification GP posted to our status_url."""
POLLED = "payment.polled"
"""Event type of a transaction state the poll fallback found."""
SOURCE_EVENTS = {NOTIFIED: "notification", POLLED: "poll"}


def notification_event_id(transaction_id: str, status: str) -> str:
    return f"NTF_{transaction_id.removeprefix('TRN_')}_{status}"


def payment_event(resource: object, event_type: str = NOTIFIED) -> Event:
    """The landing event of one transaction resource; raises :class:`EventShapeError` naming the
    field when it is not one (the body itself is never quoted: it may carry personal data)."""
    if event_type not in SOURCE_EVENTS:
        raise ValueError(f"event_type {event_type!r} is not one of {sorted(SOURCE_EVENTS)}")
    if not isinstance(resource, Mapping):
        raise EventShapeError("body is not a JSON object")
    transaction_id = resource.get("id")
    if not isinstance(transaction_id, str) or not transaction_id.startswith("TRN_"):
        raise EventShapeError("id is missing or not a transaction id (TRN_…)")
    status = resource.get("status")
    if not isinstance(status, str) or not status.strip():
        raise EventShapeError(f"transaction {transaction_id} has no status")
    return Event(
        event_id=notification_event_id(transaction_id, status.strip()),
        event_type=event_type,
        entity=ENTITY,
        payload=dict(resource),
    )
