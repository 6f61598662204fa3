"""Re-materialising exactly the business days an approved mapping releases, from the landing zone.

The days are the partitions whose records were held for the value (``held_business_dates``);
consecutive ones go as one single-run range, as a UI backfill with the assets' single-run policy
would, and a gap starts a new run, so no other day is rebuilt. The daily job goes through
:func:`hl_d365_assets.backfill.run_backfill` (the runs land in the project's instance, with the
per-day summary a user checks); payroll mappings replay ``payroll_job`` the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from hl_d365_assets.backfill import JOB_BY_SOURCE, QUIET_CONSOLE, Say, run_backfill
from hl_d365_assets.settings import Settings


def day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Runs of consecutive days, in order: ``[(first, last), ...]``."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def replay_days(
    settings: Settings,
    instance: dg.DagsterInstance,
    job_name: str,
    days: list[date],
    say: Say,
    assets: tuple[str, ...] = (),
) -> bool:
    """Rebuild ``days`` with ``job_name`` in ``instance``; whether every run succeeded. With
    ``assets`` (unpartitioned asset keys, ``canonical/products``), one run of the job over
    exactly those assets instead: a match rebuilt whole holds no day of its own.

    The runs get the resources of ``settings`` (the warehouse and mapping files the approval
    wrote to), not those the definitions were loaded with in this process."""
    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.resources import build_resources

    resources = build_resources(settings)
    if assets:
        # Subset first: execute_in_process(asset_selection=…) re-binds the assets' own resources
        # and refuses the ones given here.
        job = defs.resolve_job_def(job_name).get_subset(
            asset_selection={dg.AssetKey.from_user_string(a) for a in assets}
        )
        result = job.execute_in_process(
            instance=instance, resources=resources, raise_on_error=False, run_config=QUIET_CONSOLE
        )
        say(f"{job_name} over {', '.join(assets)}: {'SUCCESS' if result.success else 'FAILURE'}")
        return result.success
    succeeded = True
    for first, last in day_ranges(days):
        if job_name == JOB_BY_SOURCE["landing"]:
            succeeded &= (
                run_backfill(settings, first, last, "landing", instance, say, resources=resources)
                == 0
            )
            continue
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance,
            resources=resources,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
            },
            raise_on_error=False,
            run_config=QUIET_CONSOLE,
        )
        say(f"{job_name} over {first} .. {last}: {'SUCCESS' if result.success else 'FAILURE'}")
        succeeded &= result.success
    return succeeded
