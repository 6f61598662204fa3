"""The journal's two keys format exactly as the warehouse rows and the D365 headers already
written hold them, and parse back into their parts: nothing takes them apart by position."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hl_d365_assets.ledger.journal_key import (
    CUSTOMER_PAYMENTS_TAG,
    DESCRIPTION_LENGTH,
    IdempotencyKey,
    JournalKey,
    day_prefix,
)
from hl_d365_assets.ledger.plan import (
    PlannedCustomerPayments,
    PlannedJournal,
    PlannedLine,
    PlannedPayment,
)

DAY = date(2026, 11, 20)


def test_a_journal_key_formats_as_gl_journal_lines_holds_it_and_parses_back() -> None:
    key = JournalKey("usrt", DAY, "USD")

    assert str(key) == "usrt-2026-11-20-USD"
    assert JournalKey.parse("usrt-2026-11-20-USD") == key
    # Only the legal entity is free text; the date and currency are read from the right.
    assert JournalKey.parse("us-rt-2026-11-20-CAD") == JournalKey("us-rt", DAY, "CAD")


@pytest.mark.parametrize("text", ["usrt-2026-11-USD", "usrt-2026-13-20-USD", "-2026-11-20-USD"])
def test_what_is_not_a_journal_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a journal key"):
        JournalKey.parse(text)


@pytest.mark.parametrize(
    ("text", "tag", "sequence"),
    [
        ("HLD365 usrt 2026-11-20 USD #0 3f2a9c0d1e2b4a5f", "", 0),
        ("HLD365 usrt 2026-11-20 CAD CP#12 0123456789abcdef", CUSTOMER_PAYMENTS_TAG, 12),
    ],
)
def test_an_idempotency_key_parses_into_its_parts_and_formats_back_unchanged(
    text: str, tag: str, sequence: int
) -> None:
    key = IdempotencyKey.parse(text)

    assert key.journal == JournalKey("usrt", DAY, text.split(" ")[3])
    assert (key.tag, key.sequence, key.content_hash) == (tag, sequence, text.split(" ")[-1])
    assert str(key) == text
    assert text.startswith(day_prefix("usrt", DAY))


@pytest.mark.parametrize(
    "text",
    [
        "HLD365:usrt:GJ:2026-11-20:3f2a9c",  # someone else's description
        "HLD365 usrt 2026-11-20 USD 0 3f2a9c0d1e2b4a5f",  # no '#'
        "HLD365 usrt 2026-11-20 USD #x 3f2a9c0d1e2b4a5f",  # no sequence number
        "HLD365 usrt 2026-11-31 USD #0 3f2a9c0d1e2b4a5f",  # no such day
        "HLD365 usrt 2026-11-20 manual fix",
    ],
)
def test_a_description_that_is_not_ours_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an idempotency key"):
        IdempotencyKey.parse(text)


def test_a_key_longer_than_d365s_description_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than D365's 60-character Description"):
        IdempotencyKey(JournalKey("x" * 20, DAY, "USD"), 0, "0" * 16)
    longest = IdempotencyKey(JournalKey("usrt", DAY, "USD"), 999, "0" * 16, CUSTOMER_PAYMENTS_TAG)
    assert len(str(longest)) <= DESCRIPTION_LENGTH


def journal(sequence: int = 0, amount: str = "12.34") -> PlannedJournal:
    lines = [
        PlannedLine("L1", "112100-001-RETAIL", "USD", Decimal(amount), "card"),
        PlannedLine("L2", "401100-001-RETAIL", "USD", -Decimal(amount), "sales"),
    ]
    return PlannedJournal(JournalKey("usrt", DAY, "USD"), "USD", Decimal(1), sequence, lines, "")


def test_the_key_of_a_planned_journal_is_the_one_already_in_d365_headers() -> None:
    # As the poster before the ledger package computed them: a re-run must find its journals.
    assert str(journal().idempotency_key) == "HLD365 usrt 2026-11-20 USD #0 67403df8d8edcf52"
    payments = PlannedCustomerPayments(
        JournalKey("usrt", DAY, "USD"), "", Decimal(1), 0, [], "",
        payments=[PlannedPayment("TXN1", "SO-000001", "US-024", Decimal("1227.12"), "130900")],
    )  # fmt: skip
    assert str(payments.idempotency_key) == "HLD365 usrt 2026-11-20 USD CP#0 ade32da0881f745b"


def test_the_same_plan_gets_the_same_key_and_a_changed_one_another() -> None:
    assert journal().idempotency_key == journal().idempotency_key
    assert journal(amount="12.35").idempotency_key != journal().idempotency_key
    adjustment = journal(sequence=1).idempotency_key
    assert (adjustment.sequence, adjustment.journal) == (1, journal().idempotency_key.journal)


def test_a_pay_runs_journal_key_carries_its_tag_and_round_trips_through_the_description() -> None:
    journal = JournalKey("usrt", DAY, "USD", "P1a2b3c4d")
    assert str(journal) == "usrt-2026-11-20-USD-P1a2b3c4d"
    assert JournalKey.parse(str(journal)) == journal
    assert JournalKey.parse("us-rt-2026-11-20-USD-P1a2b3c4d").legal_entity == "us-rt"
    key = IdempotencyKey(journal, 99, "0" * 16, journal.pay_run)
    assert str(key) == f"HLD365 usrt {DAY} USD P1a2b3c4d#99 {'0' * 16}"
    assert len(str(key)) <= 60
    assert IdempotencyKey.parse(str(key)) == key
    assert str(key).startswith(day_prefix("usrt", DAY))  # listed with the day's journals
    with pytest.raises(ValueError, match="pay run tag"):
        JournalKey("usrt", DAY, "USD", "PAYROLL")
    with pytest.raises(ValueError, match="keyed under its tag"):
        IdempotencyKey(journal, 0, "0" * 16)
