"""Table metadata for the warehouse's assets: on the definition, what the DDL declares; on each
materialisation, what the rows just written hold, computed in SQL.

Column descriptions come from the tables' ``COMMENT ON COLUMN`` (written once, in sql/). A
comment ending ``Source: raw.table(col, col); canonical.other(col)`` declares the upstream
columns that column is computed from, so the UI and an analyst's ``duckdb_columns()`` read the
same words.

Dagster stores that lineage as ``dagster/column_lineage``, but the open-source UI (1.13) never
draws it: its column-lineage graph and column links are Dagster+ features, and it hides the entry
from every metadata table. So each asset's definition also carries its column schema with the
lineage written into the column descriptions, both ways and linked ("from" the upstream columns,
"into" the downstream ones), which the asset page's Columns table shows as Markdown.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from datetime import date

import dagster as dg
import duckdb

from hl_d365_assets.warehouse import ensure_schema, sql_file

_SOURCES = re.compile(r"\s*Source:\s*(.*)$", re.DOTALL)
_SOURCE_TABLE = re.compile(r"(\w+)\.(\w+)\(([^)]*)\)")
PREVIEW_ROWS = 5

Column = tuple[str, str]
"""(table, column), the table as ``schema.name``: also the asset key's path."""


def table_metadata(
    conn: duckdb.DuckDBPyConnection, table: str, first: date, last: date, preview_columns: int = 10
) -> dict[str, dg.MetadataValue | int | str | dict]:
    schema, name = table.split(".")
    window = {"first": first, "last": last}
    where = "business_date BETWEEN $first AND $last"
    row_count = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", window).fetchall()[0][0]
    # The DDL's own columns (the warehouse holds exactly them: ensure_schema compares digests),
    # read once per process; duckdb_columns() walks every column of every attached database,
    # ~7 ms of CPU for each of a day's ~40 tables. Tables outside that catalog are asked.
    columns = _catalog().columns.get(table) or (
        conn.execute(
            sql_file("catalog/list_table_columns.sql"), {"schema": schema, "name": name}
        ).fetchall()
    )
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
    lineage = _lineage({column: comment for column, _, _, comment in columns})
    if lineage:
        metadata["dagster/column_lineage"] = lineage
    return metadata


def amounts_by_currency(
    conn: duckdb.DuckDBPyConnection, sql: str, first: date, last: date
) -> dict[str, dict[str, str]]:
    """Run ``sql`` (currency, measure, DECIMAL amount) and nest it as {currency: {measure: "1.23"}}."""
    result: dict[str, dict[str, str]] = {}
    for currency, measure, amount in conn.execute(sql, {"first": first, "last": last}).fetchall():
        result.setdefault(currency, {})[measure] = str(amount)
    return result


def definition_metadata(table: str) -> dict[str, dg.MetadataValue | str]:
    """What an asset definition says of its table ``schema.name``: its name in the warehouse, its
    column schema as the DDL declares it, descriptions carrying each column's lineage both ways,
    and that lineage as ``dagster/column_lineage``.

    Known before anything is materialised, so a new user finds a column's meaning and origin on
    the asset page of an empty instance; a materialisation's own schema is merged over it by
    the UI, which keeps these descriptions.
    """
    catalog = _catalog()
    columns = catalog.columns[table]
    metadata: dict = {
        "dagster/table_name": f"warehouse.{table}",
        "dagster/column_schema": dg.TableSchema(
            columns=[
                dg.TableColumn(
                    name=column,
                    type=data_type,
                    description=_described_with_lineage(
                        _description(comment),
                        catalog.upstream.get((table, column), ()),
                        catalog.downstream.get((table, column), ()),
                    ),
                    constraints=dg.TableColumnConstraints(nullable=nullable),
                )
                for column, data_type, nullable, comment in columns
            ]
        ),
    }
    lineage = _lineage({column: comment for column, _, _, comment in columns})
    if lineage:
        metadata["dagster/column_lineage"] = lineage
    return metadata


class _Catalog:
    """The warehouse's columns as the DDL files declare them, and the column lineage their
    comments state, indexed both ways."""

    def __init__(self, rows: list[tuple[str, str, str, bool, str | None]]) -> None:
        self.columns: dict[str, list[tuple[str, str, bool, str | None]]] = defaultdict(list)
        self.upstream: dict[Column, list[Column]] = {}
        self.downstream: dict[Column, list[Column]] = defaultdict(list)
        for table, column, data_type, nullable, comment in rows:
            self.columns[table].append((column, data_type, nullable, comment))
            sources = _sources(comment)
            if sources:
                self.upstream[(table, column)] = sources
            for source in sources:
                self.downstream[source].append((table, column))


@functools.cache
def _catalog() -> _Catalog:
    """The DDL run once per process in an in-memory DuckDB (a fraction of a second): asset
    definitions get their schemas without opening the warehouse, which a run may hold."""
    with duckdb.connect(":memory:") as conn:
        ensure_schema(conn)
        return _Catalog(conn.execute(sql_file("catalog/list_warehouse_columns.sql")).fetchall())


def _sources(comment: str | None) -> list[Column]:
    """The upstream columns a comment's ``Source:`` names, in its order."""
    found = _SOURCES.search(comment or "")
    if not found:
        return []
    return [
        (f"{schema}.{table}", column.strip())
        for schema, table, columns in _SOURCE_TABLE.findall(found.group(1))
        for column in columns.split(",")
        if column.strip()
    ]


def _lineage(comments: dict[str, str | None]) -> dg.TableColumnLineage | None:
    deps = {
        column: [
            dg.TableColumnDep(asset_key=dg.AssetKey(table.split(".")), column_name=source)
            for table, source in _sources(comment)
        ]
        for column, comment in comments.items()
    }
    deps = {column: column_deps for column, column_deps in deps.items() if column_deps}
    return dg.TableColumnLineage(deps_by_column=deps) if deps else None


def _described_with_lineage(
    description: str | None, upstream: list[Column], downstream: list[Column]
) -> str | None:
    """The description, then a Markdown paragraph per direction of lineage: each table linked to
    its asset's page (asset keys are the tables' schema and name), then its columns."""
    paragraphs = [
        f"{label} "
        + " · ".join(
            f"[{table}](/assets/{table.replace('.', '/')}) {', '.join(names)}"
            for table, names in _by_table(columns).items()
        )
        for label, columns in (("⬆ from", upstream), ("⬇ into", downstream))
        if columns
    ]
    return "\n\n".join([description or "", *paragraphs]).strip() or None


def _by_table(columns: list[Column]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for table, column in columns:
        grouped.setdefault(table, []).append(column)
    return grouped


def _description(comment: str | None) -> str | None:
    return _SOURCES.sub("", comment).strip() if comment else None


def _markdown(columns: list[str], rows: list[tuple]) -> str:
    header = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)
    body = "\n".join(
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows
    )
    return f"{header}\n{body}" if rows else f"{header}\n(no rows)"
