"""Canonical-layer checks: each table's contract (its pandera model), and is every value mapped?

Table contracts are blocking: the ledger is built from these rows, so a wrong sign, a total that
does not add up or a half-mapped row stops the day.

An unmapped payment type, status, tax code, store or rate is never guessed: the row is kept,
flagged in ``mapping_issue``, and this check fails naming the values to add to mappings/.
Severity WARN: the ledger's own blocking checks keep flagged rows out of journals.
"""

import time

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.defs.canonical.assets import BUILDS, PAYROLL_KEYS, PRODUCTS_KEY
from hl_d365_assets.table_checks import build_table_model_check
from hl_d365_assets.table_models import canonical, payroll
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, sql_file

MODELS = {
    "payments": canonical.Payments,
    "settlement_batches": canonical.SettlementBatches,
    "settlement_fees": canonical.SettlementFees,
    "pos_sales": canonical.PosSales,
    "pos_sale_lines": canonical.PosSaleLines,
    "pos_tenders": canonical.PosTenders,
    "order_payments": canonical.OrderPayments,
    "payroll_runs": payroll.PayrollRuns,
    "payroll_items": payroll.PayrollItems,
    "payroll_allocations": payroll.PayrollAllocations,
}

canonical_table_model_checks = [
    build_table_model_check(
        asset_key=dg.AssetKey(["canonical", table]),
        table=f"canonical.{table}",
        model=model,
        blocking=True,
        description=f"Every row of canonical.{table} for the day meets its contract: exact "
        "Decimal(18, 2) money, nullability, codes, uniqueness per business day, and the "
        "cross-column rules below. Unknown mapped values pass here; mappings_complete names them.",
    )
    for table, model in MODELS.items()
]


def build_mappings_check(table: str, description: str = "") -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["canonical", table]),
        name="mappings_complete",
        description=description
        or f"Every row of canonical.{table} maps to a store, status, payment method, tax code "
        "and FX rate; the metadata names each unmapped value.",
        partitions_def=business_days,
        retry_policy=WAREHOUSE_RETRY,
    )
    def mappings_complete(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        started = time.perf_counter()
        days = partition_dates(context)
        with warehouse.writer() as conn:
            issues = conn.execute(
                sql_file("canonical/count_mapping_issues.sql", table=table),
                {"first": days[0], "last": days[-1]},
            ).fetchall()
        return dg.AssetCheckResult(
            passed=not issues,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rows_with_mapping_issue": sum(count for _, count in issues),
                "compute_seconds": round(time.perf_counter() - started, 3),
                "issues": dg.MetadataValue.md(
                    "\n".join(f"- {count} × {issue}" for issue, count in issues) or "none"
                ),
            },
        )

    return mappings_complete


mappings_checks = [build_mappings_check(table) for build in BUILDS for table in build.tables]
mappings_checks.append(
    build_mappings_check(
        "payroll_runs",
        "Every pay run's client maps to a D365 legal entity and currency "
        "(mappings/payroll_clients.csv), every allocation version its items use sums to 100 % "
        "(mappings/payroll_allocations.csv), every item line names its employee; the metadata "
        "names each issue. Warns: the run is held by its mapping_issue, which the payroll "
        "journals' checks read, and the other runs of the day go on.",
    )
)


@dg.asset_check(
    asset=PAYROLL_KEYS["payroll_allocations"],
    name="allocations_add_up",
    description="Every payroll item of the day is charged whole: its parts in "
    "canonical.payroll_allocations sum to its amount to the cent, and no part belongs to an "
    "item that is not there. Blocking: the journals are built from the parts.",
    blocking=True,
    partitions_def=business_days,
    retry_policy=WAREHOUSE_RETRY,
)
def allocations_add_up(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    days = partition_dates(context)
    with warehouse.writer() as conn:
        [(items, not_exact, items_total, allocated_total)] = conn.execute(
            sql_file("canonical/check_payroll_allocations_add_up.sql"),
            {"first": days[0], "last": days[-1]},
        ).fetchall()
    return dg.AssetCheckResult(
        passed=not_exact == 0,
        metadata={
            "items": items,
            "items_not_charged_exactly": not_exact,
            "items_total": str(items_total),
            "allocated_total": str(allocated_total),
        },
    )


@dg.asset_check(
    asset=PRODUCTS_KEY,
    name="no_barcode_claimed_twice",
    description="No barcode is claimed by two D365 SKUs or two Heartland Retail items. Such a "
    "product is matched to nothing and never synced until the barcode is fixed in D365 (or "
    "Retail); recon.exceptions kind product_barcode_ambiguous names the claimants.",
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def no_barcode_claimed_twice(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.writer() as conn:
        held, barcodes = conn.execute(
            sql_file("canonical/check_no_barcode_claimed_twice.sql")
        ).fetchone()
    return dg.AssetCheckResult(
        passed=held == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_held_out": held, "ambiguous_barcodes": barcodes},
    )
