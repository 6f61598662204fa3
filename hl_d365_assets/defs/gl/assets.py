"""General-ledger journals: the day's canonical records become one balanced journal per legal
entity and currency, summarised per D365 account and dimensions, with every line traceable to
the tickets, tenders and batches in it (gl.journal_line_sources).

The accounts come from the finance-owned mapping files (mappings/gl_*.csv), never from code.
Built in one transaction so a journal is never seen without its lineage.
"""

import time

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.journals import build_journals
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.table_metadata import table_metadata
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, transaction

OWNERS = ["team:finance-data"]
TABLES = {
    "journal_lines": "The day's double-entry journal per legal entity and currency: one line per "
    "D365 account display value (main account + dimensions), in transaction and base currency, "
    "with conversion rounding on the rounding account so each journal balances to the cent.",
    "journal_line_sources": "Every journal line's source records (ticket, tender, batch) and what "
    "each contributed: join on line_key to see what is in a line.",
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
]


@dg.multi_asset(
    name="general_ledger",
    specs=[
        dg.AssetSpec(
            key=["gl", table],
            deps=SOURCES,
            description=description,
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
        journals = conn.execute(
            """
            SELECT journal_key, lines, debit_total, credit_total, balanced, checks_passed,
                   failed_checks
            FROM gl.journals WHERE business_date BETWEEN $first AND $last ORDER BY journal_key
            """,
            window,
        ).fetchall()
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
