"""Golden-record invariants, checked after every matching run."""

import dagster as dg

from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, sql_file


@dg.asset_check(
    asset=dg.AssetKey(["mdm", "customer_xref"]),
    name="every_record_in_one_golden_customer",
    description="Every record of canonical.customer_records is in exactly one active golden "
    "customer, and the cross-reference names no record or golden customer that is gone.",
    blocking=True,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def every_record_in_one_golden_customer(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.writer() as conn:
        cursor = conn.execute(sql_file("mdm/check_records_in_one_golden_customer.sql"))
        names = [column[0] for column in cursor.description]
        counts = dict(zip(names, cursor.fetchone(), strict=True))
    return dg.AssetCheckResult(passed=not any(counts.values()), metadata=counts)


@dg.asset_check(
    asset=dg.AssetKey(["mdm", "customers"]),
    name="one_d365_account_per_customer",
    description="No golden customer holds two D365 accounts unless a reviewer said they are the "
    "same person (mdm.match_reviews). A failure names how many; the sync must not run for them.",
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def one_d365_account_per_customer(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.writer() as conn:
        (unaccepted,) = conn.execute(
            sql_file("mdm/check_one_d365_account_per_customer.sql")
        ).fetchone()
    return dg.AssetCheckResult(
        passed=unaccepted == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"golden_customers_with_unaccepted_d365_accounts": unaccepted},
    )
