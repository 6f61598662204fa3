"""Posting to D365: the day's journals go to D365 exactly once, after the ledger's blocking
checks pass, and are read back and compared (recon.gl_vs_d365). The logic lives in
hl_d365_assets/posting.py; this module is its Dagster face."""

import time

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.pull import MAIN_ACCOUNTS
from hl_d365_assets.defs.gl.checks import JOURNAL_LINES
from hl_d365_assets.defs.ops.jobs import daily_heartland_job
from hl_d365_assets.posting import post_day, read_back_day
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource

POSTINGS = dg.AssetKey(["gl", "postings"])
READ_BACK = dg.AssetKey(["recon", "gl_vs_d365"])


@dg.asset(
    key=POSTINGS,
    # The D365 chart pull's mappings_exist_in_d365 check decides, through
    # ops.d365_mapping_validation, whether anything may be sent.
    deps=[JOURNAL_LINES, MAIN_ACCOUNTS.key],
    description="The day's journals created in D365 (LedgerJournalHeaders + LedgerJournalLines) "
    "once, under a deterministic key; late changes as adjustment journals; rejections to "
    "ops.quarantine. Every attempt in gl.postings, every posted line in gl.posted_lines.",
    group_name="d365",
    kinds={"d365", "duckdb"},
    owners=["team:finance-data"],
    partitions_def=business_days,
    # One day per run, so a day held back by its checks never holds back another.
    backfill_policy=dg.BackfillPolicy.multi_run(1),
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def postings(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, d365: D365Client
) -> dg.MaterializeResult:
    started = time.perf_counter()
    reports = []
    with d365.open() as api:
        for day in partition_dates(context):
            report = post_day(warehouse.writer, api, day)
            reports.append(report)
            for rejected in report.dead_lettered:
                context.log.warning(
                    f"D365 rejected {rejected['journal_key']}: {rejected['error']} "
                    "(ops.quarantine; fix, re-materialise the day, post again)"
                )
            for held in report.blocked:
                context.log.warning(f"{held['journal_key']} held back: {held['failed_checks']}")
    return dg.MaterializeResult(
        metadata={
            "journals_posted": sum(len(r.posted) for r in reports),
            "journals_already_in_d365": sum(len(r.already_in_d365) for r in reports),
            "journals_dead_lettered": sum(len(r.dead_lettered) for r in reports),
            "journals_held_back": sum(len(r.blocked) for r in reports),
            "lines_posted": sum(r.lines_posted for r in reports),
            "lines_dead_lettered": sum(r.lines_dead_lettered for r in reports),
            "d365_journals": dg.MetadataValue.md(
                "\n".join(
                    f"- {p['journal_key']} → {p['journal_batch_number']} ({p['kind']}, "
                    f"{p['lines']} lines)"
                    for r in reports
                    for p in r.posted + r.already_in_d365
                )
                or "nothing new to post"
            ),
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )


@dg.asset(
    key=READ_BACK,
    deps=[POSTINGS],
    description="The day's journals read back from D365 and compared per account with "
    "gl.journal_lines; any difference, missing line or journal held twice is a recon.exceptions "
    "row and an alert.",
    group_name="d365",
    kinds={"d365", "duckdb"},
    owners=["team:finance-data"],
    partitions_def=business_days,
    backfill_policy=dg.BackfillPolicy.multi_run(1),
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def gl_vs_d365(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, d365: D365Client
) -> dg.MaterializeResult:
    started = time.perf_counter()
    totals: dict[str, int] = {}
    with d365.open() as api:
        for day in partition_dates(context):
            for name, count in read_back_day(warehouse.writer, api, day).items():
                totals[name] = totals.get(name, 0) + count
    return dg.MaterializeResult(
        metadata={**totals, "compute_seconds": round(time.perf_counter() - started, 3)}
    )


post_journals_job = dg.define_asset_job(
    name="post_journals_job",
    selection=dg.AssetSelection.assets(POSTINGS, READ_BACK)
    | dg.AssetSelection.checks_for_assets(JOURNAL_LINES),
    partitions_def=business_days,
    description="For one business day: evaluate the ledger's blocking checks, post what D365 "
    "does not hold yet, read it back and compare.",
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[daily_heartland_job],
    request_job=post_journals_job,
    # Posting into a ledger is switched on deliberately, once D365 (or the sandbox simulator,
    # `hl-d365 d365-sim`) is there to receive it.
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="After a day is loaded, post it (the blocking checks decide whether it goes).",
)
def post_after_load(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    start = run.tags.get("dagster/asset_partition_range_start") or run.tags.get("dagster/partition")
    end = run.tags.get("dagster/asset_partition_range_end") or start
    if not start:
        return
    for key in business_days.get_partition_keys_in_range(dg.PartitionKeyRange(start, end)):
        yield dg.RunRequest(run_key=f"post:{run.run_id}:{key}", partition_key=key)
