"""The Heartland webhook receiver: signed notifications in, durable landing segments out.

    hl-d365 webhook serve --sandbox            # loopback :8787, POST /webhooks/heartland
    HEARTLAND_APP_KEY=… hl-d365 webhook serve --host 0.0.0.0 --port 8443

``receiver.py`` holds the request path (verify, parse, dedupe, land with group commit) and the
ASGI app, ``server.py`` runs it under uvicorn, ``throughput.py`` measures it.
"""

from hl_d365_assets.webhook.receiver import (
    PRODUCER,
    STATS_PATH,
    WEBHOOK_PATH,
    ReceiverConfig,
    ReceiverCounters,
    RecoveredSegment,
    WebhookReceiver,
    create_app,
    recover_segments,
)

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
