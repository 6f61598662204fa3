"""The payroll job: a dropped payroll register or bank statement, through every payroll asset."""

import dagster as dg

from hl_d365_assets.business_day import business_days

PAYROLL_GROUP = "payroll"

payroll_job = dg.define_asset_job(
    name="payroll_job",
    # By group: the raw tables and ops.payroll_files here, and every payroll asset added later
    # (canonical pay runs, journals, funding reconciliation) joins the group and so the job.
    selection=dg.AssetSelection.groups(PAYROLL_GROUP),
    partitions_def=business_days,
    description="Load the payroll files landed for a business day (a check date or bank booking "
    "date) and the record of the files received that day, through every payroll asset. "
    "Requested by payroll_inbox_sensor when a file is dropped.",
)
