"""Raw-layer checks, all blocking.

- Conservation of records: a day (or a D365 pull) that lost records must not reach the ledger.
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
from pathlib import Path

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates
from hl_d365_assets.d365.pull import DIMENSION_VALUES, MAIN_ACCOUNTS, PulledEntity
from hl_d365_assets.d365.pull import ENTITIES as D365_ENTITIES
from hl_d365_assets.d365.raw_load import landed_records, newest_pull, rows_of_pull
from hl_d365_assets.raw_loader import ENTITIES, SOURCE
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import LandingZoneResource, MappingsResource
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
    "payment_transactions": raw.PaymentTransactions,
    "settlement_batches": raw.SettlementBatches,
    "pos_tickets": raw.PosTickets,
}
CHART_OF_ACCOUNTS = "Shared"
"""The chart of accounts the legal entities' ledgers use (D365: General ledger > Ledger setup);
main accounts of other charts do not count."""


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
        retry_policy=WAREHOUSE_RETRY,
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
        "(docs/landing_format.md): types, nullability, id shapes, non-negative minor units, "
        "one row per event id and per landed line, and the cross-column rules below.",
    )
    for entity, model in MODELS.items()
]


@dg.asset_check(
    asset=MAIN_ACCOUNTS.key,
    name="mappings_exist_in_d365",
    additional_deps=[DIMENSION_VALUES.key],
    blocking=True,
    description="Every main account the GL mapping posts to (gl_main_accounts.csv, "
    f"gl_posting_rules.csv) exists in D365 MainAccounts of chart {CHART_OF_ACCOUNTS}, and every "
    "dimension value (gl_dimension_values.csv, gl_store_dimensions.csv) exists in D365 "
    "FinancialDimensionValues for its dimension. Recorded in ops.d365_mapping_validation; "
    "re-run it (d365_mapping_check_job) after editing the mapping files.",
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
        metadata={
            "missing_main_accounts": missing_accounts,
            "missing_dimension_values": missing_values,
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
