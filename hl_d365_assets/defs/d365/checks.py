"""Does D365 hold what the GL mapping posts to? Blocking: a journal naming a main account or
dimension value D365 lacks would be refused line by line at posting time, so it is caught here,
before anything is sent.

Compared: the main accounts of mappings/gl_main_accounts.csv and gl_posting_rules.csv against
D365 MainAccounts of the ledger's chart of accounts, and the dimension values of
gl_dimension_values.csv and gl_store_dimensions.csv against FinancialDimensionValues of their
dimension — as last pulled into raw.d365_*. The outcome is written to ops.d365_mapping_validation,
which the poster reads to refuse posting while the mapping does not validate.
"""

import time

import dagster as dg

from hl_d365_assets.defs.d365.assets import DIMENSION_VALUES, MAIN_ACCOUNTS
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.warehouse import WarehouseResource, run_script, sql_file, transaction

CHART_OF_ACCOUNTS = "Shared"
"""The chart of accounts the legal entities' ledgers use (D365: General ledger > Ledger setup);
main accounts of other charts do not count."""


@dg.asset_check(
    asset=MAIN_ACCOUNTS.key,
    name="mappings_exist_in_d365",
    additional_deps=[DIMENSION_VALUES.key],
    blocking=True,
    description="Every main account the GL mapping posts to (gl_main_accounts.csv, "
    f"gl_posting_rules.csv) exists in D365 MainAccounts of chart {CHART_OF_ACCOUNTS}, and every "
    "dimension value (gl_dimension_values.csv, gl_store_dimensions.csv) exists in D365 "
    "FinancialDimensionValues for its dimension. Recorded in ops.d365_mapping_validation; "
    "re-run it (d365_mapping_check_job) after editing the mapping files.",
    pool="warehouse",
)
def mappings_exist_in_d365(
    warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.AssetCheckResult:
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            run_script(
                conn,
                sql_file("ops/record_d365_mapping_validation.sql"),
                {"chart": CHART_OF_ACCOUNTS, "mappings_sha256": mappings.sha256()},
            )
        rows = conn.execute(
            "SELECT kind, dimension, value, referenced_by, exists_in_d365 "
            "FROM ops.d365_mapping_validation ORDER BY kind DESC, dimension, value"
        ).fetchall()
        d365_accounts, d365_values = conn.execute(
            "SELECT (SELECT count(*) FROM raw.d365_main_accounts "
            "        WHERE lower(ChartOfAccounts) = lower($chart)), "
            "       (SELECT count(*) FROM raw.d365_dimension_values)",
            {"chart": CHART_OF_ACCOUNTS},
        ).fetchall()[0]
    missing = [row for row in rows if not row[4]]
    missing_accounts = [value for kind, _, value, _, _ in missing if kind == "main_account"]
    missing_values = [
        f"{dim}={value}" for kind, dim, value, _, _ in missing if kind != "main_account"
    ]
    notes = []
    if not d365_accounts:
        notes.append(
            f"raw.d365_main_accounts holds no account of chart {CHART_OF_ACCOUNTS}: run "
            "d365_pull_job first (or D365 uses another chart)."
        )
    if not d365_values:
        notes.append("raw.d365_dimension_values is empty: run d365_pull_job first.")
    return dg.AssetCheckResult(
        passed=not missing,
        metadata={
            "missing_main_accounts": missing_accounts,
            "missing_dimension_values": missing_values,
            "main_accounts_checked": sum(1 for row in rows if row[0] == "main_account"),
            "dimension_values_checked": sum(1 for row in rows if row[0] != "main_account"),
            "chart_of_accounts": CHART_OF_ACCOUNTS,
            "detail": dg.MetadataValue.md(
                "\n".join(
                    [f"- {note}" for note in notes]
                    + [
                        f"- **{dim + '=' if dim else 'main account '}{value}** is not in D365 "
                        f"(used by {referenced_by})"
                        for _, dim, value, referenced_by, _ in missing
                    ]
                )
                or "every mapped main account and dimension value exists in D365"
            ),
            "compute_seconds": round(time.perf_counter() - started, 3),
        },
    )
