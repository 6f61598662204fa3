"""The sandbox's documented Heartland credentials (docs/sandbox-departures.md).

They open only the project's own simulator and the webhook receiver in ``--sandbox`` mode; real
credentials come from ``HEARTLAND_APP_ID`` / ``HEARTLAND_APP_KEY`` and are never in the repo.
"""

SANDBOX_APP_ID = "hl-d365-sandbox-app"
SANDBOX_APP_KEY = "hl-d365-sandbox-app-key-not-a-secret"
