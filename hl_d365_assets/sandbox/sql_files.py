"""The sandbox's SQL lives in ``sandbox/sql/``, one file per table or view it builds."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run every statement of a file, fetching each result to the end (DuckDB 2.0 requires it)."""
    con.execute(sql_text(name)).fetchall()
