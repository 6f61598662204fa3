"""`hl-d365 sql`: SQL on the analysts' read copy, the warehouse file nobody's query can block.

An analyst who opens the live ``warehouse.duckdb`` holds a lock every run has to wait for; the
read copy (``warehouse_read.duckdb``) is republished at the end of every run that writes and is
never opened for writing, so this command opens only it — read-only, and never the live file,
even when no copy exists yet.
"""

from __future__ import annotations

import sys
from contextlib import redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import TextIO

import duckdb

from hl_d365_assets.warehouse import open_for_analysis

PROMPT = "hl-d365 sql> "
MORE = "        ...> "
QUIT = {".quit", ".exit", "\\q"}


def run_sql(
    read_copy: Path,
    query: str | None,
    max_rows: int,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run ``query`` on the read copy and print its result, or, without one, a prompt loop."""
    out = stdout or sys.stdout
    if not read_copy.exists():
        print(
            f"No read copy at {read_copy} yet. It is published at the end of every run that "
            "writes the warehouse: run `make demo`, or materialise a day in the UI.",
            file=sys.stderr,
        )
        return 1
    conn = open_for_analysis(read_copy)
    try:
        if query is not None:
            return _run(conn, query, max_rows, out, stop_on_error=True)
        return _prompt(conn, read_copy, max_rows, stdin or sys.stdin, out)
    finally:
        conn.close()


def _prompt(
    conn: duckdb.DuckDBPyConnection, read_copy: Path, max_rows: int, stdin: TextIO, out: TextIO
) -> int:
    """Statements end with ``;``. The session keeps the snapshot it opened: a copy published
    meanwhile is seen by the next session, never half-way through this one."""
    published = datetime.fromtimestamp(read_copy.stat().st_mtime).isoformat(timespec="seconds")
    print(
        f"{read_copy} (published {published}), read-only. End statements with ';', "
        "quit with .quit or Ctrl-D. Start with: FROM recon.daily_summary;",
        file=out,
    )
    pending: list[str] = []
    while True:
        print(MORE if pending else PROMPT, end="", file=out, flush=True)
        line = stdin.readline()
        if not line:
            print(file=out)
            return 0
        if not pending and line.strip() in QUIT:
            return 0
        pending.append(line)
        statement = "".join(pending).strip()
        if statement.endswith(";"):
            pending.clear()
            _run(conn, statement, max_rows, out, stop_on_error=False)


def _run(
    conn: duckdb.DuckDBPyConnection, query: str, max_rows: int, out: TextIO, *, stop_on_error: bool
) -> int:
    try:
        relation = conn.sql(query)
        if relation is not None:
            # DuckDB's own box table, which says how many rows there were and how many it shows.
            with redirect_stdout(out):
                relation.show(max_rows=max_rows)
    except duckdb.Error as problem:
        print(f"{type(problem).__name__}: {problem}", file=sys.stderr)
        return 1 if stop_on_error else 0
    return 0
