"""The Python face of the project's one scanner: card numbers (PCI DSS) and employee data.

The rules (what counts as a card number, how it is masked) live only in
``sql/macros/card_numbers.sql``, and those for employee data (US SSNs, ABA routing numbers, bank
account numbers, dates of birth; issue 17) only in ``sql/macros/personal_numbers.sql``. The warehouse runs it set-based over whole tables; this module
runs the very same macros on a private in-memory DuckDB connection for single strings (log lines,
alert texts, error bodies), so the two can never disagree about what a PAN is.

Nothing here hands out a raw PAN: callers get masked numbers (first six, last four) or booleans.
"""

from __future__ import annotations

import logging
import os
import re
import threading

import duckdb

from hl_d365_assets.package_files import package_folder

CARD_NUMBER_MACROS = package_folder("hl_d365_assets.sql", "macros") / "card_numbers.sql"
PERSONAL_DATA_MACROS = package_folder("hl_d365_assets.sql", "macros") / "personal_numbers.sql"


def install_macros(conn: duckdb.DuckDBPyConnection) -> None:
    """Make the scanner's macros callable in SQL on ``conn``.

    Idempotent (``CREATE OR REPLACE``), so the warehouse can call it on every connection it opens
    and always gets the macro file as it is in this checkout.
    """
    conn.execute(CARD_NUMBER_MACROS.read_text(encoding="utf-8")).fetchall()
    conn.execute(PERSONAL_DATA_MACROS.read_text(encoding="utf-8")).fetchall()


class _PrivateScanner:
    """One in-memory connection, opened on first use, behind a lock.

    A DuckDB connection must not run two statements at once, and scanning is called from any
    thread (the run's executor, the webhook receiver, logging handlers). The connection is reopened
    in a forked child, since a connection inherited across ``fork`` is not usable.

    Binding the macros costs milliseconds per statement, too much for every log record, so text
    that fails the macro file's own candidate pattern (no 13-digit run starting outside a word) is
    answered without DuckDB. That pattern is only a necessary condition: whether a candidate is a
    card number is always decided by the macros.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._candidate: re.Pattern[str] | None = None
        self._personal_candidate: re.Pattern[str] | None = None
        self._pid = os.getpid()

    def may_hold_card_number(self, text: str) -> bool:
        return self._open()[1].search(text) is not None

    def may_hold_personal_data(self, text: str) -> bool:
        self._open()
        assert self._personal_candidate is not None
        return self._personal_candidate.search(text) is not None

    def scalar(self, sql: str, text: str):
        conn, _ = self._open()
        with self._lock:
            return conn.execute(sql, [text]).fetchall()[0][0]

    def _open(self) -> tuple[duckdb.DuckDBPyConnection, re.Pattern[str]]:
        if self._pid != os.getpid():
            self._lock, self._conn, self._pid = threading.Lock(), None, os.getpid()
        conn, candidate = self._conn, self._candidate
        if conn is None or candidate is None:
            with self._lock:
                if self._conn is None or self._candidate is None:
                    opened = duckdb.connect(":memory:")
                    install_macros(opened)
                    pattern = opened.execute("SELECT card_number_candidate_pattern()").fetchall()
                    self._candidate = re.compile(pattern[0][0])
                    personal = opened.execute("SELECT personal_data_candidate_pattern()").fetchall()
                    self._personal_candidate = re.compile(personal[0][0])
                    self._conn = opened
                conn, candidate = self._conn, self._candidate
        return conn, candidate


_scanner = _PrivateScanner()


def find_card_numbers(text: str) -> list[str]:
    """The card numbers in ``text``, masked, in order of appearance.

    Masked because the only legitimate uses (audit entries, alerts, quarantine reasons) must not
    hold a PAN either; the raw matches never leave DuckDB.
    """
    if not _scanner.may_hold_card_number(text):
        return []
    return _scanner.scalar(
        "SELECT list_transform(card_numbers(CAST(? AS VARCHAR)), lambda run: card_number_masked(run))",
        text,
    )


def contains_card_number(text: str) -> bool:
    if not _scanner.may_hold_card_number(text):
        return False
    return _scanner.scalar("SELECT has_card_number(CAST(? AS VARCHAR))", text)


def mask_card_numbers(text: str) -> str:
    """``text`` with each card number replaced by first6 + X… + last4, everything else untouched."""
    if not _scanner.may_hold_card_number(text):
        return text
    return _scanner.scalar("SELECT mask_card_numbers(CAST(? AS VARCHAR))", text)


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """The employee data in ``text`` as (kind, masked value): kind is ``ssn``,
    ``routing_number``, ``bank_account`` or ``date_of_birth``; the value masked (``XXX-XX-1234``).
    """
    if not _scanner.may_hold_personal_data(text):
        return []
    found = _scanner.scalar("SELECT personal_data_found(CAST(? AS VARCHAR))", text)
    return [(f["kind"], f["masked"]) for f in found]


def personal_data_problem(text: str) -> str | None:
    """The quarantine reason the raw layer gives ``text`` (``ssn_detected: …``), or None."""
    if not _scanner.may_hold_personal_data(text):
        return None
    return _scanner.scalar("SELECT personal_data_screen_problem(CAST(? AS VARCHAR))", text)


def mask_personal_data(text: str) -> str:
    """``text`` with each SSN, routing and account number and date of birth masked."""
    if not _scanner.may_hold_personal_data(text):
        return text
    return _scanner.scalar("SELECT mask_personal_data(CAST(? AS VARCHAR))", text)


def mask_sensitive(text: str) -> str:
    """Card numbers and employee data masked: what may be written to a log."""
    return mask_personal_data(mask_card_numbers(text))


class CardNumberRedactingFilter(logging.Filter):
    """Masks card numbers and employee data (SSNs, routing and bank account numbers, dates of
    birth) in a record before any handler formats it, so no log holds one.

    Attach it to handlers rather than loggers: a logger's filters never see records propagated up
    from child loggers, a handler's filters see every record it is about to write. The traceback
    and stack text are masked too, since an exception message can quote the offending input.
    Records are always let through; dropping them would hide that something went wrong.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # The formatter would fail the same way and logging would then print msg and args
            # raw to stderr; a masked best effort keeps the PAN out of that path too.
            message = f"{record.msg} (unformattable arguments: {record.args!r})"
            record.msg, record.args = message, None
        masked = mask_sensitive(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Formatter.format reuses a cached exc_text instead of re-rendering exc_info, so
            # masking the cache is what keeps the traceback clean.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_sensitive(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_sensitive(record.stack_info)
        return True
