"""The D365 pull: D365 Finance's chart of accounts, financial dimension values, customers,
released products, sales orders, on-hand stock and employments (EmployeesV2), from its OData entities into the landing zone.

D365 enters the warehouse through the same door as every other source (DESIGN.md, "Landing
zone"): each record lands as one envelope line under ``landing/d365/<entity>/business_date=…/``,
and the raw layer loads raw.d365_* from those segments (``hl_d365_assets.d365.landed``), so a
pull can be replayed without D365.

Business date: the merchant's date when the pull started. Reference data and sales orders have no
business day of their own; a pull is a snapshot, and the day it was taken is the day whose journals
are built and validated against it (the nightly pull runs at 02:00, before the day's journals).
Replaying a day re-applies that day's pull.

Each record line carries the pull's start as ``received_at`` — every line of one pull has the
same — and, once every entity has been read without error, one ``d365.pull_completed`` line per
entity closes the pull with what was asked (full or incremental, and why) and what came back. A
pull that fails part-way lands no such line, so the raw layer never loads half a pull.

Full or incremental (docs/d365_simulator.md, checked against D365's $metadata): MainAccounts,
FinancialDimensionValues, CustomersV3, ReleasedProductsV2 (and ProductsV2,
ReleasedProductVariantsV2, ProductBarcodesV3, EmployeesV2) expose no modification timestamp, so
they are pulled whole and the table replaced — a record deleted in D365 disappears. Sales orders
have ``OrderCreationDateTime``, which finds new orders but not changed ones: daily, the orders
created since the newest one held (less an overlap, for orders committed late) are fetched with
their lines; on Sundays (the schedule) orders and lines are pulled whole as well.
WarehousesOnHandV2 (on-hand per item and warehouse) has no timestamp either and is pulled whole,
but kept as a dated snapshot: each pull replaces only its own business date's rows, so the
earlier days' stock stays for the stock comparison (docs/stock.md).

Columns keep D365's field names (``MainAccountId``, ``dataAreaId``), so a column is found in the
D365 documentation under its own name. The raw tables' columns (sql/raw/create_d365_*.sql) are also
the ``$select`` list sent to D365.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path

import dagster as dg

from hl_d365_assets.d365.client import ENTITY_KEYS, D365Api, odata_literal
from hl_d365_assets.landing import LandingWriter, LandingZone, envelope

SOURCE = "d365"
PRODUCER = "odata-pull"
RECORD = "d365.record"
PULL_COMPLETED = "d365.pull_completed"
ORDERS_PER_LINE_REQUEST = 25
"""Orders named in one SalesOrderLines $filter (``in`` is not supported by F&O, so it is a chain
of ``or``): keeps the URL well under IIS's default 2,048-character query-string limit."""
FULL_PULL_REASON = "full pull: the entity has no modification timestamp to pull changes by"
SNAPSHOT_REASON = (
    "dated snapshot: on-hand has no timestamp, so each day's pull is kept and compared"
)


@dataclass(frozen=True)
class PulledEntity:
    """One D365 entity set, where it lands and the raw table it is loaded into."""

    table: str
    entity_set: str
    description: str
    snapshot: bool = False
    """A dated snapshot: each pull adds the day's rows (replacing that day's) and keeps the
    earlier days, instead of replacing the table."""

    @property
    def entity(self) -> str:
        """The landing entity: ``landing/d365/<entity>/``."""
        return self.table.removeprefix("d365_")

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(["raw", self.table])

    @property
    def landing_key(self) -> dg.AssetKey:
        return dg.AssetKey(["landing", SOURCE, self.entity])

    @property
    def staged(self) -> str:
        """The temporary table one pull's records are staged in."""
        return f"pulled_{self.table}"


MAIN_ACCOUNTS = PulledEntity(
    "d365_main_accounts",
    "MainAccounts",
    "D365 MainAccounts (chart of accounts, shared by all legal entities). Full pull, table "
    "replaced: the entity has no modification timestamp, and it is small. The blocking check "
    "mappings_exist_in_d365 validates the GL mapping against it.",
)
DIMENSION_VALUES = PulledEntity(
    "d365_dimension_values",
    "FinancialDimensionValues",
    "D365 FinancialDimensionValues. Full pull, table replaced: no modification timestamp, small.",
)
CUSTOMERS = PulledEntity(
    "d365_customers",
    "CustomersV3",
    "D365 CustomersV3 of every legal entity. Full pull, table replaced in one transaction: "
    "CustomersV3 has no modification timestamp, so only reading all of them sees a changed or "
    "deleted customer (hundreds to thousands of rows per company: cheap).",
)
RELEASED_PRODUCTS = PulledEntity(
    "d365_released_products",
    "ReleasedProductsV2",
    "D365 ReleasedProductsV2 of every legal entity. Full pull, table replaced in one transaction: "
    "the entity has no modification timestamp.",
)
SALES_ORDERS = PulledEntity(
    "d365_sales_orders",
    "SalesOrderHeadersV2",
    "D365 SalesOrderHeadersV2 of every legal entity. Incremental: orders with "
    "OrderCreationDateTime at or after the newest one held, less an overlap, upserted by key. "
    "The entity has no modification timestamp, so a change to an older order is only seen by "
    "the full pull the schedule runs on Sundays (or run the job with full_sales_order_pull).",
)
SALES_ORDER_LINES = PulledEntity(
    "d365_sales_order_lines",
    "SalesOrderLines",
    "D365 SalesOrderLines: the lines of the orders the header pull fetched, replacing those "
    "orders' lines (all lines on a full pull).",
)
PRODUCTS = PulledEntity(
    "d365_products",
    "ProductsV2",
    "D365 ProductsV2: the shared products and their names (ReleasedProductsV2 has none). Full "
    "pull, table replaced: no modification timestamp.",
)
RELEASED_PRODUCT_VARIANTS = PulledEntity(
    "d365_released_product_variants",
    "ReleasedProductVariantsV2",
    "D365 ReleasedProductVariantsV2 of every legal entity: the SKUs (product dimensions) of "
    "product masters. Full pull, table replaced: no modification timestamp.",
)
PRODUCT_BARCODES = PulledEntity(
    "d365_product_barcodes",
    "ProductBarcodesV3",
    "D365 ProductBarcodesV3 of every legal entity: barcodes per SKU, matched to Heartland Retail "
    "UPCs by canonical.products. Full pull, table replaced: no modification timestamp.",
)
WAREHOUSES_ON_HAND = PulledEntity(
    "d365_warehouses_on_hand",
    "WarehousesOnHandV2",
    "D365 WarehousesOnHandV2 of every legal entity: on-hand, available and reserved quantities "
    "per item x site x warehouse. A dated snapshot: the entity has no timestamp, so each pull "
    "keeps what D365 held on the pull's business date (replacing an earlier pull of that date) "
    "and recon.inventory compares it with Heartland Retail's stock of the same day.",
    snapshot=True,
)
EMPLOYEES = PulledEntity(
    "d365_employees",
    "EmployeesV2",
    "D365 EmployeesV2 (employments of every legal entity): personnel number, employment dates and "
    "default dimensions, for canonical.employees. Full pull, table replaced: no modification "
    "timestamp. Names and birth dates are never selected.",
)
ENTITIES = (
    MAIN_ACCOUNTS,
    DIMENSION_VALUES,
    CUSTOMERS,
    RELEASED_PRODUCTS,
    SALES_ORDERS,
    SALES_ORDER_LINES,
    PRODUCTS,
    RELEASED_PRODUCT_VARIANTS,
    PRODUCT_BARCODES,
    WAREHOUSES_ON_HAND,
    EMPLOYEES,
)
ORDER_ENTITIES = (SALES_ORDERS, SALES_ORDER_LINES)


@dataclass(frozen=True)
class OrderWindow:
    """Which sales orders a pull fetches: all of them, or those created since ``since``."""

    full: bool
    reason: str
    newest_held: datetime | None = None
    since: datetime | None = None

    @property
    def filter(self) -> str | None:
        if self.since is None:
            return None
        return f"OrderCreationDateTime ge {self.since.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def order_window(
    orders_held: int, newest_held: datetime | None, *, full_requested: bool, overlap_minutes: int
) -> OrderWindow:
    """Full when asked or when nothing is held; otherwise the orders created since the newest
    held, less ``overlap_minutes`` for orders D365 committed after a later one was pulled."""
    if full_requested:
        return OrderWindow(True, "full pull (requested: catches changed and deleted orders)")
    if not orders_held or newest_held is None:
        return OrderWindow(True, "full pull: no sales orders held yet")
    newest = newest_held.astimezone(UTC)
    return OrderWindow(
        False,
        f"incremental on OrderCreationDateTime >= newest held - {overlap_minutes} min "
        "(the entity has no modification timestamp: new orders only)",
        newest_held=newest,
        since=newest - timedelta(minutes=overlap_minutes),
    )


@dataclass
class PullReport:
    """What one pull landed, per raw table."""

    pulled_at: datetime
    business_date: date
    records: Counter[str] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    fetch_seconds: float = 0.0
    segments: list[Path] = field(default_factory=list)


def pull_to_landing(
    api: D365Api,
    zone: LandingZone,
    fields: dict[str, list[str]],
    window: OrderWindow,
    merchant_zone: tzinfo,
    business_date: date | None = None,
) -> PullReport:
    """Read every entity (sales orders: ``window``) from ``api`` and land it under the merchant's
    date of the pull, or ``business_date`` (a snapshot taken for another day: the on-hand
    comparison of a day loaded late, or the demo's); ``fields`` are the ``$select`` lists by raw
    table. The D365 records are held nowhere but in the segments."""
    with PullLanding(zone, merchant_zone, business_date) as pull:
        orders: dict[str, list[str]] = defaultdict(list)
        for entity in ENTITIES:
            if entity is SALES_ORDER_LINES and not window.full:
                continue
            for page in api.iter_pages(
                entity.entity_set,
                filter=window.filter if entity is SALES_ORDERS else None,
                select=fields[entity.table],
                # Ordered by key so that D365's $skip paging is stable.
                orderby=",".join(ENTITY_KEYS[entity.entity_set]),
                cross_company=True,
            ):
                pull.land(entity, page)
                if entity is SALES_ORDERS:
                    for order in page:
                        orders[order["dataAreaId"]].append(order["SalesOrderNumber"])
        if not window.full:
            _fetch_lines_of_orders(api, fields[SALES_ORDER_LINES.table], orders, pull.land)
        pull.fetched()
        for entity in ENTITIES:
            pull.complete(entity, _completion(entity, window, pull.report))
        return pull.close()


class PullLanding:
    """One D365 pull's landing, shared by the nightly pull and the targeted order pull: every
    record line carries the pull's start as ``received_at`` (milliseconds, as the raw layer reads
    ``pulled_at`` back) and an event id made of it, under one business date; one writer whose
    segments are never cut by age; ``complete`` writes an entity's ``d365.pull_completed`` line,
    without which the raw layer loads nothing of the pull."""

    def __init__(
        self, zone: LandingZone, merchant_zone: tzinfo, business_date: date | None = None
    ) -> None:
        now = datetime.now(UTC)
        pulled_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self.business_date = business_date or pulled_at.astimezone(merchant_zone).date()
        self.received_at = pulled_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.stamp = pulled_at.strftime("%Y%m%dT%H%M%S%fZ")
        self.report = PullReport(pulled_at=pulled_at, business_date=self.business_date)
        self._started = time.perf_counter()
        self._writer = LandingWriter(zone, PRODUCER, max_segment_age_seconds=float("inf"))

    def __enter__(self) -> PullLanding:
        self._writer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._writer.__exit__(*exc)

    def land(self, entity: PulledEntity, page: list[dict]) -> None:
        first = self.report.records[entity.table]
        self._writer.append_lines(
            SOURCE,
            entity.entity,
            self.business_date,
            (
                envelope(
                    f"D365_{self.stamp}_{entity.entity_set}_{first + n:08d}",
                    RECORD,
                    _exact(record),
                    self.received_at,
                )
                for n, record in enumerate(page, start=1)
            ),
        )
        self.report.records[entity.table] += len(page)
        self.report.pages[entity.table] += 1

    def fetched(self) -> None:
        """Every entity read: the fetch time the completions report."""
        self.report.fetch_seconds = time.perf_counter() - self._started

    def complete(self, entity: PulledEntity, completion: dict) -> None:
        self._writer.append(
            SOURCE,
            entity.entity,
            self.business_date,
            envelope(
                f"D365_{self.stamp}_{entity.entity_set}_COMPLETED",
                PULL_COMPLETED,
                completion,
                self.received_at,
            ),
        )

    def close(self) -> PullReport:
        self.report.segments = self._writer.close()
        return self.report


def _fetch_lines_of_orders(
    api: D365Api,
    fields: list[str],
    orders: dict[str, list[str]],
    land: Callable[[PulledEntity, list[dict]], None],
) -> None:
    """The lines of the orders just fetched: per legal entity, a few dozen orders per request."""
    for company, numbers in sorted(orders.items()):
        for start in range(0, len(numbers), ORDERS_PER_LINE_REQUEST):
            chunk = numbers[start : start + ORDERS_PER_LINE_REQUEST]
            for page in api.iter_pages(
                SALES_ORDER_LINES.entity_set,
                filter=" or ".join(f"SalesOrderNumber eq {odata_literal(n)}" for n in chunk),
                select=fields,
                orderby=",".join(ENTITY_KEYS[SALES_ORDER_LINES.entity_set]),
                legal_entity=company,
            ):
                land(SALES_ORDER_LINES, page)


def _completion(entity: PulledEntity, window: OrderWindow, report: PullReport) -> dict:
    """The pull_completed payload: how the raw layer applies the pull, and what it reports."""
    incremental = entity in ORDER_ENTITIES and not window.full
    completion: dict = {
        "entity_set": entity.entity_set,
        "mode": "snapshot" if entity.snapshot else "incremental" if incremental else "full",
        "why": _why(entity, window),
        "records": report.records[entity.table],
        "pages": report.pages[entity.table],
        "fetch_seconds": round(report.fetch_seconds, 3),
    }
    if entity is SALES_ORDERS:
        completion["watermark"] = {
            "newest_held_before": _iso(window.newest_held),
            "fetched_created_since": _iso(window.since),
            "filter": window.filter or "(none: every order)",
        }
    if entity is SALES_ORDER_LINES and incremental:
        completion["watermark"] = {"lines_of_orders_fetched": report.records[SALES_ORDERS.table]}
    return completion


def _why(entity: PulledEntity, window: OrderWindow) -> str:
    if entity.snapshot:
        return SNAPSHOT_REASON
    return window.reason if entity in ORDER_ENTITIES else FULL_PULL_REASON


def _exact(record: dict) -> dict:
    """JSON has no exact decimal that DuckDB's reader keeps exact: write the digits as text."""
    return {
        name: format(value, "f") if isinstance(value, Decimal) else value
        for name, value in record.items()
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
