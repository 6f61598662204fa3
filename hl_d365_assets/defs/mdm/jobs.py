"""The customer matching job: standardise every source's customers, then match them."""

import dagster as dg

from hl_d365_assets.defs.canonical.assets import CUSTOMER_RECORDS
from hl_d365_assets.defs.mdm.assets import CUSTOMER_MATCHING

customer_matching_job = dg.define_asset_job(
    name="customer_matching_job",
    selection=dg.AssetSelection.assets(CUSTOMER_RECORDS, *CUSTOMER_MATCHING),
    description="canonical.customer_records, then mdm.customers, mdm.customer_xref and "
    "mdm.match_reviews, with their checks.",
)
