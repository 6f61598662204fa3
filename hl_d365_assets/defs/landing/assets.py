"""Landing layer: the segments every source writes."""

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.raw_loader import ENTITIES, SOURCE

OWNERS = ["team:finance-data"]

landing_specs = [
    dg.AssetSpec(
        key=["landing", SOURCE, entity],
        description=f"Immutable NDJSON segments under landing/{SOURCE}/{entity}/business_date=…/, "
        "written by the sandbox generator, the webhook receiver and API pulls.",
        group_name="landing",
        kinds={"ndjson"},
        owners=OWNERS,
        partitions_def=business_days,
    )
    for entity in ENTITIES
]
