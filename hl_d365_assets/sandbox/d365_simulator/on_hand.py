"""The simulator's stock: what ``WarehousesOnHandV2`` serves, and the movements that change it.

In D365 on-hand is a read-only aggregate of inventory transactions (the reference, section 3):
nothing writes it through OData. What moves it here are the simulator's own admin calls — not a
D365 API — standing in for what moves it in D365:

- :meth:`OnHand.set_position`: an opening balance or counting journal posted for a warehouse
  (the sandbox seeds it from the Heartland Retail stock of the same sandbox day,
  :mod:`hl_d365_assets.sandbox.d365_on_hand`);
- :meth:`OnHand.post_pos_sales`: a store's POS sales and returns of a business day posted to D365
  (D365 Commerce's statement posting; D365 learns of POS sales only this way, so until it happens
  the store's Retail stock is lower than D365's by the day's net units sold);
- :meth:`OnHand.ship_order_line`: a sales order line shipped (packing slip posted) from its
  shipping warehouse.

Guesses (docs/sandbox-departures.md): stock carries no product dimensions (all five ids blank)
and no batches or locations below the warehouse; reserved units are not tied to order lines, so
a shipment takes physical units and lowers a reservation only where on-hand would fall below it;
on-hand may go negative (as an item model group allowing physical negative inventory lets it);
``AvailableOnHandQuantity`` = on hand - reserved, and no purchase orders exist, so the ordered
quantities are zero and ``TotalAvailableQuantity`` = available on hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from hl_d365_assets.sandbox.d365_simulator.entities import (
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
    WAREHOUSES_ON_HAND,
    key_of,
    with_defaults,
)
from hl_d365_assets.sandbox.d365_simulator.store import StateStore

POSTED_STATEMENT = "pos_statement_posted:"
"""Settings prefix marking a store's day of POS sales as posted: posting it again moves nothing."""
SHIPPED_LINE = "order_line_shipped:"


class StockMovementRefused(ValueError):
    """An admin movement names something the simulator does not hold."""


class OnHand:
    """Stock per item x site x warehouse, in the simulator's state store."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def rows(self, company: str | None = None) -> list[dict]:
        return self.store.rows(
            WAREHOUSES_ON_HAND.name, company=company.lower() if company else None
        )

    def quantity(self, company: str, item: str, site: str, warehouse: str) -> dict | None:
        """The warehouse's record of ``item``, or None when D365 holds none."""
        return self.store.get(WAREHOUSES_ON_HAND.name, _key(company, item, site, warehouse))

    def set_position(
        self, company: str, site: str, warehouse: str, stock: Iterable[Mapping[str, object]]
    ) -> int:
        """Replace the warehouse's stock with ``stock`` (``ItemNumber``, ``OnHandQuantity``,
        ``ReservedOnHandQuantity``, optional ``ProductName``); records of the warehouse not in it
        are removed. Returns the records written."""
        written = 0
        with self.store.transaction():
            for held in self.rows(company):
                if held["InventorySiteId"] == site and held["InventoryWarehouseId"] == warehouse:
                    self.store.delete(WAREHOUSES_ON_HAND.name, key_of(WAREHOUSES_ON_HAND, held))
            for entry in stock:
                row = _row(company, str(entry["ItemNumber"]), site, warehouse)
                row["ProductName"] = str(entry.get("ProductName") or "")
                _set(row, Decimal(str(entry["OnHandQuantity"])),
                     Decimal(str(entry.get("ReservedOnHandQuantity") or 0)))  # fmt: skip
                self.store.insert(
                    WAREHOUSES_ON_HAND.name, key_of(WAREHOUSES_ON_HAND, row), row["dataAreaId"], row
                )
                written += 1
        return written

    def post_pos_sales(
        self,
        company: str,
        site: str,
        warehouse: str,
        statement: str,
        units_sold: Mapping[str, Decimal],
    ) -> bool:
        """Post one store's POS statement: ``units_sold`` (item -> net units, returns negative)
        leave the warehouse. ``statement`` names it (store and business day); a statement posted
        before moves nothing again. True when it moved stock."""
        marker = f"{POSTED_STATEMENT}{company.lower()}|{warehouse}|{statement}"
        with self.store.transaction():
            if self.store.setting(marker) is not None:
                return False
            for item, units in sorted(units_sold.items()):
                self._move(company, item, site, warehouse, -Decimal(units))
            self.store.set_setting(marker, "posted")
        return True

    def ship_order_line(self, company: str, sales_order_number: str, line_number: int) -> dict:
        """Post the packing slip of a whole order line: its ordered quantity leaves the line's
        shipping warehouse (the order's default when the line names none). Shipping a line
        twice is refused, as D365 has nothing left to deliver. Returns the stock record after."""
        line = next(
            (
                row
                for row in self.store.rows(SALES_ORDER_LINES.name, company=company.lower())
                if row["SalesOrderNumber"] == sales_order_number
                and Decimal(str(row["LineNumber"])) == Decimal(line_number)
            ),
            None,
        )
        if line is None:
            raise StockMovementRefused(f"no line {line_number} on sales order {sales_order_number}")
        header = self.store.get(SALES_ORDER_HEADERS.name, (company.lower(), sales_order_number))
        warehouse = line.get("ShippingWarehouseId") or (header or {}).get(
            "DefaultShippingWarehouseId"
        )
        if not warehouse:
            raise StockMovementRefused(f"{sales_order_number} line {line_number}: no warehouse")
        marker = f"{SHIPPED_LINE}{company.lower()}|{line['InventoryLotId']}"
        with self.store.transaction():
            if self.store.setting(marker) is not None:
                raise StockMovementRefused(
                    f"{sales_order_number} line {line_number} was shipped already"
                )
            site = line.get("ShippingSiteId") or self._site_of(company, warehouse)
            row = self._move(
                company,
                line["ItemNumber"],
                site,
                warehouse,
                -Decimal(str(line["OrderedSalesQuantity"])),
            )
            self.store.set_setting(marker, "shipped")
        return row

    def _site_of(self, company: str, warehouse: str) -> str:
        for row in self.rows(company):
            if row["InventoryWarehouseId"] == warehouse:
                return row["InventorySiteId"]
        raise StockMovementRefused(f"warehouse {warehouse} of {company} holds no stock record")

    def _move(self, company: str, item: str, site: str, warehouse: str, change: Decimal) -> dict:
        key = _key(company, item, site, warehouse)
        row = self.store.get(WAREHOUSES_ON_HAND.name, key)
        if row is None:
            row = _row(company, item, site, warehouse)
            _set(row, Decimal(0), Decimal(0))
            self.store.insert(WAREHOUSES_ON_HAND.name, key, row["dataAreaId"], row)
        on_hand = Decimal(str(row["OnHandQuantity"])) + change
        reserved = min(Decimal(str(row["ReservedOnHandQuantity"])), max(on_hand, Decimal(0)))
        _set(row, on_hand, reserved)
        self.store.replace(WAREHOUSES_ON_HAND.name, key, row)
        return row


def _row(company: str, item: str, site: str, warehouse: str) -> dict:
    return with_defaults(
        WAREHOUSES_ON_HAND,
        {
            "dataAreaId": company.lower(),
            "ItemNumber": item,
            "InventorySiteId": site,
            "InventoryWarehouseId": warehouse,
        },
    )


def _key(company: str, item: str, site: str, warehouse: str) -> tuple:
    return key_of(WAREHOUSES_ON_HAND, _row(company, item, site, warehouse))


def _set(row: dict, on_hand: Decimal, reserved: Decimal) -> None:
    row["OnHandQuantity"] = on_hand
    row["ReservedOnHandQuantity"] = reserved
    row["AvailableOnHandQuantity"] = on_hand - reserved
    row["TotalAvailableQuantity"] = on_hand - reserved + row["AvailableOrderedQuantity"]
