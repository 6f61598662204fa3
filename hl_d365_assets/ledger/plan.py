"""What to send to D365 for a business day, and what its checks hold back.

Per journal whose blocking checks passed: the difference per account between the journal now
and everything already posted for it (sql/gl/plan_postings.sql), so the first posting is the
day's journal (sequence 0) and late data goes as an adjustment under the next sequence; and the
card payments of D365 sales orders as a customer payment journal. Each pay run of the day (its
check date) is a journal of its own in the same way (sql/gl/plan_payroll_postings.sql), held or
sent on its own checks: a held pay run never holds the day's sales journals, nor they it.
Nothing here talks to D365.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

import duckdb

from hl_d365_assets.ledger.d365_journals import (
    CUSTOMER_PAYMENT_JOURNAL,
    GENERAL_JOURNAL,
    JournalKind,
)
from hl_d365_assets.ledger.journal_key import (
    CUSTOMER_PAYMENTS_TAG,
    GENERAL_TAG,
    IdempotencyKey,
    JournalKey,
)
from hl_d365_assets.warehouse import sql_file

JOURNAL_NAME = "GenJrn"
"""The D365 journal name (template) the daily journals are created under."""
PAYMENT_JOURNAL_NAME = "CustPay"
"""The D365 journal name the customer payment journals are created under."""
DEFAULT_PAYROLL_JOURNAL_NAME = "PayrollJrn"
"""The D365 journal name pay runs are created under unless configured
(``HL_D365_PAYROLL_JOURNAL_NAME``, :mod:`hl_d365_assets.settings`)."""
CENT = Decimal("0.01")
MISSING_SHOWN = 10
"""How many of the mapping values D365 lacks a held journal names."""


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

    journal: JournalKey
    base_currency: str
    fx_rate: Decimal
    sequence: int
    lines: list[PlannedLine]
    rounding_account: str
    journal_type: JournalKind = GENERAL_JOURNAL
    journal_name: str = JOURNAL_NAME
    key_tag: str = GENERAL_TAG

    @property
    def business_date(self) -> date:
        return self.journal.business_date

    @property
    def legal_entity(self) -> str:
        return self.journal.legal_entity

    @property
    def currency(self) -> str:
        return self.journal.currency

    @property
    def journal_key(self) -> str:
        return str(self.journal)

    @property
    def kind(self) -> str:
        return "daily" if self.sequence == 0 else "adjustment"

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def debit_total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount > 0), Decimal(0))

    @cached_property
    def idempotency_key(self) -> IdempotencyKey:
        """From the journal's content, so a re-run of the same plan finds its journal in D365
        and a changed plan gets a key of its own. Computed once the lines are complete."""
        return IdempotencyKey.for_content(
            self.journal, self.sequence, self._content(), self.key_tag
        )

    def _content(self) -> list:
        return [
            self.legal_entity,
            self.business_date.isoformat(),
            self.currency,
            self.sequence,
            str(self.fx_rate),
            sorted((line.account_display_value, str(line.amount)) for line in self.lines),
            [],
        ]

    @property
    def voucher(self) -> str:
        return f"HL{self.business_date:%y%m%d}{self.currency}{self.sequence}"

    def d365_lines(self) -> list[dict]:
        """The lines as D365 takes them: transaction-currency amounts with the day's rate, and
        the base-currency rounding that D365's per-line conversion leaves, so the voucher
        balances in accounting currency."""
        voucher = self.voucher
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
        self.key_tag = CUSTOMER_PAYMENTS_TAG

    @property
    def kind(self) -> str:
        return "customer_payments" if self.sequence == 0 else "customer_payments_adjustment"

    @property
    def line_count(self) -> int:
        return len(self.payments)

    @property
    def debit_total(self) -> Decimal:
        return sum((p.amount for p in self.payments if p.amount > 0), Decimal(0))

    def _content(self) -> list:
        return [
            *super()._content()[:-1],
            sorted((p.transaction_id, str(p.amount)) for p in self.payments),
        ]

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
                "TransactionText": f"{payment.sales_order_number} Heartland card payment"[:60],
                # The GP transaction, as d365-entities-wave2.md §4 says: one id per payment,
                # what the read-back and a person in D365 find the payment by.
                "PaymentReference": payment.transaction_id,
                "OffsetAccountType": "Ledger",
                "OffsetAccountDisplayValue": payment.offset_account,
            }
            for payment in self.payments
        ]


@dataclass
class PlannedPayrollJournal(PlannedJournal):
    """A pay run's journal in one legal entity, dated its check date: a general journal under
    the configured payroll journal name, keyed by the run's tag (``… USD P1a2b3c4d#0 …``)."""

    def __post_init__(self) -> None:
        self.key_tag = self.journal.pay_run

    @property
    def kind(self) -> str:
        return "payroll" if self.sequence == 0 else "payroll_adjustment"

    @property
    def voucher(self) -> str:
        # Its own voucher: a pay run is not part of the day's sales voucher.
        return f"HP{self.business_date:%y%m%d}{self.journal.pay_run[1:7].upper()}{self.sequence}"


@dataclass(frozen=True)
class HeldJournal:
    """A journal of the day that is not sent: its blocking checks failed (or the GL mapping
    names something D365 lacks)."""

    journal: JournalKey
    failed_checks: str
    """The failing checks' names, as gl.journals lists them."""
    lines: int
    reasons: str
    """Each failing check with its detail from gl.journal_checks: why the journal is held."""
    checks_table: str = "gl.journal_checks"
    """Where the checks' outcome is (gl.payroll_journals for a pay run)."""

    def outcome(self) -> dict:
        return {
            "journal_key": str(self.journal),
            "failed_checks": self.failed_checks,
            "lines": self.lines,
            "reasons": self.reasons,
        }


def plan_day(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    payroll_journal_name: str = DEFAULT_PAYROLL_JOURNAL_NAME,
) -> tuple[list[PlannedJournal], list[HeldJournal]]:
    """What to send for the day, and the journals held back by their checks."""
    planned, held = _plan_daily_journals(conn, day)
    payroll, payroll_held = _plan_payroll_journals(conn, day, payroll_journal_name)
    return [*planned, *payroll], held + payroll_held


def _plan_daily_journals(
    conn: duckdb.DuckDBPyConnection, day: date
) -> tuple[list[PlannedJournal], list[HeldJournal]]:
    window = {"day": day}
    held = [
        HeldJournal(JournalKey(entity, day, currency), failed, lines, reasons or "")
        for _, entity, currency, failed, lines, reasons in conn.execute(
            sql_file("gl/list_held_journals.sql"), window
        ).fetchall()
    ]
    missing = [
        value
        for (value,) in conn.execute(sql_file("ops/list_mappings_missing_in_d365.sql")).fetchall()
    ]
    if missing:
        # The mapping posts to something D365 lacks (the mappings_exist_in_d365 check, as last
        # run): nothing of the day goes until it validates.
        check = f"mappings_exist_in_d365 (not in D365: {', '.join(missing[:MISSING_SHOWN])})"
        return [], held + [
            HeldJournal(JournalKey(entity, day, currency), check, lines, check)
            for _, entity, currency, lines in conn.execute(
                sql_file("gl/list_ready_journals.sql"), window
            ).fetchall()
        ]
    [(rounding_account,)] = conn.execute(
        sql_file("gl/rounding_account.sql"), window
    ).fetchall() or [("",)]
    journals: dict[str, PlannedJournal] = {}
    for key, entity, currency, base, rate, sequence, line_key, account, delta, text in conn.execute(
        sql_file("gl/plan_postings.sql"), window
    ).fetchall():
        journal = journals.get(key)
        if journal is None:
            journal = journals[key] = PlannedJournal(
                JournalKey(entity, day, currency), base, rate, sequence, [], rounding_account
            )
        journal.lines.append(PlannedLine(line_key, account, currency, delta, text))
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
                JournalKey(entity, day, currency), "", rate, sequence, [], rounding_account
            )
        journal.payments.append(PlannedPayment(transaction_id, order, customer, amount, offset))
    return [*journals.values(), *payments.values()], held


def _plan_payroll_journals(
    conn: duckdb.DuckDBPyConnection, day: date, journal_name: str
) -> tuple[list[PlannedJournal], list[HeldJournal]]:
    """The pay runs of check date ``day``: each journal on its own checks (gl.payroll_journals,
    which include whether D365 holds every account and department it posts to)."""
    window = {"day": day}
    held = [
        HeldJournal(JournalKey.parse(key), failed, lines, reasons or "", "gl.payroll_journals")
        for key, failed, lines, reasons in conn.execute(
            sql_file("gl/list_held_payroll_journals.sql"), window
        ).fetchall()
    ]
    [(rounding_account,)] = conn.execute(
        sql_file("gl/rounding_account.sql"), window
    ).fetchall() or [("",)]
    journals: dict[str, PlannedJournal] = {}
    for key, base, rate, sequence, line_key, account, delta, text in conn.execute(
        sql_file("gl/plan_payroll_postings.sql"), window
    ).fetchall():
        journal = journals.get(key)
        if journal is None:
            parsed = JournalKey.parse(key)
            journal = journals[key] = PlannedPayrollJournal(
                parsed, base, rate, sequence, [], rounding_account, journal_name=journal_name
            )
        journal.lines.append(PlannedLine(line_key, account, journal.currency, delta, text))
    return list(journals.values()), held


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
