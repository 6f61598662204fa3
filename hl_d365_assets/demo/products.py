"""The demo's product step: D365's catalogue matched to Heartland Retail's and pushed to it.

After the week is loaded (raw.retail_items from the Retail pull, raw.d365_* from the D365 pull),
the match is materialised as production runs it (``canonical/products`` and its check), the
sync's dry run prints every change it would send, and ``mdm/product_sync`` sends them to the
Retail simulator on loopback, exactly once (docs/products.md).
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from hl_d365_assets.defs.canonical.assets import products
from hl_d365_assets.defs.canonical.checks import no_barcode_claimed_twice
from hl_d365_assets.defs.mdm.assets import product_sync
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.demo.retail_pull import QUIET_CONSOLE
from hl_d365_assets.products.sync import sync_products
from hl_d365_assets.sandbox.heartland_retail_simulator import SimulatorServer
from hl_d365_assets.sandbox.resources import heartland_retail_client
from hl_d365_assets.settings import Settings

Say = Callable[[str], None]
SHOWN = 12
"""Changes of the dry run printed; the CLI prints them all."""


def sync_catalogue(
    settings: Settings, server: SimulatorServer, instance: dg.DagsterInstance, say: Say
) -> bool:
    """Match, print the dry run, sync; False when a run failed."""
    resources = {
        **build_resources(settings),
        "heartland_retail": heartland_retail_client(server.base_url),
    }
    matched = dg.materialize(
        [products, no_barcode_claimed_twice],
        instance=instance,
        resources=resources,
        run_config=QUIET_CONSOLE,
        raise_on_error=False,
    )
    if not matched.success:
        say("  product match FAILED (see `make ui`)")
        return False
    [match] = matched.asset_materializations_for_node("canonical__products")
    counts = {name: value.value for name, value in match.metadata.items()}
    say(
        f"  canonical.products: {counts['matched']} matched ({counts['matched_by_barcode']} by "
        f"barcode, {counts['matched_by_item_number']} by item number), "
        f"{counts['unmatched_d365']} only in D365, {counts['unmatched_retail']} only in Retail, "
        f"{counts['ambiguous_barcode']} held out by {counts['ambiguous_barcodes']} barcode(s) "
        "claimed twice (recon.exceptions kind product_*)"
    )
    plan = sync_products(
        resources["warehouse"].writer, None, str(resources["mappings"].directory), dry_run=True
    )
    say("  product sync, dry run (hl-d365 sync-products --dry-run):")
    lines = plan.lines() or ["nothing to change"]
    for line in lines[:SHOWN]:
        say(f"    {line}")
    if len(lines) > SHOWN:
        say(f"    ... and {len(lines) - SHOWN} more ({plan.metadata()})")
    synced = dg.materialize(
        [product_sync],
        instance=instance,
        resources=resources,
        run_config=QUIET_CONSOLE,
        raise_on_error=False,
    )
    if not synced.success:
        say("  product sync FAILED (see `make ui`)")
        return False
    [sent] = synced.asset_materializations_for_node("mdm__product_sync")
    outcome = ", ".join(f"{name} {value.value}" for name, value in sent.metadata.items())
    say(f"  product sync into Heartland Retail: {outcome}")
    return True
