"""ops/order_payment_requests: a GP-API payment link or stored-card charge for every confirmed D365
card order, exactly once (hl_d365_assets/payment_requests/requester.py; docs/order-payments.md).

Not partitioned: an order is asked to pay once, whatever the business day. Metadata holds counts
only: the requests carry the payer's e-mail, which the table keeps masked.
"""

import dagster as dg

from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.payment_requests.requester import request_payments
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.settings import load_settings
from hl_d365_assets.table_metadata import definition_metadata
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource

ORDER_PAYMENT_REQUESTS = dg.AssetKey(["ops", "order_payment_requests"])


@dg.asset(
    key=ORDER_PAYMENT_REQUESTS,
    deps=[dg.AssetKey(["raw", "d365_sales_orders"]), dg.AssetKey(["mdm", "customers"])],
    description="A Heartland payment request for every confirmed D365 sales order whose method "
    "of payment says card (mappings/order_payment_methods.csv): a payment link e-mailed to the "
    "golden customer, or a merchant-initiated charge on the customer's stored card. Recorded in "
    "ops.payment_requests before it is sent; x-gp-idempotency and a look-up by order number "
    "make each happen once. While GP-API is down the requests wait and go on a later run.",
    metadata=definition_metadata("ops.payment_requests"),
    group_name="ops",
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
    and looked up in GP before it is sent again."""
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
