"""The checks that guard the ledger. Blocking: a day whose journal fails one is not posted.

They are evaluated in SQL (sql/gl/evaluate_checks.sql) into gl.journal_checks, per day and
journal, so the poster refuses exactly the failing journals (it reads gl.journals, whatever
Dagster does), and an accountant who accepts the exceptions behind a settlement difference
re-runs only these checks (journal_checks_job, or the asset's Checks tab, "Execute") to release
the day.

Run on their own, a failing check fails the run: the question there is "is the day released?".
In post_journals_job a held-back day is the designed outcome, not a crash: its runs carry the
tag ``hl_d365/held_day: reported`` (a job tag, so no run config given at launch can drop it), the
checks record the same failures at WARN severity (Dagster then raises no
DagsterAssetCheckFailedError) and the posting step reports the day held back and why.
"""

import time
from collections.abc import Iterator

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.ledger.journals import evaluate_journal_checks
from hl_d365_assets.ledger.payroll_journals import evaluate_payroll_journal_checks
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, sql_file, transaction

JOURNAL_LINES = dg.AssetKey(["gl", "journal_lines"])
RISK_HOLD = (
    "No more open high-severity risk alerts on the day (per legal entity) than the larger of "
    "risk_hold_max_open_high_alerts and risk_hold_max_open_high_alerts_per_10k per 10,000 "
    "gateway transactions (mappings/risk_settings.csv; pay runs: the count); reviewers release "
    "the day by deciding them (fraud, not_fraud, accepted, resolved) in recon.exceptions."
)
CHECKS = {
    "balanced": "Each journal's debits equal its credits to the cent, in transaction and in base "
    "currency.",
    "accounts_in_chart": "Every line has a main account from mappings/gl_main_accounts.csv and "
    "dimension values from mappings/gl_dimension_values.csv; no posting lacks a rule.",
    "inputs_mapped": "No record of the day was left out of its journal for an unmapped payment "
    "method, tax code, status, store or rate.",
    "agrees_with_settlement": "Per store, the card money the journal books agrees with the net "
    "Heartland settled, within the currency's tolerance, once the reconciliation exceptions that "
    "accountants accepted or resolved are allowed for.",
    "risk_hold": RISK_HOLD,
}


HELD_DAY_TAG = "hl_d365/held_day"
"""A run tagged ``hl_d365/held_day: reported`` reports a day its checks hold back (WARN) instead
of failing on it (ERROR)."""
HELD_DAY_REPORTED = "reported"


@dg.multi_asset_check(
    name="journal_checks",
    specs=[
        dg.AssetCheckSpec(
            name,
            asset=JOURNAL_LINES,
            description=description,
            blocking=True,
            partitions_def=business_days,
        )
        for name, description in CHECKS.items()
    ],
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def journal_checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            evaluate_journal_checks(conn, days[0], days[-1])
        rows = conn.execute(sql_file("gl/list_journal_checks.sql"), window).fetchall()
    yield from journal_check_results(
        context, JOURNAL_LINES, CHECKS, rows, started, failed_word="FAILED", nothing="no journals"
    )


PAYROLL_JOURNAL_LINES = dg.AssetKey(["gl", "payroll_journal_lines"])
PAYROLL_CHECKS = {
    "balanced": "Each pay run's journal debits equal its credits to the cent.",
    "items_mapped": "Every item of the run has an account (mappings/gl_payroll_posting_rules.csv), "
    "its department a D365 Department (payroll_departments.csv), its location a BusinessUnit "
    "(gl_store_dimensions.csv), its client a legal entity; the unmapped ones are named.",
    "accounts_in_chart": "Every main account and dimension value is in mappings/gl_main_accounts.csv "
    "and gl_dimension_values.csv.",
    "accounts_in_d365": "Every main account and dimension value exists in D365, as the "
    "mappings_exist_in_d365 check last found (ops.d365_mapping_validation).",
    "agrees_with_register": "Gross, employee and employer taxes, deductions, employer benefits and "
    "net pay booked agree with the register's own totals and with the run's items.",
    "risk_hold": RISK_HOLD,
}


@dg.multi_asset_check(
    name="payroll_journal_checks",
    specs=[
        dg.AssetCheckSpec(
            name,
            asset=PAYROLL_JOURNAL_LINES,
            description=description,
            blocking=True,
            partitions_def=business_days,
        )
        for name, description in PAYROLL_CHECKS.items()
    ],
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def payroll_journal_checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Per pay run: a failing journal is held (the poster reads gl.payroll_journals and posts the
    others); the metadata names the journals held and why."""
    days = partition_dates(context)
    window = {"first": days[0], "last": days[-1]}
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            evaluate_payroll_journal_checks(conn, days[0], days[-1])
        rows = conn.execute(sql_file("gl/list_payroll_journal_checks.sql"), window).fetchall()
    yield from journal_check_results(
        context,
        PAYROLL_JOURNAL_LINES,
        PAYROLL_CHECKS,
        rows,
        started,
        failed_word="HELD",
        nothing="no payroll journals",
    )


def journal_check_results(
    context: dg.AssetCheckExecutionContext,
    asset_key: dg.AssetKey,
    checks: dict[str, str],
    rows: list[tuple],
    started: float,
    *,
    failed_word: str,
    nothing: str,
) -> Iterator[dg.AssetCheckResult]:
    """One result per check from its per-journal outcomes (``rows``: check name, business day,
    journal key, passed, detail), for the day's journals and the pay runs' alike: at WARN in a
    run tagged held-day-reported (a held journal is that run's designed outcome), else ERROR."""
    seconds = round(time.perf_counter() - started, 3)
    held_day_reported = context.run.tags.get(HELD_DAY_TAG) == HELD_DAY_REPORTED
    for name in checks:
        results = [row for row in rows if row[0] == name]
        failing = [row for row in results if not row[3]]
        yield dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=name,
            passed=not failing,
            severity=dg.AssetCheckSeverity.WARN
            if held_day_reported
            else dg.AssetCheckSeverity.ERROR,
            metadata={
                "journals_checked": len(results),
                "journals_failing": len(failing),
                "days_failing": sorted({str(day) for _, day, _, _, _ in failing}),
                "journals_held": sorted(key for _, _, key, _, _ in failing),
                "detail": dg.MetadataValue.md(
                    "\n".join(
                        f"- **{key}** {'passed' if ok else failed_word}: {detail}"
                        for _, _, key, ok, detail in results
                    )
                    or f"{nothing} in range"
                ),
                "compute_seconds": seconds,
            },
        )
