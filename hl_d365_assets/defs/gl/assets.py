"""General-ledger journals: the day's canonical records become one balanced journal per legal
entity and currency, summarised per D365 account and dimensions, with every line traceable to
the tickets, tenders and batches in it (gl.journal_line_sources). Then the journals posted to
D365 exactly once (gl.postings), after the ledger's blocking checks pass.

The accounts come from the finance-owned mapping files (mappings/gl_*.csv), never from code.
Built in one transaction so a journal is never seen without its lineage. The posting logic
lives in hl_d365_assets/ledger/; the postings asset is its Dagster face.
"""

import time

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.pull import MAIN_ACCOUNTS
from hl_d365_assets.defs.gl.checks import JOURNAL_LINES
from hl_d365_assets.ledger.exactly_once import DayReport, post_day
from hl_d365_assets.ledger.journals import build_journals
from hl_d365_assets.ledger.payroll_journals import build_payroll_journals
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.settings import load_settings
from hl_d365_assets.table_metadata import definition_metadata, table_metadata
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, sql_file, transaction

OWNERS = ["team:finance-data"]
# In the order they are built (and their materialisations yielded): lines sum their sources.
TABLES = {
    "journal_line_sources": "Every journal line's source records (ticket, tender, batch) and what "
    "each contributed: join on line_key to see what is in a line.",
    "journal_lines": "The day's double-entry journal per legal entity and currency: one line per "
    "D365 account display value (main account + dimensions), in transaction and base currency, "
    "with conversion rounding on the rounding account so each journal balances to the cent.",
}
SOURCES = [
    *(
        dg.AssetKey(["canonical", table])
        for table in (
            "pos_sales",
            "pos_sale_lines",
            "pos_tenders",
            "settlement_batches",
            "settlement_fees",
            "payments",
        )
    ),
    dg.AssetKey(["recon", "exceptions"]),
    dg.AssetKey(["raw", "d365_sales_orders"]),
    # The order GP named in a payment's status_url notification (link_data.reference).
    dg.AssetKey(["raw", "payment_notifications"]),
]
# A journal line sums its gl.journal_line_sources rows, so the graph shows one feeding the other.
INTERNAL_DEPS = {"journal_lines": [dg.AssetKey(["gl", "journal_line_sources"])]}


@dg.multi_asset(
    name="general_ledger",
    specs=[
        dg.AssetSpec(
            key=["gl", table],
            deps=[*SOURCES, *INTERNAL_DEPS.get(table, [])],
            description=description,
            metadata=definition_metadata(f"gl.{table}"),
            group_name="gl",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            partitions_def=business_days,
        )
        for table, description in TABLES.items()
    ],
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def general_ledger(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
):
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            # The checks' outcomes are recorded with the journals so the read copy shows them;
            # the journal_checks asset checks evaluate them again whenever they run.
            build_journals(conn, days[0], days[-1])
        sql_seconds = time.perf_counter() - started
        journals = conn.execute(sql_file("gl/list_journals.sql"), window).fetchall()
        summary = dg.MetadataValue.md(
            "| journal | lines | debits | credits | balanced | ready to post |\n"
            "|---|---:|---:|---:|---|---|\n"
            + "\n".join(
                f"| {key} | {lines} | {debits:,} | {credits:,} | {'yes' if balanced else 'NO'} | "
                f"{'yes' if ready else f'no: {failed} (see gl.journal_checks)'} |"
                for key, lines, debits, credits, balanced, ready, failed in journals
            )
        )
        for table in TABLES:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["gl", table]),
                metadata={
                    **table_metadata(conn, f"gl.{table}", days[0], days[-1]),
                    **({"journals": summary} if table == "journal_lines" else {}),
                    "mappings_sha256": mappings.sha256(),
                    "compute_seconds": round(sql_seconds, 3),
                },
            )


POSTINGS = dg.AssetKey(["gl", "postings"])


@dg.asset(
    key=POSTINGS,
    # The D365 chart pull's mappings_exist_in_d365 check decides, through
    # ops.d365_mapping_validation, whether anything may be sent.
    deps=[JOURNAL_LINES, MAIN_ACCOUNTS.key],
    description="The day's journals created in D365 (LedgerJournalHeaders + LedgerJournalLines) "
    "once, under a deterministic key; late changes as adjustment journals; rejections to "
    "ops.quarantine. Every attempt in gl.postings, every posted line in gl.posted_lines. A day "
    "its blocking checks hold back posts nothing and says so (outcome, held_back).",
    metadata=definition_metadata("gl.postings"),
    # Not "gl": daily_heartland_job loads the gl group, and loading must never post.
    group_name="d365",
    kinds={"d365", "duckdb"},
    owners=OWNERS,
    partitions_def=business_days,
    # One day per run, so a day held back by its checks never holds back another.
    backfill_policy=dg.BackfillPolicy.multi_run(1),
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def postings(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, d365: D365Client
) -> dg.MaterializeResult:
    """A held-back day is a successful step whose outcome says "held back: <checks>"; only a
    real failure (D365 unreachable, a bug) raises and fails the run."""
    started = time.perf_counter()
    reports: list[DayReport] = []
    payroll_journal_name = load_settings().payroll_journal_name
    with d365.open() as api:
        for day in partition_dates(context):
            report = post_day(warehouse.writer, api, day, payroll_journal_name)
            reports.append(report)
            for rejected in report.dead_lettered:
                context.log.warning(
                    f"D365 rejected {rejected['journal_key']}: {rejected['error']} "
                    "(ops.quarantine; fix, re-materialise the day, post again)"
                )
            for held in report.blocked:
                context.log.info(f"{held['journal_key']} held back: {held['failed_checks']}")
    held = [h for r in reports for h in r.blocked]
    return dg.MaterializeResult(
        metadata={
            "outcome": _outcome(reports),
            "journals_posted": sum(len(r.posted) for r in reports),
            "journals_already_in_d365": sum(len(r.already_in_d365) for r in reports),
            "journals_dead_lettered": sum(len(r.dead_lettered) for r in reports),
            "journals_held_back": len(held),
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
            "held_back": dg.MetadataValue.md(
                "| journal | held back by | why (gl.journal_checks) |\n|---|---|---|\n"
                + "\n".join(
                    f"| {h['journal_key']} | {h['failed_checks']} | {h['reasons']} |" for h in held
                )
                if held
                else "nothing held back"
            ),
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )


def _outcome(reports: list[DayReport]) -> str:
    """One line a finance user reads first: what went, and what the checks hold and why."""
    posted = sum(len(r.posted) for r in reports)
    already = sum(len(r.already_in_d365) for r in reports)
    rejected = sum(len(r.dead_lettered) for r in reports)
    journals_by_checks: dict[str, list[str]] = {}
    for held in (h for r in reports for h in r.blocked):
        checks = held["failed_checks"] or "checks not evaluated"
        journals_by_checks.setdefault(checks, []).append(held["journal_key"])
    parts = [
        *([f"posted {posted} journal(s)"] if posted else []),
        *([f"{already} already in D365"] if already else []),
        *([f"{rejected} rejected by D365 (ops.quarantine)"] if rejected else []),
        *(
            f"held back: {checks} ({', '.join(journals)})"
            for checks, journals in journals_by_checks.items()
        ),
    ]
    return "; ".join(parts) or "nothing new to post"


# -- payroll (issue 17) -------------------------------------------------------------------------

PAYROLL_TABLES = {
    "payroll_journal_line_sources": "Every payroll journal line's allocated register items "
    "(canonical.payroll_allocations, by event id, department and location) and what each "
    "contributed: join on line_key to see what is in a line.",
    "payroll_journal_lines": "Each pay run's journal per legal entity, dated its check date: "
    "expense per BusinessUnit and Department, liabilities (taxes withheld and payable, deductions, "
    "benefits, net pay clearing) without dimensions, one line per D365 account display value. "
    "gl.payroll_journals says whether it may be posted, and why not.",
}
PAYROLL_SOURCES = [
    dg.AssetKey(["canonical", "payroll_allocations"]),
    dg.AssetKey(["canonical", "payroll_runs"]),
]
PAYROLL_INTERNAL_DEPS = {
    "payroll_journal_lines": [dg.AssetKey(["gl", "payroll_journal_line_sources"])]
}


@dg.multi_asset(
    name="payroll_ledger",
    specs=[
        dg.AssetSpec(
            key=["gl", table],
            deps=[*PAYROLL_SOURCES, *PAYROLL_INTERNAL_DEPS.get(table, [])],
            description=description,
            metadata=definition_metadata(f"gl.{table}"),
            group_name="payroll",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            partitions_def=business_days,
        )
        for table, description in PAYROLL_TABLES.items()
    ],
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def payroll_ledger(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
):
    """The pay runs of the check dates in the partition range become their journals, with the
    blocking checks' outcome recorded alongside (gl.payroll_journals); the poster posts them with
    the day's other journals (post_journals_job, or hl-d365 post)."""
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            build_payroll_journals(conn, days[0], days[-1])
        sql_seconds = time.perf_counter() - started
        journals = conn.execute(sql_file("gl/list_payroll_journals.sql"), window).fetchall()
        summary = dg.MetadataValue.md(
            "| journal | run | lines | debits | credits | balanced | ready to post |\n"
            "|---|---|---:|---:|---:|---|---|\n"
            + "\n".join(
                f"| {key} | {run} | {lines} | {debits:,} | {credits:,} | "
                f"{'yes' if balanced else 'NO'} | {'yes' if ready else f'held: {why}'} |"
                for key, run, lines, debits, credits, balanced, ready, why in journals
            )
        )
        for table in PAYROLL_TABLES:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["gl", table]),
                metadata={
                    **table_metadata(conn, f"gl.{table}", days[0], days[-1]),
                    **({"journals": summary} if table == "payroll_journal_lines" else {}),
                    "mappings_sha256": mappings.sha256(),
                    "compute_seconds": round(sql_seconds, 3),
                },
            )
