"""What the warehouse knows about customers, gathered into ``customer_source_records``.

One stage file per source (sql/mdm/stage_*_customer_records.sql), each giving the same columns,
so the matcher never cares where a record came from and the sandbox can give it the same shape.
A source whose raw table is not in this warehouse yet is skipped and said so.
"""

from __future__ import annotations

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file

OPTIONAL_SOURCES = {
    "heartland_retail": ("mdm/stage_retail_customer_records.sql", {"raw.retail_customers"}),
    "payments": (
        "mdm/stage_payment_customer_records.sql",
        {"raw.retail_tickets", "canonical.payments"},
    ),
}
"""Each source's stage file and the tables it reads; D365 customers are always there."""


def stage_customer_sources(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Fill ``customer_source_records``; answer the sources staged."""
    run_script(conn, sql_file("mdm/stage_d365_customer_records.sql"))
    staged = ["d365"]
    present = {
        f"{schema}.{table}"
        for schema, table in conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables()"
        ).fetchall()
    }
    for source, (stage_file, tables) in OPTIONAL_SOURCES.items():
        if tables <= present:
            run_script(conn, sql_file(stage_file))
            staged.append(source)
    return staged
