"""The job that re-validates the GL mapping against the D365 data last pulled, without pulling."""

import dagster as dg

from hl_d365_assets.defs.raw.checks import mappings_exist_in_d365

d365_mapping_check_job = dg.define_asset_job(
    name="d365_mapping_check_job",
    selection=dg.AssetSelection.checks(mappings_exist_in_d365),
    description="Check the GL mapping files against the D365 data last pulled, without pulling: "
    "run it after editing mappings/gl_*.csv.",
)
