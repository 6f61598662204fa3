"""Raw-layer checks: conservation of records (blocking: a day that lost records must not reach
the ledger)."""

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.raw_loader import ENTITIES, SOURCE
from hl_d365_assets.resources import LandingZoneResource
from hl_d365_assets.warehouse import WarehouseResource, run_script, sql_file


def build_conservation_check(entity: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", entity]),
        name="conservation",
        description="Every landed line is in exactly one place: landed = loaded + duplicates + "
        "quarantined, recounted from the landing files themselves.",
        blocking=True,
        partitions_def=business_days,
    )
    def conservation(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        landing: LandingZoneResource,
    ) -> dg.AssetCheckResult:
        days = partition_dates(context)
        segments = [str(p) for day in days for p in landing.zone.segments(SOURCE, entity, day)]
        params = {
            "first": days[0],
            "last": days[-1],
            "days": days,
            "source": SOURCE,
            "entity": entity,
        }
        with warehouse.writer() as conn:
            if segments:
                run_script(
                    conn, sql_file("raw/stage_landed_line_counts.sql"), {"segments": segments}
                )
            else:
                run_script(conn, sql_file("raw/stage_empty_landed_line_counts.sql"))
            rows = conn.execute(
                sql_file("raw/count_partition_records.sql", entity=entity), params
            ).fetchall()
        broken = [
            f"{day}: landed {landed} != loaded {loaded} + duplicates {dups} + quarantined {quar}"
            for day, landed, loaded, dups, quar in rows
            if landed != loaded + dups + quar
        ]
        return dg.AssetCheckResult(
            passed=not broken,
            metadata={
                "landed": sum(r[1] for r in rows),
                "loaded": sum(r[2] for r in rows),
                "duplicates": sum(r[3] for r in rows),
                "quarantined": sum(r[4] for r in rows),
                "unbalanced_days": "; ".join(broken) or "none",
            },
        )

    return conservation


conservation_checks = [build_conservation_check(entity) for entity in ENTITIES]
