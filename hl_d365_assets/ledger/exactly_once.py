"""Posting a business day's journals to D365, exactly once.

Each journal goes to D365 under a deterministic idempotency key in the header's ``Description``
(:class:`~hl_d365_assets.ledger.journal_key.IdempotencyKey`). Before creating, the poster asks
D365 for that key: a journal already there (a run that stopped after sending and before
recording) is adopted, a header without lines (one that stopped in between) gets its lines, and
only a key D365 has never seen is created. Posted journals are never edited: late data goes as
an adjustment journal (:mod:`hl_d365_assets.ledger.plan`).

Nothing is held across the HTTP calls: the plan is read from the warehouse, each attempt is
recorded in gl.postings (``sending``) before it leaves and its outcome after, in short writer
sessions. What D365 rejects as invalid is a dead letter (:mod:`hl_d365_assets.ledger.dead_letters`)
and the day's other journals still post. So is a journal whose entity sets the service does not
have, or that answers 404 for them (a service that is not D365, or one without the customer
payment journal entities): that kind of journal is parked with the service's answer and the
other journals, and the other days of the run, go on. Anything else that fails stops the day
and is raised.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date

import duckdb

from hl_d365_assets.d365.client import D365Api
from hl_d365_assets.d365.errors import D365Error, D365NotFoundError, D365ValidationError
from hl_d365_assets.ledger.d365_journals import (
    add_journal_lines,
    create_journal,
    headers_with_key,
    journal_lines,
)
from hl_d365_assets.ledger.dead_letters import dead_letter
from hl_d365_assets.ledger.payroll_journals import evaluate_payroll_journal_checks
from hl_d365_assets.ledger.plan import (
    DEFAULT_PAYROLL_JOURNAL_NAME,
    HeldJournal,
    PlannedCustomerPayments,
    PlannedJournal,
    plan_day,
)
from hl_d365_assets.warehouse import sql_file, transaction

logger = logging.getLogger(__name__)

Writer = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass
class DayReport:
    """What posting a day did, journal by journal (dicts: journal_key, key, lines, ...)."""

    business_date: date
    posted: list[dict] = field(default_factory=list)
    already_in_d365: list[dict] = field(default_factory=list)
    dead_lettered: list[dict] = field(default_factory=list)
    blocked: list[dict] = field(default_factory=list)
    """Journals held back by their checks: journal_key, failed_checks, lines, reasons."""

    @property
    def lines_posted(self) -> int:
        return sum(p["lines"] for p in self.posted)

    @property
    def lines_dead_lettered(self) -> int:
        return sum(p["lines"] for p in self.dead_lettered)

    def outcome_lines(self) -> list[str]:
        """One line per journal, for a console or a log."""
        day = self.business_date
        return [
            *(
                f"{day} {p['journal_key']}: D365 journal {p['journal_batch_number']} "
                f"({p['kind']}, {p['lines']} lines)"
                for p in self.posted + self.already_in_d365
            ),
            *(f"{day} {d['journal_key']}: rejected: {d['error']}" for d in self.dead_lettered),
            *(f"{day} {h['journal_key']}: held back: {h['failed_checks']}" for h in self.blocked),
        ]


def post_day(
    writer: Writer,
    api: D365Api,
    day: date,
    payroll_journal_name: str = DEFAULT_PAYROLL_JOURNAL_NAME,
) -> DayReport:
    """Post every postable journal of ``day`` that D365 does not hold yet (the day's journals
    and the pay runs whose check date it is); see the module doc."""
    report = DayReport(day)
    with writer() as conn:
        with transaction(conn):
            # Whether D365 holds a pay run's accounts and departments is judged on the newest
            # mapping validation, which a D365 pull since the journals were built may have changed.
            evaluate_payroll_journal_checks(conn, day, day)
        planned, held = plan_day(conn, day, payroll_journal_name)
        report.blocked = [journal.outcome() for journal in held]
        with transaction(conn):
            for journal in held:
                _record_attempt(conn, _held_attempt(journal))
    for journal in planned:
        attempt_id = uuid.uuid4().hex
        with writer() as conn, transaction(conn):
            _record_attempt(conn, _attempt(attempt_id, journal, "sending"))
        try:
            number, adopted = create_journal_once(api, journal)
        except (D365ValidationError, D365NotFoundError) as rejected:
            outcome = {"journal_key": journal.journal_key, "key": str(journal.idempotency_key),
                       "lines": journal.line_count, "error": str(rejected)}  # fmt: skip
            report.dead_lettered.append(outcome)
            with writer() as conn, transaction(conn):
                _finish_attempt(
                    conn, attempt_id, "dead_lettered", rejected.journal_batch_number, str(rejected)
                )
                dead_letter(conn, journal, rejected)
            continue
        except D365Error as failed:
            with writer() as conn, transaction(conn):
                _finish_attempt(conn, attempt_id, "failed", None, str(failed))
            raise
        with writer() as conn, transaction(conn):
            status = "already_in_d365" if adopted else "posted"
            _finish_attempt(conn, attempt_id, status, number, None)
            _record_posted_lines(conn, journal, number)
        outcome = {"journal_key": journal.journal_key, "key": str(journal.idempotency_key),
                   "journal_batch_number": number, "lines": journal.line_count,
                   "kind": journal.kind}  # fmt: skip
        (report.already_in_d365 if adopted else report.posted).append(outcome)
    return report


def create_journal_once(api: D365Api, journal: PlannedJournal) -> tuple[str, bool]:
    """Create the journal unless D365 already holds its key. Returns (batch number, adopted)."""
    key = str(journal.idempotency_key)
    kind = journal.journal_type
    lines = journal.d365_lines()
    found = headers_with_key(api, kind, journal.legal_entity, "Description", key)
    if len(found) > 1:
        raise D365Error(
            f"{len(found)} journals in {journal.legal_entity} carry the key {key!r}; "
            "expected at most one",
            entity_set=kind.header_set,
        )
    if found:
        number = str(found[0]["JournalBatchNumber"])
        held = journal_lines(api, kind, journal.legal_entity, number)
        if len(held) == len(lines):
            logger.info("journal %s already in D365 as %s", key, number)
            return number, True
        if held:
            raise D365Error(
                f"journal {number} ({journal.legal_entity}, key {key!r}) holds {len(held)} of "
                f"{len(lines)} lines; changesets are atomic, so this needs a look by hand",
                entity_set=kind.line_set,
            )
        logger.info("journal %s has a header but no lines in D365: adding them", number)
        add_journal_lines(api, kind, journal.legal_entity, number, lines)
        return number, True
    header = {
        "dataAreaId": journal.legal_entity,
        "JournalName": journal.journal_name,
        "Description": key,
    }
    created = create_journal(api, header, lines, kind=kind)
    return created.journal_batch_number, created.adopted


# -- bookkeeping: gl.postings, gl.posted_lines, gl.posted_customer_payments ------------------------


def _attempt(attempt_id: str, journal: PlannedJournal, status: str) -> dict:
    return {
        "attempt_id": attempt_id,
        "business_date": journal.business_date,
        "journal_key": journal.journal_key,
        "legal_entity": journal.legal_entity,
        "currency": journal.currency,
        "journal_kind": journal.kind,
        "sequence": journal.sequence,
        "idempotency_key": str(journal.idempotency_key),
        "lines": journal.line_count,
        "debit_total": journal.debit_total,
        "status": status,
        "detail": None,
    }


def _held_attempt(held: HeldJournal) -> dict:
    return {
        "attempt_id": uuid.uuid4().hex,
        "business_date": held.journal.business_date,
        "journal_key": str(held.journal),
        "legal_entity": held.journal.legal_entity,
        "currency": held.journal.currency,
        "journal_kind": None,
        "sequence": None,
        "idempotency_key": None,
        "lines": held.lines,
        "debit_total": None,
        "status": "blocked",
        "detail": f"blocking checks failed: {held.failed_checks} (see {held.checks_table})",
    }


def _record_attempt(conn: duckdb.DuckDBPyConnection, attempt: dict) -> None:
    conn.execute(sql_file("gl/record_posting_attempt.sql"), attempt).fetchall()


def _finish_attempt(
    conn: duckdb.DuckDBPyConnection,
    attempt_id: str,
    status: str,
    number: str | None,
    detail: str | None,
) -> None:
    conn.execute(
        sql_file("gl/finish_posting_attempt.sql"),
        {"status": status, "number": number, "detail": detail, "attempt_id": attempt_id},
    ).fetchall()


def _record_posted_lines(
    conn: duckdb.DuckDBPyConnection, journal: PlannedJournal, number: str
) -> None:
    key = str(journal.idempotency_key)
    if isinstance(journal, PlannedCustomerPayments):
        conn.executemany(
            sql_file("gl/record_posted_customer_payments.sql"),
            [
                (key, journal.business_date, journal.journal_key, p.transaction_id,
                 p.sales_order_number, p.customer_account, p.amount, number, index)
                for index, p in enumerate(journal.payments, start=1)
            ],
        )  # fmt: skip
        return
    conn.executemany(
        sql_file("gl/record_posted_lines.sql"),
        [
            (key, journal.business_date, journal.journal_key, journal.legal_entity,
             journal.currency, journal.sequence, number, index, line.line_key,
             line.account_display_value, line.amount)
            for index, line in enumerate(journal.lines, start=1)
        ],
    )  # fmt: skip
