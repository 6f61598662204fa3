"""Golden customers: matching canonical.customer_records into mdm.customers, mdm.customer_xref
and the review queue mdm.match_reviews (hl_d365_assets/mdm/pipeline.py).

One step writes the three tables in one transaction: the cross-reference names golden ids the
customers table must hold, and the queue's decisions shaped both. Not partitioned: customers
are not per business day. The customer_matching schedule rebuilds them nightly after the pulls
(docs/customers.md); a reviewer's decision takes effect on the next run, or on one started by
hand. Metadata holds counts only: the tables hold names, e-mails, phones and addresses.
"""

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.defs.canonical.assets import CUSTOMER_RECORDS, PRODUCTS_KEY
from hl_d365_assets.heartland_retail import HeartlandRetailClient
from hl_d365_assets.mdm.pipeline import match_customers
from hl_d365_assets.mdm.sync import sync_customers
from hl_d365_assets.products.sync import sync_products
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.table_metadata import definition_metadata
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, transaction

OWNERS = ["team:finance-data"]
TABLES = {
    "customers": "Golden customers, one per real person across Heartland Retail, D365 and the "
    "payment side, with a golden_id stable across runs and merges and the surviving values of "
    "mappings/mdm_survivorship.csv.",
    "customer_xref": "Every customer source record and its golden customer, with the link that "
    "put it there; which golden customers lack a D365 or a Retail record.",
    "match_reviews": "Pairs of customer records for a person to decide; a decision wins over "
    "every re-run.",
}
CUSTOMER_MATCHING = [dg.AssetKey(["mdm", table]) for table in TABLES]


@dg.multi_asset(
    name="customer_matching",
    specs=[
        dg.AssetSpec(
            key=["mdm", table],
            deps=[CUSTOMER_RECORDS],
            description=description,
            metadata=definition_metadata(f"mdm.{table}"),
            group_name="mdm",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
        )
        for table, description in TABLES.items()
    ],
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def customer_matching(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
):
    with warehouse.writer() as conn, transaction(conn):
        summary = match_customers(conn, str(mappings.directory), datetime.now(UTC))
    common = {"compute_seconds": dict(summary.seconds)}
    yield dg.MaterializeResult(
        asset_key=dg.AssetKey(["mdm", "customers"]),
        metadata={
            **common,
            "dagster/row_count": summary.golden_customers,
            "new_golden_customers": summary.new_golden_customers,
            "merged_golden_customers": summary.merged_golden_customers,
        },
    )
    yield dg.MaterializeResult(
        asset_key=dg.AssetKey(["mdm", "customer_xref"]),
        metadata={
            **common,
            "links_by_rule": summary.links_by_rule,
            "model_prior_match_probability": summary.model["prior_match_probability"],
            # which model parameters were estimated and which took mappings/mdm_model_priors.csv
            "model_training": summary.model,
            "scored_pairs": summary.scored_pairs,
            "thresholds": summary.thresholds,
        },
    )
    yield dg.MaterializeResult(
        asset_key=dg.AssetKey(["mdm", "match_reviews"]),
        metadata={**common, "review_queue_open": summary.review_queue_open},
    )


CUSTOMER_SYNC = dg.AssetKey(["mdm", "customer_sync"])


@dg.asset(
    key=CUSTOMER_SYNC,
    deps=CUSTOMER_MATCHING,
    description="Golden customers created where D365 or Heartland Retail lacks them and their "
    "surviving values pushed to both, exactly once (mdm.sync_requests, the outbox; "
    "mdm.sync_conflicts, edits on both sides the survivorship rule resolved). "
    "hl_d365_assets/mdm/sync.py; docs/customers.md#sync.",
    metadata=definition_metadata("mdm.sync_requests"),
    group_name="mdm",
    kinds={"duckdb", "d365"},
    owners=OWNERS,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def customer_sync(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    mappings: MappingsResource,
    d365: D365Client,
    heartland_retail: HeartlandRetailClient,
) -> dg.MaterializeResult:
    """Retried like every warehouse step: a retry is safe because each request is recorded
    before it is sent and every create looks in the target first (mdm/sync.py)."""
    with d365.open() as d365_api, heartland_retail.open() as retail_api:
        report = sync_customers(warehouse.writer, d365_api, retail_api, str(mappings.directory))
    context.log.info(
        "customer sync: %d requests planned, %d conflicts resolved",
        report.planned,
        report.conflicts_resolved,
    )
    return dg.MaterializeResult(metadata=report.metadata())


# -- the product sync: D365's catalogue into Heartland Retail, Retail-mastered fields into D365
# (hl_d365_assets/products/sync.py, products/writeback.py).

PRODUCT_SYNC = dg.AssetKey(["mdm", "product_sync"])


class ProductSyncConfig(dg.Config):
    dry_run: bool = Field(
        default=False,
        description="Only plan: log every change the sync would send to Heartland Retail and "
        "to D365, record and send nothing.",
    )


@dg.asset(
    key=PRODUCT_SYNC,
    deps=[PRODUCTS_KEY],
    description="D365's catalogue and prices into Heartland Retail: items D365 has and Retail "
    "lacks created (201 + Location), D365-mastered fields of matched items pushed (PUT), and "
    "Retail-mastered fields written to D365 (PATCH ReleasedProductsV2/ProductsV2, a "
    "ProductBarcodesV3 row created), per mappings/product_sync_fields.csv, exactly once "
    "(mdm.product_sync_requests, the outbox). Run with dry_run to see the changes first. "
    "hl_d365_assets/products/sync.py; docs/products.md.",
    metadata=definition_metadata("mdm.product_sync_requests"),
    group_name="mdm",
    kinds={"duckdb", "sql", "d365"},
    owners=OWNERS,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def product_sync(
    context: dg.AssetExecutionContext,
    config: ProductSyncConfig,
    warehouse: WarehouseResource,
    mappings: MappingsResource,
    heartland_retail: HeartlandRetailClient,
    d365: D365Client,
) -> dg.MaterializeResult:
    """Retried like every warehouse step: a retry is safe because each request is recorded
    before it is sent, every create looks in its target first, and a PATCH repeats the same
    values (products/sync.py, products/writeback.py)."""
    if config.dry_run:
        report = sync_products(warehouse.writer, None, str(mappings.directory), dry_run=True)
        for line in report.lines():
            context.log.info("would %s", line)
    else:
        with heartland_retail.open() as retail, d365.open() as d365_api:
            report = sync_products(warehouse.writer, retail, str(mappings.directory), d365=d365_api)
    return dg.MaterializeResult(metadata=report.metadata())
