"""Building each pay run's journal and evaluating its blocking checks: one entry point for the
asset, the checks, the poster and the tests, so all of them run the same SQL
(sql/gl/build_payroll_journals.sql, evaluate_payroll_checks.sql)."""

from __future__ import annotations

from datetime import date

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file


def build_payroll_journals(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> None:
    """Replace gl.payroll_journal_lines, gl.payroll_journal_line_sources and
    gl.payroll_journal_checks for the check dates first..last.

    Reads canonical.payroll_allocations / payroll_runs, the ref.* mappings and
    ops.d365_mapping_validation as they are; the caller loads the mappings and owns the
    transaction.
    """
    run_script(conn, sql_file("gl/build_payroll_journals.sql"), {"first": first, "last": last})
    evaluate_payroll_journal_checks(conn, first, last)


def evaluate_payroll_journal_checks(
    conn: duckdb.DuckDBPyConnection, first: date, last: date
) -> None:
    """Re-evaluate the payroll journals' blocking checks into gl.payroll_journal_checks."""
    run_script(conn, sql_file("gl/evaluate_payroll_checks.sql"), {"first": first, "last": last})
