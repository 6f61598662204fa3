"""Business-day partitions: one partition per day in the merchant's time zone (DESIGN.md).

A record belongs to the business day of its local transaction time in its store's zone; the
partition definition's zone only decides when a day is complete and can be materialised.

``business_days`` is built on first use, not when this module is imported: the zone and the
first day are configuration, and importing a helper such as :func:`partition_dates` must not
read it. The asset modules under ``defs/`` take ``business_days`` when Dagster loads them.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import dagster as dg

from hl_d365_assets.settings import Settings, load_settings

single_run_backfill = dg.BackfillPolicy.single_run()


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    """One partition per business day from the first configured day, in the merchant's zone."""
    return dg.DailyPartitionsDefinition(
        start_date=settings.first_business_day.isoformat(),
        timezone=settings.merchant_timezone,
        # Today is a partition too: webhooks land it within seconds, and the landing sensor loads
        # it as it fills. The end-of-day pull completes it once the day has closed.
        end_offset=1,
    )


@cache
def configured_business_days() -> dg.DailyPartitionsDefinition:
    """The partitions of the configured merchant, built once per process."""
    return daily_partitions(load_settings())


def __getattr__(name: str) -> dg.DailyPartitionsDefinition:
    # PEP 562: `from hl_d365_assets.business_day import business_days` builds the definition
    # then, from the settings of that moment, so every asset module keeps importing the name.
    if name == "business_days":
        return configured_business_days()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def partition_dates(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[date]:
    """Every business day in the run's partition range (a single-run backfill covers many)."""
    keys = context.partition_key_range
    first, last = date.fromisoformat(keys.start), date.fromisoformat(keys.end)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
