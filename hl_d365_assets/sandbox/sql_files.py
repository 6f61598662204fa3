"""The sandbox's SQL lives in ``sandbox/sql/``, one file per table or view it builds."""

from __future__ import annotations

from functools import cache

import duckdb

from hl_d365_assets.package_files import package_folder
from hl_d365_assets.warehouse import run_script

SQL_DIR = package_folder("hl_d365_assets.sandbox", "sql")


@cache
def sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run every statement of a file the way the warehouse runs its own SQL files."""
    run_script(con, sql_text(name))


def sql_statement(name: str, **identifiers: str) -> str:
    """A file whose ``{name}`` placeholders stand for table names: the same rule as the
    warehouse's ``sql_file`` (identifiers only, never values; values are bound as parameters)."""
    text = sql_text(name)
    for placeholder, value in identifiers.items():
        if not value.isidentifier():
            raise ValueError(f"{placeholder}={value!r} is not a plain SQL identifier")
        text = text.replace(f"{{{placeholder}}}", value)
    return text
