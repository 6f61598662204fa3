"""Canonical layer: typed, deduplicated, mapped tables built by the SQL files in sql/canonical/.

Tables built from the same raw entity share one asset step (a multi-asset), so the raw rows are
read and mapped once: POS tickets become sales, lines and tenders together.

canonical.pos_* are built from Heartland Retail's tickets (raw.retail_tickets), the POS the
merchant runs; they replaced the invented pos_tickets feed without changing what the tables mean,
so reconciliation and the GL read them unchanged.

canonical.sales_orders and sales_order_lines are D365's orders in their current state, with the
newest business event received for each (by ControlNumber): not per business day, rebuilt whole
(a few thousand rows) by the runs that change raw.d365_sales_orders.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.d365.pull import EMPLOYEES as EMPLOYEES_PULL
from hl_d365_assets.d365.pull import (
    PRODUCT_BARCODES,
    PRODUCTS,
    RELEASED_PRODUCT_VARIANTS,
    SALES_ORDER_LINES,
    SALES_ORDERS,
)
from hl_d365_assets.d365.pull import RELEASED_PRODUCTS as D365_RELEASED_PRODUCTS
from hl_d365_assets.mdm.pipeline import standardise_customer_records
from hl_d365_assets.mdm.sources import stage_customer_sources
from hl_d365_assets.payroll_canonical import PAYROLL_TABLES, build_employees, build_payroll_tables
from hl_d365_assets.products.catalogue import build_products
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.table_metadata import (
    amounts_by_currency,
    definition_metadata,
    table_metadata,
)
from hl_d365_assets.warehouse import (
    WAREHOUSE_RETRY,
    WarehouseResource,
    run_script,
    sql_file,
    transaction,
)

OWNERS = ["team:finance-data"]


@dataclass(frozen=True)
class CanonicalBuild:
    name: str
    raw_tables: tuple[str, ...]
    tables: dict[str, str]  # table -> description; canonical/insert_<table>.sql, in this order
    staging: str | None = None
    """A temp table the tables' inserts share, built by canonical/stage_<staging>.sql."""
    summarised: tuple[str, ...] | None = None
    """Tables with a canonical/summarise_<table>.sql (amounts by currency); None: all of them."""


BUILDS = (
    CanonicalBuild(
        name="canonical_payments",
        raw_tables=("payment_transactions",),
        tables={
            "payments": "Gateway transactions in their latest state (a void supersedes its capture), "
            "exact DECIMAL money signed by type, mapped payment-method and status codes, base-currency "
            "amounts, and lineage to the event that carried the state."
        },
    ),
    CanonicalBuild(
        name="canonical_settlements",
        raw_tables=("settlement_batches",),
        tables={
            "settlement_batches": "Settlement batches as Heartland reports them: counts, sales, refunds, "
            "tips, fees and the net deposit, in transaction and base currency.",
            "settlement_fees": "Per batch and card brand: volume and fees charged.",
        },
    ),
    CanonicalBuild(
        name="canonical_pos",
        raw_tables=(
            "retail_tickets",
            "retail_locations",
            "retail_payment_types",
            "retail_items",
        ),
        # Sales take their discount total from the lines, so the lines come first.
        tables={
            "pos_sale_lines": "POS ticket lines: SKU, quantity, price, discount, tax code and amount, cost.",
            "pos_sales": "POS tickets (sales and returns, returns negative) with totals and base-currency totals.",
            "pos_tenders": "How each ticket was paid: card tenders carry their gateway transaction id.",
        },
        staging="latest_retail_tickets",
    ),
    CanonicalBuild(
        name="canonical_retail_catalog",
        raw_tables=(
            "retail_items",
            "retail_tickets",
            "retail_locations",
            "retail_inventory_values",
        ),
        tables={
            "items": "Heartland Retail items as known each day (latest version), with items sold "
            "while absent from the item snapshot flagged, not blocking.",
            "locations": "Heartland Retail locations with stations, mapped to stores and legal entities.",
            "inventory_on_hand": "Stock on hand per item and store, valued exactly at unit cost.",
        },
        summarised=("inventory_on_hand",),
    ),
    CanonicalBuild(
        name="canonical_order_payments",
        # Also reads ops.payment_requests (the requests sent) and ref.stores.
        raw_tables=("payment_notifications", "payment_transactions", "d365_sales_orders"),
        tables={
            "order_payments": "Every transition of each D365 sales order's Heartland payment "
            "(awaiting payment, authorised, paid, declined, failed, expired, refunded) with the "
            "event that made it: the request, the status_url notification, the poll or the "
            "gateway's refund. canonical.order_payment_states (a view) is each order's latest.",
        },
    ),
)


def build_canonical_assets(build: CanonicalBuild) -> dg.AssetsDefinition:
    raw_keys = [dg.AssetKey(["raw", table]) for table in build.raw_tables]

    @dg.multi_asset(
        name=build.name,
        specs=[
            dg.AssetSpec(
                key=["canonical", table],
                deps=raw_keys,
                description=description,
                metadata=definition_metadata(f"canonical.{table}"),
                group_name="canonical",
                kinds={"duckdb", "sql"},
                owners=OWNERS,
                partitions_def=business_days,
            )
            for table, description in build.tables.items()
        ],
        partitions_def=business_days,
        backfill_policy=single_run_backfill,
        pool="warehouse",
        retry_policy=WAREHOUSE_RETRY,
    )
    def canonical_tables(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
    ):
        days = partition_dates(context)
        window = {"first": days[0], "last": days[-1]}
        started = time.perf_counter()
        mappings_sha256 = mappings.sha256()
        staging = build.staging
        with warehouse.writer() as conn:
            with transaction(conn):
                load_mappings(conn, mappings.directory)
                for table in build.tables:
                    run_script(
                        conn, sql_file("canonical/delete_partition.sql", table=table), window
                    )
                if staging:
                    run_script(conn, sql_file(f"canonical/stage_{staging}.sql"), window)
                for table in build.tables:
                    run_script(conn, sql_file(f"canonical/insert_{table}.sql"), window)
                if staging:
                    conn.execute(f"DROP TABLE {staging}").fetchall()
            sql_seconds = time.perf_counter() - started
            for table in build.tables:
                issues = conn.execute(
                    sql_file("canonical/count_mapping_issues.sql", table=table), window
                ).fetchall()
                extra = {}
                if build.summarised is None or table in build.summarised:
                    extra["amounts_by_currency"] = amounts_by_currency(
                        conn, sql_file(f"canonical/summarise_{table}.sql"), days[0], days[-1]
                    )
                if table == "pos_sales":
                    [(superseded,)] = conn.execute(
                        sql_file("canonical/count_superseded_versions.sql"), window
                    ).fetchall()
                    extra["superseded_versions"] = superseded
                yield dg.MaterializeResult(
                    asset_key=dg.AssetKey(["canonical", table]),
                    metadata={
                        **table_metadata(conn, f"canonical.{table}", days[0], days[-1]),
                        **extra,
                        "rows_with_mapping_issue": sum(count for _, count in issues),
                        "mapping_issues": dict(issues[:10]),
                        "mappings_sha256": mappings_sha256,
                        "sql_seconds": round(sql_seconds, 3),
                        "compute_seconds": round(time.perf_counter() - started, 3),
                    },
                )

    return canonical_tables


canonical_assets = [build_canonical_assets(build) for build in BUILDS]


CUSTOMER_RECORDS = dg.AssetKey(["canonical", "customer_records"])


@dg.asset(
    key=CUSTOMER_RECORDS,
    deps=[
        dg.AssetKey(["raw", "d365_customers"]),
        dg.AssetKey(["raw", "retail_customers"]),
        dg.AssetKey(["raw", "retail_tickets"]),
        dg.AssetKey(["canonical", "payments"]),
    ],
    description="Every customer record of Heartland Retail, D365 and the payment side (cards seen "
    "with a customer on a ticket), standardised for matching: names case-folded with nicknames "
    "resolved, e-mails by provider rules, phones in E.164, streets abbreviated. Customers are "
    "not per business day: rebuilt whole, on the customer_matching schedule (docs/customers.md).",
    metadata=definition_metadata("canonical.customer_records"),
    group_name="mdm",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def customer_records(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    """Counts only in the metadata: the records hold personal data."""
    with warehouse.writer() as conn, transaction(conn):
        sources = stage_customer_sources(conn)
        summary = standardise_customer_records(conn, str(mappings.directory), datetime.now(UTC))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(summary.source_records.values()),
            "sources_staged": sources,
            "records_by_source": summary.source_records,
            "left_out_by_reason": summary.excluded_records,
            "compute_seconds": summary.seconds["standardise"],
        }
    )


# -- D365 sales orders: current state, not per business day -------------------------------

SALES_ORDER_TABLES = {
    "sales_orders": "D365 sales orders in their current state (as D365 last answered for them), "
    "one row per legal entity and order: customers, currency, exact totals, status fields and a "
    "cancelled flag, payment method, warehouse, creation time, and the newest business event "
    "received for the order (by ControlNumber).",
    "sales_order_lines": "D365 sales order lines in their current state, one row per line, "
    "exact quantities, prices and amounts, cancelled with their order.",
}
SALES_ORDER_KEYS = [dg.AssetKey(["canonical", table]) for table in SALES_ORDER_TABLES]


@dg.multi_asset(
    name="canonical_sales_orders",
    specs=[
        dg.AssetSpec(
            key=["canonical", table],
            deps=[
                SALES_ORDERS.key,
                SALES_ORDER_LINES.key,
                dg.AssetKey(["raw", "d365_business_events"]),
            ],
            description=description,
            metadata=definition_metadata(f"canonical.{table}"),
            # With raw.d365_*: current state, not a business day, so not in the daily job.
            group_name="d365",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
        )
        for table, description in SALES_ORDER_TABLES.items()
    ],
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def canonical_sales_orders(warehouse: WarehouseResource):
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            for table in SALES_ORDER_TABLES:
                run_script(conn, sql_file(f"canonical/insert_{table}.sql"))
        [(orders, lines, cancelled, with_events)] = conn.execute(
            sql_file("canonical/summarise_sales_orders.sql")
        ).fetchall()
    seconds = round(time.perf_counter() - started, 3)
    yield dg.MaterializeResult(
        asset_key=SALES_ORDER_KEYS[0],
        metadata={
            "dagster/row_count": orders,
            "dagster/table_name": "warehouse.canonical.sales_orders",
            "cancelled_orders": cancelled,
            "orders_with_events": with_events,
            "compute_seconds": seconds,
        },
    )
    yield dg.MaterializeResult(
        asset_key=SALES_ORDER_KEYS[1],
        metadata={
            "dagster/row_count": lines,
            "dagster/table_name": "warehouse.canonical.sales_order_lines",
            "compute_seconds": seconds,
        },
    )


# -- products: D365 SKUs matched to Heartland Retail items (hl_d365_assets/products/catalogue.py).
# Not partitioned: a catalogue is not per business day; the match reads the newest D365 pull and
# the newest Retail item snapshot. Metadata holds counts only.

PRODUCTS_KEY = dg.AssetKey(["canonical", "products"])


@dg.asset(
    key=PRODUCTS_KEY,
    deps=[
        *(
            e.key
            for e in (D365_RELEASED_PRODUCTS, PRODUCTS, RELEASED_PRODUCT_VARIANTS, PRODUCT_BARCODES)
        ),
        dg.AssetKey(["raw", "retail_items"]),
    ],
    description="D365 SKUs (item number + product dimensions) paired with Heartland Retail "
    "items by barcode = UPC, then item number = public_id; SKUs and items on one side only, and "
    "barcodes two products claim, listed in recon.exceptions (product_unmatched_d365, "
    "product_unmatched_retail, product_barcode_ambiguous). docs/products.md.",
    metadata=definition_metadata("canonical.products"),
    # Master data, as canonical/customer_records: not in the daily job, which is per business
    # day; the nightly product_matching schedule rebuilds it after the D365 pull.
    group_name="mdm",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def products(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    with warehouse.writer() as conn, transaction(conn):
        match = build_products(conn, str(mappings.directory), datetime.now(UTC))
    context.log.info("product match: %s", match.by_status)
    return dg.MaterializeResult(metadata=match.metadata())


# -- payroll (issue 17): pay runs, items and their department allocations per check date, and the
# employees, from the Heartland payroll register files (raw.payroll_register) and D365
# EmployeesV2. Group payroll: the payroll job runs them, not the daily card/POS job.
# hl_d365_assets/payroll_canonical.py holds the build; docs/payroll-canonical.md.

PAYROLL_REGISTER_KEY = dg.AssetKey(["raw", "payroll_register"])
PAYROLL_KEYS = {table: dg.AssetKey(["canonical", table]) for table in PAYROLL_TABLES}
EMPLOYEES_KEY = dg.AssetKey(["canonical", "employees"])


@dg.multi_asset(
    name="canonical_payroll",
    specs=[
        dg.AssetSpec(
            key=PAYROLL_KEYS[table],
            # Runs and allocations are computed from the items the same step builds first.
            deps=[PAYROLL_REGISTER_KEY]
            + ([PAYROLL_KEYS["payroll_items"]] if table != "payroll_items" else []),
            description=description,
            metadata=definition_metadata(f"canonical.{table}"),
            group_name="payroll",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            partitions_def=business_days,
        )
        for table, description in PAYROLL_TABLES.items()
    ],
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def canonical_payroll(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
):
    """One read of the register for the three tables: the current file of each pay run is
    staged once, and a check date is replaced whole in one transaction."""
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    started = time.perf_counter()
    mappings_sha256 = mappings.sha256()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            build = build_payroll_tables(conn, days[0], days[-1])
        issues = conn.execute(
            sql_file("canonical/count_mapping_issues.sql", table="payroll_runs"), window
        ).fetchall()
        for table, key in PAYROLL_KEYS.items():
            extra: dict = {}
            if table == "payroll_runs":
                extra = {
                    "superseded_lines": build.superseded_lines,
                    "corrected_runs": build.corrected_runs,
                    "runs_with_mapping_issue": sum(count for _, count in issues),
                    "mapping_issues": dict(issues[:10]),
                }
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    **table_metadata(conn, f"canonical.{table}", days[0], days[-1]),
                    **extra,
                    "amounts_by_currency": amounts_by_currency(
                        conn, sql_file(f"canonical/summarise_{table}.sql"), days[0], days[-1]
                    ),
                    "mappings_sha256": mappings_sha256,
                    "sql_seconds": build.seconds["sql"],
                    "compute_seconds": round(time.perf_counter() - started, 3),
                },
            )


@dg.asset(
    key=EMPLOYEES_KEY,
    deps=[PAYROLL_REGISTER_KEY, EMPLOYEES_PULL.key],
    description="Employees by number, never by name: default division, department, job and "
    "location from their newest payroll register line, and their D365 employment (EmployeesV2: "
    "Department from DimensionDisplayValue, start, end, termination). Not per business day: "
    "rebuilt whole.",
    metadata=definition_metadata("canonical.employees"),
    group_name="payroll",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def employees(warehouse: WarehouseResource, mappings: MappingsResource) -> dg.MaterializeResult:
    """Counts only in the metadata: no preview of people, even by number."""
    started = time.perf_counter()
    with warehouse.writer() as conn, transaction(conn):
        load_mappings(conn, mappings.directory)
        by_source = build_employees(conn)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(by_source.values()),
            "employees_by_source": by_source,
            "mappings_sha256": mappings.sha256(),
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )
