"""The stored cards the GP-API simulator is seeded with: cards some sandbox D365 customers saved
on the hosted page (``storage_mode``), as GP keeps them (a ``PMT_`` token, brand, last four)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeededCard:
    """A card a sandbox customer saved on the hosted page (``storage_mode``), as GP keeps it."""

    reference: str
    """Our D365 customer key, ``dataAreaId/CustomerAccount`` (what we set as the token's
    reference when the card is saved; the requester finds a customer's card by it)."""
    name: str
    brand: str
    bin: str
    """First six digits: only on the transaction report rows (``masked_number_first6last4``)."""
    last4: str
    expiry_month: str
    expiry_year: str
    declines: bool = False
    """Every charge against it is declined (the sandbox's deterministic decline)."""


SEEDED_PAYMENT_METHODS = (
    SeededCard("usrt/US-003", "MAPLE INTERIORS", "VISA", "411111", "1111", "12", "29"),
    SeededCard("usrt/CA-004", "NORTHWIND TRADING", "MASTERCARD", "555555", "4444", "08", "28"),
    SeededCard("usrt/US-016", "LAKESIDE CLINIC", "VISA", "400551", "0019", "03", "28", True),
)
"""Stored cards of three sandbox D365 customers; US-016's card is declined every time."""
