"""Defects the sandbox injects on purpose, and the ground truth that names each one.

Every defect hits a handful of records of a generated day. Which ones is deterministic: the
candidates of a kind are ranked by a hash of (seed, day, kind, record) and the first
``ceil(rate x candidates)`` are taken, skipping any ticket (with its gateway transactions) or
batch already hit by an earlier kind, so defects never mask each other. Kinds are chosen in
``DEFECT_KINDS`` order.

Where each defect lands (docs/landing_format.md, "Ground truth"):

- ``duplicate_delivery``: a transaction line lands again, byte for byte, in a later segment of the
  same day; a ticket is edited after upload (a second version in the Retail store).
- ``late_event``: a transaction line is held back from the day's segments and lands in a later
  segment of the same day's directory, with ``received_at`` 18-48 hours after it was due.
- ``settlement_total_mismatch``: a batch's ``sales.amount`` and ``amount`` are off by a delta
  (``detail`` says ``delta=+N``); brand breakdown and deposit keep the true figures.
- ``tender_without_gateway_transaction``: the gateway never captured a card payment: its
  transaction is not landed and is in no batch, while the ticket's card payment still names it
  (``custom.gateway_transaction_id``).
- ``gateway_transaction_without_tender``: the POS never uploaded a card-only ticket, so the
  captured sale's ``reference`` matches no tender.
- ``card_number_in_free_text``: a Luhn-valid test PAN (VISA, MASTERCARD, AMEX or DISCOVER; plain,
  spaced or dashed) inside a transaction's ``description`` or a Retail ticket's ``custom.note``.
- ``malformed_json``: a transaction line cut mid-way; it keeps its leading
  ``{"event_id":"EVT_…",`` so the id is recoverable.
- ``unknown_payment_type``: a cash ticket's payment has the payment type ``Crypto``.
- ``negative_amount``: a captured sale's ``amount`` is emitted as ``"-1500"``.
- ``currency_mismatch``: a captured card sale's ``currency`` is the other one (CAD in a USD
  store, USD in a CAD store); its ticket, batch and store keep the store's currency, and the
  batch counts it as if it were.
- ``duplicate_capture``: a captured card sale is captured again two seconds later under a new
  transaction id (the ``key``) with the same reference and amount; the batch settles both.
- ``refund_exceeds_sale``: a refund's ``parent_resource_id`` names an earlier, smaller captured
  sale of the store (``detail`` gives both amounts).
- ``deposit_difference``: a batch's ``deposit.amount`` is short by 5.00-49.99 while its totals
  and fees stay true; the ``key`` is the deposit id.

Apart from these, a test-only mode, ``SandboxConfig(card_numbers_everywhere=True)``, puts the
same test PANs into every string field the sandbox lands and into Retail ticket notes
(``inject_card_numbers_everywhere.sql``)
for the leak test; it is not a per-record defect and is not in the ground truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from decimal import Decimal

import duckdb

from hl_d365_assets.sandbox.sql_files import run_sql_file, sql_statement

# Kinds chosen before the settlement batches exist (they change which transactions are settled);
# refund_exceeds_sale last, so the sale it names is claimed by no other kind.
RECORD_DEFECT_KINDS: tuple[str, ...] = (
    "gateway_transaction_without_tender",
    "tender_without_gateway_transaction",
    "unknown_payment_type",
    "negative_amount",
    "card_number_in_free_text",
    "malformed_json",
    "late_event",
    "duplicate_delivery",
    "currency_mismatch",
    "duplicate_capture",
    "refund_exceeds_sale",
)
BATCH_DEFECT_KINDS: tuple[str, ...] = ("settlement_total_mismatch", "deposit_difference")
DEFECT_KINDS: tuple[str, ...] = RECORD_DEFECT_KINDS + BATCH_DEFECT_KINDS

EXPECTED_OUTCOMES: dict[str, str] = {
    "duplicate_delivery": "duplicate",
    "late_event": "loaded_late",
    "settlement_total_mismatch": "loaded",
    "tender_without_gateway_transaction": "loaded",
    "gateway_transaction_without_tender": "loaded",
    "card_number_in_free_text": "quarantined:card_number_detected",
    "malformed_json": "quarantined:malformed_json",
    "unknown_payment_type": "flagged:unmapped_payment_type",
    "negative_amount": "quarantined:negative_amount",
    "currency_mismatch": "loaded",
    "duplicate_capture": "loaded",
    "refund_exceeds_sale": "loaded",
    "deposit_difference": "loaded",
}

# What the Heartland Retail pipeline makes of a defect that hit a POS ticket, where it differs from
# the gateway's: a ticket hit by duplicate_delivery is edited after upload (a second version with a
# later updated_at), which the pull lands as a new event and the pipeline loads, keeping the later
# version. An API serves whole tickets whenever asked, so malformed_json and late_event, which
# still pick tickets (the picks of every kind stay as they were), change nothing the Retail output
# shows and are left out of the ground truth for tickets.
TICKET_OUTCOMES: dict[str, str] = {"duplicate_delivery": "loaded_edited"}

# Published test numbers of each scheme: Luhn-valid, never issued to a cardholder.
TEST_PANS: tuple[tuple[str, str], ...] = (
    ("VISA", "4111111111111111"),
    ("VISA", "4012888888881881"),
    ("VISA", "4242424242424242"),
    ("MASTERCARD", "5555555555554444"),
    ("MASTERCARD", "5105105105105100"),
    ("MASTERCARD", "2223003122003222"),
    ("AMEX", "378282246310005"),
    ("AMEX", "371449635398431"),
    ("DISCOVER", "6011111111111117"),
    ("DISCOVER", "6011000990139424"),
)

FREE_TEXT_TEMPLATES: tuple[str, ...] = (
    "customer asked to keep card {pan} on file",
    "manual entry {pan} approved by supervisor",
    "call back re card {pan}",
    "{pan}",
    "refund to card {pan} per store manager",
)


Rate = float
"""A share of records between 0 and 1 (a probability, never money)."""


@dataclass(frozen=True)
class DefectRates:
    """Share of candidate records hit per business day, by defect kind.

    A positive rate always hits at least one record of a day that has candidates
    (``ceil(rate x candidates)``), so the defaults put every kind into a demo day of 5 stores x
    200 transactions; ``DefectRates.none()`` gives a clean day.
    """

    duplicate_delivery: Rate = 0.003
    late_event: Rate = 0.002
    settlement_total_mismatch: Rate = 0.2
    tender_without_gateway_transaction: Rate = 0.002
    gateway_transaction_without_tender: Rate = 0.002
    card_number_in_free_text: Rate = 0.001
    malformed_json: Rate = 0.001
    unknown_payment_type: Rate = 0.005
    negative_amount: Rate = 0.002
    currency_mismatch: Rate = 0.002
    duplicate_capture: Rate = 0.002
    refund_exceeds_sale: Rate = 0.01
    deposit_difference: Rate = 0.2

    def __post_init__(self) -> None:
        for item in fields(self):
            rate = getattr(self, item.name)
            if not 0 <= rate <= 1:
                raise ValueError(f"defect rate {item.name}={rate} is not between 0 and 1")

    @classmethod
    def none(cls) -> DefectRates:
        return cls(**{item.name: 0.0 for item in fields(cls)})

    def rate(self, kind: str) -> float:
        return float(getattr(self, kind))


def injected_count(rate: float, candidates: int) -> int:
    """``ceil(rate x candidates)``, computed in decimal so 0.07 x 100 is 7, not 8."""
    return math.ceil(Decimal(str(rate)) * candidates)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def pan_variants() -> list[tuple[str, str]]:
    """(text as typed, label for the ground truth) for each test PAN in each format.

    The label carries only first6/last4, so the ground-truth file itself holds no PAN.
    """
    variants = []
    for brand, pan in TEST_PANS:
        groups = (
            [pan[:4], pan[4:10], pan[10:]]
            if len(pan) == 15
            else [pan[i : i + 4] for i in range(0, 16, 4)]
        )
        masked = pan[:6] + "X" * (len(pan) - 10) + pan[-4:]
        for style, text in (
            ("plain", pan),
            ("spaced", " ".join(groups)),
            ("dashed", "-".join(groups)),
        ):
            variants.append((text, f"{brand} test PAN {masked} ({style})"))
    return variants


def set_defect_variables(con: duckdb.DuckDBPyConnection) -> None:
    variants = pan_variants()
    for name, value in (
        ("pan_texts", [text for text, _ in variants]),
        ("pan_labels", [label for _, label in variants]),
        ("free_text_templates", list(FREE_TEXT_TEMPLATES)),
    ):
        con.execute(f"SET VARIABLE {name} = ?::VARCHAR[]", [value]).fetchall()
    con.execute("SET VARIABLE pan_text_count = ?::BIGINT", [len(variants)]).fetchall()
    con.execute(
        "SET VARIABLE free_text_template_count = ?::BIGINT", [len(FREE_TEXT_TEMPLATES)]
    ).fetchall()


def choose_defects(
    con: duckdb.DuckDBPyConnection, kinds: tuple[str, ...], rates: DefectRates, candidates_sql: str
) -> None:
    """Add the chosen records of each kind to the ``defects`` table."""
    run_sql_file(con, candidates_sql)
    for kind in kinds:
        candidates = con.execute(f"SELECT count(*) FROM candidates_{kind}").fetchall()[0][0]
        count = injected_count(rates.rate(kind), candidates)
        if count == 0:
            continue
        con.execute(
            sql_statement("insert_defects", kind=kind), {"kind": kind, "count": count}
        ).fetchall()
