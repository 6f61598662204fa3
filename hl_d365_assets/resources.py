"""Dagster resources for the landing zone and the finance-owned mapping files.

The warehouse resource lives in :mod:`hl_d365_assets.warehouse`. Defaults come from
:mod:`hl_d365_assets.settings`, the one place configuration is read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import WarehouseResource


class LandingZoneResource(dg.ConfigurableResource):
    """Where producers write segments and the raw layer reads them."""

    root: str

    @property
    def zone(self) -> LandingZone:
        return LandingZone(Path(self.root))


class MappingsResource(dg.ConfigurableResource):
    """The versioned CSV mapping files finance edits (see mappings/README.md)."""

    directory: str

    def sha256(self) -> str:
        """Fingerprint of every mapping file, recorded on each canonical materialisation."""
        digest = hashlib.sha256()
        for path in sorted(Path(self.directory).glob("*.csv")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(
            database=str(settings.warehouse_path), read_copy=str(settings.read_copy_path)
        ),
        "landing": LandingZoneResource(root=str(settings.landing_dir)),
        "mappings": MappingsResource(directory=str(settings.mappings_dir)),
    }
