"""The simulator's starting data: the sandbox's chart of accounts, dimensions, journal names,
customers, released products and open sales orders, from the CSV files in
hl_d365_assets/sandbox/d365_seed/; and the employments (``EmployeesV2``) of the sandbox's payroll
roster (hl_d365_assets/sandbox/payroll_roster.py), generated, so payroll and D365 name the same
people.

The files are data, checked in and deterministic: main accounts and dimension values are the
finance team's (the same ones mappings/ refers to); released products are the sandbox catalogue
(hl_d365_assets/sandbox/products.py: ``CATALOG_SKUS`` as ``ItemNumber``, ``CATALOG_DESCRIPTIONS``
as ``SearchName``, prices as the sandbox generator draws them for its default seed); customers
and open sales orders are D365-originated business that later gets paid through Heartland.
Main accounts and dimension values are shared across companies; everything else is ``usrt``'s
(journal names exist in every company).
"""

import csv
from pathlib import Path

from hl_d365_assets.package_files import package_folder
from hl_d365_assets.sandbox.d365_simulator.entities import (
    CUSTOMER_GROUPS,
    CUSTOMERS,
    EMPLOYEES,
    ENTITY_SETS,
    FINANCIAL_DIMENSION_VALUES,
    JOURNAL_NAMES,
    MAIN_ACCOUNTS,
    PRODUCT_BARCODES,
    PRODUCTS,
    RELEASED_PRODUCT_VARIANTS,
    RELEASED_PRODUCTS,
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
    EntitySet,
    coerce,
    key_of,
    with_defaults,
)
from hl_d365_assets.sandbox.d365_simulator.store import StateStore
from hl_d365_assets.sandbox.payroll_roster import build_roster, d365_employees

SEED_DIR = package_folder("hl_d365_assets.sandbox", "d365_seed")

SEED_FILES: tuple[tuple[str, EntitySet], ...] = (
    ("main_accounts.csv", MAIN_ACCOUNTS),
    ("financial_dimension_values.csv", FINANCIAL_DIMENSION_VALUES),
    ("journal_names.csv", JOURNAL_NAMES),
    ("customer_groups.csv", CUSTOMER_GROUPS),
    ("customers.csv", CUSTOMERS),
    ("released_products.csv", RELEASED_PRODUCTS),
    ("sales_orders.csv", SALES_ORDER_HEADERS),
    ("sales_order_lines.csv", SALES_ORDER_LINES),
    ("products.csv", PRODUCTS),
    ("released_product_variants.csv", RELEASED_PRODUCT_VARIANTS),
    ("product_barcodes.csv", PRODUCT_BARCODES),
)


def read_seed(directory: Path = SEED_DIR) -> dict[str, list[dict]]:
    """Entity set -> typed records from the seed CSVs."""
    records: dict[str, list[dict]] = {}
    for file_name, entity in SEED_FILES:
        with (directory / file_name).open(newline="", encoding="utf-8") as handle:
            rows = []
            for raw in csv.DictReader(handle):
                row = {name: coerce(entity, name, value) for name, value in raw.items()}
                if entity is FINANCIAL_DIMENSION_VALUES:
                    row.setdefault("LegalEntityId", "")  # shared values: no legal entity
                rows.append(with_defaults(entity, row))
        records[entity.name] = rows
    records[EMPLOYEES.name] = [
        with_defaults(EMPLOYEES, {name: coerce(EMPLOYEES, name, v) for name, v in row.items()})
        for row in d365_employees(build_roster())
    ]
    return records


def load_seed(store: StateStore, directory: Path = SEED_DIR) -> dict[str, int]:
    """Insert the seed records in one transaction; records per entity set."""
    counts = {}
    with store.transaction():
        for entity_set, rows in read_seed(directory).items():
            for row in rows:
                entity = ENTITY_SETS[entity_set]
                company = row.get("dataAreaId", "") if entity.company_specific else ""
                store.insert(entity_set, key_of(entity, row), company, row)
            counts[entity_set] = len(rows)
        store.set_setting("seeded", "yes")
    return counts
