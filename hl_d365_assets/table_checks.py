"""Table models (hl_d365_assets.table_models) run as Dagster asset checks, one per table.

The check reads the partition's rows into polars by Arrow transfer, validates them lazily so
every failure is collected, and reports how many rows break which rule with a few of those rows.
A day of more than ``SLICE_ROWS`` rows is read and validated in slices, so the check's memory
stays flat as the day grows (the 1,000,000-transaction day's whole-day frame and pandera's
working columns took the run's peak from 1.3 to 2.3 GB). The rules that look across rows are
the models' uniqueness rules and the rules over groups of rows (``table_models.slice_keys``: an
allocated item's shares summed over its event id): every row of a group with more than one row
goes into the first slice, so they stay exact, and the other rows are dealt out in ranges of
their row ids: a range is read from its own row groups, where a slice dealt out by hash made every
slice decompress the whole day (20 slices of the 5,000,000-transaction day: 1.31 s a slice by
hash, 0.17 s by range, measured).
Sample rows and failing values come straight from the warehouse, so every cell passes through
the PCI scanner's mask before it reaches Dagster metadata (DESIGN.md, "Card data"), and pandera's
own error text, which quotes values unmasked, is never used.
"""

import copy
import functools
import itertools
import time
from dataclasses import dataclass
from datetime import date

import dagster as dg
import duckdb
import pandera.errors
import pandera.polars as pa
import polars as pl
from pandera.constants import CHECK_OUTPUT_KEY

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.pci import mask_card_numbers
from hl_d365_assets.table_models import slice_keys
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, sql_file

CHECK_NAME = "schema_contract"
SAMPLE_ROWS = 5
EXAMPLES_PER_CHECK = 3
FAILURE_CASES_KEPT = 100
MAX_CELL_CHARS = 240
SLICE_ROWS = 250_000
"""Rows validated at once: ~250 MB of polars frame and pandera's working columns at the widest
table (raw.payment_transactions, 35 columns)."""


def build_table_model_check(
    asset_key: dg.AssetKey,
    table: str,
    model: type[pa.DataFrameModel],
    blocking: bool,
    description: str,
) -> dg.AssetChecksDefinition:
    """An asset check validating ``table``'s rows of the run's business days against ``model``.

    A failure blocks downstream assets (when ``blocking``) unless every failed rule is one the
    model declares ``raise_warning=True``: those fail with severity WARN, which Dagster does not
    block on.
    """
    _split_table(table)  # a typo fails when definitions load, not in a run
    rules = "\n".join(f"- `{check.name}`: {_rule(check)}" for check in model.to_schema().checks)

    @dg.asset_check(
        asset=asset_key,
        name=CHECK_NAME,
        description=f"{description}\n\nCross-column rules:\n{rules}" if rules else description,
        blocking=blocking,
        partitions_def=business_days,
        retry_policy=WAREHOUSE_RETRY,
    )
    def schema_contract(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        started = time.perf_counter()
        by_day = []
        # One business day in memory at a time: a week's backfill checks each day as a run of
        # that day alone would, within one day's memory (the rules are all per day).
        for day in partition_dates(context):
            with warehouse.writer() as conn:
                by_day.append((day, validate_partition(conn, table, model, day)))
        result = by_day[0][1] if len(by_day) == 1 else _combined(by_day)
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=result.severity,
            metadata={
                **result.metadata,
                "compute_seconds": round(time.perf_counter() - started, 3),
            },
        )

    return schema_contract


def read_partition(
    conn: duckdb.DuckDBPyConnection, table: str, first: date, last: date
) -> pl.DataFrame:
    """Every row of ``table`` for business days ``first``..``last``, column types as DuckDB gives
    them to polars (DECIMAL stays Decimal) and instants in UTC."""
    schema, name = _split_table(table)
    conn.execute("SET TimeZone = 'UTC'").fetchall()
    relation = conn.sql(
        f"SELECT * FROM {schema}.{name} WHERE business_date BETWEEN $first AND $last",
        params={"first": first, "last": last},
    )
    # DuckDB hands polars the result as Arrow, no row loop. relation.pl(), not
    # pl.DataFrame(relation): with pyarrow installed (splink needs it) the latter leaves DuckDB
    # type objects alive at interpreter exit, and nanobind prints a page of leak warnings.
    return relation.pl()


def validate_partition(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    model: type[pa.DataFrameModel],
    day: date,
    slice_rows: int = SLICE_ROWS,
) -> dg.AssetCheckResult:
    """Validate ``table``'s rows of ``day`` against ``model``, in slices of about ``slice_rows``
    rows when the day has more (the module docstring says how uniqueness stays exact)."""
    schema, name = _split_table(table)
    [(count,)] = conn.execute(
        sql_file("ops/count_day_rows.sql", schema=schema, table=name), {"day": day}
    ).fetchall()
    slices = max(1, -(-count // slice_rows))
    if slices == 1:
        return validate_rows(model, read_partition(conn, table, day, day))
    conn.execute(sql_file("ops/create_contract_duplicate_rows.sql")).fetchall()
    for key in slice_keys(model):
        conn.execute(
            sql_file("ops/insert_contract_duplicate_rows.sql", schema=schema, table=name, key=key),
            {"day": day},
        ).fetchall()
    [(bounds,)] = conn.execute(
        sql_file("ops/select_contract_slice_bounds.sql", schema=schema, table=name),
        {"day": day, "fractions": [number / slices for number in range(1, slices)]},
    ).fetchall()
    conn.execute("SET TimeZone = 'UTC'").fetchall()
    parts = []
    for number, (low, high) in enumerate(itertools.pairwise(bounds)):
        rows = conn.sql(
            sql_file("ops/select_contract_slice.sql", schema=schema, table=name),
            params={"day": day, "low": low, "high": high},
        ).pl()
        if number == 0:
            duplicates = conn.sql(
                sql_file("ops/select_contract_duplicate_rows.sql", schema=schema, table=name),
                params={"day": day},
            ).pl()
            rows = pl.concat([rows, duplicates])
        parts.append(_validate_slice(model, rows))
        del rows
    conn.execute("DROP TABLE contract_duplicate_rows").fetchall()
    return _result(parts)


@dataclass(frozen=True)
class _Slice:
    """One slice's validation: its row count and seconds, its failures (``_failing_rows``) and
    up to SAMPLE_ROWS of its failing rows with the checks each failed."""

    rows: int
    seconds: float
    failures: pl.DataFrame | None
    sample: pl.DataFrame | None


def validate_rows(model: type[pa.DataFrameModel], rows: pl.DataFrame) -> dg.AssetCheckResult:
    """Validate ``rows`` against ``model``, collecting every failure, as a check result."""
    return _result([_validate_slice(model, rows)])


def _validate_slice(model: type[pa.DataFrameModel], rows: pl.DataFrame) -> _Slice:
    schema, warning_checks = _reporting_schema(model)
    started = time.perf_counter()
    try:
        # Pandera collects each rule on its own. Polars' default engine ("auto") ran the window
        # rules (``sum().over(...)``) as slowly as its streaming engine, 2-3x the in-memory
        # engine's time on a slice already in memory (a 250,000-row slice of
        # canonical.payroll_allocations: 0.22 -> 0.09 s CPU). Same rules, same results.
        with pl.Config(engine_affinity="in-memory"):
            schema.validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        failures = _failing_rows(errors.schema_errors, warning_checks)
    else:
        return _Slice(rows.height, time.perf_counter() - started, None, None)
    indexes = failures["index"].drop_nulls().unique().sort().head(SAMPLE_ROWS)
    return _Slice(
        rows.height, time.perf_counter() - started, failures, _sample_rows(rows, failures, indexes)
    )


def _result(parts: list[_Slice]) -> dg.AssetCheckResult:
    """The slices' validations as one check result: row positions are offset slice by slice,
    so a row counts once however many rules it fails."""
    offset, frames = 0, []
    for part in parts:
        if part.failures is not None:
            frames.append(part.failures.with_columns(pl.col("index") + offset))
        offset += part.rows
    failures = pl.concat(frames) if frames else None
    metadata: dict[str, dg.MetadataValue | int | float | dict] = {
        "rows_checked": offset,
        "validation_seconds": round(sum(part.seconds for part in parts), 3),
    }
    if failures is None:
        return dg.AssetCheckResult(
            passed=True,
            metadata={
                **metadata,
                "failing_rows": 0,
                "failures_by_check": {},
                "failures": dg.MetadataValue.md("none"),
            },
        )
    by_check = _failures_by_check(failures)
    failing_indexes = failures["index"].drop_nulls().unique().sort()
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN
        if failures["warns"].all()
        else dg.AssetCheckSeverity.ERROR,
        metadata={
            **metadata,
            "failing_rows": failing_indexes.len(),
            "failures_by_check": dict(
                zip(by_check["check"], by_check["failing_rows"], strict=True)
            ),
            "failures": dg.MetadataValue.md(_failures_markdown(by_check)),
            "sample_failing_rows": dg.MetadataValue.md(
                _sample_rows_markdown(
                    pl.concat([p.sample for p in parts if p.sample is not None]).head(SAMPLE_ROWS)
                )
            ),
        },
    )


def _combined(by_day: list[tuple[date, dg.AssetCheckResult]]) -> dg.AssetCheckResult:
    """Several days' results as one: counts summed, and each failing day's tables under its date."""
    failing = [(day, result) for day, result in by_day if not result.passed]

    def total(name: str) -> float:
        return sum(_number(result.metadata[name]) for _, result in by_day)

    metadata: dict[str, dg.MetadataValue | int | float | dict] = {
        "rows_checked": int(total("rows_checked")),
        "validation_seconds": round(total("validation_seconds"), 3),
        "failing_rows": int(total("failing_rows")),
    }
    if not failing:
        return dg.AssetCheckResult(
            passed=True,
            metadata={**metadata, "failures_by_check": {}, "failures": dg.MetadataValue.md("none")},
        )
    counts: dict[str, int] = {}
    for _, result in failing:
        for check, count in _value(result.metadata["failures_by_check"]).items():
            counts[check] = counts.get(check, 0) + count
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR
        if any(result.severity == dg.AssetCheckSeverity.ERROR for _, result in failing)
        else dg.AssetCheckSeverity.WARN,
        metadata={
            **metadata,
            "failures_by_check": counts,
            **{
                name: dg.MetadataValue.md(
                    "\n\n".join(
                        f"**{day}**\n\n{_value(result.metadata[name])}" for day, result in failing
                    )
                )
                for name in ("failures", "sample_failing_rows")
            },
        },
    )


def _value(entry: object) -> object:
    return getattr(entry, "value", entry)


def _number(entry: object) -> float:
    return float(_value(entry))  # type: ignore[arg-type]


@functools.cache
def _reporting_schema(
    model: type[pa.DataFrameModel],
) -> tuple[pa.DataFrameSchema, frozenset[str]]:
    """The model's schema set up for reporting, and the labels of its warning-only rules.

    Pandera turns every failing row of a table-wide rule into a Python dict; a systematic error
    over a million rows would take minutes. So each check keeps only a few failure cases, and
    exact counts come from its full boolean output instead (``_failing_rows``). Rules declared
    ``raise_warning=True`` would only emit a Python warning, uncounted; here they fail like the
    others and are reported with severity WARN.
    """
    schema = copy.deepcopy(model.to_schema())
    checks = [(None, check) for check in schema.checks] + [
        (column.name, check) for column in schema.columns.values() for check in column.checks
    ]
    warning_checks = set()
    for column, check in checks:
        check.n_failure_cases = FAILURE_CASES_KEPT
        if check.raise_warning:
            check.raise_warning = False
            warning_checks.add(_label(column, _check_name(check)))
    return schema, frozenset(warning_checks)


def _failing_rows(
    errors: list[pandera.errors.SchemaError], warning_checks: frozenset[str]
) -> pl.DataFrame:
    """One row per (failed check, failing row): ``check``, ``rule``, ``warns``, ``index`` (the
    row's position; NULL for a failure of the table itself, such as a wrong dtype) and
    ``example`` (a few failing values of a column check)."""
    frames = []
    for error in errors:
        check = error.check
        if check is None:
            name, rule = error.reason_code.name.lower(), ""
        elif isinstance(check, str):
            name, rule = check, ""
        else:
            name, rule = _check_name(check), _rule(check)
        column = None if isinstance(error.schema, pa.DataFrameSchema) else error.schema.name
        label = _label(column, name)
        output = error.check_output
        if isinstance(output, pl.DataFrame) and CHECK_OUTPUT_KEY in output.columns:
            indexes = output.select(pl.arg_where(pl.col(CHECK_OUTPUT_KEY).not_()).alias("index"))
        else:
            indexes = pl.DataFrame({"index": [None]}, schema={"index": pl.UInt32})
        frames.append(
            indexes.cast({"index": pl.UInt32}).with_columns(
                check=pl.lit(label),
                rule=pl.lit(rule),
                warns=pl.lit(label in warning_checks),
                example=pl.lit(_examples(error.failure_cases), dtype=pl.List(pl.String)),
            )
        )
    return pl.concat(frames)


def _check_name(check: pa.Check) -> str:
    return check.error or check.name or str(check)


def _rule(check: pa.Check) -> str:
    """The business rule a check states: its docstring, on one line."""
    return " ".join((check.description or "").split())


def _label(column: str | None, check_name: str) -> str:
    """Table-wide rules go by their name, column checks by ``column: check``."""
    return check_name if column is None else f"{column}: {check_name}"


def _examples(failure_cases: object) -> list[str]:
    if isinstance(failure_cases, pl.DataFrame):
        if failure_cases.width != 1:
            return []
        values = failure_cases.to_series().drop_nulls().cast(pl.String).unique(maintain_order=True)
        return values.head(EXAMPLES_PER_CHECK).to_list()
    return [] if failure_cases is None else [str(failure_cases)]


def _failures_by_check(failures: pl.DataFrame) -> pl.DataFrame:
    return (
        failures.group_by("check", maintain_order=True)
        .agg(
            rule=pl.col("rule").first(),
            severity=pl.when(pl.col("warns").first())
            .then(pl.lit("warn"))
            .otherwise(pl.lit("error")),
            # A row-less failure (a wrong dtype, a missing column) counts once.
            failing_rows=pl.col("index").drop_nulls().n_unique().clip(lower_bound=1),
            examples=pl.col("example").first(),
        )
        .sort("failing_rows", "check", descending=[True, False])
    )


def _failures_markdown(by_check: pl.DataFrame) -> str:
    lines = ["| check | severity | failing rows | rule | examples |", "|---|---|---|---|---|"]
    for check, severity, rule, count, examples in by_check.select(
        "check", "severity", "rule", "failing_rows", "examples"
    ).iter_rows():
        shown = ", ".join(f"`{_cell(example)}`" for example in examples)
        lines.append(f"| {_cell(check)} | {severity} | {count} | {_cell(rule)} | {shown} |")
    return "\n".join(lines)


def _sample_rows(rows: pl.DataFrame, failures: pl.DataFrame, indexes: pl.Series) -> pl.DataFrame:
    """The rows at ``indexes`` with the checks each failed, first column ``failed checks``."""
    checks = (
        failures.filter(pl.col("index").is_in(indexes.implode()))
        .group_by("index")
        .agg(pl.col("check").unique().sort().str.join(", ").alias("failed checks"))
    )
    return (
        rows.with_row_index("index")
        .join(checks, on="index")
        .sort("index")
        .select("failed checks", pl.exclude("failed checks", "index"))
    )


def _sample_rows_markdown(sample: pl.DataFrame) -> str:
    if sample.is_empty():
        return "(no row-level failures)"
    header = "| " + " | ".join(sample.columns) + " |"
    rule = "|" + "---|" * sample.width
    body = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in sample.iter_rows()]
    return "\n".join([header, rule, *body])


def _cell(value: object) -> str:
    """One metadata cell: masked first, then flattened and shortened, so truncation can never
    cut a card number into a fragment the scanner no longer recognises."""
    if value is None:
        return ""
    text = mask_card_numbers(str(value)).replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _split_table(table: str) -> tuple[str, str]:
    schema, _, name = table.partition(".")
    if not (schema.isidentifier() and name.isidentifier()):
        raise ValueError(f"{table!r} is not a schema-qualified table name")
    return schema, name
