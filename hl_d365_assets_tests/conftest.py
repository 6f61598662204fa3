"""Shared fixtures: a real Dagster instance (sqlite, temporary), a warehouse and landing zone in
a temporary folder, and helpers that run the real job for a business day."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import GenerationReport, SandboxConfig, generate
from hl_d365_assets.sandbox.retail_landing import land_retail_store
from hl_d365_assets.settings import PROJECT_ROOT, Settings


def make_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        mappings_dir=PROJECT_ROOT / "mappings",
        merchant_timezone="America/New_York",
        first_business_day=date(2026, 1, 1),
        base_currency="USD",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def zone(settings: Settings) -> LandingZone:
    return LandingZone(settings.landing_dir)


@pytest.fixture(scope="session")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def generate_days(
    settings: Settings, days: Sequence[date], config: SandboxConfig, **kwargs
) -> GenerationReport:
    """Generate sandbox days and land them as production does: the gateway's segments by the
    generator, the POS tickets by the real Heartland Retail pull from the sandbox's Retail store
    (every ticket under its own day; locations, payment types, items and stock as a snapshot of
    the first day, so each later day finds them too)."""
    zone = LandingZone(settings.landing_dir)
    report = generate(zone, list(days), config, **kwargs)
    land_retail_store(
        zone,
        report.retail_store_dir,
        mappings_dir=settings.mappings_dir,
        merchant_timezone=settings.merchant_timezone,
        snapshot_day=min(days),
    )
    return report


def daily_job() -> dg.JobDefinition:
    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.ops.jobs import daily_heartland_job

    return defs.resolve_job_def(daily_heartland_job.name)


def run_day(
    settings: Settings, instance: dg.DagsterInstance, day: date | str, **kwargs
) -> dg.ExecuteInProcessResult:
    """Materialise one business day through the real job, against this test's folders."""
    return daily_job().execute_in_process(
        partition_key=str(day), instance=instance, resources=build_resources(settings), **kwargs
    )


def run_range(
    settings: Settings, instance: dg.DagsterInstance, days: Sequence[date], **kwargs
) -> dg.ExecuteInProcessResult:
    """A single run over a partition range, as a UI backfill with a single-run policy makes."""
    return daily_job().execute_in_process(
        instance=instance,
        resources=build_resources(settings),
        tags={
            "dagster/asset_partition_range_start": str(days[0]),
            "dagster/asset_partition_range_end": str(days[-1]),
        },
        **kwargs,
    )
