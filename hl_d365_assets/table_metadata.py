"""Materialisation metadata for warehouse tables, computed in SQL on the rows just written.

Column descriptions come from the tables' ``COMMENT ON COLUMN`` (written once, in sql/), and a
comment ending ``Source: raw.table(col, col)`` declares that column's lineage, so the UI's
column-level lineage and an analyst's ``duckdb_columns()`` read the same words.
"""

from __future__ import annotations

import re
from datetime import date

import dagster as dg
import duckdb

from hl_d365_assets.warehouse import sql_file

_SOURCE = re.compile(r"Source:\s*(\w+)\.(\w+)\(([^)]*)\)")
PREVIEW_ROWS = 5


def table_metadata(
    conn: duckdb.DuckDBPyConnection, table: str, first: date, last: date, preview_columns: int = 10
) -> dict[str, dg.MetadataValue | int | str | dict]:
    schema, name = table.split(".")
    window = {"first": first, "last": last}
    where = "business_date BETWEEN $first AND $last"
    row_count = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", window).fetchall()[0][0]
    columns = conn.execute(
        sql_file("catalog/list_table_columns.sql"), {"schema": schema, "name": name}
    ).fetchall()
    shown = [c[0] for c in columns[:preview_columns]]
    preview = conn.execute(
        f"SELECT {', '.join(shown)} FROM {table} WHERE {where} ORDER BY ALL LIMIT {PREVIEW_ROWS}",
        window,
    ).fetchall()
    metadata: dict = {
        "dagster/row_count": row_count,
        "dagster/table_name": f"warehouse.{table}",
        "dagster/column_schema": dg.TableSchema(
            columns=[
                dg.TableColumn(
                    name=column,
                    type=data_type,
                    description=_description(comment),
                    constraints=dg.TableColumnConstraints(nullable=nullable),
                )
                for column, data_type, nullable, comment in columns
            ]
        ),
        "preview": dg.MetadataValue.md(_markdown(shown, preview)),
    }
    lineage = {
        column: [
            dg.TableColumnDep(
                asset_key=dg.AssetKey([src_schema, src_table]), column_name=src.strip()
            )
            for src_schema, src_table, src_columns in _SOURCE.findall(comment or "")
            for src in src_columns.split(",")
            if src.strip()
        ]
        for column, _, _, comment in columns
    }
    if any(lineage.values()):
        metadata["dagster/column_lineage"] = dg.TableColumnLineage(
            deps_by_column={c: deps for c, deps in lineage.items() if deps}
        )
    return metadata


def amounts_by_currency(
    conn: duckdb.DuckDBPyConnection, sql: str, first: date, last: date
) -> dict[str, dict[str, str]]:
    """Run ``sql`` (currency, measure, DECIMAL amount) and nest it as {currency: {measure: "1.23"}}."""
    result: dict[str, dict[str, str]] = {}
    for currency, measure, amount in conn.execute(sql, {"first": first, "last": last}).fetchall():
        result.setdefault(currency, {})[measure] = str(amount)
    return result


def _description(comment: str | None) -> str | None:
    return _SOURCE.sub("", comment).strip() if comment else None


def _markdown(columns: list[str], rows: list[tuple]) -> str:
    header = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)
    body = "\n".join(
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows
    )
    return f"{header}\n{body}" if rows else f"{header}\n(no rows)"
