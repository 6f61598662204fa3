"""The finance-owned mapping files (``mappings/*.csv``) as the ``ref.*`` tables, one SQL file each.

Every file is read with explicit column types, so a typo in a mapping fails loudly here rather
than mapping silently; values are normalised the way they are matched (upper case, spaces as
underscores). Each step that uses them calls :func:`load_mappings` inside its own transaction;
the tables are reloaded only when the files changed since the last load (a digest kept in
``ops.ref_state``), because reloading 27 tables with their column comments cost about half a
second per step, a dozen times a run, for files that change a few times a year.
"""

from __future__ import annotations

import hashlib
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
    """Make every ``ref.*`` table hold the mapping files in ``directory``.

    The digest of what the tables would be loaded from (:func:`mappings_digest`) is compared
    with the one stored by the last load; equal means the tables already hold exactly these
    files, so nothing is read. The digest row is written in the caller's transaction, so a load
    that rolls back leaves the old digest with the old tables."""
    digest = mappings_digest(conn, directory)
    if conn.execute("SELECT mappings_sha256 FROM ops.ref_state").fetchall() == [(digest,)]:
        return
    for table in REF_TABLES:
        run_script(conn, sql_file(f"ref/load_{table}.sql"), {"dir": str(directory)})
    conn.execute("DELETE FROM ops.ref_state").fetchall()
    conn.execute("INSERT INTO ops.ref_state VALUES ($digest)", {"digest": digest}).fetchall()


def mappings_digest(conn: duckdb.DuckDBPyConnection, directory: str | Path) -> str:
    """What the ``ref.*`` tables depend on: the folder, each mapping file's name and bytes, the
    loaders' SQL, and the warehouse's DDL digest (a schema rebuild may recreate the tables)."""
    folder = Path(directory)
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for path in sorted(folder.glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for table in REF_TABLES:
        digest.update(sql_file(f"ref/load_{table}.sql").encode())
    digest.update(repr(conn.execute("SELECT ddl_sha256 FROM ops.schema_state").fetchall()).encode())
    return digest.hexdigest()
