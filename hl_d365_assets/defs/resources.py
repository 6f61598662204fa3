"""The composition root: resources by mode, and the executor.

``HL_D365_MODE`` (read in :mod:`hl_d365_assets.settings`) picks the wiring: production's real
clients (:mod:`hl_d365_assets.resources`), or the stand-ins another package registers for the
mode under the ``hl_d365_assets.wiring`` entry point (``pyproject.toml``: the sandbox's
simulators). This module never names the sandbox: the stand-ins are supplied from outside the
production code, and a production process never loads them. Production refuses to load while a
required setting is missing.

One process per run: the in-process executor runs steps in the run's own process. The default
multiprocess executor would start a Python process per step, which costs seconds on 2 cores and
buys nothing, since DuckDB steps take the single warehouse writer lock in turn anyway.
"""

from collections.abc import Callable
from importlib.metadata import entry_points

import dagster as dg

from hl_d365_assets.resources import production_resources
from hl_d365_assets.settings import Settings, SettingsError, load_settings

WIRING_GROUP = "hl_d365_assets.wiring"
"""Entry-point group of the stand-in wirings, one per non-production mode."""


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every resource the assets use, for the mode ``settings`` name."""
    if settings.production:
        return production_resources(settings)
    return _stand_ins(settings.mode)(settings)


def _stand_ins(mode: str) -> Callable[[Settings], dict[str, dg.ConfigurableResource]]:
    """The resources factory registered for ``mode``, loaded only when that mode runs."""
    registered = entry_points(group=WIRING_GROUP, name=mode)
    if not registered:
        raise SettingsError(
            f"HL_D365_MODE={mode}: no stand-ins are installed for this mode (entry point group "
            f"{WIRING_GROUP!r}); reinstall the package (make install) or use production"
        )
    return next(iter(registered)).load()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        resources=build_resources(load_settings()), executor=dg.in_process_executor
    )
