"""Ops: the requests the webhook receiver refused, the alerts delivered to the alert webhook, and
the payment requests of D365 orders sent to Heartland (group ``payment_requests``, its own job
and sensor: asking customers for money is no part of loading a day).

(The analysts' read copy is no asset: the warehouse resource republishes it at the end of every
run that wrote the warehouse, whichever job it was; see hl_d365_assets/warehouse.py.)"""

import dagster as dg

from hl_d365_assets.alerts import AlertWebhookResource, count_pending, deliver_pending
from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.defs.payroll.jobs import PAYROLL_GROUP
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.payment_requests.requester import request_payments
from hl_d365_assets.payment_requests.switch import (
    PAYMENT_REQUEST_SENSOR,
    payment_requests_switched_on,
)
from hl_d365_assets.payroll_inbox import MANIFEST_ENTITY, MANIFEST_SOURCE
from hl_d365_assets.raw_loader import ENTITIES, RETAIL_ENTITIES, RETAIL_SOURCE, raw_table
from hl_d365_assets.resources import LandingZoneResource, MappingsResource
from hl_d365_assets.settings import load_settings
from hl_d365_assets.table_metadata import definition_metadata, table_metadata
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, sql_file, transaction
from hl_d365_assets.webhook.config import REFUSALS_ENTITY, SOURCE

OWNERS = ["team:finance-data"]
ALERT_DELIVERY = dg.AssetKey(["ops", "alert_delivery"])
RAISED_BY = (
    [dg.AssetKey(["raw", entity]) for entity in ENTITIES]
    # POS tickets (card numbers typed into notes, quarantine shares) come from Heartland Retail.
    + [dg.AssetKey(["raw", raw_table(RETAIL_SOURCE, entity)]) for entity in RETAIL_ENTITIES]
    + [dg.AssetKey(["recon", "exceptions"])]
    # Declined and expired order payments, unknown orders, wrong amounts.
    + [dg.AssetKey(["recon", "order_payments"])]
    # High-severity risk alerts (card testing, ghost employees, ...).
    + [dg.AssetKey(["risk", "alerts"])]
)
RECEIVER_REFUSALS = dg.AssetKey(["ops", REFUSALS_ENTITY])
PAYROLL_FILES = dg.AssetKey(["ops", "payroll_files"])


@dg.asset(
    key=RECEIVER_REFUSALS,
    deps=[dg.AssetKey(["landing", SOURCE, REFUSALS_ENTITY])],
    description="Requests the webhook receiver refused (400, 413, 422) per day, status and reason "
    "code, summed from the counts it lands under landing/heartland/receiver_refusals/: why a batch "
    "may be short. Counts only; nothing of a refused request reaches the warehouse.",
    group_name="ops",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def receiver_refusals(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingZoneResource
) -> dg.MaterializeResult:
    """Replaces the days' rows from their landed tallies; the receiver has already reduced each
    refused request to a count and a reason code, so there is nothing to screen or quarantine."""
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    by_day = {d.isoformat(): landing.zone.segments(SOURCE, REFUSALS_ENTITY, d) for d in days}
    segments = [str(path) for paths in by_day.values() for path in paths]
    with warehouse.writer() as conn:
        with transaction(conn):
            conn.execute(sql_file("ops/delete_receiver_refusals.sql"), window).fetchall()
            if segments:
                conn.execute(
                    sql_file("ops/insert_receiver_refusals.sql"),
                    {"segments": segments, "source": SOURCE},
                ).fetchall()
        by_reason = dict(
            conn.execute(sql_file("ops/count_receiver_refusals_by_reason.sql"), window).fetchall()
        )
        metadata = table_metadata(conn, f"ops.{REFUSALS_ENTITY}", days[0], days[-1])
    if by_reason:
        context.log.warning(
            f"the webhook receiver refused {sum(by_reason.values())} request(s) for "
            f"{days[0]}..{days[-1]} ({', '.join(f'{k}: {v}' for k, v in by_reason.items())}); "
            "see ops.receiver_refusals"
        )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "refusals": sum(by_reason.values()),
            "refusals_by_reason": by_reason,
            # The landing sensor re-opens a day when a newer tally segment lands.
            "landing_watermarks": dg.MetadataValue.json(
                {day: max(p.name for p in paths) for day, paths in by_day.items() if paths}
            ),
        }
    )


@dg.asset(
    key=ALERT_DELIVERY,
    deps=RAISED_BY,
    description="Posts each undelivered alert of the day(s) (card data received, reconciliation "
    "breaks at or above the threshold) as JSON to HL_D365_ALERT_WEBHOOK_URL, with retries; a dead "
    "endpoint is recorded in ops.alerts.delivery_error and retried next run, never failing the run.",
    group_name="ops",
    kinds={"duckdb"},
    owners=OWNERS,
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def alert_delivery(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    alert_webhook: AlertWebhookResource,
) -> dg.MaterializeResult:
    """Sends the days' undelivered ops.alerts rows, after everything that raises them; the
    warehouse lock is held only to read them and to record the outcome, never during HTTP."""
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    select = sql_file("ops/select_undelivered_alerts.sql")
    if not alert_webhook.enabled:
        return dg.MaterializeResult(
            metadata={
                "pending": count_pending(warehouse.writer, select, window),
                "delivered": 0,
                "webhook_configured": False,
            }
        )
    outcome = deliver_pending(
        warehouse.writer,
        alert_webhook,
        select,
        window,
        sql_file("ops/record_alert_deliveries.sql"),
        {},
    )
    pending, delivered, first_failure = outcome.pending, outcome.delivered, outcome.first_failure
    if not pending:
        return dg.MaterializeResult(
            metadata={"pending": 0, "delivered": 0, "webhook_configured": True}
        )
    if first_failure is not None:
        context.log.warning(
            f"{pending - delivered} of {pending} alert(s) not delivered; first: "
            f"{first_failure.error}. They stay in ops.alerts and are retried by the next run."
        )
    return dg.MaterializeResult(
        metadata={
            "pending": pending,
            "delivered": delivered,
            "failed": pending - delivered,
            "attempts": outcome.attempts,
            "webhook_configured": True,
        }
    )


ORDER_PAYMENT_REQUESTS = dg.AssetKey(["ops", "order_payment_requests"])
ORDER_EVENTS_JOB = "d365_order_events_job"
"""The order-events job (defs/landing/jobs.py) runs this step after pulling the orders."""


@dg.asset(
    key=ORDER_PAYMENT_REQUESTS,
    deps=[dg.AssetKey(["raw", "d365_sales_orders"]), dg.AssetKey(["mdm", "customers"])],
    description="A Heartland payment request for every confirmed D365 sales order whose method "
    "of payment says card (mappings/order_payment_methods.csv): a payment link e-mailed to the "
    "golden customer, or a merchant-initiated charge on the customer's stored card. Recorded in "
    "ops.payment_requests before it is sent; x-gp-idempotency and a look-up by order number "
    "make each happen once. While GP-API is down the requests wait and go on a later run.",
    metadata=definition_metadata("ops.payment_requests"),
    group_name="payment_requests",
    kinds={"duckdb", "heartland"},
    owners=["team:finance-data"],
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def order_payment_requests(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    mappings: MappingsResource,
    heartland: HeartlandClient,
) -> dg.MaterializeResult:
    """Retried like every warehouse step: safe, since each request is recorded before it is sent
    and looked up in GP before it is sent again.

    Also a step of ``d365_order_events_job`` (one run from order event to link); there it sends
    only while ``order_payment_request_sensor`` is switched on, the one switch for asking customers
    for money. Its own job, launched by that sensor or by a user, always sends."""
    if context.run.job_name == ORDER_EVENTS_JOB and not payment_requests_switched_on(
        context.instance
    ):
        return dg.MaterializeResult(
            metadata={"sent": 0, "not_sent_because": f"{PAYMENT_REQUEST_SENSOR} is off"}
        )
    with heartland.open() as api:
        report = request_payments(
            warehouse.writer,
            api,
            str(mappings.directory),
            status_url=load_settings().payment_status_url,
        )
    if report.gp_unavailable:
        context.log.warning(
            "GP-API unavailable: %d payment requests wait", report.outcomes["waiting"]
        )
    return dg.MaterializeResult(metadata=report.metadata())


@dg.asset(
    key=PAYROLL_FILES,
    deps=[dg.AssetKey(["landing", MANIFEST_SOURCE, MANIFEST_ENTITY])],
    description="Every file dropped in the payroll inbox, by the merchant's day it was picked up: "
    "landed (rows and the days they landed under), duplicate (the same bytes received before: "
    "not landed again), missing_columns or unreadable, with the unknown and missing columns. "
    "Read from the file drop's manifest lines (docs/payroll-intake.md).",
    group_name=PAYROLL_GROUP,
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def payroll_files(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingZoneResource
) -> dg.MaterializeResult:
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    segments = [
        str(path)
        for day in days
        for path in landing.zone.segments(MANIFEST_SOURCE, MANIFEST_ENTITY, day)
    ]
    with warehouse.writer() as conn:
        with transaction(conn):
            conn.execute(sql_file("ops/delete_payroll_files.sql"), window).fetchall()
            if segments:
                # Line numbers come from the order DuckDB reads the lines in.
                [(preserved,)] = conn.execute(
                    "SELECT current_setting('preserve_insertion_order')"
                ).fetchall()
                conn.execute("SET preserve_insertion_order = true").fetchall()
                try:
                    conn.execute(
                        sql_file("ops/insert_payroll_files.sql"), {"segments": segments}
                    ).fetchall()
                finally:
                    conn.execute(f"SET preserve_insertion_order = {bool(preserved)}").fetchall()
        by_status = dict(
            conn.execute(sql_file("ops/count_payroll_files_by_status.sql"), window).fetchall()
        )
        metadata = table_metadata(conn, "ops.payroll_files", days[0], days[-1])
    if by_status.get("unreadable") or by_status.get("missing_columns"):
        context.log.warning(
            f"payroll inbox {days[0]}..{days[-1]}: {by_status.get('unreadable', 0)} unreadable "
            f"file(s), {by_status.get('missing_columns', 0)} missing required columns; see "
            "ops.payroll_files"
        )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "files": sum(by_status.values()),
            "files_by_status": by_status,
            "duplicates": by_status.get("duplicate", 0),
        }
    )
