"""The main job: land → raw → canonical → read copy, for one business day or a range."""

import dagster as dg

from hl_d365_assets.business_day import business_days

daily_heartland_job = dg.define_asset_job(
    name="daily_heartland_job",
    selection=dg.AssetSelection.groups("raw", "canonical", "recon", "ops"),
    partitions_def=business_days,
    description="Load one business day (or a range, in a single run) from the landing zone through "
    "raw and canonical, run every check, and republish the analysts' read copy.",
)
