"""D365 pulls: the chart of accounts, financial dimension values, customers, released products and
sales orders, from D365 Finance's OData entities into raw.d365_* (group "d365").

Reference data, not business days: these assets are not partitioned. Each pull reads every legal
entity (``cross-company=true``) page by page, writes the pages to JSON files with every decimal as
a string of its exact digits, and then, in **one transaction**, stages them in DuckDB with one
``read_json`` and replaces or upserts the six tables set-based (sql/raw/*d365*.sql).

Full or incremental (docs/d365_simulator.md, checked against D365's $metadata): MainAccounts,
FinancialDimensionValues, CustomersV3 and ReleasedProductsV2 expose no modification timestamp, so
they are pulled whole and the table replaced — a record deleted in D365 disappears. Sales orders
have ``OrderCreationDateTime``, which finds new orders but not changed ones: daily, the orders
created since the newest one held (less an overlap, for orders committed late) are upserted with
their lines; on Sundays (the schedule in jobs.py) orders and lines are pulled whole as well.

Columns keep D365's field names (``MainAccountId``, ``dataAreaId``), so a column is found in the
D365 documentation under its own name; ``pulled_at`` is ours. The tables' columns (sql/raw/
create_d365_*.sql) are also the ``$select`` list sent to D365.
"""

import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from hl_d365_assets.d365.client import ENTITY_KEYS, D365Api, D365Client, odata_literal
from hl_d365_assets.warehouse import WarehouseResource, run_script, sql_file, transaction

OWNERS = ["team:finance-data"]
GROUP = "d365"
ORDERS_PER_LINE_REQUEST = 25
"""Orders named in one SalesOrderLines $filter (``in`` is not supported by F&O, so it is a chain
of ``or``): keeps the URL well under IIS's default 2,048-character query-string limit."""
EMPTY_DATE_BEFORE = "1900-01-02 00:00:00+00"
"""D365's empty date is 1900-01-01T12:00:00Z; an order without a creation time sets no watermark."""


@dataclass(frozen=True)
class PulledEntity:
    """One D365 entity set and the raw table it lands in."""

    table: str
    entity_set: str
    description: str

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(["raw", self.table])

    @property
    def staged(self) -> str:
        """The temporary table one pull's records are staged in."""
        return f"pulled_{self.table}"


FULL_PULL_REASON = "full pull: the entity has no modification timestamp to pull changes by"
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
ENTITIES = (
    MAIN_ACCOUNTS,
    DIMENSION_VALUES,
    CUSTOMERS,
    RELEASED_PRODUCTS,
    SALES_ORDERS,
    SALES_ORDER_LINES,
)
ORDER_ENTITIES = (SALES_ORDERS, SALES_ORDER_LINES)


class D365PullConfig(dg.Config):
    full_sales_order_pull: bool = Field(
        default=False,
        description="Pull every sales order and line and replace the tables, as on Sundays: "
        "catches orders changed or deleted in D365, which the daily pull by creation time misses.",
    )
    overlap_minutes: int = Field(
        default=60,
        ge=0,
        description="The daily pull re-reads orders created this long before the newest order "
        "held, for orders D365 committed after a later one was already pulled.",
    )


class PullRefused(RuntimeError):
    """D365 sent something the warehouse would not keep exactly; nothing was written."""


@dataclass
class PageFiles:
    """One entity's pulled pages as JSON array files, decimals as exact strings."""

    folder: Path
    table: str
    files: list[str] = field(default_factory=list)
    pages: int = 0
    records: int = 0

    def add(self, page: list[dict]) -> None:
        path = self.folder / f"{self.table}-{len(self.files):06d}.json"
        path.write_text(json.dumps(page, default=_exact_decimal))
        self.files.append(str(path))
        self.pages += 1
        self.records += len(page)

    def paths(self) -> list[str]:
        """The page files; one empty page when D365 had nothing, so staging has a file to read."""
        if not self.files:
            empty = self.folder / f"{self.table}-empty.json"
            empty.write_text("[]")
            return [str(empty)]
        return self.files


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


@dg.multi_asset(
    name="d365_pull",
    specs=[
        dg.AssetSpec(
            key=entity.key,
            description=entity.description,
            group_name=GROUP,
            kinds={"d365", "duckdb"},
            owners=OWNERS,
            metadata={"d365/entity_set": entity.entity_set},
        )
        for entity in ENTITIES
    ],
    description="Pull D365 Finance's chart of accounts, dimension values, customers, released "
    "products and sales orders (all legal entities) into raw.d365_*, in one transaction. Full "
    "pulls for the entities without a modification timestamp; sales orders incrementally by "
    "creation time, in full on Sundays.",
    pool="warehouse",
)
def d365_pull(
    context: dg.AssetExecutionContext,
    config: D365PullConfig,
    d365: D365Client,
    warehouse: WarehouseResource,
) -> Iterator[dg.MaterializeResult]:
    pulled_at = datetime.now(UTC)
    # Read what the tables hold first, then talk to D365 without holding the warehouse lock.
    with warehouse.writer() as conn:
        fields = {entity.table: _d365_fields(conn, entity.table) for entity in ENTITIES}
        rows_before = _row_counts(conn)
        window = _order_window(conn, config)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="d365_pull_") as scratch, d365.open() as api:
        pulled = {entity.table: PageFiles(Path(scratch), entity.table) for entity in ENTITIES}
        for entity in ENTITIES:
            if entity is SALES_ORDER_LINES and not window.full:
                continue
            _fetch(api, entity, fields[entity.table], pulled[entity.table], window)
        if not window.full:
            _fetch_lines_of_orders(
                api, fields[SALES_ORDER_LINES.table], pulled, pulled[SALES_ORDER_LINES.table]
            )
        fetch_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with warehouse.writer() as conn:
            with transaction(conn):
                for entity in ENTITIES:
                    _write(
                        conn, entity, pulled[entity.table], fields[entity.table], window, pulled_at
                    )
            write_seconds = time.perf_counter() - started
            rows_after = _row_counts(conn)
            newest_order = _newest_order(conn)
            schemas = {entity.table: _column_schema(conn, entity.table) for entity in ENTITIES}
    context.log.info(
        f"D365 pull: {sum(p.records for p in pulled.values())} records in "
        f"{sum(p.pages for p in pulled.values())} pages; sales orders {window.reason}"
    )
    for entity in ENTITIES:
        pages = pulled[entity.table]
        incremental = entity in ORDER_ENTITIES and not window.full
        metadata: dict = {
            "dagster/row_count": rows_after[entity.table],
            "dagster/table_name": f"warehouse.raw.{entity.table}",
            "dagster/column_schema": schemas[entity.table],
            "mode": "incremental" if incremental else "full",
            "why": window.reason if entity in ORDER_ENTITIES else FULL_PULL_REASON,
            "records_fetched": pages.records,
            "pages_fetched": pages.pages,
            "rows_before": rows_before[entity.table],
            "net_row_change": rows_after[entity.table] - rows_before[entity.table],
            "pulled_at": pulled_at.isoformat(timespec="seconds"),
            "fetch_seconds": round(fetch_seconds, 3),
            "write_seconds": round(write_seconds, 3),
        }
        if entity is SALES_ORDERS:
            metadata["watermark"] = {
                "newest_held_before": _iso(window.newest_held),
                "fetched_created_since": _iso(window.since),
                "filter": window.filter or "(none: every order)",
                "newest_held_after": _iso(newest_order),
            }
        if entity is SALES_ORDER_LINES and incremental:
            metadata["watermark"] = {"lines_of_orders_fetched": pulled[SALES_ORDERS.table].records}
        yield dg.MaterializeResult(asset_key=entity.key, metadata=metadata)


def _order_window(conn: duckdb.DuckDBPyConnection, config: D365PullConfig) -> OrderWindow:
    held, newest = conn.execute(
        "SELECT count(*), max(OrderCreationDateTime) FILTER (WHERE OrderCreationDateTime >= "
        "$after) FROM raw.d365_sales_orders",
        {"after": EMPTY_DATE_BEFORE},
    ).fetchall()[0]
    if config.full_sales_order_pull:
        return OrderWindow(True, "full pull (requested: catches changed and deleted orders)")
    if not held or newest is None:
        return OrderWindow(True, "full pull: no sales orders held yet")
    newest = newest.astimezone(UTC)
    since = newest - timedelta(minutes=config.overlap_minutes)
    return OrderWindow(
        False,
        f"incremental on OrderCreationDateTime >= newest held - {config.overlap_minutes} min "
        "(the entity has no modification timestamp: new orders only)",
        newest_held=newest,
        since=since,
    )


def _fetch(
    api: D365Api,
    entity: PulledEntity,
    fields: list[str],
    into: PageFiles,
    window: OrderWindow,
) -> None:
    """Every record of ``entity`` in every legal entity (the sales orders of ``window``),
    ordered by key so that D365's $skip paging is stable."""
    for page in api.iter_pages(
        entity.entity_set,
        filter=window.filter if entity is SALES_ORDERS else None,
        select=fields,
        orderby=",".join(ENTITY_KEYS[entity.entity_set]),
        cross_company=True,
    ):
        into.add(page)


def _fetch_lines_of_orders(
    api: D365Api, fields: list[str], pulled: dict[str, PageFiles], into: PageFiles
) -> None:
    """The lines of the orders just fetched: per legal entity, a few dozen orders per request."""
    orders: dict[str, list[str]] = defaultdict(list)
    for path in pulled[SALES_ORDERS.table].files:
        for order in json.loads(Path(path).read_text()):
            orders[order["dataAreaId"]].append(order["SalesOrderNumber"])
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
                into.add(page)


def _write(
    conn: duckdb.DuckDBPyConnection,
    entity: PulledEntity,
    pages: PageFiles,
    fields: list[str],
    window: OrderWindow,
    pulled_at: datetime,
) -> None:
    run_script(
        conn,
        sql_file("raw/stage_d365_pull.sql", staged=entity.staged),
        {"files": pages.paths(), "columns": dict.fromkeys(fields, "VARCHAR")},
    )
    rounded = conn.execute(
        sql_file("raw/find_d365_rounding.sql", staged=entity.staged), {"table": entity.table}
    ).fetchall()
    if rounded:
        raise PullRefused(
            f"{entity.entity_set}: D365 sent decimals with more places than raw.{entity.table} "
            "keeps, which would be rounded: "
            + "; ".join(f"{name}={text} (column keeps {scale})" for name, text, scale in rounded)
            + f". Widen the column in sql/raw/create_{entity.table}.sql; nothing was written."
        )
    if entity in ORDER_ENTITIES and not window.full:
        script = sql_file(
            "raw/replace_d365_orders.sql",
            table=entity.table,
            staged=entity.staged,
            orders=SALES_ORDERS.staged,
        )
    else:
        script = sql_file("raw/replace_d365_table.sql", table=entity.table, staged=entity.staged)
    run_script(conn, script, {"pulled_at": pulled_at})


def _d365_fields(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The table's D365 columns, in order: what is $select-ed and staged."""
    return [
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' "
            "AND table_name = $table AND column_name <> 'pulled_at' ORDER BY column_index",
            {"table": table},
        ).fetchall()
    ]


def _row_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        entity.table: conn.execute(f"SELECT count(*) FROM raw.{entity.table}").fetchall()[0][0]
        for entity in ENTITIES
    }


def _newest_order(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    newest = conn.execute(
        "SELECT max(OrderCreationDateTime) FROM raw.d365_sales_orders "
        "WHERE OrderCreationDateTime >= $after",
        {"after": EMPTY_DATE_BEFORE},
    ).fetchall()[0][0]
    return newest.astimezone(UTC) if newest else None


def _column_schema(conn: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    """Columns with the descriptions written once in sql/raw/create_d365_*.sql."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=data_type,
                description=comment,
                constraints=dg.TableColumnConstraints(nullable=nullable),
            )
            for name, data_type, nullable, comment in conn.execute(
                "SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() "
                "WHERE schema_name = 'raw' AND table_name = $table ORDER BY column_index",
                {"table": table},
            ).fetchall()
        ]
    )


def _exact_decimal(value: object) -> str:
    """JSON has no exact decimal that DuckDB's reader keeps exact: write the digits as text."""
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
