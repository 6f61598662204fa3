"""Business rules a finance-systems engineer writes in YAML (components/business_rule.py): the
rule as one SQL boolean expression, guarded, evaluated read-only, its failing rows recorded as
``recon.exceptions`` of kind ``business_rule``.

The guard, because the expression is text from a YAML file pasted into SQL:

1. **One expression, nothing else.** The expression is parsed by DuckDB's own parser as the only
   item of ``SELECT (<expression>) AS rule_holds`` (``json_serialize_sql``): exactly one SELECT
   statement, no FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT or WITH of its own. ``1); DROP
   TABLE …; --`` is two statements and ``1) FROM t WHERE (true`` does not parse: both refused
   when definitions load, so ``dg check defs`` names them.
2. **Read-only where it runs.** The rule is evaluated on a connection opened ``read_only`` with
   ``enable_external_access = false`` (:meth:`WarehouseResource.reader`): DuckDB itself refuses
   INSERT, UPDATE, DELETE, CREATE, ATTACH, COPY, file readers (``read_csv``, ``read_text``) and
   ``getenv``, and external access cannot be switched back on while the database is open.
   Subqueries over other warehouse tables stay possible (``references`` needs them); they read.
3. **A boolean.** The expression's type is asked of DuckDB before the rule runs; anything but
   BOOLEAN fails the check with that said, never a silent cast.

Failing rows are named by the rule's ``key_columns`` only, passed through the warehouse's
card-number mask; the check's metadata carries counts and exception ids, never row values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file

KIND = "business_rule"
SEVERITIES = ("low", "medium", "high")


class RuleRefused(ValueError):
    """A rule's expression is not one read-only boolean expression."""


def guard_expression(expression: str) -> str:
    """``expression`` unchanged if DuckDB parses it as exactly one expression, else RuleRefused.

    Parsed on an in-memory connection: no warehouse is opened when definitions load."""
    if not expression.strip():
        raise RuleRefused("the rule's expression is empty")
    with duckdb.connect() as conn:
        [(serialised,)] = conn.execute(
            "SELECT json_serialize_sql($query)",
            {"query": f"SELECT ({expression}) AS rule_holds"},
        ).fetchall()
    parsed = json.loads(serialised)
    if parsed["error"]:
        raise RuleRefused(f"not one SQL expression ({parsed.get('error_message', 'unparseable')})")
    statements = parsed["statements"]
    node = statements[0]["node"] if len(statements) == 1 else {}
    if (
        node.get("type") != "SELECT_NODE"
        or len(node.get("select_list", ())) != 1
        or node["from_table"]["type"] != "EMPTY"
        or node.get("where_clause") is not None
        or node.get("group_expressions")
        or node.get("having") is not None
        or node.get("modifiers")
        or node.get("cte_map", {}).get("map")
    ):
        raise RuleRefused("not one SQL expression: it must be a condition on a row, nothing more")
    return expression


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def table_parts(table: str) -> tuple[str, str]:
    schema, _, name = table.partition(".")
    if not (schema.isidentifier() and name.isidentifier()):
        raise RuleRefused(
            f"{table!r} is not a schema-qualified warehouse table (raw.retail_tickets)"
        )
    return schema, name


@dataclass(frozen=True)
class RuleSpec:
    """What the check needs of a rule, decided when definitions load."""

    name: str
    table: str
    predicate: str
    key_columns: tuple[str, ...]
    date_column: str | None
    severity: str
    description: str


@dataclass(frozen=True)
class RuleOutcome:
    rows_checked: int
    failing_rows: int
    exception_ids: list[str]


def evaluate(
    conn: duckdb.DuckDBPyConnection, rule: RuleSpec, first: date | None, last: date | None
) -> tuple[int, list[tuple[date | None, str]]]:
    """(rows checked, [(business day, source keys) of each failing row]) on a read-only ``conn``.

    A row fails when the predicate is false or NULL: a rule that cannot say yes does not hold."""
    schema, name = table_parts(rule.table)
    source = f"{schema}.{name}"
    where = "true"
    params: dict = {}
    if rule.date_column is not None:
        where = f"{quote_identifier(rule.date_column)} BETWEEN $first AND $last"
        params = {"first": first, "last": last}
    [(kind,)] = conn.execute(
        f"SELECT typeof(({rule.predicate})) FROM {source} LIMIT 1"
    ).fetchall() or [("BOOLEAN",)]
    if kind != "BOOLEAN":
        raise RuleRefused(f"rule {rule.name}: the expression is {kind}, not a true/false condition")
    keys = (
        " || ', ' || ".join(
            f"{quote_literal(column + '=')} || coalesce(CAST({quote_identifier(column)} AS VARCHAR), '(null)')"
            for column in rule.key_columns
        )
        or "'(no key columns)'"
    )
    day = quote_identifier(rule.date_column) if rule.date_column else "NULL::DATE"
    [(checked,)] = conn.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchall()
    statement = sql_file("recon/select_rule_failures.sql")
    for hole, text in {
        "{day}": day,
        "{keys}": keys,
        "{table}": source,
        "{window}": where,
        "{predicate}": rule.predicate,
    }.items():
        statement = statement.replace(hole, text)
    failing = conn.execute(statement, params).fetchall()
    return checked, failing


def record_exceptions(
    conn: duckdb.DuckDBPyConnection,
    rule: RuleSpec,
    failing: list[tuple[date | None, str]],
    first: date,
    last: date,
    run_id: str,
) -> list[str]:
    """Write the failing rows as recon.exceptions (kind business_rule), keeping ids, status and
    notes across runs as the reconciliations do; returns the ids of the rows found now."""
    run_script(
        conn,
        sql_file("recon/record_rule_exceptions.sql"),
        {
            "rule": rule.name,
            "severity": rule.severity,
            "description": rule.description,
            "days": [day or last for day, _ in failing],
            "keys": [keys for _, keys in failing],
            "first": first,
            "last": last,
            "run_id": run_id,
        },
    )
    listed = conn.execute(
        sql_file("recon/list_rule_exceptions.sql"),
        {"prefix": f"rule={rule.name}, %", "first": first, "last": last},
    )
    return [exception_id for (exception_id,) in listed.fetchall()]
