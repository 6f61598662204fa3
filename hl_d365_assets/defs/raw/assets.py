"""Raw layer: one daily-partitioned asset per Heartland entity, loaded from the landing zone."""

import time

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.raw_loader import ENTITIES, SOURCE, load_entity, quarantine_by_reason
from hl_d365_assets.resources import LandingZoneResource
from hl_d365_assets.table_metadata import table_metadata
from hl_d365_assets.warehouse import WarehouseResource

OWNERS = ["team:finance-data"]

DESCRIPTIONS = {
    "payment_transactions": "Heartland gateway transactions (GP-API transaction resource), one row per "
    "delivered event: captures, declines, voids, reversals and refunds.",
    "settlement_batches": "Closed Heartland settlement batches with per-brand volumes, fees and the "
    "net deposit.",
    "pos_tickets": "Closed Heartland POS tickets with their lines and tenders, nested as sent.",
}


def build_raw_asset(entity: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", entity],
        deps=[dg.AssetKey(["landing", SOURCE, entity])],
        description=DESCRIPTIONS[entity]
        + " Bad lines go to ops.quarantine with a reason; redeliveries to ops.duplicate_events.",
        group_name="raw",
        kinds={"duckdb", "sql"},
        owners=OWNERS,
        partitions_def=business_days,
        backfill_policy=single_run_backfill,
        pool="warehouse",
    )
    def raw_entity(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        landing: LandingZoneResource,
    ) -> dg.MaterializeResult:
        days = partition_dates(context)
        by_day = {day.isoformat(): landing.zone.segments(SOURCE, entity, day) for day in days}
        segments = [path for day_segments in by_day.values() for path in day_segments]
        started = time.perf_counter()
        with warehouse.writer() as conn:
            loads = load_entity(conn, entity, segments, days)
            sql_seconds = time.perf_counter() - started
            reasons = quarantine_by_reason(conn, entity, days[0], days[-1])
            metadata = table_metadata(conn, f"raw.{entity}", days[0], days[-1])
        totals = {
            field: sum(getattr(load, field) for load in loads)
            for field in ("segments", "landed", "loaded", "duplicates", "quarantined")
        }
        if totals["quarantined"]:
            context.log.warning(
                f"raw.{entity} {days[0]}..{days[-1]}: {totals['quarantined']} record(s) quarantined "
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
                "compute_seconds": round(time.perf_counter() - started, 3),
            }
        )

    return raw_entity


raw_assets = [build_raw_asset(entity) for entity in ENTITIES]
