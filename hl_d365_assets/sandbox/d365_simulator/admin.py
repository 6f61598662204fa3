"""The simulator's own admin paths, under ``/_simulator/``: no part of D365's API.

What a D365 user does in the client, the demo and tests do here over HTTP:

- ``POST /_simulator/sales-orders/<company>/<order>/<confirm|deliver|invoice|cancel>`` — post a
  confirmation, packing slip or invoice, or cancel the order (``sales_orders.py``);
- ``POST /_simulator/business-events/activate`` ``{"business_event_id", "url",
  "legal_entity"}`` — activate an event on an HTTPS endpoint (the test message goes first);
- ``GET /_simulator/business-events/errors`` — the Errors tab;
  ``POST /_simulator/business-events/errors/<id>/resend`` — its *Resend*;
- ``POST /_simulator/business-events/hold`` and ``.../release`` ``{"reverse", "twice"}`` — the
  fault switch: hold events back, then send them newest first, each twice.

No token is asked: the simulator serves loopback only. Answers are JSON ``(status, document)``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from hl_d365_assets.sandbox.d365_simulator.sales_orders import TRANSITIONS, OrderRefused

if TYPE_CHECKING:
    from hl_d365_assets.sandbox.d365_simulator.app import D365Simulator

ADMIN_PREFIX = "/_simulator/"
_MOVE = re.compile(r"^/_simulator/sales-orders/([^/]+)/([^/]+)/([a-z]+)$")
_RESEND = re.compile(r"^/_simulator/business-events/errors/(\d+)/resend$")


def admin_answer(sim: D365Simulator, method: str, path: str, body: bytes) -> tuple[int, dict]:
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return 400, {"error": "the body is not JSON"}
    events = sim.business_events
    if (match := _MOVE.match(path)) and method == "POST":
        company, number, action = match.groups()
        if action not in TRANSITIONS:
            return 404, {"error": f"unknown action {action}; one of {sorted(TRANSITIONS)}"}
        try:
            header = sim.sales_orders.move(company.lower(), number, action)
        except KeyError as missing:
            return 404, {"error": str(missing.args[0])}
        except OrderRefused as refusal:
            return 409, {"error": refusal.text}
        return 200, {
            name: header[name]
            for name in ("dataAreaId", "SalesOrderNumber", "SalesOrderStatus",
                         "SalesOrderProcessingStatus")
        }  # fmt: skip
    if path == "/_simulator/business-events/activate" and method == "POST":
        if not document.get("business_event_id") or not document.get("url"):
            return 400, {"error": "business_event_id and url are required"}
        events.activate(
            document["business_event_id"], document["url"], document.get("legal_entity", "")
        )
        return 200, {"activated": document["business_event_id"]}
    if path == "/_simulator/business-events/errors" and method == "GET":
        return 200, {"errors": [failed.as_json() for failed in events.errors]}
    if (match := _RESEND.match(path)) and method == "POST":
        try:
            events.resend(int(match.group(1)))
        except KeyError as missing:
            return 404, {"error": str(missing.args[0])}
        return 202, {"resent": int(match.group(1))}
    if path == "/_simulator/business-events/hold" and method == "POST":
        events.hold()
        return 200, {"holding": True}
    if path == "/_simulator/business-events/release" and method == "POST":
        released = events.release(
            reverse=bool(document.get("reverse", True)), twice=bool(document.get("twice", True))
        )
        return 200, {"released": released}
    return 404, {"error": f"no simulator admin path {method} {path}"}
