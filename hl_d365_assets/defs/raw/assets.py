"""Raw layer, loaded from the landing zone: one daily-partitioned asset per Heartland entity, and
the raw.d365_* tables of D365's reference data and sales orders (not partitioned: a pull is a
snapshot of what D365 holds, not a business day's events)."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.d365.pull import ENTITIES as D365_ENTITIES
from hl_d365_assets.d365.pull import ORDER_ENTITIES, SALES_ORDERS
from hl_d365_assets.d365.raw_load import (
    d365_fields,
    describe,
    load_pulls,
    newest_pulls,
    orders_held,
    pulls_since_full,
    row_counts,
)
from hl_d365_assets.defs.landing.assets import TARGETED_PULL_KEY
from hl_d365_assets.defs.payroll.jobs import PAYROLL_GROUP
from hl_d365_assets.mapping_copilot import field_mappings
from hl_d365_assets.raw_loader import (
    BANK_ENTITIES,
    BANK_SOURCE,
    D365_SOURCE,
    ENTITIES,
    PAYROLL_ENTITIES,
    PAYROLL_SOURCE,
    RETAIL_ENTITIES,
    RETAIL_SOURCE,
    SOURCE,
    load_entity,
    quarantine_by_reason,
    raw_table,
)
from hl_d365_assets.raw_loader import D365_ENTITIES as D365_EVENT_ENTITIES
from hl_d365_assets.resources import LandingZoneResource, MappingsResource
from hl_d365_assets.table_metadata import definition_metadata, table_metadata
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, transaction

OWNERS = ["team:finance-data"]

DESCRIPTIONS = {
    "payment_transactions": "Heartland gateway transactions (GP-API transaction resource), one row per "
    "delivered event: captures, declines, voids, reversals and refunds.",
    "settlement_batches": "Closed Heartland settlement batches with per-brand volumes, fees and the "
    "net deposit.",
    "payment_notifications": "GP-API payment outcomes of D365 sales orders (status_url notifications "
    "and what the poll fallback found), one row per delivered transaction state.",
    "retail_tickets": "Heartland Retail tickets with their lines and payments, nested as served, one row "
    "per version (a later updated_at is a new row; canonical keeps the latest).",
    "retail_items": "Heartland Retail items (SKU, description, price, cost, grid) as pulled each day.",
    "retail_customers": "Heartland Retail customers with their addresses (personal data, for the "
    "customer MDM).",
    "retail_locations": "Heartland Retail locations (stores) with their stations (registers).",
    "retail_payment_types": "Heartland Retail payment types (Cash, Visa, Gift Card, ...).",
    "retail_inventory_values": "Heartland Retail stock per item and location, the day's snapshot.",
    "payroll_register": "Heartland payroll register lines from dropped export files (one row per "
    "employee x pay item, read through mappings/payroll_register_columns.csv), by check date. "
    "Lines carrying an SSN, bank or routing number or a date of birth are quarantined masked.",
    "bank_statement_lines": "Bank statement lines from dropped statement files (read through "
    "mappings/bank_statement_columns.csv, account number cut to its last four digits), by "
    "booking date: the funding side of payroll reconciliation.",
    "d365_business_events": "D365 business events (SalesOrderChangedBusinessEvent, ...) as the "
    "receiver landed them, one row per EventId, under the merchant's date of EventTime.",
}


def build_raw_asset(
    entity: str, source: str = SOURCE, group_name: str = "raw"
) -> dg.AssetsDefinition:
    table = raw_table(source, entity)

    @dg.asset(
        key=["raw", table],
        deps=[dg.AssetKey(["landing", source, entity])],
        description=DESCRIPTIONS[table]
        + " Bad lines go to ops.quarantine with a reason; redeliveries to ops.duplicate_events.",
        metadata=definition_metadata(f"raw.{table}"),
        group_name=group_name,
        kinds={"duckdb", "sql"},
        owners=OWNERS,
        partitions_def=business_days,
        backfill_policy=single_run_backfill,
        pool="warehouse",
        retry_policy=WAREHOUSE_RETRY,
    )
    def raw_entity(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        landing: LandingZoneResource,
        mappings: MappingsResource,
    ) -> dg.MaterializeResult:
        days = partition_dates(context)
        renames = field_mappings.read(Path(mappings.directory), source, entity)
        by_day = {day.isoformat(): landing.zone.segments(source, entity, day) for day in days}
        segments = [path for day_segments in by_day.values() for path in day_segments]
        started = time.perf_counter()
        phases: dict[str, float] = {}
        with warehouse.writer() as conn:
            loads = load_entity(
                conn,
                entity,
                segments,
                days,
                source=source,
                field_mappings=renames,
                timings=phases,
            )
            sql_seconds = time.perf_counter() - started
            reasons = quarantine_by_reason(conn, entity, days[0], days[-1], source=source)
            metadata = table_metadata(conn, f"raw.{table}", days[0], days[-1])
        totals = {
            field: sum(getattr(load, field) for load in loads)
            for field in ("segments", "landed", "loaded", "duplicates", "quarantined")
        }
        if totals["quarantined"]:
            context.log.warning(
                f"raw.{table} {days[0]}..{days[-1]}: {totals['quarantined']} record(s) quarantined "
                f"({', '.join(f'{k}: {v}' for k, v in reasons.items())}); see ops.quarantine"
            )
        return dg.MaterializeResult(
            metadata={
                **metadata,
                **totals,
                "quarantined_by_reason": reasons,
                # The newest segment loaded per day: the landing sensor re-opens a day only when
                # a newer one lands.
                "landing_watermarks": dg.MetadataValue.json(
                    {day: max(p.name for p in paths) for day, paths in by_day.items() if paths}
                ),
                "sql_seconds": round(sql_seconds, 3),
                # Where the load's time goes (the benchmark's per-step table).
                "phase_seconds": {phase: round(seconds, 3) for phase, seconds in phases.items()},
                "compute_seconds": round(time.perf_counter() - started, 3),
            }
        )

    return raw_entity


raw_assets = (
    [build_raw_asset(entity) for entity in ENTITIES]
    + [build_raw_asset(entity, RETAIL_SOURCE) for entity in RETAIL_ENTITIES]
    + [build_raw_asset(entity, D365_SOURCE) for entity in D365_EVENT_ENTITIES]
    + [build_raw_asset(entity, PAYROLL_SOURCE, PAYROLL_GROUP) for entity in PAYROLL_ENTITIES]
    + [build_raw_asset(entity, BANK_SOURCE, PAYROLL_GROUP) for entity in BANK_ENTITIES]
)


@dg.multi_asset(
    name="raw_d365",
    specs=[
        dg.AssetSpec(
            key=entity.key,
            # Sales orders also take the targeted pulls business events trigger (defs/d365_orders).
            deps=[entity.landing_key, *([TARGETED_PULL_KEY] if entity in ORDER_ENTITIES else [])],
            description=entity.description,
            # The D365 group, not raw: the tables are reference data with no business day, and
            # the daily job (which selects the raw group) must not reload them per day.
            group_name="d365",
            kinds={"d365", "duckdb"},
            owners=OWNERS,
            metadata={
                "d365/entity_set": entity.entity_set,
                **definition_metadata(f"raw.{entity.table}"),
            },
        )
        for entity in D365_ENTITIES
    ],
    description="Load raw.d365_* from the newest completed D365 pull in the landing zone, in one "
    "transaction: a full pull replaces its table, an incremental sales-order pull replaces the "
    "orders it fetched with their lines. Re-materialising replays the landed pull without D365.",
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def raw_d365(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingZoneResource,
) -> Iterator[dg.MaterializeResult]:
    with warehouse.writer() as conn:
        fields = d365_fields(conn)
        rows_before = row_counts(conn)
        pulls = newest_pulls(conn, landing.zone)
        order_history = {
            entity.table: pulls_since_full(conn, landing.zone, entity) for entity in ORDER_ENTITIES
        }
        started = time.perf_counter()
        with transaction(conn):
            load_pulls(conn, pulls, fields, order_history)
        write_seconds = time.perf_counter() - started
        rows_after = row_counts(conn)
        _, newest_order = orders_held(conn)
        schemas = {entity.table: _column_schema(conn, entity.table) for entity in D365_ENTITIES}
    context.log.info(
        "raw.d365_* loaded from the landed pull(s) "
        + ", ".join(sorted({pull.received_at for pull in pulls.values()}))
    )
    for entity in D365_ENTITIES:
        pull = pulls[entity.table]
        completion = pull.completion
        metadata: dict = {
            "dagster/row_count": rows_after[entity.table],
            "dagster/table_name": f"warehouse.raw.{entity.table}",
            "dagster/column_schema": schemas[entity.table],
            "mode": completion["mode"],
            "why": completion["why"],
            "records_fetched": completion["records"],
            "pages_fetched": completion["pages"],
            "rows_before": rows_before[entity.table],
            "net_row_change": rows_after[entity.table] - rows_before[entity.table],
            "pulled_at": pull.pulled_at.isoformat(timespec="seconds"),
            "landing_business_date": pull.business_date,
            "fetch_seconds": completion["fetch_seconds"],
            "write_seconds": round(write_seconds, 3),
        }
        if "watermark" in completion:
            metadata["watermark"] = dict(completion["watermark"])
        if entity is SALES_ORDERS:
            metadata["watermark"]["newest_held_after"] = _iso(newest_order)
        yield dg.MaterializeResult(asset_key=entity.key, metadata=metadata)


def _column_schema(conn: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    """Columns with the descriptions written once in sql/raw/create_d365_*.sql."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=data_type,
                description=comment,
                constraints=dg.TableColumnConstraints(nullable=nullable),
            )
            for name, data_type, nullable, comment in describe(conn, table)
        ]
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
