"""The webhook receiver: Heartland's signed notifications and D365's business events in, durable
landing segments out.

    hl-d365 webhook serve --sandbox            # loopback :8787, POST /webhooks/heartland
    HEARTLAND_APP_KEY=… hl-d365 webhook serve --host 0.0.0.0 --port 8443

``receiver.py`` holds the request path (size, signature, JSON, shape, window, dedupe, land) and
the ASGI app; what makes an acknowledgement durable lives beside it: ``group_commit.py`` (the
writer thread), ``seen_event_ids.py`` (the redelivery journal), ``recovery.py`` (leftovers of a
killed receiver), ``refusals.py`` (the counts of refused requests it lands). ``d365_events.py``
checks D365 business events (the token in the endpoint's URL, the test message ignored).
``config.py`` holds
the settings, ``server.py`` runs the app under uvicorn,
``hl_d365_assets/bench/webhook_throughput.py`` measures it.
"""

from hl_d365_assets.webhook.config import PRODUCER, ReceiverConfig
from hl_d365_assets.webhook.receiver import (
    STATS_PATH,
    WEBHOOK_PATH,
    ReceiverCounters,
    WebhookReceiver,
    create_app,
)
from hl_d365_assets.webhook.recovery import RecoveredSegment, recover_segments

__all__ = [
    "PRODUCER",
    "STATS_PATH",
    "WEBHOOK_PATH",
    "ReceiverConfig",
    "ReceiverCounters",
    "RecoveredSegment",
    "WebhookReceiver",
    "create_app",
    "recover_segments",
]
