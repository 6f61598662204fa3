"""The customer jobs: standardise every source's customers and match them; sync the golden
customers to D365 and Heartland Retail (its own job: it writes into both systems)."""

import dagster as dg

from hl_d365_assets.defs.canonical.assets import CUSTOMER_RECORDS
from hl_d365_assets.defs.mdm.assets import CUSTOMER_MATCHING, CUSTOMER_SYNC

customer_matching_job = dg.define_asset_job(
    name="customer_matching_job",
    selection=dg.AssetSelection.assets(CUSTOMER_RECORDS, *CUSTOMER_MATCHING),
    description="canonical.customer_records, then mdm.customers, mdm.customer_xref and "
    "mdm.match_reviews, with their checks.",
)

customer_sync_job = dg.define_asset_job(
    name="customer_sync_job",
    selection=dg.AssetSelection.assets(CUSTOMER_SYNC),
    description="Create and update golden customers in D365 and Heartland Retail, exactly once.",
)
