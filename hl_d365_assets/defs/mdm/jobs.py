"""The customer jobs: standardise every source's customers and match them; sync the golden
customers to D365 and Heartland Retail (its own job: it writes into both systems)."""

import dagster as dg

from hl_d365_assets.defs.canonical.assets import CUSTOMER_RECORDS, PRODUCTS_KEY
from hl_d365_assets.defs.mdm.assets import CUSTOMER_MATCHING, CUSTOMER_SYNC, PRODUCT_SYNC

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

product_matching_job = dg.define_asset_job(
    name="product_matching_job",
    selection=dg.AssetSelection.assets(PRODUCTS_KEY),
    description="canonical.products from the newest D365 pull and Retail item snapshot, with "
    "its exceptions and check.",
)

product_sync_job = dg.define_asset_job(
    name="product_sync_job",
    selection=dg.AssetSelection.assets(PRODUCT_SYNC),
    description="Heartland Retail items created and updated from D365, exactly once (config "
    "dry_run: only list the changes).",
)
