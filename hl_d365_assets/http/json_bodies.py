"""Response bodies read as the JSON objects the APIs promise."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx


def json_object(
    response: httpx.Response, loads: Callable[[bytes], object] = json.loads
) -> dict | None:
    """The body as a JSON object, or ``None`` when it is not one (a proxy's HTML page, an empty
    body, an array): each client raises its own error naming the request. ``loads`` lets D365
    read numbers with a fraction as ``Decimal``."""
    try:
        body = loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
