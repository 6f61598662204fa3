"""Building the day's general-ledger journals and evaluating their blocking checks: one entry
point for the asset, the checks, the benchmark and the tests, so all of them run the same SQL."""

from __future__ import annotations

from datetime import date

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file


def build_journals(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> None:
    """Replace gl.journal_lines, gl.journal_line_sources and gl.journal_checks for first..last.

    Reads canonical.*, recon.exceptions and the ref.* mappings as they are; the caller loads the
    mappings and owns the transaction.
    """
    window = {"first": first, "last": last}
    run_script(conn, sql_file("gl/stage_postings.sql"), window)
    run_script(conn, sql_file("gl/build_journals.sql"), window)
    evaluate_journal_checks(conn, first, last)


def evaluate_journal_checks(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> None:
    """Re-evaluate the blocking checks into gl.journal_checks (after exceptions change, say)."""
    run_script(conn, sql_file("gl/evaluate_checks.sql"), {"first": first, "last": last})
