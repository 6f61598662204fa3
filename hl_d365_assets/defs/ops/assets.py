"""The analysts' read copy of the warehouse, republished at the end of every daily run."""

import os
import time
from datetime import UTC, datetime

import dagster as dg

from hl_d365_assets.business_day import business_days, single_run_backfill
from hl_d365_assets.defs.canonical.assets import BUILDS
from hl_d365_assets.defs.recon.assets import TABLES as RECON_TABLES
from hl_d365_assets.warehouse import WarehouseResource


@dg.asset(
    key=["ops", "analyst_read_copy"],
    deps=[dg.AssetKey(["canonical", table]) for build in BUILDS for table in build.tables]
    + [dg.AssetKey(["recon", table]) for table in RECON_TABLES]
    # Not gl/journal_lines: its blocking checks failing must not keep a day's state from analysts.
    # The lines and their check outcomes are written in the same step as the sources.
    + [dg.AssetKey(["gl", "journal_line_sources"]), dg.AssetKey(["ops", "alert_delivery"])],
    description="A checkpointed copy of the warehouse swapped into place atomically after each run "
    "(data/warehouse_read.duckdb). Analysts open it read-only while runs keep writing the main file.",
    group_name="ops",
    kinds={"duckdb"},
    owners=["team:finance-data"],
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    pool="warehouse",
)
def analyst_read_copy(warehouse: WarehouseResource) -> dg.MaterializeResult:
    started = time.perf_counter()
    path = warehouse.publish_read_copy()
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "bytes": os.path.getsize(path),
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )
