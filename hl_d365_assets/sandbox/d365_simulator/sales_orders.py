"""Sales orders that are created over OData and move through their states.

Creating (shared/reference/d365-entities-wave2.md §4, d365-odata.md §1): ``POST
SalesOrderHeadersV2`` with the ordering customer (which must exist in ``CustomersV3``) gets the
next ``SalesOrderNumber`` of the company's number sequence, ``OrderCreationDateTime`` now, status
``Backorder`` ("Open order"); ``POST SalesOrderLines`` naming an open order and a released
product gets the next ``InventoryLotId`` (the line's key) and line number, the product's sales
price unless one is sent, and ``LineAmount`` = quantity × price − discount. The header's totals
are D365's to compute and ignored on write.

Moving (confirm, deliver, invoice, cancel) is what D365 does when a user or a batch posts a
confirmation, packing slip or invoice, or cancels: never an OData PATCH of the status fields
(the reference: they are derived from posted documents). The simulator offers it on its own admin
path (``/_simulator/sales-orders/...``, ``app.py``), which is no part of D365.

Every committed change of an order raises ``SalesOrderChangedBusinessEvent`` (``d365/order_events.py``) with the
order's number, legal entity and both status fields, and nothing more (events are small
notifications; the consumer reads the order itself).

Guessed (docs/sandbox-departures.md): a new order's ``SalesOrderProcessingStatus`` is ``Active``;
no sales tax is calculated (``OrderTotalTaxAmount`` stays 0 and ``OrderTotalAmount`` is the sum of
the lines); cancelling sets both status fields to ``Canceled``; confirm, deliver and invoice take
the whole order at once (no partial deliveries or invoices).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hl_d365_assets.d365.order_events import SALES_ORDER_CHANGED
from hl_d365_assets.sandbox.d365_simulator.business_events import BusinessEvents
from hl_d365_assets.sandbox.d365_simulator.entities import (
    CUSTOMERS,
    RELEASED_PRODUCTS,
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
    EntitySet,
    key_of,
    with_defaults,
)
from hl_d365_assets.sandbox.d365_simulator.store import DuplicateKey, StateStore

CENT = Decimal("0.01")
NEW_PROCESSING_STATUS = "Active"
TRANSITIONS: dict[str, tuple[str, str, frozenset[str]]] = {
    # action: (SalesOrderStatus, SalesOrderProcessingStatus, processing statuses it may follow)
    "confirm": ("Backorder", "Confirmed", frozenset({"Active", "Confirmed"})),
    "deliver": ("Delivered", "Delivered", frozenset({"Active", "Confirmed", "Picked"})),
    "invoice": ("Invoiced", "Invoiced", frozenset({"Active", "Confirmed", "Picked", "Delivered"})),
    "cancel": ("Canceled", "Canceled", frozenset({"Active", "Confirmed"})),
}
ORDER_FIELDS_IGNORED_ON_WRITE = (
    "SalesOrderNumber",
    "SalesOrderStatus",
    "SalesOrderProcessingStatus",
    "OrderCreationDateTime",
    "OrderTotalAmount",
    "OrderTotalTaxAmount",
)
LINE_FIELDS_IGNORED_ON_WRITE = ("InventoryLotId", "LineAmount", "SalesOrderLineStatus")


class OrderRefused(Exception):
    """An Infolog text for a refused sales-order write (app.py wraps it in WriteRefused)."""

    def __init__(self, entity: EntitySet, text: str) -> None:
        super().__init__(text)
        self.entity = entity
        self.text = text


class SalesOrders:
    """The sales-order rules over the simulator's store, raising business events on commit."""

    def __init__(self, store: StateStore, events: BusinessEvents, now_iso) -> None:
        self.store = store
        self.events = events
        self._now_iso = now_iso

    def create_header(self, company: str, row: dict) -> dict:
        customer_account = row.get("OrderingCustomerAccountNumber")
        customer = (
            self.store.get(CUSTOMERS.name, (company, customer_account))
            if customer_account
            else None
        )
        if customer is None:
            raise OrderRefused(
                SALES_ORDER_HEADERS,
                f"The value '{customer_account or ''}' in field 'Customer account' is not found "
                "in the related table 'Customers'.",
            )
        header = with_defaults(
            SALES_ORDER_HEADERS,
            {k: v for k, v in row.items() if k not in ORDER_FIELDS_IGNORED_ON_WRITE},
        )
        header.update(
            dataAreaId=company,
            SalesOrderNumber=self._next_number("sales_order_number", company, "SO-{:06d}"),
            SalesOrderName=row.get("SalesOrderName") or customer.get("OrganizationName", ""),
            InvoiceCustomerAccountNumber=row.get("InvoiceCustomerAccountNumber")
            or customer_account,
            CurrencyCode=(row.get("CurrencyCode") or customer.get("SalesCurrencyCode") or "USD"),
            SalesOrderStatus="Backorder",
            SalesOrderProcessingStatus=NEW_PROCESSING_STATUS,
            OrderCreationDateTime=self._now_iso(),
            OrderTotalAmount=Decimal("0.00"),
            OrderTotalTaxAmount=Decimal("0.00"),
        )
        self._insert(SALES_ORDER_HEADERS, company, header)
        self._changed(header)
        return header

    def create_line(self, company: str, row: dict) -> dict:
        number = row.get("SalesOrderNumber")
        header = self.store.get(SALES_ORDER_HEADERS.name, (company, number or ""))
        if header is None:
            raise OrderRefused(
                SALES_ORDER_LINES,
                f"The value '{number or ''}' in field 'Sales order' is not found in the related "
                "table 'Sales orders'.",
            )
        if header["SalesOrderStatus"] in ("Invoiced", "Canceled"):
            raise OrderRefused(
                SALES_ORDER_LINES,
                f"Sales order {number} is {header['SalesOrderStatus'].lower()} and cannot be "
                "changed.",
            )
        item = row.get("ItemNumber")
        product = self.store.get(RELEASED_PRODUCTS.name, (company, item or ""))
        if product is None:
            raise OrderRefused(
                SALES_ORDER_LINES,
                f"The value '{item or ''}' in field 'Item number' is not found in the related "
                "table 'Released products'.",
            )
        quantity = Decimal(str(row.get("OrderedSalesQuantity") or 0))
        if quantity <= 0:
            raise OrderRefused(SALES_ORDER_LINES, "Field 'Quantity' must be filled in.")
        price = Decimal(str(row.get("SalesPrice") or product["SalesPrice"]))
        line = with_defaults(
            SALES_ORDER_LINES,
            {k: v for k, v in row.items() if k not in LINE_FIELDS_IGNORED_ON_WRITE},
        )
        existing = self._lines(company, header["SalesOrderNumber"])
        line.update(
            dataAreaId=company,
            SalesOrderNumber=header["SalesOrderNumber"],
            InventoryLotId=self._next_number(
                "inventory_lot_id", company, "{:06d}", SALES_ORDER_LINES
            ),
            LineNumber=row.get("LineNumber")
            or max((Decimal(str(r["LineNumber"])) for r in existing), default=Decimal(0)) + 1,
            LineDescription=row.get("LineDescription") or product.get("SearchName", ""),
            OrderedSalesQuantity=quantity,
            SalesUnitSymbol=row.get("SalesUnitSymbol") or product.get("SalesUnitSymbol", ""),
            SalesPrice=price,
            LineAmount=(quantity * price).quantize(CENT, ROUND_HALF_UP),
            CurrencyCode=header["CurrencyCode"],
            SalesOrderLineStatus="Backorder",
        )
        self._insert(SALES_ORDER_LINES, company, line)
        self._retotal(header, [*existing, line])
        return line

    def move(self, company: str, number: str, action: str) -> dict:
        """Confirm, deliver, invoice or cancel a whole order, as D365's posting would."""
        if action not in TRANSITIONS:
            raise ValueError(f"unknown action {action!r}; one of {sorted(TRANSITIONS)}")
        status, processing, allowed_from = TRANSITIONS[action]
        with self.store.transaction():
            header = self.store.get(SALES_ORDER_HEADERS.name, (company, number))
            if header is None:
                raise KeyError(f"no sales order {number} in {company}")
            if header["SalesOrderProcessingStatus"] not in allowed_from:
                raise OrderRefused(
                    SALES_ORDER_HEADERS,
                    f"Sales order {number} is {header['SalesOrderProcessingStatus']} and cannot "
                    f"be {'cancelled' if action == 'cancel' else action + 'ed'}.",
                )
            header = {
                **header,
                "SalesOrderStatus": status,
                "SalesOrderProcessingStatus": processing,
            }
            self.store.replace(SALES_ORDER_HEADERS.name, (company, number), header)
            for line in self._lines(company, number):
                line["SalesOrderLineStatus"] = status
                self.store.replace(SALES_ORDER_LINES.name, key_of(SALES_ORDER_LINES, line), line)
            self._changed(header)
        return header

    # -- helpers --------------------------------------------------------------------------

    def _lines(self, company: str, number: str) -> list[dict]:
        return [
            line
            for line in self.store.rows(SALES_ORDER_LINES.name, company=company)
            if line["SalesOrderNumber"].casefold() == number.casefold()
        ]

    def _retotal(self, header: dict, lines: list[dict]) -> None:
        total = sum((Decimal(str(line["LineAmount"])) for line in lines), Decimal("0.00"))
        header = {**header, "OrderTotalAmount": total}
        self.store.replace(SALES_ORDER_HEADERS.name, key_of(SALES_ORDER_HEADERS, header), header)
        self._changed(header)

    def _next_number(
        self, sequence: str, company: str, pattern: str, entity: EntitySet = SALES_ORDER_HEADERS
    ) -> str:
        """The company's number sequence, past numbers the seed already holds."""
        key_field = entity.keys[1]
        while True:
            candidate = pattern.format(self.store.next_value(f"{sequence}:{company}"))
            if (
                self.store.get(
                    entity.name, key_of(entity, {"dataAreaId": company, key_field: candidate})
                )
                is None
            ):
                return candidate

    def _insert(self, entity: EntitySet, company: str, row: dict) -> None:
        try:
            self.store.insert(entity.name, key_of(entity, row), company, row)
        except DuplicateKey:  # pragma: no cover - the sequences skip what exists
            raise OrderRefused(entity, "The record already exists.") from None

    def _changed(self, header: dict) -> None:
        company, number = header["dataAreaId"], header["SalesOrderNumber"]
        self.events.raise_after_commit(
            (company, number.casefold()),
            SALES_ORDER_CHANGED,
            company,
            {
                "SalesOrderNumber": number,
                "LegalEntity": company,
                "SalesOrderStatus": header["SalesOrderStatus"],
                "SalesOrderProcessingStatus": header["SalesOrderProcessingStatus"],
            },
        )
