"""The sandbox's stores: rows of ``mappings/stores.csv`` joined to their sales-tax rate.

The generator never invents a store; it uses the same mapping the warehouse uses, so every
merchant id, currency and tax code it emits maps cleanly downstream.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from hl_d365_assets.settings import load_settings
from hl_d365_assets.time_zones import zone

# Tax rates are held as integer parts per million (8.875 % -> 88750) so tax is computed with
# integer arithmetic only.
TAX_RATE_SCALE = 1_000_000

# Codes go into ids (ticket ids, references) and JSON as they are, so they must be plain codes.
_CODE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Store:
    store_id: str
    merchant_id: str
    store_name: str
    legal_entity: str
    currency: str
    timezone: str
    tax_code: str
    tax_rate_ppm: int

    @property
    def number(self) -> int:
        """``S004`` -> 4; batch and deposit ids carry it."""
        return int("".join(ch for ch in self.store_id if ch.isdigit()) or 0)

    def utc_offset(self, business_day: date) -> timedelta:
        """The zone's offset during trading hours of ``business_day``.

        Taken at local noon: North American DST switches at 02:00 local, so one offset holds for
        the whole 08:00-21:00 trading window, even on the two switch days. The offset is DuckDB's
        (``time_zones.py``), the one the canonical SQL reads the local time back with.
        """
        offset = datetime.combine(business_day, time(12), zone(self.timezone)).utcoffset()
        assert offset is not None
        return offset


def load_stores(mappings_dir: Path | None = None) -> list[Store]:
    """Stores in ``store_id`` order, each with the rate of its tax code."""
    directory = mappings_dir or load_settings().mappings_dir
    rates = {
        row["tax_code"]: _rate_ppm(row["rate_percent"])
        for row in _read_csv(directory / "tax_codes.csv")
    }
    stores = [
        Store(
            store_id=row["store_id"],
            merchant_id=row["merchant_id"],
            store_name=row["store_name"],
            legal_entity=row["legal_entity"],
            currency=row["currency"],
            timezone=row["timezone"],
            tax_code=row["tax_code"],
            tax_rate_ppm=rates[row["tax_code"]],
        )
        for row in _read_csv(directory / "stores.csv")
    ]
    for store in stores:
        for name in ("store_id", "merchant_id", "currency", "tax_code"):
            if not _CODE.fullmatch(getattr(store, name)):
                raise ValueError(
                    f"stores.csv: {name} {getattr(store, name)!r} of {store.store_id} is not a plain code"
                )
    return sorted(stores, key=lambda store: store.store_id)


def _rate_ppm(rate_percent: str) -> int:
    ppm = Decimal(rate_percent) * (TAX_RATE_SCALE // 100)
    if ppm != ppm.to_integral_value():
        raise ValueError(f"tax rate {rate_percent}% is finer than one part per million")
    return int(ppm)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
