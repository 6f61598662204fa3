"""The two keys a journal goes by, as values that format and parse themselves.

:class:`JournalKey` names a day's journal in the warehouse (``gl.journal_lines.journal_key``:
legal entity, business day, currency, e.g. ``usrt-2026-11-20-USD``). :class:`IdempotencyKey` is
what D365 holds in the journal header's ``Description`` so that a re-run finds what an earlier
run sent: ``HLD365 <entity> <day> <currency> [CP|P<run>]#<sequence> <content hash>``. A pay run's
journal (issue 17) is keyed by its check date and carries the run's tag, ``P`` and 8 hex of the run
key, both in the warehouse key (``usrt-2026-11-20-USD-P1a2b3c4d``) and before ``#``. Both formats are
fixed by data that already exists (warehouse rows, D365 headers), so they never change; code
reads their parts through these types, never by splitting the text at a position.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date

KEY_PREFIX = "HLD365"
"""First word of every idempotency key: a D365 header we created, whoever reads the list."""
GENERAL_TAG = ""
CUSTOMER_PAYMENTS_TAG = "CP"
"""Tag before ``#<sequence>`` of customer payment journals (general journals have none)."""
PAY_RUN_TAG = re.compile(r"P[0-9a-f]{8}")
"""Tag of a pay run's journal: ``P`` and the first 8 hex of the SHA-256 of its run key."""
DESCRIPTION_LENGTH = 60
"""D365's ``Description`` field holds 60 characters."""
HASH_LENGTH = 16


@dataclass(frozen=True, order=True)
class JournalKey:
    """One legal entity's journal of one business day in one currency."""

    legal_entity: str
    business_date: date
    currency: str
    pay_run: str = ""
    """A pay run's tag (``P1a2b3c4d``) for its payroll journal; empty for the day's journals."""

    def __post_init__(self) -> None:
        if self.pay_run and not PAY_RUN_TAG.fullmatch(self.pay_run):
            raise ValueError(f"{self.pay_run!r} is not a pay run tag (P + 8 lower-case hex)")

    def __str__(self) -> str:
        day = f"{self.legal_entity}-{self.business_date.isoformat()}-{self.currency}"
        return f"{day}-{self.pay_run}" if self.pay_run else day

    @classmethod
    def parse(cls, text: str) -> JournalKey:
        """From ``usrt-2026-11-20-USD`` (or ``…-USD-P1a2b3c4d``); parsed from the right, as only
        the entity is free text."""
        head, _, last = text.rpartition("-")
        if PAY_RUN_TAG.fullmatch(last):
            day = cls.parse(head)
            return cls(day.legal_entity, day.business_date, day.currency, last)
        parts = text.rsplit("-", 4)
        if len(parts) != 5 or not parts[0] or not parts[4]:
            raise ValueError(f"{text!r} is not a journal key (<entity>-<YYYY-MM-DD>-<currency>)")
        entity, year, month, day, currency = parts
        try:
            business_date = date.fromisoformat(f"{year}-{month}-{day}")
        except ValueError:
            raise ValueError(f"{text!r} is not a journal key: bad date") from None
        return cls(entity, business_date, currency)


@dataclass(frozen=True)
class IdempotencyKey:
    """The key a journal (or an adjustment of it) is created under in D365.

    Deterministic: the same plan always gets the same key, so a re-run finds its journal. D365
    compares strings without case, so the hash is lower-case hex and nothing else varies by case.
    """

    journal: JournalKey
    sequence: int
    """0 for the day's journal, 1.. for each later adjustment."""
    content_hash: str
    tag: str = GENERAL_TAG

    def __post_init__(self) -> None:
        if self.journal.pay_run and self.tag != self.journal.pay_run:
            raise ValueError(f"a pay run's journal is keyed under its tag {self.journal.pay_run}")
        if len(str(self)) > DESCRIPTION_LENGTH:
            raise ValueError(
                f"{self} is longer than D365's {DESCRIPTION_LENGTH}-character Description"
            )

    def __str__(self) -> str:
        return (
            f"{day_prefix(self.journal.legal_entity, self.journal.business_date)}"
            f"{self.journal.currency} {self.tag}#{self.sequence} {self.content_hash}"
        )

    @classmethod
    def for_content(
        cls, journal: JournalKey, sequence: int, content: object, tag: str = GENERAL_TAG
    ) -> IdempotencyKey:
        """The key of a journal whose lines are ``content`` (anything JSON can write, in a
        stable order): a changed journal gets another key, the same one the same key."""
        digest = hashlib.sha256(json.dumps(content).encode()).hexdigest()[:HASH_LENGTH]
        return cls(journal, sequence, digest, tag)

    @classmethod
    def parse(cls, text: str) -> IdempotencyKey:
        """From a D365 header's ``Description``; ``ValueError`` when it is not one of ours."""
        words = text.split(" ")
        if len(words) != 6 or words[0] != KEY_PREFIX or "#" not in words[4]:
            raise ValueError(
                f"{text!r} is not an idempotency key "
                f"({KEY_PREFIX} <entity> <day> <currency> [CP|P<run>]#<sequence> <hash>)"
            )
        _, entity, day, currency, numbered, content_hash = words
        tag, _, sequence = numbered.partition("#")
        try:
            pay_run = tag if PAY_RUN_TAG.fullmatch(tag) else ""
            journal = JournalKey(entity, date.fromisoformat(day), currency, pay_run)
            return cls(journal, int(sequence), content_hash, tag)
        except ValueError as bad:
            raise ValueError(f"{text!r} is not an idempotency key: {bad}") from None


def day_prefix(legal_entity: str, business_date: date) -> str:
    """What every key of one legal entity's day begins with: the read-back lists D365's
    headers by it, so journals we never recorded (or D365 holds twice) show too."""
    return f"{KEY_PREFIX} {legal_entity} {business_date.isoformat()} "
