"""Posting a business day's journals to D365, exactly once.

Each journal goes to D365 under a deterministic idempotency key in the header's
``Description`` (legal entity, day, currency, sequence, content hash). Before creating, the
poster asks D365 for that key: a journal already there (a run that stopped after sending and
before recording) is adopted, a header without lines (one that stopped in between) gets its
lines, and only a key D365 has never seen is created. Posted journals are never edited: when a
day's journal changes after posting (late data), the difference per account goes to D365 as an
adjustment journal under the next sequence number.

Nothing is held across the HTTP calls: the plan is read from the warehouse, each attempt is
recorded (``sending``) before it leaves and its outcome after, in short writer sessions.
What D365 rejects as invalid is a dead letter: ``ops.quarantine`` with D365's own error body, an
``ops.alerts`` row, and the day's other journals still post.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from hl_d365_assets.d365.client import (
    CUSTOMER_PAYMENT_JOURNAL,
    GENERAL_JOURNAL,
    D365Api,
    JournalKind,
    odata_literal,
)
from hl_d365_assets.d365.errors import D365Error, D365ValidationError
from hl_d365_assets.warehouse import run_script, sql_file, transaction

logger = logging.getLogger(__name__)

JOURNAL_NAME = "GenJrn"
"""The D365 journal name (template) the daily journals are created under."""
PAYMENT_JOURNAL_NAME = "CustPay"
"""The D365 journal name the customer payment journals are created under."""
CENT = Decimal("0.01")

Writer = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass(frozen=True)
class PlannedLine:
    line_key: str | None
    account_display_value: str
    currency: str
    amount: Decimal
    text: str


@dataclass
class PlannedJournal:
    """One journal (or adjustment) to create in D365."""

    business_date: date
    journal_key: str
    legal_entity: str
    currency: str
    base_currency: str
    fx_rate: Decimal
    sequence: int
    lines: list[PlannedLine]
    rounding_account: str
    idempotency_key: str = ""
    journal_type: JournalKind = GENERAL_JOURNAL
    journal_name: str = JOURNAL_NAME
    key_tag: str = ""

    @property
    def kind(self) -> str:
        return "daily" if self.sequence == 0 else "adjustment"

    def d365_lines(self) -> list[dict]:
        """The lines as D365 takes them: transaction-currency amounts with the day's rate, and
        the base-currency rounding that D365's per-line conversion leaves, so the voucher
        balances in accounting currency."""
        voucher = f"HL{self.business_date:%y%m%d}{self.currency}{self.sequence}"
        trans_date = f"{self.business_date.isoformat()}T12:00:00Z"
        rate = self.fx_rate * 100
        lines = [
            _line(line.account_display_value, line.amount, line.currency, rate, line.text)
            for line in self.lines
        ]
        rounding = -sum((_base(line.amount, self.fx_rate) for line in self.lines), Decimal(0))
        if rounding:
            lines.append(
                _line(
                    self.rounding_account,
                    rounding,
                    self.base_currency,
                    Decimal(100),
                    f"Currency rounding {self.business_date}",
                )
            )
        return [{**line, "TransDate": trans_date, "Voucher": voucher} for line in lines]


@dataclass(frozen=True)
class PlannedPayment:
    transaction_id: str
    sales_order_number: str
    customer_account: str
    amount: Decimal
    """Credited to the customer; negative reverses an earlier payment."""
    offset_account: str


@dataclass
class PlannedCustomerPayments(PlannedJournal):
    """A customer payment journal: each card payment of a D365 sales order credited to the
    order's customer, offset against customer payments to apply (where the day's general
    journal put the card money)."""

    payments: list[PlannedPayment] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.journal_type = CUSTOMER_PAYMENT_JOURNAL
        self.journal_name = PAYMENT_JOURNAL_NAME
        self.key_tag = "CP"

    @property
    def kind(self) -> str:
        return "customer_payments" if self.sequence == 0 else "customer_payments_adjustment"

    def d365_lines(self) -> list[dict]:
        trans_date = f"{self.business_date.isoformat()}T12:00:00Z"
        return [
            {
                "AccountType": "Cust",
                "AccountDisplayValue": payment.customer_account.replace("-", "\\-"),
                "CreditAmount": payment.amount if payment.amount > 0 else Decimal(0),
                "DebitAmount": -payment.amount if payment.amount < 0 else Decimal(0),
                "CurrencyCode": self.currency,
                "ExchangeRate": self.fx_rate * 100,
                "TransactionDate": trans_date,
                "TransactionText": f"Heartland {payment.transaction_id}"[:60],
                "PaymentReference": payment.sales_order_number,
                "OffsetAccountType": "Ledger",
                "OffsetAccountDisplayValue": payment.offset_account,
            }
            for payment in self.payments
        ]


@dataclass
class DayReport:
    business_date: date
    posted: list[dict] = field(default_factory=list)
    already_in_d365: list[dict] = field(default_factory=list)
    dead_lettered: list[dict] = field(default_factory=list)
    blocked: list[dict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def lines_posted(self) -> int:
        return sum(p["lines"] for p in self.posted)

    @property
    def lines_dead_lettered(self) -> int:
        return sum(p["lines"] for p in self.dead_lettered)


def _line(account: str, amount: Decimal, currency: str, rate: Decimal, text: str) -> dict:
    return {
        "AccountType": "Ledger",
        "AccountDisplayValue": account,
        "DebitAmount": amount if amount > 0 else Decimal(0),
        "CreditAmount": -amount if amount < 0 else Decimal(0),
        "CurrencyCode": currency,
        "ExchRate": rate,
        "Text": text[:60],
    }


def _base(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def idempotency_key(journal: PlannedJournal) -> str:
    """Deterministic: the same plan always gets the same key, so a re-run finds its journal.

    ≤ 60 characters (D365's Description); D365 compares strings without case, so the hash is
    lower-case hex and nothing else varies by case.
    """
    content = json.dumps(
        [
            journal.legal_entity,
            journal.business_date.isoformat(),
            journal.currency,
            journal.sequence,
            str(journal.fx_rate),
            sorted((line.account_display_value, str(line.amount)) for line in journal.lines),
            sorted((p.transaction_id, str(p.amount)) for p in getattr(journal, "payments", [])),
        ]
    )
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return (
        f"HLD365 {journal.legal_entity} {journal.business_date.isoformat()} "
        f"{journal.currency} {journal.key_tag}#{journal.sequence} {digest}"
    )


def plan_day(conn: duckdb.DuckDBPyConnection, day: date) -> tuple[list[PlannedJournal], list[dict]]:
    """What to send for the day: per journal whose blocking checks passed, the difference per
    account between the journal now and everything already posted for it. Also the journals
    held back by their checks."""
    window = {"day": day}
    blocked = [
        {"journal_key": key, "failed_checks": failed, "lines": lines}
        for key, failed, lines in conn.execute(
            "SELECT journal_key, failed_checks, lines_to_post FROM gl.journals "
            "WHERE business_date = $day AND NOT coalesce(checks_passed, false) ORDER BY 1",
            window,
        ).fetchall()
    ]
    missing = [
        value
        for (value,) in conn.execute(
            "SELECT kind || ' ' || coalesce(dimension || '=', '') || value "
            "FROM ops.d365_mapping_validation WHERE NOT exists_in_d365 ORDER BY 1"
        ).fetchall()
    ]
    if missing:
        # The mapping posts to something D365 lacks (the mappings_exist_in_d365 check, as last
        # run): nothing of the day goes until it validates.
        held = ", ".join(missing[:10])
        return [], blocked + [
            {
                "journal_key": key,
                "failed_checks": f"mappings_exist_in_d365 (not in D365: {held})",
                "lines": lines,
            }
            for key, lines in conn.execute(
                "SELECT journal_key, lines_to_post FROM gl.journals WHERE business_date = $day "
                "AND coalesce(checks_passed, false) ORDER BY 1",
                window,
            ).fetchall()
        ]
    rows = conn.execute(sql_file("gl/plan_postings.sql"), window).fetchall()
    [(rounding_account,)] = conn.execute(
        sql_file("gl/rounding_account.sql"), window
    ).fetchall() or [("",)]
    by_journal: dict[str, PlannedJournal] = {}
    for key, entity, currency, base, rate, sequence, line_key, account, delta, text in rows:
        journal = by_journal.get(key)
        if journal is None:
            journal = by_journal[key] = PlannedJournal(
                day, key, entity, currency, base, rate, sequence, [], rounding_account
            )
        journal.lines.append(PlannedLine(line_key, account, currency, delta, text))
    planned = list(by_journal.values())
    payments: dict[str, PlannedCustomerPayments] = {}
    for (
        key,
        entity,
        currency,
        rate,
        sequence,
        transaction_id,
        order,
        customer,
        amount,
        offset,
    ) in conn.execute(sql_file("gl/plan_customer_payments.sql"), window).fetchall():
        journal = payments.get(key)
        if journal is None:
            journal = payments[key] = PlannedCustomerPayments(
                day, key, entity, currency, "", rate, sequence, [], rounding_account
            )
        journal.payments.append(PlannedPayment(transaction_id, order, customer, amount, offset))
    planned += payments.values()
    for journal in planned:
        journal.idempotency_key = idempotency_key(journal)
    return planned, blocked


def post_day(writer: Writer, api: D365Api, day: date) -> DayReport:
    """Post every postable journal of ``day`` that D365 does not hold yet; see the module doc."""
    report = DayReport(day)
    with writer() as conn:
        planned, report.blocked = plan_day(conn, day)
        with transaction(conn):
            for held in report.blocked:
                _record_attempt(conn, _held_attempt(day, held))
    for journal in planned:
        attempt_id = uuid.uuid4().hex
        with writer() as conn, transaction(conn):
            _record_attempt(conn, _attempt(attempt_id, journal, "sending"))
        try:
            number, adopted = create_journal_once(api, journal)
        except D365ValidationError as rejected:
            outcome = {"journal_key": journal.journal_key, "key": journal.idempotency_key,
                       "lines": _line_count(journal), "error": str(rejected)}  # fmt: skip
            report.dead_lettered.append(outcome)
            with writer() as conn, transaction(conn):
                _finish_attempt(
                    conn, attempt_id, "dead_lettered", rejected.journal_batch_number, str(rejected)
                )
                _dead_letter(conn, journal, rejected)
            continue
        except D365Error as failed:
            with writer() as conn, transaction(conn):
                _finish_attempt(conn, attempt_id, "failed", None, str(failed))
            raise
        with writer() as conn, transaction(conn):
            status = "already_in_d365" if adopted else "posted"
            _finish_attempt(conn, attempt_id, status, number, None)
            _record_posted_lines(conn, journal, number)
        outcome = {"journal_key": journal.journal_key, "key": journal.idempotency_key,
                   "journal_batch_number": number, "lines": _line_count(journal),
                   "kind": journal.kind}  # fmt: skip
        (report.already_in_d365 if adopted else report.posted).append(outcome)
    return report


def create_journal_once(api: D365Api, journal: PlannedJournal) -> tuple[str, bool]:
    """Create the journal unless D365 already holds its key. Returns (batch number, adopted)."""
    lines = journal.d365_lines()
    found = api.read_all(
        journal.journal_type.header_set,
        filter=f"Description eq {odata_literal(journal.idempotency_key)}",
        legal_entity=journal.legal_entity,
    )
    if len(found) > 1:
        raise D365Error(
            f"{len(found)} journals in {journal.legal_entity} carry the key "
            f"{journal.idempotency_key!r}; expected at most one",
            entity_set=journal.journal_type.header_set,
        )
    if found:
        number = str(found[0]["JournalBatchNumber"])
        held = api.journal_lines(journal.journal_type, journal.legal_entity, number)
        if len(held) == len(lines):
            logger.info("journal %s already in D365 as %s", journal.idempotency_key, number)
            return number, True
        if held:
            raise D365Error(
                f"journal {number} ({journal.legal_entity}, key {journal.idempotency_key!r}) "
                f"holds {len(held)} of {len(lines)} lines; changesets are atomic, so this needs "
                "a look by hand",
                entity_set=journal.journal_type.line_set,
            )
        logger.info("journal %s has a header but no lines in D365: adding them", number)
        api.add_journal_lines(journal.journal_type, journal.legal_entity, number, lines)
        return number, True
    header = {
        "dataAreaId": journal.legal_entity,
        "JournalName": journal.journal_name,
        "Description": journal.idempotency_key,
    }
    created = api.create_journal(header, lines, kind=journal.journal_type)
    return created.journal_batch_number, created.adopted


def _line_count(journal: PlannedJournal) -> int:
    return (
        len(journal.payments)
        if isinstance(journal, PlannedCustomerPayments)
        else len(journal.lines)
    )


def _attempt(attempt_id: str, journal: PlannedJournal, status: str) -> dict:
    return {
        "attempt_id": attempt_id,
        "business_date": journal.business_date,
        "journal_key": journal.journal_key,
        "legal_entity": journal.legal_entity,
        "currency": journal.currency,
        "journal_kind": journal.kind,
        "sequence": journal.sequence,
        "idempotency_key": journal.idempotency_key,
        "lines": _line_count(journal),
        "debit_total": sum((line.amount for line in journal.lines if line.amount > 0), Decimal(0))
        if not isinstance(journal, PlannedCustomerPayments)
        else sum((p.amount for p in journal.payments if p.amount > 0), Decimal(0)),
        "status": status,
        "detail": None,
    }


def _held_attempt(day: date, held: dict) -> dict:
    return {
        "attempt_id": uuid.uuid4().hex,
        "business_date": day,
        "journal_key": held["journal_key"],
        "legal_entity": held["journal_key"].split("-")[0],
        "currency": held["journal_key"].rsplit("-", 1)[-1],
        "journal_kind": None,
        "sequence": None,
        "idempotency_key": None,
        "lines": held["lines"],
        "debit_total": None,
        "status": "blocked",
        "detail": f"blocking checks failed: {held['failed_checks']} (see gl.journal_checks)",
    }


def _record_attempt(conn: duckdb.DuckDBPyConnection, attempt: dict) -> None:
    conn.execute(
        "INSERT INTO gl.postings (attempt_id, business_date, journal_key, legal_entity, currency, "
        "journal_kind, sequence, idempotency_key, lines, debit_total, status, started_at, "
        "finished_at, detail) VALUES ($attempt_id, $business_date, $journal_key, $legal_entity, "
        "$currency, $journal_kind, $sequence, $idempotency_key, $lines, $debit_total, $status, "
        "now(), CASE WHEN $status = 'blocked' THEN now() END, $detail)",
        attempt,
    ).fetchall()


def _finish_attempt(
    conn: duckdb.DuckDBPyConnection,
    attempt_id: str,
    status: str,
    number: str | None,
    detail: str | None,
) -> None:
    conn.execute(
        "UPDATE gl.postings SET status = $status, d365_journal_batch_number = $number, "
        "finished_at = now(), detail = $detail WHERE attempt_id = $id",
        {"status": status, "number": number, "detail": detail, "id": attempt_id},
    ).fetchall()


def _record_posted_lines(
    conn: duckdb.DuckDBPyConnection, journal: PlannedJournal, number: str
) -> None:
    if isinstance(journal, PlannedCustomerPayments):
        conn.executemany(
            "INSERT INTO gl.posted_customer_payments (idempotency_key, business_date, journal_key, "
            "transaction_id, sales_order_number, customer_account, amount, "
            "d365_journal_batch_number, d365_line_number, posted_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [
                (
                    journal.idempotency_key,
                    journal.business_date,
                    journal.journal_key,
                    p.transaction_id,
                    p.sales_order_number,
                    p.customer_account,
                    p.amount,
                    number,
                    index,
                )
                for index, p in enumerate(journal.payments, start=1)
            ],
        )
        return
    conn.executemany(
        "INSERT INTO gl.posted_lines (idempotency_key, business_date, journal_key, legal_entity, "
        "currency, sequence, d365_journal_batch_number, d365_line_number, line_key, "
        "account_display_value, amount, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [
            (
                journal.idempotency_key,
                journal.business_date,
                journal.journal_key,
                journal.legal_entity,
                journal.currency,
                journal.sequence,
                number,
                index,
                line.line_key,
                line.account_display_value,
                line.amount,
            )
            for index, line in enumerate(journal.lines, start=1)
        ],
    )


def _dead_letter(
    conn: duckdb.DuckDBPyConnection, journal: PlannedJournal, rejected: D365ValidationError
) -> None:
    body = (rejected.body or str(rejected))[:4096]
    conn.execute(
        "INSERT INTO ops.quarantine (source, entity, business_date, segment_path, line_number, "
        "event_id, reason_code, reason_detail, masked_payload, payload_bytes, quarantined_at) "
        "VALUES ('d365', $entity, $day, $path, $line, NULL, 'd365_rejected', $detail, "
        "$body, $bytes, now()) ON CONFLICT (segment_path, line_number) DO UPDATE SET "
        "reason_detail = excluded.reason_detail, masked_payload = excluded.masked_payload, "
        "payload_bytes = excluded.payload_bytes, quarantined_at = excluded.quarantined_at",
        {
            "day": journal.business_date,
            "entity": journal.journal_type.line_set,
            "path": f"d365://{journal.legal_entity}/{journal.journal_type.header_set}/"
            f"{journal.idempotency_key}",
            "line": int(getattr(rejected, "line_number", None) or 0),
            "detail": f"D365 rejected journal {journal.journal_key} (key {journal.idempotency_key}, "
            f"{_line_count(journal)} lines): {rejected}",
            "body": body,
            "bytes": len(body.encode()),
        },
    ).fetchall()
    conn.execute(
        "INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message) "
        "VALUES ($id, now(), 'high', 'd365_rejected', $day, $message) ON CONFLICT DO NOTHING",
        {
            "id": "ALR_D365_"
            + hashlib.sha256(journal.idempotency_key.encode()).hexdigest()[:16].upper(),
            "day": journal.business_date,
            "message": f"D365 rejected journal {journal.journal_key}: {rejected}. Fix the mapping, "
            "re-materialise the day and post again; only what is missing is posted.",
        },
    ).fetchall()


def read_back_day(writer: Writer, api: D365Api, day: date) -> dict[str, int]:
    """Read the day's journals back from D365 (every header under our key prefix, so one D365
    holds twice or we never recorded shows too) and compare them per account with
    gl.journal_lines into recon.gl_vs_d365; differences become recon.exceptions."""
    with writer() as conn:
        entities = [
            entity
            for (entity,) in conn.execute(
                "SELECT DISTINCT legal_entity FROM gl.journals WHERE business_date = $day "
                "UNION SELECT DISTINCT legal_entity FROM gl.posted_lines WHERE business_date = $day",
                {"day": day},
            ).fetchall()
        ]
    lines: list[tuple] = []
    duplicates: list[tuple] = []
    headers_read = 0
    for entity in entities:
        prefix = f"HLD365 {entity} {day.isoformat()} "
        # General journals by account display value; customer payment journals by customer
        # ("Cust US-024"), compared with gl.customer_payments.
        for kind, account_of in (
            (GENERAL_JOURNAL, lambda line: str(line["AccountDisplayValue"])),
            (
                CUSTOMER_PAYMENT_JOURNAL,
                lambda line: "Cust " + str(line["AccountDisplayValue"]).replace("\\-", "-"),
            ),
        ):
            headers = api.read_all(
                kind.header_set,
                filter=f"Description eq {odata_literal(prefix + '*')}",
                legal_entity=entity,
            )
            headers_read += len(headers)
            by_key: dict[str, list[str]] = {}
            for header in headers:
                key = str(header["Description"])
                number = str(header["JournalBatchNumber"])
                by_key.setdefault(key.lower(), []).append(number)
                journal_key = f"{entity}-{day.isoformat()}-{key.split(' ')[3]}"
                for line in api.journal_lines(kind, entity, number):
                    lines.append(
                        (
                            journal_key,
                            number,
                            int(line["LineNumber"]),
                            account_of(line),
                            str(line["CurrencyCode"]),
                            Decimal(str(line.get("DebitAmount") or 0)),
                            Decimal(str(line.get("CreditAmount") or 0)),
                        )
                    )
            duplicates += [
                (key, len(numbers), ", ".join(sorted(numbers)))
                for key, numbers in by_key.items()
                if len(numbers) > 1
            ]
    with writer() as conn, transaction(conn):
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE d365_read_lines (journal_key VARCHAR, "
            "journal_batch_number VARCHAR, line_number BIGINT, account_display_value VARCHAR, "
            "currency VARCHAR, debit DECIMAL(18, 2), credit DECIMAL(18, 2))"
        ).fetchall()
        if lines:
            conn.executemany("INSERT INTO d365_read_lines VALUES (?, ?, ?, ?, ?, ?, ?)", lines)
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE d365_duplicate_keys (idempotency_key VARCHAR, "
            "journals BIGINT, numbers VARCHAR)"
        ).fetchall()
        if duplicates:
            conn.executemany("INSERT INTO d365_duplicate_keys VALUES (?, ?, ?)", duplicates)
        run_script(conn, sql_file("recon/compare_gl_vs_d365.sql"), {"day": day})
        run_script(conn, sql_file("recon/record_gl_exceptions.sql"), {"day": day})
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM recon.gl_vs_d365 WHERE business_date = $day GROUP BY 1",
                {"day": day},
            ).fetchall()
        )
        conn.execute("DROP TABLE d365_read_lines").fetchall()
        conn.execute("DROP TABLE d365_duplicate_keys").fetchall()
    return {
        "journals_read": headers_read,
        "lines_read": len(lines),
        "duplicate_keys": len(duplicates),
        **statuses,
    }


def post_days(days: list[date]) -> int:
    """`hl-d365 post --day …`: post with the configured resources (sandbox simulator unless
    D365_CLIENT_SECRET is set), outside Dagster. Prints one line per journal."""
    from hl_d365_assets.defs.resources import build_resources
    from hl_d365_assets.settings import load_settings

    resources = build_resources(load_settings())
    warehouse = resources["warehouse"]
    d365 = resources["d365"].process_config_and_initialize()
    with d365.open() as api:
        for day in days:
            report = post_day(warehouse.writer, api, day)
            for outcome in report.posted + report.already_in_d365:
                print(
                    f"{day} {outcome['journal_key']}: D365 journal {outcome['journal_batch_number']}"
                    f" ({outcome['kind']}, {outcome['lines']} lines)",
                    flush=True,
                )
            for outcome in report.dead_lettered:
                print(f"{day} {outcome['journal_key']}: rejected: {outcome['error']}", flush=True)
            for held in report.blocked:
                print(
                    f"{day} {held['journal_key']}: held back: {held['failed_checks']}", flush=True
                )
    return 0
