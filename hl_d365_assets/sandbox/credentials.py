"""The sandbox's documented Heartland credentials (docs/sandbox-departures.md).

They open only the project's own simulators and the webhook receiver in ``--sandbox`` mode; real
credentials come from ``HEARTLAND_APP_ID`` / ``HEARTLAND_APP_KEY`` / ``HEARTLAND_RETAIL_TOKEN``
and are never in the repo.
"""

SANDBOX_APP_ID = "hl-d365-sandbox-app"
SANDBOX_APP_KEY = "hl-d365-sandbox-app-key-not-a-secret"

SANDBOX_RETAIL_SUBDOMAIN = "hl-d365-sandbox"
"""Names no real account: the sandbox client's ``base_url`` points at the simulator instead."""
SANDBOX_RETAIL_TOKEN = "hl-d365-sandbox-retail-token-not-a-secret"
"""The API token the Heartland Retail simulator accepts (``Authorization: Bearer …``)."""
