"""A business rule as YAML: a named condition every row of a warehouse table must satisfy, run as
an asset check on that table's asset, its failing rows counted and written as
``recon.exceptions`` of kind ``business_rule`` (hl_d365_assets/business_rules.py says how the
SQL is guarded and run read-only)."""

import time
from datetime import UTC, date, datetime
from typing import Literal

import dagster as dg
import duckdb
from pydantic import Field, model_validator

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.business_rules import (
    KIND,
    RuleRefused,
    RuleSpec,
    evaluate,
    guard_expression,
    quote_identifier,
    quote_literal,
    record_exceptions,
    table_parts,
)
from hl_d365_assets.pci import mask_card_numbers
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource


class Between(dg.Model):
    """Inclusive bounds, as text so money and quantities stay exact (DuckDB casts them to the
    column's type); either may be left out."""

    min: str | None = None
    max: str | None = None


class References(dg.Model):
    """The column's value must be one of ``column`` in warehouse table ``table``."""

    table: str
    column: str


class Condition(dg.Model):
    """One declarative condition on one column; exactly one of the four is given."""

    column: str
    not_null: bool = False
    in_set: list[str] | None = None
    between: Between | None = None
    references: References | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Condition":
        given = [
            self.not_null,
            self.in_set is not None,
            self.between is not None,
            self.references is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one of not_null, in_set, between, references")
        return self

    def sql(self) -> str:
        column = quote_identifier(self.column)
        if self.not_null:
            return f"{column} IS NOT NULL"
        if self.in_set is not None:
            return f"{column} IN ({', '.join(quote_literal(v) for v in self.in_set)})"
        if self.between is not None:
            bounds = [f"{column} IS NOT NULL"]
            if self.between.min is not None:
                bounds.append(f"{column} >= {quote_literal(self.between.min)}")
            if self.between.max is not None:
                bounds.append(f"{column} <= {quote_literal(self.between.max)}")
            return " AND ".join(bounds)
        assert self.references is not None
        schema, name = table_parts(self.references.table)
        # NULL is not_null's business: a missing reference is not a wrong one.
        return (
            f"{column} IS NULL OR {column} IN (SELECT {quote_identifier(self.references.column)} "
            f"FROM {schema}.{name})"
        )


class BusinessRule(dg.Component, dg.Model, dg.Resolvable):
    """A named rule every row of a warehouse table must satisfy: an asset check on the table's
    asset whose failing rows become recon.exceptions (kind business_rule)."""

    name: str = Field(description="Rule name, a plain identifier; the check is named after it.")
    table: str = Field(description="Warehouse table, schema-qualified (raw.retail_tickets).")
    asset_key: str | None = Field(
        default=None, description="The table's asset (raw/retail_tickets); by default the table."
    )
    description: str = Field(description="The rule in words, for the people who act on it.")
    owner: str = Field(
        description="Who answers for the rule (team:finance-data, a person's e-mail)."
    )
    severity: Literal["low", "medium", "high"] = "medium"
    blocking: bool = Field(
        default=False, description="Whether a failure stops what is downstream in the same run."
    )
    key_columns: list[str] = Field(
        default_factory=list,
        description="Columns naming a failing row in its exception (identifiers, never personal data).",
    )
    date_column: str | None = Field(
        default="business_date",
        description="The table's business-day column; null for a table that is not per day.",
    )
    expression: str | None = Field(
        default=None, description="A SQL boolean expression each row must satisfy."
    )
    condition: Condition | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> "BusinessRule":
        if (self.expression is None) == (self.condition is None):
            raise ValueError("give exactly one of expression and condition")
        if not self.name.isidentifier():
            raise ValueError(f"name {self.name!r} must be a plain identifier (letters, digits, _)")
        table_parts(self.table)
        for column in [*self.key_columns, *([self.date_column] if self.date_column else [])]:
            if not column.isidentifier():
                raise ValueError(f"column {column!r} must be a plain identifier")
        guard_expression(self.predicate())
        return self

    def predicate(self) -> str:
        return self.expression if self.expression is not None else self.condition.sql()  # type: ignore[union-attr]

    def spec(self) -> RuleSpec:
        return RuleSpec(
            name=self.name,
            table=self.table,
            predicate=self.predicate(),
            key_columns=tuple(self.key_columns),
            date_column=self.date_column,
            severity=self.severity,
            description=" ".join(self.description.split()),
        )

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        rule = self.spec()
        key = dg.AssetKey((self.asset_key or self.table.replace(".", "/")).split("/"))

        @dg.asset_check(
            asset=key,
            name=self.name,
            description=f"{rule.description}\n\nRule (business rule from YAML, owner "
            f"{self.owner}, severity {self.severity}): `{rule.predicate}`",
            blocking=self.blocking,
            partitions_def=business_days if self.date_column else None,
            retry_policy=WAREHOUSE_RETRY,
            metadata={"owner": self.owner, "severity": self.severity, "rule": rule.predicate},
        )
        def business_rule_check(
            context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
        ) -> dg.AssetCheckResult:
            started = time.perf_counter()
            if self.date_column:
                days = partition_dates(context)
                first, last = days[0], days[-1]
            else:
                # A table that is not per day: its failing rows are dated the day of the check,
                # and every earlier exception of the rule is in the window, so one that no
                # longer fails clears.
                first, last = date(1970, 1, 1), datetime.now(UTC).date()
            try:
                with warehouse.reader() as conn:
                    checked, failing = evaluate(
                        conn, rule, *((first, last) if self.date_column else (None, None))
                    )
            except (RuleRefused, duckdb.Error) as refused:
                # A rule the read-only connection refuses (a write, a file reader) or that does
                # not run (a wrong column) fails its check, said in words; DuckDB may quote a
                # value in its message, so it passes the card-number mask first.
                return dg.AssetCheckResult(
                    passed=False,
                    metadata={"rule_not_run": mask_card_numbers(str(refused))[:500]},
                )
            with warehouse.writer() as conn:
                ids = record_exceptions(conn, rule, failing, first, last, context.run.run_id)
            return dg.AssetCheckResult(
                passed=not failing,
                severity=dg.AssetCheckSeverity.ERROR
                if self.severity == "high" or self.blocking
                else dg.AssetCheckSeverity.WARN,
                metadata={
                    "rows_checked": checked,
                    "failing_rows": len(failing),
                    "exceptions_still_detected": len(ids),
                    "exception_kind": KIND,
                    "first_exception_ids": ", ".join(ids[:5]) or "none",
                    "compute_seconds": round(time.perf_counter() - started, 3),
                },
            )

        return dg.Definitions(asset_checks=[business_rule_check])


__all__ = ["BusinessRule", "RuleRefused"]
