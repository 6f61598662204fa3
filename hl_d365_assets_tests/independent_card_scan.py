"""A card-number scanner written for the tests alone, so a test can check the product's scanner.

It shares no code with ``hl_d365_assets.pci`` or ``sql/macros/card_numbers.sql``: its own
pattern, its own Luhn, its own (broader) table of issuer ranges. What it deliberately shares is
the definition of where a number starts and ends: a maximal run of digits joined by single
spaces or dashes that touches no letter, since a run glued to letters is part of an identifier
(UUIDs, hex ids), and flagging those would make a leak test fail for the wrong reason. For
the same reason the digits after a decimal point (``2207.6514459986356``, a step's duration in
the Dagster event log) are the fraction of a number, not a card number.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb

_RUN = re.compile(r"[0-9](?:[ -]?[0-9])*")

# (first prefix, last prefix, shortest, longest): wider than the product's table where in doubt
# (Maestro as all of 50 and 56-69), since this one only has to never miss.
_ISSUER_RANGES = (
    ("4", "4", 13, 19),
    ("51", "55", 16, 16),
    ("2221", "2720", 16, 16),
    ("34", "34", 15, 15),
    ("37", "37", 15, 15),
    ("6011", "6011", 16, 19),
    ("644", "649", 16, 19),
    ("65", "65", 16, 19),
    ("300", "305", 14, 19),
    ("36", "36", 14, 19),
    ("38", "39", 14, 19),
    ("3528", "3589", 16, 19),
    ("62", "62", 16, 19),
    ("50", "50", 12, 19),
    ("56", "69", 12, 19),
)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        doubled = int(char) * (2 if index % 2 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _issued(digits: str) -> bool:
    return any(
        first <= digits[: len(first)] <= last and shortest <= len(digits) <= longest
        for first, last, shortest, longest in _ISSUER_RANGES
    )


def card_numbers_in(text: str) -> list[str]:
    """Each card number in ``text``, as first six and last four (never the whole number)."""
    found = []
    for match in _RUN.finditer(text):
        before = text[match.start() - 1 : match.start()]
        after = text[match.end() : match.end() + 1]
        if (before.isalpha() and before.isascii()) or (after.isalpha() and after.isascii()):
            continue
        if before == "." and text[match.start() - 2 : match.start() - 1].isdigit():
            continue
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits) and _issued(digits):
            found.append(f"{digits[:6]}…{digits[-4:]}")
    return found


def scan_duckdb(path: Path) -> Iterator[str]:
    """``where: number`` for every card number in any column of any table of a DuckDB file."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        tables = conn.execute(
            "SELECT database_name, schema_name, table_name FROM duckdb_tables()"
        ).fetchall()
        for database, schema, table in tables:
            name = f'"{database}"."{schema}"."{table}"'
            for row in conn.execute(f"SELECT * FROM {name}").fetchall():
                for value in row:
                    for number in card_numbers_in(_text(value)):
                        yield f"{path.name} {schema}.{table}: {number}"
    finally:
        conn.close()


def scan_sqlite(path: Path) -> Iterator[str]:
    """The same for an SQLite file (the Dagster instance's run and event-log storage)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    for number in card_numbers_in(_text(value)):
                        yield f"{path.name} {table}: {number}"
    finally:
        conn.close()


def scan_file_bytes(path: Path) -> Iterator[str]:
    """The same for a file's bytes read as text (logs, NDJSON, JSON, the WAL of a database)."""
    for number in card_numbers_in(path.read_bytes().decode("latin-1")):
        yield f"{path}: {number}"


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, float) or value is None:
        # Floats are timestamps and durations here; their digits are not read as text. An
        # integer column is scanned: a PAN parsed as a number is still a PAN.
        return ""
    return str(value)
