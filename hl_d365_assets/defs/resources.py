"""Resources and the executor, from settings (the one place configuration is read).

One process per run: the in-process executor runs steps in the run's own process. The default
multiprocess executor would start a Python process per step, which costs seconds on 2 cores and
buys nothing, since DuckDB steps take the single warehouse writer lock in turn anyway.
"""

import dagster as dg

from hl_d365_assets.resources import build_resources
from hl_d365_assets.settings import load_settings


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        resources=build_resources(load_settings()), executor=dg.in_process_executor
    )
