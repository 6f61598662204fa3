"""Risk: features of each business day over the canonical layer, scores from the rules of
mappings/risk_rules.csv and a model trained on the trailing window, and alerts into the one
review queue (recon.exceptions, kind risk_<pattern>). docs/risk.md tells the whole story.

Three assets, one per table, so the UI shows where a day stands and each step can be re-run on its
own: edit a rule, re-materialise risk/scores and risk/alerts; the features stay.
"""

import time
from pathlib import Path

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.risk.config import read_risk_settings
from hl_d365_assets.risk.report import histogram_markdown, risk_metadata, score_histogram
from hl_d365_assets.risk.scoring import DOMAINS, write_alerts, write_features, write_scores
from hl_d365_assets.table_metadata import definition_metadata, table_metadata
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, transaction

OWNERS = ["team:finance-data", "team:risk"]
FEATURES = dg.AssetKey(["risk", "features"])
SCORES = dg.AssetKey(["risk", "scores"])
ALERTS = dg.AssetKey(["risk", "alerts"])
SOURCES = [
    dg.AssetKey(["canonical", table])
    for table in (
        "payments",
        "pos_sales",
        "pos_sale_lines",
        "pos_tenders",
        "settlement_batches",
        "settlement_fees",
        "payroll_runs",
        "payroll_items",
        "employees",
    )
]


RISK_DOMAINS_TAG = "hl_d365/risk_domains"
"""A run tag naming the domains risk/features rebuilds, comma-separated; without it, every one
(the daily job, a backfill, a user's "materialize" after a change of risk settings). payroll_job
carries ``payroll`` (defs/payroll/jobs.py): a pay run changes no input of the other domains, whose
rows of the day stay as the daily job wrote them, and rebuilding them cost most of the step. A
tag rather than run config: a job's config reaches a run of one partition only, a tag every run
of the job, a single-run backfill's included."""


def _asset(key: dg.AssetKey, deps: list[dg.AssetKey], description: str):
    return dg.asset(
        key=key,
        deps=deps,
        description=description,
        metadata=definition_metadata(f"risk.{key.path[-1]}"),
        group_name="risk",
        kinds={"duckdb", "sql", "scikitlearn"} if key == SCORES else {"duckdb", "sql"},
        owners=OWNERS,
        partitions_def=business_days,
        backfill_policy=single_run_backfill,
        pool="warehouse",
        retry_policy=WAREHOUSE_RETRY,
    )


@_asset(
    FEATURES,
    SOURCES,
    "Per business day, domain and scored entity (card, terminal, transaction, cashier, ticket, "
    "batch and brand, employee): the features of sql/risk/features_<domain>.sql over the day and "
    "its trailing window of canonical history (payroll: the pay run's check date).",
)
def features(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    days = partition_dates(context)
    tagged = context.run.tags.get(RISK_DOMAINS_TAG)
    domains = [d.strip() for d in tagged.split(",") if d.strip()] if tagged else list(DOMAINS)
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            settings = read_risk_settings(conn)
            outcome = write_features(conn, days[0], days[-1], settings, domains)
        metadata = table_metadata(conn, "risk.features", days[0], days[-1])
    if outcome.missing_files:
        context.log.warning(
            "no features file in this build for "
            + ", ".join(outcome.missing_files)
            + ": those domains are not scored"
        )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "rows_by_domain": outcome.rows_by_domain,
            "seconds_by_domain": outcome.seconds_by_domain,
            "missing_feature_files": outcome.missing_files,
            "window_days": settings.window_days,
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )


@_asset(
    SCORES,
    [FEATURES],
    "Every scored entity of the day: the rules of mappings/risk_rules.csv that fired (set-based), "
    "the anomaly score of an IsolationForest trained per legal entity and entity kind on the "
    "trailing window (never the day scored), the combined score 0–100, severity, the top reasons "
    "in words and the model version.",
)
def scores(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    days = partition_dates(context)
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            settings = read_risk_settings(conn)
            outcomes = write_scores(conn, days[0], days[-1], settings)
        metadata = table_metadata(conn, "risk.scores", days[0], days[-1])
        bands = score_histogram(conn, days[0], days[-1])
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "model_groups": sum(o.groups for o in outcomes),
            "model_groups_trained": sum(o.trained for o in outcomes),
            "model_training_rows": sum(o.training_rows for o in outcomes),
            "score_plot": dg.MetadataValue.md(histogram_markdown(bands)),
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )


@_asset(
    ALERTS,
    [SCORES],
    "Scores at or above the alert score of mappings/risk_settings.csv, one per entity and day, "
    "each a recon.exceptions row (kind risk_<pattern>) reviewers set to fraud / not_fraud; high "
    "ones also an ops.alerts row for the alert webhook. Metadata: alerts by pattern, the "
    "precision of the last 30 days' reviewed alerts, the score plot.",
)
def alerts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    days = partition_dates(context)
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            load_mappings(conn, mappings.directory)
            settings = read_risk_settings(conn)
            write_alerts(conn, days[0], days[-1], settings, context.run.run_id)
        metadata = table_metadata(conn, "risk.alerts", days[0], days[-1])
        report = risk_metadata(conn, days[0], days[-1], Path(warehouse.database).parent / "reports")
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **report,
            "compute_seconds": round(time.perf_counter() - started, 3),
        }
    )
