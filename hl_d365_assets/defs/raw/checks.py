"""Raw-layer checks: conservation of records (blocking: a day that lost records must not reach
the ledger)."""

import time
from pathlib import Path

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.raw_loader import ENTITIES, SOURCE
from hl_d365_assets.resources import LandingZoneResource
from hl_d365_assets.warehouse import WarehouseResource, sql_file


def count_lines(segment: Path) -> int:
    """Lines in a segment, counted as raw bytes so even a corrupt file is counted."""
    data = segment.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def build_conservation_check(entity: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", entity]),
        name="conservation",
        description="Every landed line is in exactly one place: landed = loaded + duplicates + "
        "quarantined, with landed recounted from the landing files themselves.",
        blocking=True,
        partitions_def=business_days,
    )
    def conservation(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        landing: LandingZoneResource,
    ) -> dg.AssetCheckResult:
        started = time.perf_counter()
        days = partition_dates(context)
        landed = {
            day: sum(count_lines(p) for p in landing.zone.segments(SOURCE, entity, day))
            for day in days
        }
        params = {
            "first": days[0],
            "last": days[-1],
            "days": days,
            "source": SOURCE,
            "entity": entity,
        }
        with warehouse.writer() as conn:
            placed = conn.execute(
                sql_file("raw/count_partition_records.sql", entity=entity), params
            ).fetchall()
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
                "compute_seconds": round(time.perf_counter() - started, 3),
            },
        )

    return conservation


conservation_checks = [build_conservation_check(entity) for entity in ENTITIES]
