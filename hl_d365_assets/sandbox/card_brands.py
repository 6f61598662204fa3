"""Card brands as the sandbox issues them: share of payments, BIN ranges, PAN length, fees.

The fee schedule is the acquirer's price list the settlement batches are computed from, so a
reconciliation test can recompute every ``brand_breakdown[].fees_amount`` from it.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class CardBrand:
    name: str
    share_percent: int
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


# BINs are real issuer prefixes (first six digits) of each scheme; only first6 + last4 are ever
# emitted, never a whole number.
CARD_BRANDS: tuple[CardBrand, ...] = (
    CardBrand(
        "VISA", 52, ("411111", "424242", "401288", "453201", "476173", "492910"), 16, 180, 10
    ),
    CardBrand(
        "MASTERCARD", 30, ("555555", "510510", "522222", "545454", "222300", "530125"), 16, 190, 10
    ),
    CardBrand("AMEX", 10, ("378282", "371449", "340000", "379132"), 15, 290, 15),
    CardBrand("DISCOVER", 8, ("601111", "601100", "644564", "650002"), 16, 200, 10),
)

CARD_BRANDS_BY_NAME = {brand.name: brand for brand in CARD_BRANDS}

assert sum(brand.share_percent for brand in CARD_BRANDS) == 100
