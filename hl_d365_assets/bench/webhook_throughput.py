"""How many notifications a second the real receiver lands durably, measured end to end.

:func:`measure_throughput` starts ``hl-d365 webhook serve --sandbox`` in a subprocess on a free
loopback port, with its data folder in a scratch directory and durability on (every answer
waits for the fsync of its line), posts clean sandbox events from async httpx senders over
keep-alive connections, SIGTERMs the receiver and counts what landed: every acknowledged event
must be in a completed segment. The events are a clean sandbox day two days before today (UTC),
so their own times fall inside the 72 h replay window and they land as ordinary events;
``stale`` in the result says if any did not.

The client costs more CPU per request than the receiver (about 0.35 ms against 0.2 ms here),
so the senders are split over two processes by default; ``receiver_cpu_us_per_event`` in the
result is the receiver's own cost, whatever the client could drive.

    hl-d365 webhook throughput --events 30000 --concurrency 64
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import multiprocessing
import os
import signal
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path

import httpx
import uvloop

from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, sign
from hl_d365_assets.landing import SEGMENT_SUFFIX, LandingZone
from hl_d365_assets.sandbox import ENTITIES, SOURCE, DefectRates, SandboxConfig, generate
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_KEY
from hl_d365_assets.webhook.process import free_port, start_receiver
from hl_d365_assets.webhook.receiver import STATS_PATH, WEBHOOK_PATH

LINES_PER_STORE_TRANSACTION = 1
"""A clean sandbox day lands a little over one gateway line per transaction (its event, and the
store's batch); its POS tickets are not webhook events (they are pulled from Heartland Retail)."""


def sandbox_notifications(
    count: int, day: date, scratch_dir: Path, store_count: int | None = None, seed: int = 7
) -> list[dict]:
    """``count`` clean sandbox events of ``day`` as notification bodies (envelope form)."""
    stores = store_count or 5
    per_store = max(1, math.ceil(count / (stores * LINES_PER_STORE_TRANSACTION)))
    zone = LandingZone(scratch_dir / f"landing-{per_store}")
    generate(
        zone,
        [day],
        SandboxConfig(
            seed=seed,
            store_count=store_count,
            transactions_per_store_day=per_store,
            defect_rates=DefectRates.none(),
        ),
        ground_truth_path=scratch_dir / "ground_truth.ndjson",
    )
    by_entity: dict[str, list[dict]] = {entity: [] for entity in ENTITIES}
    for entity in ENTITIES:
        for segment in zone.segments(SOURCE, entity, day):
            for line in segment.read_text(encoding="utf-8").splitlines():
                landed = json.loads(line)
                by_entity[entity].append(
                    {key: landed[key] for key in ("event_id", "event_type", "payload")}
                )
    total = sum(map(len, by_entity.values()))
    if total < count:
        raise ValueError(f"a sandbox day gave {total} events, {count} asked for")
    # Transactions first, cut to fit, so every other entity (a batch per store) is in the set.
    first, *others = ENTITIES
    kept = [notification for entity in others for notification in by_entity[entity]]
    return by_entity[first][: max(0, count - len(kept))] + kept[:count]


def signed_body(notification: dict, app_key: str = SANDBOX_APP_KEY) -> tuple[bytes, str]:
    """Compact JSON (as GP-API sends it) and its ``X-GP-Signature``."""
    body = json.dumps(notification, separators=(",", ":"), ensure_ascii=False).encode()
    return body, sign(body, app_key)


def landed_event_ids(landing_dir: Path) -> list[str]:
    """The event id of every line in every completed segment, in segment order."""
    ids = []
    for segment in sorted(landing_dir.rglob(f"*{SEGMENT_SUFFIX}")):
        if not segment.name.startswith("."):
            with segment.open("rb") as handle:
                ids.extend(json.loads(line)["event_id"] for line in handle)
    return ids


@dataclass
class _SenderResult:
    latencies: list[float]
    acknowledged: list[str]
    refused: int
    started: float
    finished: float


async def _post_all(
    port: int, bodies: list[tuple[bytes, str]], concurrency: int, start_together: Barrier | None
) -> _SenderResult:
    """``concurrency`` senders, each on its own keep-alive connection, sharing one work list.

    Each sender drives an ``httpx.AsyncHTTPTransport`` (httpx's connection layer: HTTP/1.1,
    keep-alive) directly. The AsyncClient on top adds redirects, cookies, auth and URL merging
    that a webhook sender does not need and that cost ~0.2 ms of client CPU per request; and
    one transport per connection, because httpcore's pool scans every connection on every
    request, which at 64 connections costs more than the request itself.
    """
    latencies: list[float] = []
    acknowledged: list[str] = []
    refused = 0
    indices = iter(range(len(bodies)))
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    timeouts = {"timeout": httpx.Timeout(60).as_dict()}

    async def sender(transport: httpx.AsyncHTTPTransport) -> None:
        nonlocal refused
        for index in indices:
            body, signature = bodies[index]
            started = time.monotonic()
            request = httpx.Request(
                "POST",
                url,
                content=body,
                headers={"content-type": "application/json", SIGNATURE_HEADER: signature},
                extensions=timeouts,
            )
            response = await transport.handle_async_request(request)
            answer = await response.aread()
            latencies.append(time.monotonic() - started)
            if response.status_code == 200:
                acknowledged.append(json.loads(answer)["event_id"])
            else:
                refused += 1

    tls = ssl.create_default_context()  # unused on http://, but each transport would load one
    transports = [
        httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1), verify=tls
        )
        for _ in range(concurrency)
    ]
    try:
        if start_together is not None:
            start_together.wait()
        started = time.monotonic()
        await asyncio.gather(*(sender(transport) for transport in transports))
        finished = time.monotonic()
    finally:
        await asyncio.gather(*(transport.aclose() for transport in transports))
    return _SenderResult(latencies, acknowledged, refused, started, finished)


def _sender_process(
    port: int,
    bodies: list[tuple[bytes, str]],
    concurrency: int,
    start_together: Barrier,
    results: multiprocessing.Queue,
) -> None:
    _skip_sniffio_lookups()
    results.put(uvloop.run(_post_all(port, bodies, concurrency, start_together)))


def _send(
    port: int, bodies: list[tuple[bytes, str]], concurrency: int, processes: int
) -> _SenderResult:
    """Split the events and connections over ``processes`` client processes started together."""
    if processes == 1:
        _skip_sniffio_lookups()
        return uvloop.run(_post_all(port, bodies, concurrency, None))
    context = multiprocessing.get_context("spawn")
    start_together = context.Barrier(processes)
    results = context.Queue()
    workers = [
        context.Process(
            target=_sender_process,
            args=(
                port,
                bodies[n::processes],
                max(1, concurrency // processes),
                start_together,
                results,
            ),
        )
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    parts = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return _SenderResult(
        latencies=[x for part in parts for x in part.latencies],
        acknowledged=[x for part in parts for x in part.acknowledged],
        refused=sum(part.refused for part in parts),
        started=min(part.started for part in parts),
        finished=max(part.finished for part in parts),
    )


def measure_throughput(
    events: int,
    concurrency: int,
    *,
    client_processes: int = 2,
    max_segment_age: str = "2s",
    work_dir: Path | None = None,
) -> dict:
    """Post ``events`` signed sandbox events over ``concurrency`` connections to a real receiver.

    The connections are split over ``client_processes`` processes (one sender process tops out
    near 2,000 requests/s on one core here). Returns sent, acknowledged, landed (lines in completed
    segments after SIGTERM; equals acknowledged), seconds, events_per_second, latency_p50_ms,
    latency_p99_ms, the receiver's exit code and how many events it quarantined as stale.
    """
    with tempfile.TemporaryDirectory(prefix="webhook-throughput-", dir=work_dir) as scratch:
        root = Path(scratch)
        day = datetime.now(UTC).date() - timedelta(days=2)
        bodies = [signed_body(n) for n in sandbox_notifications(events, day, root / "sandbox")]
        data_dir = root / "receiver"
        port = free_port()
        receiver = start_receiver(
            data_dir, port, "--max-segment-age", max_segment_age, log_path=root / "receiver.log"
        )
        try:
            cpu_before = _cpu_seconds(receiver.pid)
            sent = _send(port, bodies, concurrency, client_processes)
            receiver_cpu = _cpu_seconds(receiver.pid) - cpu_before
            stats = httpx.get(f"http://127.0.0.1:{port}{STATS_PATH}", timeout=10).json()
        finally:
            receiver.send_signal(signal.SIGTERM)
            exit_code = receiver.wait(timeout=60)
        landed = landed_event_ids(data_dir / "landing")
        seconds = sent.finished - sent.started
        latencies = sorted(sent.latencies)
        return {
            "sent": len(bodies),
            "acknowledged": len(sent.acknowledged),
            "refused": sent.refused,
            "landed": len(landed),
            "landed_distinct": len(set(landed)),
            "acknowledged_not_landed": len(set(sent.acknowledged) - set(landed)),
            "leftover_tmp_files": len(list((data_dir / "landing").rglob("*.tmp"))),
            "seconds": round(seconds, 3),
            "events_per_second": round(len(sent.acknowledged) / seconds, 1),
            "latency_p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
            "latency_p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
            "receiver_cpu_us_per_event": round(receiver_cpu / max(1, len(bodies)) * 1e6),
            "concurrency": concurrency,
            "client_processes": client_processes,
            "stale": stats["stale"],
            "group_commits": stats["group_commits"],
            "receiver_exit_code": exit_code,
        }


def _skip_sniffio_lookups() -> None:
    """httpcore asks ``import sniffio`` on every request; without sniffio installed each failed
    import searches sys.path again (~0.1 ms, a tenth of the client's cost per request). A None
    entry in sys.modules makes the same ImportError immediate."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux); 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
