"""What a person must fix before a product can be matched or synced."""

import dagster as dg

from hl_d365_assets.defs.products.assets import PRODUCTS_KEY
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource


@dg.asset_check(
    asset=PRODUCTS_KEY,
    name="no_barcode_claimed_twice",
    description="No barcode is claimed by two D365 SKUs or two Heartland Retail items. Such a "
    "product is matched to nothing and never synced until the barcode is fixed in D365 (or "
    "Retail); recon.exceptions kind product_barcode_ambiguous names the claimants.",
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def no_barcode_claimed_twice(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.writer() as conn:
        (held,) = conn.execute(
            "SELECT count(*) FROM canonical.products WHERE match_status = 'ambiguous_barcode'"
        ).fetchone()
        (barcodes,) = conn.execute(
            "SELECT count(*) FROM recon.exceptions "
            "WHERE kind = 'product_barcode_ambiguous' AND still_detected"
        ).fetchone()
    return dg.AssetCheckResult(
        passed=held == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_held_out": held, "ambiguous_barcodes": barcodes},
    )
