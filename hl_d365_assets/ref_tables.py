"""The finance-owned mapping files (``mappings/*.csv``) as the ``ref.*`` tables, one SQL file each.

Every file is read with explicit column types, so a typo in a mapping fails loudly here rather
than mapping silently; values are normalised the way they are matched (upper case, spaces as
underscores). Each step that uses them reloads them inside its own transaction.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file

# In load order: ref.fx_rates adds each currency's rate to itself from ref.currencies.
REF_TABLES = (
    "stores",
    "legal_entities",
    "currencies",
    "payment_methods",
    "retail_payment_types",
    "transaction_statuses",
    "tax_codes",
    "fx_rates",
    "recon_tolerances",
    "gl_account_structure",
    "gl_main_accounts",
    "gl_dimension_values",
    "gl_store_dimensions",
    "gl_posting_rules",
    "payroll_departments",
    "gl_payroll_posting_rules",
    "payroll_funding",
    "store_warehouses",
    "inventory_tolerances",
    "payroll_clients",
    "payroll_allocations",
    "store_trading_hours",
    "card_fee_contracts",
    "pos_discount_policy",
    "pos_ticket_limits",
    "risk_rules",
    "risk_settings",
)


def load_mappings(conn: duckdb.DuckDBPyConnection, directory: str | Path) -> None:
    """Replace every ``ref.*`` table with the mapping files in ``directory``."""
    for table in REF_TABLES:
        run_script(conn, sql_file(f"ref/load_{table}.sql"), {"dir": str(directory)})
