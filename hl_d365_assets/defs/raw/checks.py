"""Raw-layer checks, all blocking but the volume check, which only warns.

- Conservation of records: a day (or a D365 pull) that lost records must not reach the ledger.
- Load health (:mod:`hl_d365_assets.load_health`): a day that conserved its records but
  quarantined most of them must not look loaded. Above the configured quarantine share it fails
  and blocks canonical, recon and gl of the run, with the top reasons in its metadata and an
  ``ops.alerts`` row; above the warn share it warns. A day loading far fewer rows than recent
  days (zero events from a source that normally has them) warns with the expected volume.
- Payload shape (schema drift, issue 19): a field the parser's contract does not know, with the
  contract fields it replaced, named by field (never a value) and recorded in ops.payload_drift
  for ``hl-d365 mappings suggest`` to propose the rename (docs/mapping-copilot.md). Not blocking:
  conservation and the quarantine share already hold a day whose lines did not load.
- Table contracts (pandera models): a raw day that breaks the landing contract must not be
  normalised, let alone reach the ledger.
- Does D365 hold what the GL mapping posts to? A journal naming a main account or dimension value
  D365 lacks would be refused line by line at posting time, so it is caught here, before anything
  is sent. Compared: the main accounts of mappings/gl_main_accounts.csv and gl_posting_rules.csv
  against D365 MainAccounts of the ledger's chart of accounts, and the dimension values of
  gl_dimension_values.csv and gl_store_dimensions.csv against FinancialDimensionValues of their
  dimension — as last pulled into raw.d365_*. The outcome is written to
  ops.d365_mapping_validation, which the poster reads to refuse posting while the mapping does
  not validate.
"""

import time
from datetime import date
from pathlib import Path

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.d365.pull import (
    DIMENSION_VALUES,
    MAIN_ACCOUNTS,
    SALES_ORDER_LINES,
    SALES_ORDERS,
    WAREHOUSES_ON_HAND,
    PulledEntity,
)
from hl_d365_assets.d365.pull import ENTITIES as D365_ENTITIES
from hl_d365_assets.d365.raw_load import landed_records, newest_pull, rows_of_pull
from hl_d365_assets.load_health import (
    DayHealth,
    QuarantineReason,
    measure_days,
    raise_quarantine_alert,
    top_reasons,
)
from hl_d365_assets.mapping_copilot import field_mappings
from hl_d365_assets.raw_loader import (
    BANK_ENTITIES,
    BANK_SOURCE,
    ENTITIES,
    PAYROLL_ENTITIES,
    PAYROLL_SOURCE,
    RETAIL_ENTITIES,
    RETAIL_SOURCE,
    SOURCE,
    raw_table,
)
from hl_d365_assets.raw_loader import D365_ENTITIES as D365_EVENT_ENTITIES
from hl_d365_assets.raw_loader import D365_SOURCE as D365_EVENT_SOURCE
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import LandingZoneResource, MappingsResource
from hl_d365_assets.settings import load_settings
from hl_d365_assets.stock.order_lines import check_order_lines
from hl_d365_assets.table_checks import build_table_model_check
from hl_d365_assets.table_models import raw
from hl_d365_assets.warehouse import (
    WAREHOUSE_RETRY,
    WarehouseResource,
    run_script,
    sql_file,
    transaction,
)

MODELS = {
    "payment_transactions": (raw.PaymentTransactions, "docs/landing_format.md"),
    "settlement_batches": (raw.SettlementBatches, "docs/landing_format.md"),
    "payment_notifications": (raw.PaymentNotifications, "docs/orders.md"),
    "retail_tickets": (raw.RetailTickets, "docs/heartland_retail.md"),
    "payroll_register": (raw.PayrollRegister, "docs/payroll-intake.md"),
    "bank_statement_lines": (raw.BankStatementLines, "docs/payroll-intake.md"),
}
"""Raw table -> its pandera model and the page stating the contract it pins."""
CHART_OF_ACCOUNTS = "Shared"
"""The chart of accounts the legal entities' ledgers use (D365: General ledger > Ledger setup);
main accounts of other charts do not count."""


def count_lines(segment: Path) -> int:
    """Lines in a segment, counted as raw bytes so even a corrupt file is counted."""
    data = segment.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def landed_lines(
    segments_by_day: dict[date, list[Path]], read: set[tuple[date, str]]
) -> tuple[dict[date, int], int]:
    """Lines landed per day, recounted from the files, and how many segments landed after the load.

    Every segment the load read counts, and so does every segment it should have read: one older
    than the newest it read (segment files are written once, so a file's modification time is
    when it was written). A segment newer than all the load read — the webhook receiver lands
    events while runs load — is the next load's (the landing sensor starts it) and is only
    counted as late. A day the load read nothing of has no reference, so every segment of it
    counts: a loader that skipped a whole day still fails.
    """
    landed: dict[date, int] = {}
    late = 0
    for day, segments in segments_by_day.items():
        seen = [path for path in segments if (day, str(path)) in read]
        newest = max((path.stat().st_mtime for path in seen), default=None)
        total = 0
        for path in segments:
            unread = newest is not None and (day, str(path)) not in read
            if unread and path.stat().st_mtime > newest:
                late += 1
                continue
            total += count_lines(path)
        landed[day] = total
    return landed, late


def build_conservation_check(entity: str, source: str = SOURCE) -> dg.AssetChecksDefinition:
    table = raw_table(source, entity)

    @dg.asset_check(
        asset=dg.AssetKey(["raw", table]),
        name="conservation",
        description="Every landed line is in exactly one place: landed = loaded + duplicates + "
        "quarantined, with landed recounted from the landing files themselves.",
        blocking=True,
        partitions_def=business_days,
        retry_policy=WAREHOUSE_RETRY,
    )
    def conservation(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        landing: LandingZoneResource,
    ) -> dg.AssetCheckResult:
        started = time.perf_counter()
        days = partition_dates(context)
        params = {
            "first": days[0],
            "last": days[-1],
            "days": days,
            "source": source,
            "entity": entity,
        }
        with warehouse.writer() as conn:
            placed = conn.execute(
                sql_file("raw/count_partition_records.sql", entity=table), params
            ).fetchall()
            read = conn.execute(
                sql_file("ops/read_partition_load_segments.sql"),
                {key: params[key] for key in ("source", "entity", "first", "last")},
            ).fetchall()
        landed, late = landed_lines(
            {day: landing.zone.segments(source, entity, day) for day in days},
            {(day, path) for day, path in read},
        )
        broken = [
            f"{day}: landed {landed[day]} != loaded {loaded} + duplicates {dups} + quarantined {quar}"
            for day, loaded, dups, quar in placed
            if landed[day] != loaded + dups + quar
        ]
        return dg.AssetCheckResult(
            passed=not broken,
            metadata={
                "landed": sum(landed.values()),
                "loaded": sum(r[1] for r in placed),
                "duplicates": sum(r[2] for r in placed),
                "quarantined": sum(r[3] for r in placed),
                "unbalanced_days": "; ".join(broken) or "none",
                "segments_landed_after_the_load": late,
                "compute_seconds": round(time.perf_counter() - started, 3),
            },
        )

    return conservation


RAW_STREAMS = (
    [(SOURCE, entity) for entity in ENTITIES]
    + [(RETAIL_SOURCE, entity) for entity in RETAIL_ENTITIES]
    + [(PAYROLL_SOURCE, entity) for entity in PAYROLL_ENTITIES]
    + [(BANK_SOURCE, entity) for entity in BANK_ENTITIES]
)
"""Every (source, entity) the raw layer loads from the landing zone, one raw asset each."""

conservation_checks = [
    build_conservation_check(entity, source) for source, entity in RAW_STREAMS
] + [build_conservation_check(entity, D365_EVENT_SOURCE) for entity in D365_EVENT_ENTITIES]


def build_quarantine_share_check(entity: str, source: str = SOURCE) -> dg.AssetChecksDefinition:
    table = raw_table(source, entity)

    @dg.asset_check(
        asset=dg.AssetKey(["raw", table]),
        name="quarantine_share",
        description="The day's records are mostly loaded, not quarantined: quarantined / (loaded + "
        "quarantined) above HL_D365_QUARANTINE_FAIL_SHARE fails and blocks what is built from the "
        "day (with the top reasons here and an ops.alerts row); above "
        'HL_D365_QUARANTINE_WARN_SHARE it warns. See docs/ingestion.md, "Load health".',
        blocking=True,
        partitions_def=business_days,
        retry_policy=WAREHOUSE_RETRY,
    )
    def quarantine_share(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        days = partition_dates(context)
        thresholds = load_settings().load_health(source, entity)
        with warehouse.writer() as conn:
            health = measure_days(conn, source, entity, days, thresholds)
            reasons = top_reasons(conn, source, entity, days)
            failing = [d for d in health if d.quarantine_share > thresholds.quarantine_fail_share]
            for day in failing:
                raise_quarantine_alert(
                    conn, source, entity, day, reasons.get(day.business_date, []), thresholds
                )
        warning = [
            d
            for d in health
            if thresholds.quarantine_warn_share < d.quarantine_share and d not in failing
        ]
        flagged = failing or warning
        worst = max(health, key=lambda d: d.quarantine_share)
        limit = thresholds.quarantine_fail_share if failing else thresholds.quarantine_warn_share
        summary = flagged and (
            f"raw.{table}: {_days(flagged)} quarantined more than {limit:.0%} of the records "
            f"({worst.business_date}: {worst.quarantine_share:.1%}); top reasons: "
            f"{_reasons(reasons.get(worst.business_date, []))}"
        )
        return dg.AssetCheckResult(
            passed=not flagged,
            severity=dg.AssetCheckSeverity.ERROR if failing else dg.AssetCheckSeverity.WARN,
            description=summary or None,
            metadata={
                "quarantine_share": round(worst.quarantine_share, 4),
                "loaded": sum(d.loaded for d in health),
                "quarantined": sum(d.quarantined for d in health),
                "warn_share": thresholds.quarantine_warn_share,
                "fail_share": thresholds.quarantine_fail_share,
                "failing_days": [str(d.business_date) for d in failing],
                "warning_days": [str(d.business_date) for d in warning],
                "top_reasons": dg.MetadataValue.json(
                    {
                        str(day): {r.reason_code: r.records for r in day_reasons}
                        for day, day_reasons in sorted(reasons.items())
                    }
                ),
                "by_day": dg.MetadataValue.md(_share_table(health, reasons)),
            },
        )

    return quarantine_share


def build_volume_check(entity: str, source: str = SOURCE) -> dg.AssetChecksDefinition:
    table = raw_table(source, entity)

    @dg.asset_check(
        asset=dg.AssetKey(["raw", table]),
        name="volume_vs_recent_days",
        description="The day loaded about as many rows as recent days: fewer than "
        "HL_D365_VOLUME_WARN_RATIO x the median of the nearest HL_D365_VOLUME_BASELINE_DAYS loaded "
        "days (a day with zero events included) warns, with the expected volume. It only warns: a "
        'closed store or a quiet holiday is not an error. See docs/ingestion.md, "Load health".',
        partitions_def=business_days,
        retry_policy=WAREHOUSE_RETRY,
    )
    def volume_vs_recent_days(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        days = partition_dates(context)
        thresholds = load_settings().load_health(source, entity)
        with warehouse.writer() as conn:
            health = measure_days(conn, source, entity, days, thresholds)
        low = [d for d in health if d.volume_is_low(thresholds)]
        expected = [d.expected_loaded for d in health if d.expected_loaded is not None]
        return dg.AssetCheckResult(
            passed=not low,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"raw.{table}: {_days(low)} loaded fewer than {thresholds.volume_warn_ratio:.0%} "
                "of recent days' volume: "
                + "; ".join(
                    f"{d.business_date} loaded {d.loaded}, expected ~{d.expected_loaded}"
                    for d in low
                )
                if low
                else None
            ),
            metadata={
                "loaded": sum(d.loaded for d in health),
                # A number for one day, so the UI can plot it across partitions.
                "expected_loaded": expected[0] if len(health) == 1 and expected else None,
                "expected_loaded_by_day": dg.MetadataValue.json(
                    {str(d.business_date): d.expected_loaded for d in health}
                ),
                "low_volume_days": [str(d.business_date) for d in low],
                "zero_event_days": [str(d.business_date) for d in health if not d.landed],
                "warn_ratio": thresholds.volume_warn_ratio,
                "baseline_days": thresholds.volume_baseline_days,
                "by_day": dg.MetadataValue.md(_volume_table(health)),
            },
        )

    return volume_vs_recent_days


def _days(days: list[DayHealth]) -> str:
    return f"{len(days)} day(s)" if len(days) > 1 else str(days[0].business_date)


def _reasons(reasons: list[QuarantineReason]) -> str:
    return (
        ", ".join(f"{r.reason_code} {r.records} (e.g. {r.example_detail})" for r in reasons)
        or "none"
    )


def _share_table(health: list[DayHealth], reasons: dict) -> str:
    rows = [
        f"| {d.business_date} | {d.loaded} | {d.quarantined} | {d.quarantine_share:.2%} | "
        f"{_reasons(reasons.get(d.business_date, []))} |"
        for d in health
    ]
    return "\n".join(
        ["| day | loaded | quarantined | share | top reasons |", "|---|---:|---:|---:|---|", *rows]
    )


def _volume_table(health: list[DayHealth]) -> str:
    rows = [
        f"| {d.business_date} | {d.landed} | {d.loaded} | "
        f"{d.expected_loaded if d.expected_loaded is not None else 'no history'} | {d.baseline_days} |"
        for d in health
    ]
    return "\n".join(
        [
            "| day | landed | loaded | expected (median) | days in median |",
            "|---|---:|---:|---:|---:|",
            *rows,
        ]
    )


quarantine_share_checks = [
    build_quarantine_share_check(entity, source) for source, entity in RAW_STREAMS
]
volume_checks = [build_volume_check(entity, source) for source, entity in RAW_STREAMS]


def build_d365_conservation_check(entity: PulledEntity) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=entity.key,
        name="conservation",
        description=f"Every {entity.entity_set} record the newest D365 pull landed is in "
        f"raw.{entity.table} once: landed = loaded + exact repeats (served twice by paging), "
        "with landed recounted from the landing files.",
        blocking=True,
        retry_policy=WAREHOUSE_RETRY,
    )
    def d365_conservation(
        warehouse: WarehouseResource, landing: LandingZoneResource
    ) -> dg.AssetCheckResult:
        with warehouse.writer() as conn:
            pull = newest_pull(conn, landing.zone, entity)
            landed, duplicates = landed_records(conn, pull)
            loaded = rows_of_pull(conn, pull)
        return dg.AssetCheckResult(
            passed=landed == loaded + duplicates,
            metadata={
                "landed": landed,
                "loaded": loaded,
                "duplicates": duplicates,
                "pull": pull.received_at,
                "landing_business_date": pull.business_date,
            },
        )

    return d365_conservation


d365_conservation_checks = [build_d365_conservation_check(e) for e in D365_ENTITIES]

raw_table_model_checks = [
    build_table_model_check(
        asset_key=dg.AssetKey(["raw", entity]),
        table=f"raw.{entity}",
        model=model,
        blocking=True,
        description=f"Every row of raw.{entity} for the day meets the landing contract "
        f"({contract}): types, nullability, id shapes, exact money, "
        "one row per event id and per landed line, and the cross-column rules below.",
    )
    for entity, (model, contract) in MODELS.items()
]


@dg.asset_check(
    asset=MAIN_ACCOUNTS.key,
    name="mappings_exist_in_d365",
    additional_deps=[DIMENSION_VALUES.key],
    blocking=True,
    description="Every main account the GL mapping posts to (gl_main_accounts.csv, "
    f"gl_posting_rules.csv, gl_payroll_posting_rules.csv) exists in D365 MainAccounts of chart "
    f"{CHART_OF_ACCOUNTS}, and every dimension value (gl_dimension_values.csv, "
    "gl_store_dimensions.csv, payroll_departments.csv) exists in D365 FinancialDimensionValues for "
    "its dimension. Recorded in ops.d365_mapping_validation; re-run it (d365_mapping_check_job) "
    "after editing the mapping files. A value only the payroll mapping uses fails it at WARN "
    "severity: it holds the payroll journals that post to it, not the day's other journals.",
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def mappings_exist_in_d365(
    warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.AssetCheckResult:
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            run_script(
                conn,
                sql_file("ops/record_d365_mapping_validation.sql"),
                {"chart": CHART_OF_ACCOUNTS, "mappings_sha256": mappings.sha256()},
            )
        rows = conn.execute(sql_file("ops/list_d365_mapping_validation.sql")).fetchall()
        blocking_all = conn.execute(sql_file("ops/list_mappings_missing_in_d365.sql")).fetchall()
        d365_accounts, d365_values = conn.execute(
            sql_file("raw/count_d365_chart_and_dimension_values.sql"), {"chart": CHART_OF_ACCOUNTS}
        ).fetchall()[0]
    missing = [row for row in rows if not row[4]]
    missing_accounts = [value for kind, _, value, _, _ in missing if kind == "main_account"]
    missing_values = [
        f"{dim}={value}" for kind, dim, value, _, _ in missing if kind != "main_account"
    ]
    notes = []
    if not d365_accounts:
        notes.append(
            f"raw.d365_main_accounts holds no account of chart {CHART_OF_ACCOUNTS}: run "
            "d365_pull_job first (or D365 uses another chart)."
        )
    if not d365_values:
        notes.append("raw.d365_dimension_values is empty: run d365_pull_job first.")
    return dg.AssetCheckResult(
        passed=not missing,
        # Something only the payroll mapping uses holds just the payroll journals posting to it
        # (gl.payroll_journal_checks): said here, but no reason to fail the pull.
        severity=dg.AssetCheckSeverity.ERROR
        if blocking_all or not missing
        else dg.AssetCheckSeverity.WARN,
        metadata={
            "missing_main_accounts": missing_accounts,
            "missing_dimension_values": missing_values,
            "missing_for_payroll_only": len(missing) - len(blocking_all),
            "main_accounts_checked": sum(1 for row in rows if row[0] == "main_account"),
            "dimension_values_checked": sum(1 for row in rows if row[0] != "main_account"),
            "chart_of_accounts": CHART_OF_ACCOUNTS,
            "detail": dg.MetadataValue.md(
                "\n".join(
                    [f"- {note}" for note in notes]
                    + [
                        f"- **{dim + '=' if dim else 'main account '}{value}** is not in D365 "
                        f"(used by {referenced_by})"
                        for _, dim, value, referenced_by, _ in missing
                    ]
                )
                or "every mapped main account and dimension value exists in D365"
            ),
            "compute_seconds": round(time.perf_counter() - started, 3),
        },
    )


@dg.asset_check(
    asset=SALES_ORDER_LINES.key,
    name="order_lines_within_available_stock",
    additional_deps=[SALES_ORDERS.key, WAREHOUSES_ON_HAND.key],
    blocking=True,
    description="Check inventory levels: no line of an open confirmed D365 sales order asks for "
    "more than its shipping warehouse has available (AvailableOnHandQuantity) in the newest "
    "on-hand snapshot. The lines that do are named by order and line number. Warns, or fails "
    "and blocks for a legal entity whose order_stock_check is 'block' "
    "(mappings/inventory_tolerances.csv).",
    retry_policy=WAREHOUSE_RETRY,
)
def order_lines_within_available_stock(
    warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.AssetCheckResult:
    started = time.perf_counter()
    with warehouse.writer() as conn:
        outcome = check_order_lines(conn, mappings.directory)
    return dg.AssetCheckResult(
        passed=not outcome.short_lines,
        severity=dg.AssetCheckSeverity.ERROR
        if outcome.blocking_lines
        else dg.AssetCheckSeverity.WARN,
        metadata={
            "lines_over_available": len(outcome.short_lines),
            "blocking_lines": len(outcome.blocking_lines),
            "lines_without_stock_record": outcome.unjudged_lines,
            "lines": dg.MetadataValue.md(
                "\n".join(f"- {line.describe()}" for line in outcome.short_lines) or "none"
            ),
            "compute_seconds": round(time.perf_counter() - started, 3),
        },
    )


def build_payload_shape_check(entity: str, source: str) -> dg.AssetChecksDefinition:
    table = raw_table(source, entity)

    @dg.asset_check(
        asset=dg.AssetKey(["raw", table]),
        name="payload_shape",
        description="The day's payload fields (names, JSON types, nesting) against the fields "
        f"sql/raw/parse_{table}.sql reads: new and vanished fields with line counts.",
        blocking=False,
        partitions_def=business_days,
        retry_policy=WAREHOUSE_RETRY,
    )
    def payload_shape(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        landing: LandingZoneResource,
        mappings: MappingsResource,
    ) -> dg.AssetCheckResult:
        started = time.perf_counter()
        approved = field_mappings.read(Path(mappings.directory), source, entity)
        found: list[field_mappings.Drift] = []
        with warehouse.writer() as conn:
            for day in partition_dates(context):
                drifts = field_mappings.day_drift(
                    conn,
                    source,
                    entity,
                    landing.zone.segments(source, entity, day),
                    field_mappings.earlier_segments(landing.zone, source, entity, day),
                    approved,
                )
                with transaction(conn):
                    field_mappings.record_drift(conn, source, entity, day, drifts)
                found += drifts

        def listed(change: str) -> dict[str, int]:
            out: dict[str, int] = {}
            for d in found:
                if d.change == change:
                    out[d.field] = out.get(d.field, 0) + d.lines
            return out

        new, vanished = listed("new"), listed("vanished")
        return dg.AssetCheckResult(
            passed=not new,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "new_fields": dg.MetadataValue.json(new),
                "vanished_fields": dg.MetadataValue.json(vanished),
                "new_field_types": dg.MetadataValue.json(
                    {d.field: d.json_type for d in found if d.change == "new"}
                ),
                "next_step": "hl-d365 mappings suggest (field_rename suggestions)"
                if new
                else "none",
                "compute_seconds": round(time.perf_counter() - started, 3),
            },
        )

    return payload_shape


# The API payloads only. A payroll register or bank statement is a file whose columns pass through
# a column mapping first (docs/payroll-intake.md), which already reports unknown columns and
# quarantines a file missing required ones: its lines' shape is the mapping's, not the sender's.
payload_shape_checks = [
    build_payload_shape_check(e, s)
    for s, e in RAW_STREAMS
    if s not in (PAYROLL_SOURCE, BANK_SOURCE)
] + [build_payload_shape_check(e, D365_EVENT_SOURCE) for e in D365_EVENT_ENTITIES]
