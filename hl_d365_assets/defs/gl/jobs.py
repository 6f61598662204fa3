"""The ledger's jobs: re-evaluate the blocking checks of a day, and post a day to D365."""

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.defs.gl.assets import POSTINGS
from hl_d365_assets.defs.gl.checks import (
    HELD_DAY_REPORTED,
    HELD_DAY_TAG,
    JOURNAL_LINES,
    PAYROLL_JOURNAL_LINES,
)
from hl_d365_assets.defs.recon.assets import GL_VS_D365

journal_checks_job = dg.define_asset_job(
    name="journal_checks_job",
    selection=dg.AssetSelection.checks_for_assets(JOURNAL_LINES),
    partitions_def=business_days,
    description="Evaluate the ledger's blocking checks for a day: run it after accepting or "
    "resolving the reconciliation exceptions that hold a day back. A failing check fails this "
    "run: the day is not released yet.",
)

post_journals_job = dg.define_asset_job(
    name="post_journals_job",
    selection=dg.AssetSelection.assets(POSTINGS, GL_VS_D365)
    | dg.AssetSelection.checks_for_assets(JOURNAL_LINES, PAYROLL_JOURNAL_LINES),
    partitions_def=business_days,
    # A day its checks hold back is this job's designed outcome, not a failure: the checks
    # report it at WARN severity, the postings step says "held back: <checks>" and posts none of
    # the held journals (it reads gl.journals). D365 down or a bug still fails the run.
    tags={HELD_DAY_TAG: HELD_DAY_REPORTED},
    description="For one business day: evaluate the ledger's blocking checks (the day's journals "
    "and the pay runs whose check date it is), post what D365 "
    "does not hold yet, read it back and compare. A day held back by its checks ends the run "
    "without error; the postings step's outcome names the checks and why.",
)
