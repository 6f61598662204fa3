"""The schema-drift check of every raw entity (issue 19, item 3): the day's payload shape against
the parser's contract (:mod:`hl_d365_assets.mapping_copilot.field_mappings`). It fails on a field
the contract does not know — a renamed or new field whose lines the parser quarantines or reads
past — naming the new and vanished fields with their line counts; never a value. Not blocking:
conservation and the quarantine share already hold a day whose lines did not load, and an
additive field that loads cleanly should not stop the ledger. Its findings go to
``ops.payload_drift``, from which ``hl-d365 mappings suggest`` proposes the rename."""

import time
from pathlib import Path

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.defs.raw.checks import RAW_STREAMS
from hl_d365_assets.mapping_copilot import field_mappings
from hl_d365_assets.raw_loader import D365_ENTITIES, D365_SOURCE, raw_table
from hl_d365_assets.resources import LandingZoneResource, MappingsResource
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, transaction


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
                    frozenset(m.landed_field for m in approved if m.valid_from <= day),
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


payload_shape_checks = [build_payload_shape_check(e, s) for s, e in RAW_STREAMS] + [
    build_payload_shape_check(e, D365_SOURCE) for e in D365_ENTITIES
]
