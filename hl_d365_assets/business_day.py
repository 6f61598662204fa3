"""Business-day partitions: one partition per day in the merchant's time zone (DESIGN.md).

A record belongs to the business day of its local transaction time in its store's zone; the
partition definition's zone only decides when a day is complete and can be materialised.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from hl_d365_assets.settings import load_settings

_settings = load_settings()

business_days = dg.DailyPartitionsDefinition(
    start_date=_settings.first_business_day.isoformat(),
    timezone=_settings.merchant_timezone,
    # Today is a partition too: webhooks land it within seconds, and the landing sensor loads it
    # as it fills. The end-of-day pull completes it once the day has closed.
    end_offset=1,
)

single_run_backfill = dg.BackfillPolicy.single_run()


def partition_dates(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[date]:
    """Every business day in the run's partition range (a single-run backfill covers many)."""
    keys = context.partition_key_range
    first, last = date.fromisoformat(keys.start), date.fromisoformat(keys.end)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
