"""Sends the days' undelivered ops.alerts rows to the alert webhook, after everything that raises
them; the warehouse lock is held only to read them and to record the outcome, never during HTTP."""

import dagster as dg

from hl_d365_assets.alerts import AlertWebhookResource
from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.raw_loader import ENTITIES
from hl_d365_assets.warehouse import WarehouseResource

RAISED_BY = [dg.AssetKey(["raw", entity]) for entity in ENTITIES] + [
    dg.AssetKey(["recon", "exceptions"])
]


@dg.asset(
    key=["ops", "alert_delivery"],
    deps=RAISED_BY,
    description="Posts each undelivered alert of the day(s) (card data received, reconciliation "
    "breaks at or above the threshold) as JSON to HL_D365_ALERT_WEBHOOK_URL, with retries; a dead "
    "endpoint is recorded in ops.alerts.delivery_error and retried next run, never failing the run.",
    group_name="ops",
    kinds={"duckdb"},
    owners=["team:finance-data"],
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
)
def alert_delivery(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    alert_webhook: AlertWebhookResource,
) -> dg.MaterializeResult:
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    with warehouse.writer() as conn:
        cursor = conn.execute(
            """
            SELECT alert_id, raised_at::VARCHAR AS raised_at, severity, kind,
                   business_date::VARCHAR AS business_date, message
            FROM ops.alerts
            WHERE business_date BETWEEN $first AND $last AND delivered_at IS NULL
            ORDER BY raised_at, alert_id
            """,
            window,
        )
        names = [column[0] for column in cursor.description]
        pending = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if not alert_webhook.enabled or not pending:
        return dg.MaterializeResult(
            metadata={
                "pending": len(pending),
                "delivered": 0,
                "webhook_configured": alert_webhook.enabled,
            }
        )

    deliveries = alert_webhook.deliver(pending)
    with warehouse.writer() as conn:
        conn.execute(
            """
            UPDATE ops.alerts AS a
            SET delivered_at = CASE WHEN d.delivered THEN now() END,
                delivery_error = d.error
            FROM (SELECT unnest($ids) AS alert_id, unnest($delivered) AS delivered,
                         unnest($errors) AS error) AS d
            WHERE a.alert_id = d.alert_id
            """,
            {
                "ids": [d.alert_id for d in deliveries],
                "delivered": [d.delivered for d in deliveries],
                "errors": [d.error for d in deliveries],
            },
        ).fetchall()
    failed = [d for d in deliveries if not d.delivered]
    if failed:
        context.log.warning(
            f"{len(failed)} of {len(deliveries)} alert(s) not delivered; first: {failed[0].error}. "
            "They stay in ops.alerts and are retried by the next run."
        )
    return dg.MaterializeResult(
        metadata={
            "pending": len(pending),
            "delivered": len(deliveries) - len(failed),
            "failed": len(failed),
            "attempts": sum(d.attempts for d in deliveries),
            "webhook_configured": True,
        }
    )
