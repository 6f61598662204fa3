"""Payroll funding: each pay run's net pay and taxes against the bank debits that paid them
(sql/recon/reconcile_payroll_funding.sql), differences and missing funding as recon.exceptions
(payroll_funding_missing, payroll_funding_difference). Once the net pay is funded exactly, the
run's net pay clearing balance (recon.payroll_clearing, a view) is zero."""

from __future__ import annotations

from datetime import date

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file

KINDS = ("payroll_funding_missing", "payroll_funding_difference")
"""The recon.exceptions kinds the funding reconciliation owns."""


def reconcile_payroll_funding(
    conn: duckdb.DuckDBPyConnection, first: date, last: date, run_id: str
) -> dict[str, int]:
    """Rebuild recon.payroll_funding for the check dates first..last and record its exceptions;
    returns the runs per component and status. The caller loads the mappings (payroll_funding.csv)
    and owns the transaction."""
    window = {"first": first, "last": last}
    run_script(conn, sql_file("recon/reconcile_payroll_funding.sql"), window)
    run_script(
        conn, sql_file("recon/record_payroll_funding_exceptions.sql"), {**window, "run_id": run_id}
    )
    return dict(
        conn.execute(sql_file("recon/count_payroll_funding_by_status.sql"), window).fetchall()
    )
