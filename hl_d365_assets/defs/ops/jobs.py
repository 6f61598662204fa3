"""The main job: land → raw → canonical → recon → gl → read copy, for one business day or a
range."""

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.defs.gl.checks import JOURNAL_LINES
from hl_d365_assets.defs.ops.assets import ORDER_PAYMENT_REQUESTS
from hl_d365_assets.defs.recon.assets import GL_VS_D365

daily_heartland_job = dg.define_asset_job(
    name="daily_heartland_job",
    # The ledger's blocking checks guard posting, not loading: a day with open reconciliation
    # exceptions is loaded, reconciled and journalised (gl.journal_checks says why it may not be
    # posted yet), and only what would post it stops. They run in journal_checks_job.
    selection=dg.AssetSelection.groups("raw", "canonical", "recon", "risk", "gl", "ops")
    - dg.AssetSelection.checks_for_assets(JOURNAL_LINES)
    # The D365 read-back follows posting (post_journals_job); loading never calls D365.
    - dg.AssetSelection.assets(GL_VS_D365),
    partitions_def=business_days,
    description="Load one business day (or a range, in a single run) from the landing zone through "
    "raw, canonical, reconciliation, risk scoring and the GL journals, run the data checks, and republish the "
    "analysts' read copy.",
)

order_payment_requests_job = dg.define_asset_job(
    name="order_payment_requests_job",
    selection=dg.AssetSelection.assets(ORDER_PAYMENT_REQUESTS),
    description="Send a GP-API payment link or stored-card charge for each confirmed D365 card "
    "order that has none, exactly once; requests that wait for GP-API go again.",
)
