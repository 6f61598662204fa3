"""The payment request job: what the sensor runs when confirmed card orders wait for a request."""

import dagster as dg

from hl_d365_assets.defs.payment_requests.assets import ORDER_PAYMENT_REQUESTS

order_payment_requests_job = dg.define_asset_job(
    name="order_payment_requests_job",
    selection=dg.AssetSelection.assets(ORDER_PAYMENT_REQUESTS),
    description="Send a GP-API payment link or stored-card charge for each confirmed D365 card "
    "order that has none, exactly once; requests that wait for GP-API go again.",
)
