"""The Heartland webhook receiver: verify, parse, dedupe and land every notification durably.

``POST /webhooks/heartland`` takes one notification: our envelope form (``{"event_id",
"event_type", "payload"}``) or a bare GP-API resource (see ``heartland/events.py``). Checks run
in this order, and a rejected request writes nothing:

1. size: a ``Content-Length`` above ``max_body_bytes`` is refused before the body is read, and
   the limit is enforced again while the body streams in (chunked or lying senders) -> 413;
2. ``X-GP-Signature``: SHA-512 of the raw body bytes + app key (``heartland/signature.py``),
   compared in constant time on the bytes as received -> 401 when missing or wrong;
3. JSON: UTF-8, a JSON object, no ``NaN``/``Infinity``, no unpaired surrogates -> 400;
4. shape: what ``event_from_body`` and the business-day rule need -> 400 saying what is wrong;
   an event type we do not know -> 422 naming it and the known ones (our documented choice: a
   type added upstream then shows up as failed deliveries at the sender and in our counters,
   rather than being acknowledged and dropped, or landed where no raw table reads it).

An accepted event is acknowledged (200) only once its landing line is fsynced:

- **Replay window.** GP-API signatures carry no timestamp, so a captured notification can be
  replayed forever. An event whose own time is more than ``max_event_age`` (72 h) before receipt
  or more than ``max_clock_skew`` (5 min) after it is still landed, with ``receiver_problem``
  ``"stale_event: …"``; the raw layer quarantines such lines with that reason (counted, never
  dropped).
- **Nothing stranded.** An event whose business day no partition loads, or whose time is absurd
  (year 0001, 9999), lands under the receipt day with ``outside_partitions`` or
  ``absurd_timestamp`` (``event_window.py``), so it too is quarantined and counted. Bad input is
  never a 500.
- **Redeliveries** of an event id already landed are acknowledged as ``duplicate`` and counted,
  not landed again (``seen_event_ids.py``).
- **Group commit.** One writer thread lands and fsyncs the lines of every queued request at once
  (``group_commit.py``).
- **Recovery.** A killed receiver's acknowledged lines are committed at the next start, before
  any request is taken (``recovery.py``).

Refusals with 400, 413 and 422 are also counted per day and reason code into the landing zone,
nothing of the request with them (``refusals.py``), so the warehouse shows them
(``ops.receiver_refusals``).

``POST /webhooks/heartland-retail`` takes Heartland Retail's item and customer events as nudges
only: nothing of the body is landed or trusted, the pull fetches the records itself, and the
answer is 202 (``retail_nudges.py`` says why this is safe without a signature). Ticket, stock
and any other events are refused with 400 naming the event.

``POST /webhooks/d365/<token>`` takes D365 business events: the token in the path is the
endpoint's secret, events land under ``landing/d365/business_events/``, the activation test
message is ignored (``d365_events.py``).

``POST /webhooks/heartland/payments`` is the ``status_url`` of our payment links: the outcome of
a customer's payment of a D365 order, a GP-API transaction resource, signed like any other
notification and landed as ``payment_notifications`` (``webhook/payment_notifications.py``).

``GET /webhooks/heartland/stats`` returns the counters. Bodies and the app key are never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hl_d365_assets.heartland.events import (
    EVENT_TYPES,
    Event,
    EventShapeError,
    StoreZones,
    UnknownEventType,
    event_from_body,
)
from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, verify
from hl_d365_assets.landing import LandingZone, envelope
from hl_d365_assets.pci import mask_card_numbers
from hl_d365_assets.webhook.config import D365_SOURCE, PRODUCER, ReceiverConfig
from hl_d365_assets.webhook.d365_events import (
    D365_EVENTS_PATH,
    D365EventRefused,
    read_event,
    token_matches,
)
from hl_d365_assets.webhook.d365_events import ENTITY as D365_ENTITY
from hl_d365_assets.webhook.event_window import iso_ms, place
from hl_d365_assets.webhook.group_commit import GroupCommitter, ReceiverUnavailable
from hl_d365_assets.webhook.payment_notifications import PAYMENTS_PATH, payment_event
from hl_d365_assets.webhook.recovery import RecoveredSegment, lock_state_dir, recover_segments
from hl_d365_assets.webhook.refusals import RECORDED_STATUSES, RefusalKey
from hl_d365_assets.webhook.retail_nudges import (
    NUDGES_FILE,
    RETAIL_WEBHOOK_PATH,
    NudgeBoard,
    NudgeRefused,
    nudged_entity,
)
from hl_d365_assets.webhook.seen_event_ids import JOURNAL_NAME, SeenEventIds, epoch_ms

logger = logging.getLogger("hl_d365_assets.webhook")

WEBHOOK_PATH = "/webhooks/heartland"
STATS_PATH = f"{WEBHOOK_PATH}/stats"


@dataclass
class ReceiverCounters:
    """What the receiver did since it started; ``landed`` includes the ``stale`` and the
    ``misdated`` (landed under the receipt day, see ``event_window.py``), both quarantined."""

    received: int = 0
    landed: int = 0
    duplicates: int = 0
    stale: int = 0
    misdated: int = 0
    nudges: int = 0
    """Heartland Retail item/customer events accepted as nudges to pull (nothing landed)."""
    d365_test_messages: int = 0
    """D365 business-event activation test messages, answered 200 and not landed."""
    rejected: Counter[tuple[int, str]] = field(default_factory=Counter)

    def as_json(self) -> dict:
        by_status: dict[str, dict[str, int]] = defaultdict(dict)
        for (status, reason), count in sorted(self.rejected.items()):
            by_status[str(status)][reason] = count
        return {
            "received": self.received,
            "landed": self.landed,
            "duplicates": self.duplicates,
            "stale": self.stale,
            "misdated": self.misdated,
            "nudges": self.nudges,
            "d365_test_messages": self.d365_test_messages,
            "rejected_total": sum(self.rejected.values()),
            "rejected": dict(by_status),
        }

    def summary(self) -> str:
        rejected = ", ".join(
            f"{status} {reason} {count}"
            for (status, reason), count in sorted(self.rejected.items())
        )
        return (
            f"received {self.received}, landed {self.landed} ({self.stale} stale, "
            f"{self.misdated} misdated, quarantined), "
            f"duplicates {self.duplicates}, rejected {sum(self.rejected.values())}"
            + (f" ({rejected})" if rejected else "")
        )


class Rejection(Exception):
    """A refused request: its status, a reason code and a detail naming the field and problem.

    Detail and extra texts may quote what the sender put in the offending field (an unknown event
    type, a timestamp that does not parse), and that value may be a card number typed into the
    wrong place; they are masked here, once, so no answer, log or record of a refusal sends a
    PAN back out.
    """

    def __init__(self, status: int, reason: str, detail: str, **extra: object) -> None:
        detail = mask_card_numbers(detail)
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail
        self.extra = {name: _masked(value) for name, value in extra.items()}
        self.business_date: date | None = None
        """Set when the refusal came after the event's business day was known."""

    def response(self) -> JSONResponse:
        # The rest of an unread body would be taken for the next request on the connection.
        headers = {"connection": "close"} if self.status in (408, 413) else None
        body = {"status": "rejected", "reason": self.reason, "detail": self.detail, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=headers)


def _masked(value: object) -> object:
    """``value`` with card numbers masked in every string it holds (lists of strings included)."""
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


@dataclass(frozen=True)
class Accepted:
    event: Event
    business_date: date
    line: str
    received_ms: int
    receiver_problem: str | None


class WebhookReceiver:
    """The receiver's state and request handling; ``create_app`` wraps it in an ASGI app."""

    def __init__(self, config: ReceiverConfig) -> None:
        self.config = config
        self.zones = StoreZones.from_mappings(config.mappings_dir, config.merchant_timezone)
        self.counters = ReceiverCounters()
        self.recovered: list[RecoveredSegment] = []
        self._committer: GroupCommitter | None = None
        self._failure: BaseException | None = None
        self._lock_handle = None
        self._state = threading.Lock()
        self.nudges = NudgeBoard(
            config.state_dir / NUDGES_FILE,
            clock_ms=lambda: epoch_ms(config.clock()),
        )

    @property
    def running(self) -> bool:
        return self._committer is not None

    @property
    def failure(self) -> BaseException | None:
        """Why the landing writer stopped, if it failed (kept after ``stop()``)."""
        return self._committer.failure if self._committer is not None else self._failure

    def start(self) -> None:
        """Lock the state folder, recover leftovers, load the seen ids, start the writer."""
        with self._state:
            if self._committer is not None:
                return
            lock_handle = lock_state_dir(self.config.state_dir)
            try:
                self.recovered = recover_segments(self.config.landing_dir, PRODUCER)
                for segment in self.recovered:
                    logger.warning(
                        "recovered %s: %d lines, %d bytes of a partial line dropped",
                        segment.path,
                        segment.lines,
                        segment.dropped_bytes,
                    )
                seen = SeenEventIds.load(
                    self.config.state_dir / JOURNAL_NAME,
                    LandingZone(self.config.landing_dir),
                    self.config.id_retention,
                    self.config.clock(),
                )
                committer = GroupCommitter(self.config, seen)
                committer.start()
            except BaseException:
                lock_handle.close()
                raise
            self._lock_handle = lock_handle
            self._committer = committer
            logger.info(
                "webhook receiver started: %d event ids remembered, %d segments recovered",
                len(seen),
                len(self.recovered),
            )

    def stop(self) -> list[Path]:
        """Land what is queued, commit every open segment, release the lock; committed paths."""
        with self._state:
            if self._committer is None:
                return []
            committer, self._committer = self._committer, None
            self.nudges.close()
            committed = committer.stop()
            self._failure = committer.failure
            self._lock_handle.close()
            self._lock_handle = None
            logger.info(
                "webhook receiver stopped: %s; %d segments committed",
                self.counters.summary(),
                len(committed),
            )
            return committed

    async def receive(
        self, request: Request, to_event: Callable[[object], Event] = event_from_body
    ) -> JSONResponse:
        self.counters.received += 1
        try:
            body = await self._read_body(request)
            accepted = self.accept(body, request.headers.get(SIGNATURE_HEADER), to_event)
            committer = self._committer
            if committer is None:
                raise ReceiverUnavailable("the receiver is not running")
            event = accepted.event
            outcome = await committer.submit(
                event.event_id,
                event.entity,
                accepted.business_date.isoformat(),
                accepted.line,
                accepted.received_ms,
            )
        except Rejection as rejection:
            self.counters.rejected[(rejection.status, rejection.reason)] += 1
            self._record_refusal(rejection)
            return rejection.response()
        except ReceiverUnavailable as unavailable:
            self.counters.rejected[(503, "unavailable")] += 1
            return Rejection(503, "unavailable", str(unavailable)).response()

        answer = {
            "status": outcome,
            "event_id": event.event_id,
            "business_date": accepted.business_date.isoformat(),
        }
        if outcome == "duplicate":
            self.counters.duplicates += 1
        else:
            self.counters.landed += 1
            if accepted.receiver_problem:
                if accepted.receiver_problem.startswith("stale_event"):
                    self.counters.stale += 1
                else:
                    self.counters.misdated += 1
                answer["quarantined"] = accepted.receiver_problem
        return JSONResponse(answer)

    async def receive_payment_notification(self, request: Request) -> JSONResponse:
        """A payment link's ``status_url``: the same checks and landing, its own entity
        (``webhook/payment_notifications.py``)."""
        return await self.receive(request, payment_event)

    async def receive_retail_nudge(self, request: Request) -> JSONResponse:
        """A Retail item/customer event: noted for the nudge sensor, 202; nothing landed."""
        self.counters.received += 1
        try:
            if self._committer is None:
                raise ReceiverUnavailable("the receiver is not running")
            body = await self._read_body(request)
            try:
                document = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
                entity, event_name = nudged_entity(document)
            except (UnicodeDecodeError, ValueError, RecursionError) as problem:
                if isinstance(problem, NudgeRefused):
                    extra = {"event": problem.event} if problem.event else {}
                    raise Rejection(400, problem.reason, problem.detail, **extra) from None
                raise Rejection(400, "not_json", "body is not UTF-8 JSON") from None
        except Rejection as rejection:
            self.counters.rejected[(rejection.status, rejection.reason)] += 1
            self._record_refusal(rejection)
            return rejection.response()
        except ReceiverUnavailable as unavailable:
            self.counters.rejected[(503, "unavailable")] += 1
            return Rejection(503, "unavailable", str(unavailable)).response()
        self.nudges.record(entity)
        self.counters.nudges += 1
        return JSONResponse(
            {"status": "nudged", "event": _masked(event_name), "pull": entity}, status_code=202
        )

    async def receive_d365_event(self, request: Request) -> JSONResponse:
        """A D365 business event (``d365_events.py``): token, shape, then land once."""
        self.counters.received += 1
        try:
            if not token_matches(request.path_params.get("token", ""), self.config):
                raise Rejection(401, "bad_token", "unknown D365 business-events endpoint")
            body = await self._read_body(request)
            now = self.config.clock().astimezone(UTC)
            try:
                event = read_event(body, self.config, now)
            except D365EventRefused as refused:
                raise Rejection(400, refused.reason, refused.detail) from None
            if event.is_test:
                self.counters.d365_test_messages += 1
                return JSONResponse({"status": "ignored", "reason": "activation test message"})
            committer = self._committer
            if committer is None:
                raise ReceiverUnavailable("the receiver is not running")
            outcome = await committer.submit(
                event.event_id,
                D365_ENTITY,
                event.business_date.isoformat(),
                event.line,
                epoch_ms(now),
                source=D365_SOURCE,
            )
        except Rejection as rejection:
            self.counters.rejected[(rejection.status, rejection.reason)] += 1
            self._record_refusal(rejection)
            return rejection.response()
        except ReceiverUnavailable as unavailable:
            self.counters.rejected[(503, "unavailable")] += 1
            return Rejection(503, "unavailable", str(unavailable)).response()
        if outcome == "duplicate":
            self.counters.duplicates += 1
        else:
            self.counters.landed += 1
            if event.receiver_problem:
                self.counters.misdated += 1
        return JSONResponse(
            {
                "status": outcome,
                "event_id": event.event_id,
                "business_date": event.business_date.isoformat(),
            }
        )

    def _record_refusal(self, rejection: Rejection) -> None:
        """Count it for the landing zone: status and reason code only (``refusals.py``)."""
        committer = self._committer
        if committer is None or rejection.status not in RECORDED_STATUSES:
            return
        now = self.config.clock()
        if rejection.business_date is not None:
            day, basis = rejection.business_date, "business_day"
        else:
            day, basis = now.astimezone(self.zones.default).date(), "receipt_day"
        key = RefusalKey(day.isoformat(), basis, rejection.status, rejection.reason)
        committer.refusals.count(key, now)

    async def stats(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                **self.counters.as_json(),
                "running": self.running,
                "group_commits": self._committer.batches if self._committer else 0,
                "recovered_segments": len(self.recovered),
            }
        )

    async def _read_body(self, request: Request) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Rejection(
                413, "too_large", f"body of {int(declared)} bytes exceeds the {limit}-byte limit"
            )
        chunks = []
        size = 0
        seconds = self.config.read_timeout_seconds
        # A sender that declares more than it sends, or trickles, would hold the connection
        # forever: the whole body has one deadline, not one per chunk.
        try:
            async with asyncio.timeout(seconds):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise Rejection(413, "too_large", f"body exceeds the {limit}-byte limit")
                    chunks.append(chunk)
        except TimeoutError:
            raise Rejection(
                408,
                "read_timeout",
                f"the body did not arrive within {seconds:g}s: {size} bytes received"
                + (f" of the {declared} declared" if declared is not None else ""),
            ) from None
        except ClientDisconnect:
            raise Rejection(
                400, "client_disconnected", "the sender left before its body ended"
            ) from None
        return b"".join(chunks)

    def accept(
        self,
        body: bytes,
        signature: str | None,
        to_event: Callable[[object], Event] = event_from_body,
    ) -> Accepted:
        """Signature, JSON, shape and replay window of one body; raises :class:`Rejection`."""
        if not signature:
            raise Rejection(401, "missing_signature", f"{SIGNATURE_HEADER} header is missing")
        if not verify(body, self.config.app_key, signature):
            raise Rejection(
                401, "bad_signature", f"{SIGNATURE_HEADER} does not match the body and app key"
            )
        try:
            document = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            raise Rejection(400, "not_json", "body is not UTF-8") from None
        except (ValueError, RecursionError) as problem:
            raise Rejection(400, "not_json", f"body is not JSON: {problem}") from None
        if not isinstance(document, dict):
            raise Rejection(
                400, "not_an_object", f"body is a JSON {type(document).__name__}, not an object"
            )
        now = self.config.clock().astimezone(UTC)
        try:
            event = to_event(document)
            placement = place(event, self.zones, now, self.config)
        except UnknownEventType as unknown:
            raise Rejection(
                422,
                "unknown_event_type",
                str(unknown),
                event_type=unknown.event_type,
                known_event_types=list(EVENT_TYPES),
            ) from None
        except EventShapeError as problem:
            raise Rejection(400, "bad_shape", str(problem)) from None

        business_date, problem = placement.business_date, placement.problem
        line = envelope(
            event.event_id,
            event.event_type,
            event.payload,
            received_at=iso_ms(now),
            receiver_problem=problem,
        )
        try:
            line.encode()
        except UnicodeEncodeError:
            refused = Rejection(400, "not_json", "body holds an unpaired UTF-16 surrogate escape")
            refused.business_date = business_date
            raise refused from None
        return Accepted(event, business_date, line, epoch_ms(now), problem)


def create_app(config: ReceiverConfig) -> Starlette:
    """The ASGI app. Its lifespan starts the receiver (recovery first) and stops it (commit)."""
    receiver = WebhookReceiver(config)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        await asyncio.to_thread(receiver.start)
        try:
            yield
        finally:
            await asyncio.to_thread(receiver.stop)

    app = Starlette(
        routes=[
            Route(WEBHOOK_PATH, receiver.receive, methods=["POST"]),
            Route(STATS_PATH, receiver.stats, methods=["GET"]),
            Route(RETAIL_WEBHOOK_PATH, receiver.receive_retail_nudge, methods=["POST"]),
            Route(D365_EVENTS_PATH, receiver.receive_d365_event, methods=["POST"]),
            Route(PAYMENTS_PATH, receiver.receive_payment_notification, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.receiver = receiver
    return app


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")
