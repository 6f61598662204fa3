"""Which sales orders the landed D365 business events name: what the targeted pull fetches.

D365 has no standard sales-order business event we can rely on (a "sales order confirmed/created"
event is UNCONFIRMED in shared/reference/d365-entities-wave2.md §7), so the integration defines a
custom one, named by D365's rule for custom events (``<Noun><PastTenseVerb>BusinessEvent``):
:data:`SALES_ORDER_CHANGED`, raised on every committed change of a sales order, carrying the
envelope plus ``SalesOrderNumber``, ``LegalEntity``, ``SalesOrderStatus`` and
``SalesOrderProcessingStatus`` — nothing more; the order itself is read from OData. Other
business events land and load too, but name no order.

Only what the receiver landed without a problem counts, and only order numbers and legal
entities that look like D365's (short, letters, digits and ``-_/.``) and are no card number
(the one scanner, ``pci.py``), so nothing odd in an event reaches an OData filter or a run's
configuration, which Dagster stores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hl_d365_assets.pci import contains_card_number, mask_card_numbers

SALES_ORDER_CHANGED = "SalesOrderChangedBusinessEvent"
"""Our custom business event (its X++ class name); UNCONFIRMED as a standard D365 event."""
ORDER_FIELD = "SalesOrderNumber"
_ORDER_NUMBER = re.compile(r"^[A-Za-z0-9_\-/.]{1,20}$")
_LEGAL_ENTITY = re.compile(r"^[A-Za-z0-9]{1,4}$")


@dataclass
class NamedOrders:
    """The orders named by a set of landed events."""

    orders: set[tuple[str, str]] = field(default_factory=set)
    """(legal entity, sales order number)."""
    events: int = 0
    """Sales-order events read (redeliveries included)."""
    other_events: int = 0

    def as_config(self) -> list[str]:
        """``company/number`` strings, sorted: the targeted pull's run configuration."""
        return sorted(f"{company}/{number}" for company, number in self.orders)


def orders_named(segments: Iterable[Path]) -> NamedOrders:
    named = NamedOrders()
    for segment in segments:
        with segment.open("rb") as handle:
            for raw in handle:
                try:
                    line = json.loads(raw)
                    payload = line["payload"]
                    event_id = payload["BusinessEventId"]
                except (ValueError, KeyError, TypeError):
                    continue  # the raw layer quarantines it, with its reason
                if line.get("receiver_problem"):
                    continue
                if event_id != SALES_ORDER_CHANGED:
                    named.other_events += 1
                    continue
                named.events += 1
                company = payload.get("BusinessEventLegalEntity")
                number = payload.get(ORDER_FIELD)
                if (
                    isinstance(company, str)
                    and isinstance(number, str)
                    and _LEGAL_ENTITY.match(company)
                    and _ORDER_NUMBER.match(number)
                    and not contains_card_number(number)
                ):
                    named.orders.add((company.lower(), number))
    return named


def parse_order_config(values: Iterable[str]) -> list[tuple[str, str]]:
    """``company/number`` strings back to pairs (the number may itself hold a ``/``)."""
    pairs = []
    for value in values:
        company, _, number = value.partition("/")
        if (
            not _LEGAL_ENTITY.match(company)
            or not _ORDER_NUMBER.match(number)
            or contains_card_number(number)
        ):
            raise ValueError(
                f"{mask_card_numbers(value)!r} is not <legal entity>/<sales order number>"
            )
        pairs.append((company.lower(), number))
    return pairs
