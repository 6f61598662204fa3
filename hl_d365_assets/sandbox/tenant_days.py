"""The sandbox's merchants: three tenants (``tenants/tenants.yaml``) and their days.

``contoso_east`` (USD, New York: S001, S002), ``contoso_ca`` (its own Canadian legal entity
``cart`` keeping its books in CAD, Toronto: S004, S005; mapping overrides for the entity, its
stores and their warehouses) and ``contoso_west`` (USD, Denver: S003; a lower POS ticket limit
than the shipped one). The generator needs nothing of its own for tenants: given a tenant's
settings it trades the tenant's stores (its layered ``stores.csv``) into the tenant's landing
zone and Heartland Retail store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.package_files import package_folder
from hl_d365_assets.sandbox.generator import GenerationReport, SandboxConfig, generate
from hl_d365_assets.sandbox.retail_landing import land_retail_store
from hl_d365_assets.settings import Settings

SANDBOX_TENANTS_FILE = package_folder("hl_d365_assets.sandbox", "tenants") / "tenants.yaml"
"""The sandbox's tenants file; `make demo` serves it, tests copy it."""


def land_days(
    settings: Settings,
    days: Sequence[date],
    config: SandboxConfig,
    ground_truth_path: Path | None = None,
) -> GenerationReport:
    """Generate sandbox days for ``settings`` (a tenant's or the deployment's) and land them as
    production does: the gateway's segments by the generator, the POS tickets by the real
    Heartland Retail pull from the sandbox's Retail store (every ticket under its own day;
    reference data and stock as a snapshot of the first day, so each later day finds them)."""
    zone = LandingZone(settings.landing_dir)
    report = generate(zone, list(days), config, ground_truth_path=ground_truth_path)
    land_retail_store(
        zone,
        report.retail_store_dir,
        mappings_dir=settings.mappings_dir,
        merchant_timezone=settings.merchant_timezone,
        snapshot_day=min(days),
    )
    return report
