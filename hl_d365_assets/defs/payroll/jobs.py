"""The payroll job: a dropped payroll register or bank statement, through every payroll asset."""

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.defs.gl.checks import HELD_DAY_REPORTED, HELD_DAY_TAG
from hl_d365_assets.defs.risk.assets import RISK_DOMAINS_TAG

PAYROLL_GROUP = "payroll"
RISK_GROUP = "risk"

payroll_job = dg.define_asset_job(
    name="payroll_job",
    # By group: the raw tables and ops.payroll_files here, and every payroll asset added later
    # (canonical pay runs, journals, funding reconciliation) joins the group and so the job.
    # Risk scores the pay run on its check date (ghost employees, duplicated paychecks) before
    # anyone posts it: the risk_hold check of its journal reads the alerts.
    selection=dg.AssetSelection.groups(PAYROLL_GROUP, RISK_GROUP),
    partitions_def=business_days,
    # A pay run its blocking journal checks hold (an unmapped earning code, a department D365
    # lacks, register totals that do not add up) is this job's designed outcome, not a failure:
    # the checks report it at WARN and gl.payroll_journals says why; post_journals_job, which
    # evaluates them again, posts only the runs that pass.
    # Risk features of the payroll domain only: this job changes no input of the payments, POS
    # and settlement domains, whose rows of the day the daily job keeps (defs/risk/assets.py).
    tags={HELD_DAY_TAG: HELD_DAY_REPORTED, RISK_DOMAINS_TAG: "payroll"},
    description="Load the payroll files landed for a business day (a check date or bank booking "
    "date) and the record of the files received that day, through every payroll asset. "
    "Requested by payroll_inbox_sensor when a file is dropped.",
)
