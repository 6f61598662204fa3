"""The sandbox plays Heartland's notification service: it posts a generated day, signed, to a
webhook receiver over HTTP, as GP-API would (``X-GP-Signature``, compact JSON bodies).

The day is read from a scratch landing zone the generator wrote ("what Heartland holds"); every
line is posted as its ``{"event_id", "event_type", "payload"}`` body, byte for byte what the
generator rendered, so a line the generator cut short (a malformed_json defect) arrives broken,
and a redelivery defect arrives twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, sign


@dataclass
class Delivery:
    sent: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    """HTTP status (and receiver verdict for 200s) -> count."""
    acknowledged_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)


def notification_bodies(segments: Iterable[Path]) -> list[bytes]:
    """The body each landed line would have had as a notification, in landing order."""
    bodies = []
    for segment in segments:
        for line in segment.read_bytes().splitlines():
            bodies.append(_strip_received_at(line))
    return bodies


def post_all(
    url: str,
    bodies: list[bytes],
    app_key: str,
    concurrency: int = 16,
    keep: Callable[[int], bool] = lambda _index: True,
    timeout: float = 30.0,
) -> Delivery:
    """Post ``bodies`` (those ``keep(index)`` allows) with ``concurrency`` keep-alive connections."""
    return asyncio.run(_post_all(url, bodies, app_key, concurrency, keep, timeout))


async def _post_all(url, bodies, app_key, concurrency, keep, timeout) -> Delivery:
    delivery = Delivery()
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for index, body in enumerate(bodies):
        if keep(index):
            queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                t0 = time.perf_counter()
                response = await client.post(
                    url,
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        SIGNATURE_HEADER: sign(body, app_key),
                    },
                )
                delivery.latencies.append(time.perf_counter() - t0)
                delivery.sent += 1
                if response.status_code == 200:
                    answer = response.json()
                    verdict = answer.get("status", "?")
                    if answer.get("quarantined"):
                        verdict += f" but quarantined ({answer['quarantined'].split(':')[0]})"
                    delivery.acknowledged_ids.append(answer.get("event_id"))
                else:
                    verdict = f"refused {response.status_code}"
                delivery.statuses[verdict] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    delivery.seconds = time.perf_counter() - started
    return delivery


def _strip_received_at(line: bytes) -> bytes:
    """The generator's line minus the receiver's own field; a broken line is sent as it is."""
    try:
        envelope = json.loads(line)
    except ValueError:
        return line
    envelope.pop("received_at", None)
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
