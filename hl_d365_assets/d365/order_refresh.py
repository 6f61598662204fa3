"""The targeted pull: exactly the sales orders business events named, read from D365 now.

A business event is a notification, not the order (shared/reference/d365-entities-wave2.md §7:
"small notifications, not data exports"), and it may arrive twice, late, or out of order. So the
event only says *which* order to look at; what the warehouse holds is what D365 answers when we
ask. That is why an older event arriving after a newer one cannot roll an order back: both make
us read the order's current state.

The pull lands exactly as the nightly pull does (``d365/pull.py``): each header and line as a
``d365.record`` line under ``landing/d365/sales_orders`` and ``…/sales_order_lines``, dated by the
merchant's date of the pull, closed by one ``d365.pull_completed`` line per entity with mode
``incremental`` — so ``raw.d365_*`` applies it like any other incremental pull, replacing the
fetched orders and their lines (``d365/raw_load.py`` replays every pull since the newest full one,
so a poll and a targeted pull landing close together are both kept).

An order named by an event but absent from D365 (deleted after the event) is simply not fetched:
its row stays until the next full pull removes it, as without events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import tzinfo

from hl_d365_assets.d365.client import ENTITY_KEYS, D365Api, odata_literal
from hl_d365_assets.d365.pull import (
    ORDER_ENTITIES,
    ORDERS_PER_LINE_REQUEST,
    SALES_ORDER_LINES,
    SALES_ORDERS,
    PullLanding,
    PullReport,
    _fetch_lines_of_orders,
)
from hl_d365_assets.landing import LandingZone

REASON = "targeted: the sales orders named by business events, as D365 holds them now"


def group_orders(orders: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(legal entity, order number) pairs -> order numbers by legal entity, each once, sorted."""
    by_company: dict[str, set[str]] = defaultdict(set)
    for company, number in orders:
        by_company[company.lower()].add(number)
    return {company: sorted(numbers) for company, numbers in sorted(by_company.items())}


def refresh_orders(
    api: D365Api,
    zone: LandingZone,
    fields: dict[str, list[str]],
    orders: dict[str, list[str]],
    merchant_zone: tzinfo,
    trigger: str = "",
) -> PullReport:
    """Fetch the headers of ``orders`` (numbers by legal entity) and their lines, and land them
    as one incremental pull; ``trigger`` says why (the event ids), kept in the completion."""
    with PullLanding(zone, merchant_zone) as pull:
        found: dict[str, list[str]] = defaultdict(list)
        for company, numbers in orders.items():
            for start in range(0, len(numbers), ORDERS_PER_LINE_REQUEST):
                chunk = numbers[start : start + ORDERS_PER_LINE_REQUEST]
                for page in api.iter_pages(
                    SALES_ORDERS.entity_set,
                    filter=" or ".join(f"SalesOrderNumber eq {odata_literal(n)}" for n in chunk),
                    select=fields[SALES_ORDERS.table],
                    orderby=",".join(ENTITY_KEYS[SALES_ORDERS.entity_set]),
                    legal_entity=company,
                ):
                    pull.land(SALES_ORDERS, page)
                    for order in page:
                        found[order["dataAreaId"]].append(order["SalesOrderNumber"])
        _fetch_lines_of_orders(api, fields[SALES_ORDER_LINES.table], found, pull.land)
        pull.fetched()
        named = sum(len(numbers) for numbers in orders.values())
        for entity in ORDER_ENTITIES:
            completion = {
                "entity_set": entity.entity_set,
                "mode": "incremental",
                "why": REASON,
                "records": pull.report.records[entity.table],
                "pages": pull.report.pages[entity.table],
                "fetch_seconds": round(pull.report.fetch_seconds, 3),
                "watermark": {
                    "orders_named": named,
                    "orders_found": sum(len(numbers) for numbers in found.values()),
                    "trigger": trigger,
                },
            }
            pull.complete(entity, completion)
        return pull.close()
