"""Reconciliation: settlement batches against transactions, POS card tenders against the
gateway, expected deposits, and one exceptions table that keeps the accountants' resolutions
across re-runs. recon.daily_summary (a view, sql/views/) reads them all.

One step builds the three tables in one transaction: the exceptions are derived from the two
reconciliations of the same days, so they must never be seen half-updated.
"""

import time

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.defs.gl.assets import POSTINGS
from hl_d365_assets.ledger.payroll_funding import reconcile_payroll_funding
from hl_d365_assets.ledger.read_back import read_back_day
from hl_d365_assets.order_payments.warehouse import reconcile_order_payments
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.stock.reconcile import reconcile_inventory
from hl_d365_assets.table_metadata import definition_metadata, table_metadata
from hl_d365_assets.warehouse import (
    WAREHOUSE_RETRY,
    WarehouseResource,
    run_script,
    sql_file,
    transaction,
)

OWNERS = ["team:finance-data"]
TABLES = {
    "settlement_vs_transactions": "Each settlement batch against the captured transactions in it: "
    "counts, sales, refunds, net and deposit, differences and a status (matched, within tolerance, "
    "discrepancy, batch without transactions, transactions without batch).",
    "tenders_vs_gateway": "Every POS card tender matched to its gateway transaction (by reference, "
    "then by store, amount and time), and the unmatched items on either side with a reason.",
    "deposits": "Per store, day and currency: gross - refunds - fees + adjustments, the deposit "
    "to expect in the bank, against the deposit Heartland reported.",
    "exceptions": "Every discrepancy of every reconciliation, with a stable id, severity, amounts, "
    "source keys, first and last seen day, and a status and note accountants own.",
}
SOURCES = [
    *(
        dg.AssetKey(["canonical", t])
        for t in ("payments", "settlement_batches", "settlement_fees", "pos_tenders")
    ),
    # Card payments of D365 sales orders are matched to the orders pulled from D365 (by their
    # reference, or the order their status_url notification names).
    dg.AssetKey(["raw", "d365_sales_orders"]),
    dg.AssetKey(["raw", "payment_notifications"]),
]


@dg.multi_asset(
    name="reconciliation",
    specs=[
        dg.AssetSpec(
            key=["recon", table],
            deps=SOURCES,
            description=description,
            metadata=definition_metadata(f"recon.{table}"),
            group_name="recon",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            partitions_def=business_days,
        )
        for table, description in TABLES.items()
    ],
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def reconciliation(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
):
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            run_script(conn, sql_file("recon/reconcile_settlements.sql"), window)
            run_script(conn, sql_file("recon/reconcile_tenders.sql"), window)
            run_script(conn, sql_file("recon/reconcile_deposits.sql"), window)
            run_script(
                conn,
                sql_file("recon/record_exceptions.sql"),
                {**window, "run_id": context.run.run_id},
            )
        sql_seconds = time.perf_counter() - started
        statuses = {
            table: dict(
                conn.execute(sql_file("recon/count_by_status.sql", table=table), window).fetchall()
            )
            for table in TABLES
            if table != "deposits"
        }
        open_by_kind = dict(
            conn.execute(sql_file("recon/count_open_exceptions_by_kind.sql"), window).fetchall()
        )
        for table in TABLES:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["recon", table]),
                metadata={
                    **table_metadata(conn, f"recon.{table}", days[0], days[-1]),
                    **({"by_status": statuses[table]} if table in statuses else {}),
                    **({"open_exceptions_by_kind": open_by_kind} if table == "exceptions" else {}),
                    "sql_seconds": round(sql_seconds, 3),
                    "compute_seconds": round(time.perf_counter() - started, 3),
                },
            )


ORDER_PAYMENTS = dg.AssetKey(["recon", "order_payments"])


@dg.asset(
    key=ORDER_PAYMENTS,
    deps=[dg.AssetKey(["canonical", "order_payments"]), dg.AssetKey(["raw", "d365_sales_orders"])],
    description="Each D365 order's Heartland payment against its total, per day it changed "
    "(paid, overpaid, underpaid, declined, expired, unknown order, ...); the exceptions it raises "
    "in recon.exceptions (payment_for_unknown_order, order_payment_over/_under, "
    "order_payment_declined, order_payment_link_expired) with an alert each; and "
    "recon.order_status_alignment (a view): orders whose Heartland and D365 statuses disagree.",
    metadata=definition_metadata("recon.order_payments"),
    group_name="recon",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def order_payments(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    days = partition_dates(context)
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            counts = reconcile_order_payments(conn, days[0], days[-1], context.run.run_id)
        metadata = table_metadata(conn, "recon.order_payments", days[0], days[-1])
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "by_status": counts.by_status,
            "open_exceptions_by_kind": counts.open_exceptions_by_kind,
            "orders_misaligned_with_d365": counts.misaligned,
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )


GL_VS_D365 = dg.AssetKey(["recon", "gl_vs_d365"])


@dg.asset(
    key=GL_VS_D365,
    deps=[POSTINGS],
    description="The day's journals read back from D365 and compared per account with "
    "gl.journal_lines; any difference, missing line or journal held twice is a recon.exceptions "
    "row and an alert.",
    metadata=definition_metadata("recon.gl_vs_d365"),
    group_name="recon",
    kinds={"d365", "duckdb"},
    owners=OWNERS,
    partitions_def=business_days,
    backfill_policy=dg.BackfillPolicy.multi_run(1),
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def gl_vs_d365(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, d365: D365Client
) -> dg.MaterializeResult:
    started = time.perf_counter()
    totals: dict[str, int] = {}
    with d365.open() as api:
        for day in partition_dates(context):
            for name, count in read_back_day(warehouse.writer, api, day).items():
                totals[name] = totals.get(name, 0) + count
    return dg.MaterializeResult(
        metadata={**totals, "compute_seconds": round(time.perf_counter() - started, 3)}
    )


INVENTORY = dg.AssetKey(["recon", "inventory"])


@dg.asset(
    key=INVENTORY,
    deps=[
        dg.AssetKey(["canonical", "inventory_on_hand"]),
        dg.AssetKey(["canonical", "pos_sale_lines"]),
        dg.AssetKey(["raw", "d365_warehouses_on_hand"]),
        # Whether the day's POS sales reached D365 is read from the postings.
        POSTINGS,
    ],
    description="Heartland Retail stock against the D365 on-hand snapshot of the same business "
    "day, per item and location (mappings/store_warehouses.csv): on hand, available and "
    "committed/reserved, the part the day's unposted POS sales and returns explain, what is left, "
    "and a status; what is left above tolerance (mappings/inventory_tolerances.csv) and a "
    "location missing from either side become recon.exceptions (inventory_* kinds).",
    metadata=definition_metadata("recon.inventory"),
    group_name="recon",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def inventory(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    days = partition_dates(context)
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            outcome = reconcile_inventory(
                conn, mappings.directory, days[0], days[-1], context.run.run_id
            )
        metadata = table_metadata(conn, "recon.inventory", days[0], days[-1])
    counts = outcome.by_status
    if outcome.days_without_d365_snapshot:
        context.log.warning(
            "no D365 on-hand snapshot of "
            + ", ".join(map(str, outcome.days_without_d365_snapshot))
            + ": those days' stock was not compared (run d365_pull_job on the day)"
        )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "matched": counts["matched"],
            "explained": counts["explained"],
            "differences": counts["difference"],
            "missing": counts["missing_in_d365"] + counts["missing_in_retail"],
            "location_unmapped": counts["location_unmapped"],
            "by_status": counts,
            "open_exceptions_by_kind": outcome.open_exceptions_by_kind,
            "days_without_d365_snapshot": [str(d) for d in outcome.days_without_d365_snapshot],
            "item_join": outcome.item_join,
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )


PAYROLL_FUNDING = dg.AssetKey(["recon", "payroll_funding"])


@dg.asset(
    key=PAYROLL_FUNDING,
    deps=[dg.AssetKey(["canonical", "payroll_runs"]), dg.AssetKey(["raw", "bank_statement_lines"])],
    description="Each pay run's net pay and taxes against the bank debits that funded them "
    "(matched by the reference PAYROLL <run id> NET / TAX, else by exact amount within 5 days "
    "before to 2 days after the check date) or finance's entry in mappings/payroll_funding.csv; "
    "differences and missing funding as recon.exceptions (payroll_funding_difference, "
    "payroll_funding_missing). recon.payroll_clearing (a view) shows each run's net pay clearing "
    "balance, zero once funded.",
    metadata=definition_metadata("recon.payroll_funding"),
    group_name="payroll",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def payroll_funding(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    days = partition_dates(context)
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            outcome = reconcile_payroll_funding(conn, days[0], days[-1], context.run.run_id)
        metadata = table_metadata(conn, "recon.payroll_funding", days[0], days[-1])
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "runs_by_outcome": outcome,
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )
