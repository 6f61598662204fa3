"""canonical.products (the match) and mdm/product_sync (the push to Heartland Retail).

Not partitioned: a catalogue is not per business day. The match reads the newest D365 pull and
the newest Retail item snapshot; the sync reads the match. Metadata holds counts only.
"""

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from hl_d365_assets.d365.pull import PRODUCT_BARCODES, PRODUCTS, RELEASED_PRODUCT_VARIANTS
from hl_d365_assets.d365.pull import RELEASED_PRODUCTS as D365_RELEASED_PRODUCTS
from hl_d365_assets.heartland_retail import HeartlandRetailClient
from hl_d365_assets.products.catalogue import build_products
from hl_d365_assets.products.sync import sync_products
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.table_metadata import definition_metadata
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource, transaction

OWNERS = ["team:finance-data"]
PRODUCTS_KEY = dg.AssetKey(["canonical", "products"])
PRODUCT_SYNC = dg.AssetKey(["mdm", "product_sync"])


@dg.asset(
    key=PRODUCTS_KEY,
    deps=[
        *(
            e.key
            for e in (D365_RELEASED_PRODUCTS, PRODUCTS, RELEASED_PRODUCT_VARIANTS, PRODUCT_BARCODES)
        ),
        dg.AssetKey(["raw", "retail_items"]),
    ],
    description="D365 SKUs (item number + product dimensions) paired with Heartland Retail "
    "items by barcode = UPC, then item number = public_id; SKUs and items on one side only, and "
    "barcodes two products claim, listed in recon.exceptions (product_unmatched_d365, "
    "product_unmatched_retail, product_barcode_ambiguous). docs/products.md.",
    metadata=definition_metadata("canonical.products"),
    group_name="canonical",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def products(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.MaterializeResult:
    with warehouse.writer() as conn, transaction(conn):
        match = build_products(conn, str(mappings.directory), datetime.now(UTC))
    context.log.info("product match: %s", match.by_status)
    return dg.MaterializeResult(metadata=match.metadata())


class ProductSyncConfig(dg.Config):
    dry_run: bool = Field(
        default=False,
        description="Only plan: log every change the sync would send, record and send nothing.",
    )


@dg.asset(
    key=PRODUCT_SYNC,
    deps=[PRODUCTS_KEY],
    description="D365's catalogue and prices into Heartland Retail: items D365 has and Retail "
    "lacks created (201 + Location), D365-mastered fields of matched items pushed (PUT), per "
    "mappings/product_sync_fields.csv, exactly once (mdm.product_sync_requests, the outbox). "
    "Run with dry_run to see the changes first. hl_d365_assets/products/sync.py.",
    metadata=definition_metadata("mdm.product_sync_requests"),
    group_name="mdm",
    kinds={"duckdb", "sql"},
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
) -> dg.MaterializeResult:
    """Retried like every warehouse step: a retry is safe because each request is recorded
    before it is sent and every create looks Retail up by public_id first (products/sync.py)."""
    if config.dry_run:
        report = sync_products(warehouse.writer, None, str(mappings.directory), dry_run=True)
        for line in report.lines():
            context.log.info("would %s", line)
    else:
        with heartland_retail.open() as retail:
            report = sync_products(warehouse.writer, retail, str(mappings.directory))
    return dg.MaterializeResult(metadata=report.metadata())
