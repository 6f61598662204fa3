"""The product jobs: match the catalogues; push D365's catalogue to Heartland Retail (its own
job: it writes into Retail)."""

import dagster as dg

from hl_d365_assets.defs.products.assets import PRODUCT_SYNC, PRODUCTS_KEY

product_matching_job = dg.define_asset_job(
    name="product_matching_job",
    selection=dg.AssetSelection.assets(PRODUCTS_KEY),
    description="canonical.products from the newest D365 pull and Retail item snapshot, with "
    "its exceptions and check.",
)

product_sync_job = dg.define_asset_job(
    name="product_sync_job",
    selection=dg.AssetSelection.assets(PRODUCT_SYNC),
    description="Create and update Heartland Retail items from D365, exactly once (config "
    "dry_run: only list the changes).",
)
