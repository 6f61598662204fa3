"""Card brands as the sandbox issues them: share of payments, BIN ranges, PAN length, fees.

Every brand GP-API reports is drawn, so a sandbox day exercises every row of the shipped card
mappings (a brand the sandbox never sends is a brand nobody notices is unmapped).

The fee schedule is the acquirer's price list the settlement batches are computed from, so a
reconciliation test can recompute every ``brand_breakdown[].fees_amount`` from it.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class CardBrand:
    name: str
    share_per_mille: int
    """Share of card payments, in thousandths."""
    bins: tuple[str, ...]
    pan_length: int
    fee_rate_bp: int
    """Percentage fee on the brand's captured sales amount, in basis points (180 = 1.80 %)."""
    fee_per_sale: int
    """Fixed fee per captured sale, in minor units."""

    def fees(self, sales_count: int, sales_amount: int) -> int:
        """The brand's fee for one batch, in minor units.

        Rounding rule: the percentage part is rounded half up once per brand and batch (not per
        transaction); the fixed part is added per captured sale. Refunds carry no fee.
        """
        percentage = (sales_amount * self.fee_rate_bp + BASIS_POINTS // 2) // BASIS_POINTS
        return percentage + self.fee_per_sale * sales_count


# Brand strings are GP-API's ``payment_method.card.brand`` values (the GP PHP SDK's CardType: VISA,
# MASTERCARD, AMEX, DISCOVER, JCB, DINERS); UnionPay's is not in any GP source we have, and "CUP"
# (China UnionPay) is what the sandbox sends (mappings/payment_methods.csv also accepts UNIONPAY).
# Debit cards come as their scheme's brand with ``funding: DEBIT`` (card_funding in
# create_macros.sql), so they need no brand of their own.
#
# Shares are of card payments at a US/Canadian retailer, in per mille so the small schemes a
# tourist pays with (JCB, Diners, UnionPay: about 1 % each) can be drawn at all.
#
# BINs are issuer prefixes (first six digits) inside each scheme's IIN ranges, and ``pan_length``
# is the scheme's card-number length there: Visa 4, 16; Mastercard 51-55 and 2221-2720, 16; Amex
# 34/37, 15; Discover 6011, 644-649, 65, 16; JCB 3528-3589, 16; Diners 36 (and 300-305), 14;
# UnionPay 62, 16. Only first6 + last4 are ever emitted, never a whole number.
CARD_BRANDS: tuple[CardBrand, ...] = (
    CardBrand(
        "VISA", 525, ("411111", "424242", "401288", "453201", "476173", "492910"), 16, 180, 10
    ),
    CardBrand(
        "MASTERCARD", 255, ("555555", "510510", "522222", "545454", "222300", "530125"), 16, 190, 10
    ),
    CardBrand("AMEX", 120, ("378282", "371449", "340000", "379132"), 15, 290, 15),
    CardBrand("DISCOVER", 65, ("601111", "601100", "644564", "650002"), 16, 200, 10),
    CardBrand("JCB", 15, ("352800", "353011", "356600", "358912"), 16, 250, 10),
    CardBrand("DINERS", 10, ("360000", "361234", "362272", "305693"), 14, 270, 10),
    CardBrand("CUP", 10, ("621234", "623456", "625094", "628200"), 16, 240, 10),
)

CARD_BRANDS_BY_NAME = {brand.name: brand for brand in CARD_BRANDS}

assert sum(brand.share_per_mille for brand in CARD_BRANDS) == 1000

RETAIL_PAYMENT_TYPE_NAMES: dict[str, str] = {
    "VISA": "Visa",
    "MASTERCARD": "Mastercard",
    "AMEX": "American Express",
    "DISCOVER": "Discover",
    "JCB": "JCB",
    "DINERS": "Diners Club",
    "CUP": "UnionPay",
}
"""The Heartland Retail payment type a card of each brand is tendered as (a merchant names its
payment types; these are the names a US/Canadian shop would give them)."""

assert set(RETAIL_PAYMENT_TYPE_NAMES) == set(CARD_BRANDS_BY_NAME)
