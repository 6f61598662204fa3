"""The composition root: resources by mode, and the executor.

``HL_D365_MODE`` (read in :mod:`hl_d365_assets.settings`) picks the wiring: production's real
clients (:mod:`hl_d365_assets.resources`), or the sandbox's simulators, imported here and only
in sandbox mode so that a production process never loads the sandbox package. Production
refuses to load while a required setting is missing.

One process per run: the in-process executor runs steps in the run's own process. The default
multiprocess executor would start a Python process per step, which costs seconds on 2 cores and
buys nothing, since DuckDB steps take the single warehouse writer lock in turn anyway.
"""

import dagster as dg

from hl_d365_assets.resources import production_resources
from hl_d365_assets.settings import Settings, load_settings


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every resource the assets use, for the mode ``settings`` name."""
    if settings.production:
        return production_resources(settings)
    from hl_d365_assets.sandbox.resources import sandbox_resources

    return sandbox_resources(settings)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        resources=build_resources(load_settings()), executor=dg.in_process_executor
    )
