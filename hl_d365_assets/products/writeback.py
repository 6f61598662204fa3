"""The product sync's D365 direction: Retail-mastered fields written to D365, exactly once.

Where mappings/product_sync_fields.csv names ``retail`` the master of a field, the matched
item's Retail value is written to the D365 record holding it (sql/mdm/
stage_product_writeback_plan.sql plans it set-based):

- ``description`` → ``ProductsV2.ProductName``, PATCHed by ``ProductNumber``. The product name is
  on the shared product, not on ``ReleasedProductsV2`` (reference d365-entities-wave2.md §2);
  the released product's ``SearchName`` holds 20 characters, too few for a description, and is
  not what the match reads as D365's description.
- ``price`` / ``original_price`` → ``ReleasedProductsV2.SalesPrice``, ``cost`` →
  ``ReleasedProductsV2.UnitCost``, PATCHed by (``dataAreaId``, ``ItemNumber``) in the
  catalogue's company; money as exact decimals (Retail's cents; D365 keeps more places).
- ``upc`` → a ``ProductBarcodesV3`` row created when D365 lacks the barcode (as GTIN-14), keyed
  by the SKU, the sales unit, ``d365_barcode_setup`` (mappings/product_sync.csv) and the UPC.

Exactly once through the same outbox as the Retail direction (hl_d365_assets/outbox.py, table
mdm.product_sync_requests, ``system`` = ``d365``): recorded before it leaves, finished after. A
PATCH sets the same values again, harmless to repeat after a crash; a barcode create first reads
the barcode by its full key (D365's own key, exact) and adopts what an earlier attempt made. A
refusal (an ``AxODataWriteException`` or another 4xx) is recorded with D365's words and listed as
a ``product_sync_rejected`` exception; the other requests go on.

No loop: each field has one master, so it flows one way only. A value written to D365 and pulled
back makes D365 equal Retail, so nothing is planned for it, and a Retail-mastered field is never
pushed to Retail.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal

from hl_d365_assets.d365.client import D365Api, entity_path
from hl_d365_assets.d365.errors import D365NotFoundError, D365OutcomeUnknown

logger = logging.getLogger(__name__)

SYSTEM = "d365"
MONEY_FIELDS = frozenset({"SalesPrice", "UnitCost"})


@dataclass(frozen=True)
class PlannedWrite:
    """One D365 write of the plan: what a dry run prints and a real run sends."""

    request_key: str
    action: str
    version: str
    sku: str
    legal_entity: str
    item_number: str
    entity_set: str
    d365_key: str
    """The record's key as JSON (``{"dataAreaId": ..., "ItemNumber": ...}``)."""
    first_barcode: bool | None
    changes: list[dict]
    """``{"field", "d365_field", "retail_value", "d365_value"}`` each, values as text."""

    @property
    def key(self) -> dict[str, str]:
        return json.loads(self.d365_key)

    @property
    def target_key(self) -> str:
        return entity_path(self.entity_set, self.key)

    def describe(self) -> str:
        if self.action == "create":
            barcode = self.changes[0]["retail_value"]
            return f"create barcode {barcode} for {self.item_number} in D365 {self.entity_set}"
        values = ", ".join(
            f"{c['d365_field']} {c['d365_value']!r} -> {c['retail_value']!r}" for c in self.changes
        )
        return f"update {self.item_number} in D365 {self.target_key}: {values}"

    def body(self) -> dict[str, object]:
        """A PATCH: only the fields written, money as ``Decimal`` (a JSON number with exactly
        Retail's digits). A barcode create: its key, one unit, and the default flags when it is
        the SKU's first barcode."""
        if self.action == "create":
            flag = "Yes" if self.first_barcode else "No"
            return {
                **self.key,
                "ProductQuantity": Decimal(1),
                "IsDefaultScannedBarcode": flag,
                "IsDefaultDisplayedBarcode": flag,
                "IsDefaultPrintedBarcode": flag,
            }
        return {
            c["d365_field"]: Decimal(c["retail_value"])
            if c["d365_field"] in MONEY_FIELDS
            else c["retail_value"]
            for c in self.changes
        }

    def request(self) -> dict[str, object]:
        """The outbox row's columns."""
        return {
            "request_key": self.request_key,
            "legal_entity": self.legal_entity,
            "item_number": self.item_number,
            "sku": self.sku,
            "system": SYSTEM,
            "action": self.action,
            "version": self.version,
            "target_key": self.target_key,
            "fields": [c["field"] for c in self.changes],
        }


def send_write(api: D365Api, write: PlannedWrite) -> tuple[str, str]:
    """Send one write; (status, target key). Refusals raise, for the outbox to record."""
    if write.action == "update":
        api.update(write.entity_set, write.key, write.body())
        return "updated", write.target_key
    if _d365_holds(api, write):
        logger.info("%s: D365 already holds the barcode; adopted", write.request_key)
        return "adopted", write.target_key
    try:
        api.create(write.entity_set, write.body())
    except D365OutcomeUnknown:
        if _d365_holds(api, write):
            return "adopted", write.target_key
        raise
    return "created", write.target_key


def _d365_holds(api: D365Api, write: PlannedWrite) -> bool:
    try:
        api.get(write.entity_set, write.key)
    except D365NotFoundError:
        return False
    return True
