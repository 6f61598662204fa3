"""The entity sets the simulator serves: real names, keys and a subset of the real fields.

Names, keys and fields follow shared/reference/d365-odata.md (META: a client generated from a
live F&O ``$metadata``). Customer payment journal line fields follow a third-party proxy class
generated from the entity package (``CustomerPaymentJournalLineEntity``); sales order, customer
and released product fields were checked against META's ``SalesOrderHeadersV2``,
``CustomersV3`` and ``ReleasedProductsV2``. Only the fields listed here are served; a real
record carries hundreds more.

Values are kept as D365 sends them: enums as symbol names (``"No"``, ``"Ledger"``), dates as
``Edm.DateTimeOffset`` at noon UTC (``"2026-11-20T12:00:00Z"``; empty date
``"1900-01-01T12:00:00Z"``), decimals as ``Decimal``, ``dataAreaId`` lower-case.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

EMPTY_DATE = "1900-01-01T12:00:00Z"
TYPE_NAMESPACE = "Microsoft.Dynamics.DataEntities"

STRING, DECIMAL, DATETIME, DATE, INT, ENUM = "string", "decimal", "datetime", "date", "int", "enum"


@dataclass(frozen=True)
class Property:
    kind: str
    default: object = ""
    label: str = ""
    """The field's label as D365's Infolog names it ("Field 'Date' must be filled in.")."""
    max_length: int | None = None
    enum: tuple[str, ...] = ()


def _s(label: str = "", max_length: int | None = None, default: object = "") -> Property:
    return Property(STRING, default, label, max_length)


def _d(label: str = "", default: object = Decimal(0)) -> Property:
    return Property(DECIMAL, default, label)


NO_YES = ("No", "Yes")
ACCOUNT_TYPES = ("Ledger", "Cust", "Vend", "Project", "FixedAssets", "Bank", "RDeferrals", "RCash")
"""LedgerJournalACType symbols (the reference, section 2)."""


@dataclass(frozen=True)
class EntitySet:
    name: str
    entity_type: str
    """The public entity name: ``@odata.type`` is ``#Microsoft.Dynamics.DataEntities.<this>``."""
    aot_name: str
    """The AOT entity named in write errors: ``Write failed for table row of type '<this>'``."""
    keys: tuple[str, ...]
    properties: dict[str, Property]
    company_specific: bool = True
    writable: bool = False
    parent: str | None = None
    """For journal lines: the header entity set whose JournalBatchNumber they reference."""
    computed: tuple[str, ...] = field(default=())
    """Fields D365 fills in and ignores on write."""
    updatable: tuple[str, ...] = field(default=())
    """For product master data: the fields a PATCH may change (guessed per set, see the set);
    a PATCH naming another field with a new value is refused."""

    @property
    def qualified_type(self) -> str:
        return f"{TYPE_NAMESPACE}.{self.entity_type}"


def _journal_header(name: str, entity_type: str, aot_name: str) -> EntitySet:
    return EntitySet(
        name=name,
        entity_type=entity_type,
        aot_name=aot_name,
        keys=("dataAreaId", "JournalBatchNumber"),
        properties={
            "dataAreaId": _s("Company"),
            "JournalBatchNumber": _s("Journal batch number"),
            "JournalName": _s("Name"),
            "Description": _s("Description", max_length=60),
            "PostingLayer": Property(ENUM, "Current", "Posting layer"),
            "IsPosted": Property(ENUM, "No", "Posted", enum=NO_YES),
            "JournalTotalDebit": _d("Debit"),
            "JournalTotalCredit": _d("Credit"),
            "AccountingCurrency": _s("Accounting currency"),
            "IntegrationKey": _s("Integration key"),
        },
        writable=True,
        computed=("JournalBatchNumber", "IsPosted", "JournalTotalDebit", "JournalTotalCredit",
                  "AccountingCurrency"),
    )  # fmt: skip


LEDGER_JOURNAL_HEADERS = _journal_header(
    "LedgerJournalHeaders", "LedgerJournalHeader", "LedgerJournalHeaderEntity"
)
CUSTOMER_PAYMENT_JOURNAL_HEADERS = _journal_header(
    "CustomerPaymentJournalHeaders",
    "CustomerPaymentJournalHeader",
    "CustomerPaymentJournalHeaderEntity",
)

LEDGER_JOURNAL_LINES = EntitySet(
    name="LedgerJournalLines",
    entity_type="LedgerJournalLine",
    aot_name="LedgerJournalLineEntity",
    keys=("dataAreaId", "JournalBatchNumber", "LineNumber"),
    properties={
        "dataAreaId": _s("Company"),
        "JournalBatchNumber": _s("Journal batch number"),
        "LineNumber": _d("Line number"),
        "AccountType": Property(ENUM, "Ledger", "Account type", enum=ACCOUNT_TYPES),
        "AccountDisplayValue": _s("Account"),
        "OffsetAccountType": Property(ENUM, "Ledger", "Offset account type", enum=ACCOUNT_TYPES),
        "OffsetAccountDisplayValue": _s("Offset account"),
        "DebitAmount": _d("Debit"),
        "CreditAmount": _d("Credit"),
        "CurrencyCode": _s("Currency"),
        "TransDate": Property(DATE, None, "Date"),
        "Text": _s("Description", max_length=60),
        "OffsetText": _s("Offset transaction text", max_length=60),
        "Voucher": _s("Voucher"),
        "Company": _s("Company"),
        "OffsetCompany": _s("Offset company"),
        "DefaultDimensionDisplayValue": _s("Financial dimensions"),
        "OffsetDefaultDimensionDisplayValue": _s("Offset financial dimensions"),
        "ExchRate": _d("Exchange rate", Decimal(100)),
        "Document": _s("Document"),
        "DocumentDate": Property(DATE, EMPTY_DATE, "Document date"),
        "Invoice": _s("Invoice"),
        "PaymentReference": _s("Payment reference"),
        "PaymentMethod": _s("Method of payment"),
        "PostingProfile": _s("Posting profile"),
        "SalesTaxGroup": _s("Sales tax group"),
        "ItemSalesTaxGroup": _s("Item sales tax group"),
        "Quantity": _d("Quantity"),
        "ReverseEntry": Property(ENUM, "No", "Reversing entry", enum=NO_YES),
        "ReverseDate": Property(DATE, EMPTY_DATE, "Reversing date"),
    },
    writable=True,
    parent="LedgerJournalHeaders",
)

CUSTOMER_PAYMENT_JOURNAL_LINES = EntitySet(
    name="CustomerPaymentJournalLines",
    entity_type="CustomerPaymentJournalLine",
    aot_name="CustomerPaymentJournalLineEntity",
    keys=("dataAreaId", "JournalBatchNumber", "LineNumber"),
    properties={
        "dataAreaId": _s("Company"),
        "JournalBatchNumber": _s("Journal batch number"),
        "LineNumber": _d("Line number"),
        "AccountType": Property(ENUM, "Cust", "Account type", enum=ACCOUNT_TYPES),
        "AccountDisplayValue": _s("Account"),
        "CustomerName": _s("Name"),
        "TransactionDate": Property(DATE, None, "Date"),
        "TransactionText": _s("Description", max_length=60),
        "DebitAmount": _d("Debit"),
        "CreditAmount": _d("Credit"),
        "CurrencyCode": _s("Currency"),
        "ExchangeRate": _d("Exchange rate", Decimal(100)),
        "MarkedInvoice": _s("Marked invoice"),
        "MarkedInvoiceCompany": _s("Marked invoice company"),
        "PaymentReference": _s("Payment reference"),
        "PaymentMethodName": _s("Method of payment"),
        "PaymentId": _s("Payment ID"),
        "IsPrepayment": Property(ENUM, "No", "Prepayment", enum=NO_YES),
        "OffsetAccountType": Property(ENUM, "Ledger", "Offset account type", enum=ACCOUNT_TYPES),
        "OffsetAccountDisplayValue": _s("Offset account"),
        "OffsetTransactionText": _s("Offset transaction text", max_length=60),
        "Voucher": _s("Voucher"),
        "Company": _s("Company"),
        "OffsetCompany": _s("Offset company"),
        "PostingProfile": _s("Posting profile"),
        "DefaultDimensionsForAccountDisplayValue": _s("Financial dimensions"),
        "DefaultDimensionsForOffsetAccountDisplayValue": _s("Offset financial dimensions"),
    },
    writable=True,
    parent="CustomerPaymentJournalHeaders",
)

MAIN_ACCOUNTS = EntitySet(
    name="MainAccounts",
    entity_type="MainAccount",
    aot_name="MainAccountEntity",
    keys=("ChartOfAccounts", "MainAccountId"),
    properties={
        "ChartOfAccounts": _s(), "MainAccountId": _s(), "Name": _s(), "MainAccountType": _s(),
    },
    company_specific=False,
)  # fmt: skip

FINANCIAL_DIMENSION_VALUES = EntitySet(
    name="FinancialDimensionValues",
    entity_type="FinancialDimensionValue",
    aot_name="DimensionFinancialTagEntity",
    keys=("FinancialDimension", "LegalEntityId", "DimensionValue"),
    properties={
        "FinancialDimension": _s(), "LegalEntityId": _s(), "DimensionValue": _s(),
        "Description": _s(),
    },
    company_specific=False,
)  # fmt: skip

JOURNAL_NAMES = EntitySet(
    name="JournalNames",
    entity_type="JournalName",
    aot_name="LedgerJournalNameEntity",
    keys=("dataAreaId", "Name"),
    properties={
        "dataAreaId": _s(), "Name": _s(), "Description": _s(), "JournalType": _s(),
        "VoucherSeries": _s(),
    },
)  # fmt: skip

CUSTOMER_GROUPS = EntitySet(
    name="CustomerGroups",
    entity_type="CustomerGroup",
    aot_name="CustCustomerGroupEntity",
    keys=("dataAreaId", "CustomerGroupId"),
    properties={
        "dataAreaId": _s(), "CustomerGroupId": _s(), "Description": _s(),
        "PaymentTermId": _s(), "CustomerAccountNumberSequence": _s(),
    },
)  # fmt: skip

CUSTOMERS = EntitySet(
    name="CustomersV3",
    entity_type="CustomerV3",
    aot_name="CustCustomerV3Entity",
    keys=("dataAreaId", "CustomerAccount"),
    writable=True,
    properties={
        "dataAreaId": _s(), "CustomerAccount": _s("Customer account", 20),
        "OrganizationName": _s(), "NameAlias": _s(),
        "PartyType": _s(), "CustomerGroupId": _s("Customer group"), "SalesCurrencyCode": _s(),
        "PaymentTerms": _s(), "CreditLimit": _d(), "AddressCity": _s(), "AddressState": _s(),
        "AddressCountryRegionId": _s(), "PrimaryContactEmail": _s(), "AddressStreet": _s(),
        "AddressZipCode": _s(), "PrimaryContactPhone": _s(), "PersonFirstName": _s(),
        "PersonLastName": _s(),
    },
)  # fmt: skip

RELEASED_PRODUCTS = EntitySet(
    name="ReleasedProductsV2",
    entity_type="ReleasedProductV2",
    aot_name="EcoResReleasedProductV2Entity",
    keys=("dataAreaId", "ItemNumber"),
    properties={
        "dataAreaId": _s("Company"), "ItemNumber": _s("Item number"),
        "ProductNumber": _s("Product number"), "SearchName": _s("Search name"),
        "ProductSearchName": _s("Product search name"), "ProductGroupId": _s("Item group"),
        "ProductType": _s("Product type"), "SalesUnitSymbol": _s("Sales unit"),
        "InventoryUnitSymbol": _s("Inventory unit"), "SalesPrice": _d("Price"),
        "UnitCost": _d("Cost price"), "ProductSubType": _s("Product subtype", default="Product"),
        "SalesSalesTaxItemGroupCode": _s("Item sales tax group", default="ALL"),
    },
    writable=True,
    updatable=("SearchName", "SalesPrice", "UnitCost", "SalesSalesTaxItemGroupCode"),
)  # fmt: skip
"""Updated by PATCH (the product sync writes SalesPrice and UnitCost); never created here, as a
product is created and released through ReleasedProductCreationsV2. Which fields D365 lets a
PATCH change is guessed: the prices and the search name, as the released product form does; the
product's identity, type and units are refused."""

PRODUCTS = EntitySet(
    name="ProductsV2",
    entity_type="ProductV2",
    aot_name="EcoResProductV2Entity",
    keys=("ProductNumber",),
    properties={
        "ProductNumber": _s("Product number"), "ProductName": _s("Product name", 60),
        "ProductSearchName": _s("Search name"), "ProductDescription": _s("Description"),
        "ProductType": _s("Product type", default="Item"),
        "ProductSubType": _s("Product subtype", default="Product"),
        "RetailProductCategoryName": _s("Retail category"),
    },
    company_specific=False,
    writable=True,
    updatable=("ProductName", "ProductDescription"),
)  # fmt: skip
"""Products are shared by every legal entity; a company sees one through its released product.
PATCH changes the name and description (the product sync writes ProductName); the 60-character
limit of the name is a guess (D365's usual Name length)."""

RELEASED_PRODUCT_VARIANTS = EntitySet(
    name="ReleasedProductVariantsV2",
    entity_type="ReleasedProductVariantV2",
    aot_name="EcoResReleasedProductVariantV2Entity",
    keys=("dataAreaId", "ProductMasterNumber", "ProductConfigurationId", "ProductColorId",
          "ProductSizeId", "ProductStyleId", "ProductVersionId"),
    properties={
        "dataAreaId": _s(), "ProductMasterNumber": _s(), "ProductConfigurationId": _s(),
        "ProductColorId": _s(), "ProductSizeId": _s(), "ProductStyleId": _s(),
        "ProductVersionId": _s(), "ItemNumber": _s(), "ProductVariantNumber": _s(),
        "ProductName": _s(),
    },
)  # fmt: skip

PRODUCT_BARCODES = EntitySet(
    name="ProductBarcodesV3",
    entity_type="ProductBarcodeV3",
    aot_name="EcoResProductBarcodeV3Entity",
    keys=("dataAreaId", "ItemNumber", "ProductConfigurationId", "ProductColorId",
          "ProductSizeId", "ProductStyleId", "ProductVersionId", "ProductQuantityUnitSymbol",
          "BarcodeSetupId", "Barcode"),
    properties={
        "dataAreaId": _s("Company"), "ItemNumber": _s("Item number"),
        "ProductConfigurationId": _s("Configuration"), "ProductColorId": _s("Color"),
        "ProductSizeId": _s("Size"), "ProductStyleId": _s("Style"),
        "ProductVersionId": _s("Version"), "ProductQuantityUnitSymbol": _s("Unit"),
        "BarcodeSetupId": _s("Bar code setup"), "Barcode": _s("Bar code"),
        "ProductQuantity": _d("Quantity", default=Decimal(1)),
        "IsDefaultScannedBarcode": Property(ENUM, "No", "Scanning", enum=NO_YES),
        "IsDefaultDisplayedBarcode": Property(ENUM, "No", "Display", enum=NO_YES),
        "IsDefaultPrintedBarcode": Property(ENUM, "No", "Print", enum=NO_YES),
    },
    writable=True,
    updatable=("IsDefaultScannedBarcode", "IsDefaultDisplayedBarcode", "IsDefaultPrintedBarcode"),
)  # fmt: skip
"""Created by POST (the product sync adds a Retail UPC D365 lacks). Guessed rules: the released
product (company, item number) must exist, the setup id, unit and barcode must be filled in, the
same key twice is "already exists"; a second product may carry the same barcode (D365 does not
stop it, the reference says), and only the default flags change by PATCH."""

SALES_ORDER_HEADERS = EntitySet(
    name="SalesOrderHeadersV2",
    entity_type="SalesOrderHeaderV2",
    aot_name="SalesOrderHeaderV2Entity",
    keys=("dataAreaId", "SalesOrderNumber"),
    properties={
        "dataAreaId": _s(), "SalesOrderNumber": _s(), "SalesOrderName": _s(),
        "OrderingCustomerAccountNumber": _s(), "InvoiceCustomerAccountNumber": _s(),
        "CurrencyCode": _s(), "SalesOrderStatus": _s(), "SalesOrderProcessingStatus": _s(),
        "OrderCreationDateTime": Property(DATETIME, EMPTY_DATE),
        "RequestedShippingDate": Property(DATE, EMPTY_DATE), "CustomersOrderReference": _s(),
        "CustomerPaymentMethodName": _s(), "DefaultShippingWarehouseId": _s(),
        "OrderTotalAmount": _d(), "OrderTotalTaxAmount": _d(),
    },
)  # fmt: skip

SALES_ORDER_LINES = EntitySet(
    name="SalesOrderLines",
    entity_type="SalesOrderLine",
    aot_name="SalesOrderLineEntity",
    keys=("dataAreaId", "InventoryLotId"),
    properties={
        "dataAreaId": _s(), "InventoryLotId": _s(), "SalesOrderNumber": _s(),
        "LineNumber": _d(), "ItemNumber": _s(), "LineDescription": _s(),
        "OrderedSalesQuantity": _d(), "SalesUnitSymbol": _s(), "SalesPrice": _d(),
        "LineAmount": _d(), "CurrencyCode": _s(), "SalesOrderLineStatus": _s(),
        "ShippingSiteId": _s(), "ShippingWarehouseId": _s(),
    },
)  # fmt: skip

WAREHOUSES_ON_HAND = EntitySet(
    name="WarehousesOnHandV2",
    entity_type="WarehouseOnHandV2",
    aot_name="InventWarehouseOnHandV2Entity",
    keys=(
        "dataAreaId", "ItemNumber", "ProductColorId", "ProductConfigurationId", "ProductSizeId",
        "ProductStyleId", "ProductVersionId", "InventorySiteId", "InventoryWarehouseId",
    ),
    properties={
        "dataAreaId": _s(), "ItemNumber": _s(), "ProductColorId": _s(),
        "ProductConfigurationId": _s(), "ProductSizeId": _s(), "ProductStyleId": _s(),
        "ProductVersionId": _s(), "InventorySiteId": _s(), "InventoryWarehouseId": _s(),
        "OnHandQuantity": _d(), "AvailableOnHandQuantity": _d(), "ReservedOnHandQuantity": _d(),
        "OrderedQuantity": _d(), "AvailableOrderedQuantity": _d(), "ReservedOrderedQuantity": _d(),
        "OnOrderQuantity": _d(), "TotalAvailableQuantity": _d(), "ProductName": _s(),
        "AreWarehouseManagementProcessesUsed": Property(ENUM, "No", enum=NO_YES),
    },
)  # fmt: skip
"""Read-only aggregate (the reference, section 3): quantities change through inventory
movements (:mod:`~hl_d365_assets.sandbox.d365_simulator.on_hand`), never by a write."""

EMPLOYEES = EntitySet(
    name="EmployeesV2",
    entity_type="EmployeeV2",
    aot_name="HcmEmployeeV2Entity",
    keys=("PersonnelNumber", "EmploymentLegalEntityId", "EmploymentId"),
    properties={
        "PersonnelNumber": _s(), "EmploymentLegalEntityId": _s(), "EmploymentId": _s(),
        "EmploymentStartDate": Property(DATETIME, EMPTY_DATE),
        "EmploymentEndDate": Property(DATETIME, EMPTY_DATE),
        "TerminationDate": Property(DATETIME, EMPTY_DATE),
        "DimensionDisplayValue": _s(),
    },
    company_specific=False,
)  # fmt: skip
"""Employments (the reference's section 5): the keys and the fields canonical.employees reads.
Served across companies, as its key carries the legal entity (EmploymentLegalEntityId) rather
than a dataAreaId; a GUESS that D365 answers it without cross-company, which the pull asks for
anyway. The name, contact and birth-date fields the real entity has are not served: nothing on
our side may read them. Read-only here (workers are hired in D365 itself)."""

ENTITY_SETS: dict[str, EntitySet] = {
    entity.name: entity
    for entity in (
        LEDGER_JOURNAL_HEADERS,
        LEDGER_JOURNAL_LINES,
        CUSTOMER_PAYMENT_JOURNAL_HEADERS,
        CUSTOMER_PAYMENT_JOURNAL_LINES,
        MAIN_ACCOUNTS,
        FINANCIAL_DIMENSION_VALUES,
        JOURNAL_NAMES,
        CUSTOMER_GROUPS,
        CUSTOMERS,
        RELEASED_PRODUCTS,
        SALES_ORDER_HEADERS,
        SALES_ORDER_LINES,
        PRODUCTS,
        RELEASED_PRODUCT_VARIANTS,
        PRODUCT_BARCODES,
        WAREHOUSES_ON_HAND,
        EMPLOYEES,
    )
}
JOURNAL_HEADER_SETS = {
    LEDGER_JOURNAL_HEADERS.name: "Daily",
    CUSTOMER_PAYMENT_JOURNAL_HEADERS.name: "CustPayment",
}
"""Header entity set -> the JournalType its journal names must have."""


class ValueRefused(ValueError):
    """A value of the wrong type for its field (becomes an OData 400)."""


def coerce(entity: EntitySet, name: str, value: object) -> object:
    """``value`` as stored for field ``name``: typed, dates at noon UTC, company lower-case."""
    prop = entity.properties[name]
    if value is None:
        return None
    if prop.kind == DECIMAL:
        if isinstance(value, bool):
            raise ValueRefused(f"'{value}' is not a valid Edm.Decimal for {name}")
        try:
            return Decimal(str(value)) if not isinstance(value, Decimal) else value
        except InvalidOperation:
            raise ValueRefused(f"'{value}' is not a valid Edm.Decimal for {name}") from None
    if prop.kind in (DATE, DATETIME):
        moment = parse_datetime(value)
        if moment is None:
            raise ValueRefused(f"'{value}' is not a valid Edm.DateTimeOffset for {name}")
        if prop.kind == DATE:
            return f"{moment.date().isoformat()}T12:00:00Z"
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if prop.kind == ENUM:
        text = str(value)
        if "'" in text:  # Microsoft.Dynamics.DataEntities.NoYes'Yes'
            text = text.split("'")[1]
        if prop.enum and text not in prop.enum:
            matches = [symbol for symbol in prop.enum if symbol.lower() == text.lower()]
            if not matches:
                raise ValueRefused(f"'{value}' is not a valid value for {name}")
            text = matches[0]
        return text
    text = str(value)
    return text.lower() if name == "dataAreaId" else text


def parse_datetime(value: object) -> datetime | None:
    """An ISO date or date-time (``Z`` or offset); a bare date means midnight UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    try:
        if len(text) == 10:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def with_defaults(entity: EntitySet, row: dict) -> dict:
    """Every property present, in declaration order, defaults where absent."""
    return {
        name: row.get(name, prop.default if prop.kind != DATE or prop.default else None)
        for name, prop in entity.properties.items()
    }


def key_of(entity: EntitySet, values: dict) -> tuple:
    """The record's key as stored: strings as given (the store folds case), decimals without
    trailing zeros (``LineNumber=1`` and ``1.0`` name the same line)."""
    key = []
    for name in entity.keys:
        value = values.get(name)
        if entity.properties[name].kind == DECIMAL and value not in (None, ""):
            number = Decimal(str(value))
            value = number.quantize(Decimal(1)) if number == number.to_integral_value() else number
        key.append(
            str(value if value is not None else "").lower()
            if name == "dataAreaId"
            else str(value if value is not None else "")
        )
    return tuple(key)
