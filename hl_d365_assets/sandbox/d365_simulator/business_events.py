"""Business events as D365 sends them to an HTTPS endpoint (shared/reference/d365-entities-wave2.md
§7): activated per event and legal entity, a test message on activation, one small flat JSON
notification per committed change, retried, then parked on the *Errors* tab with *Resend*.

What follows the reference:

- the envelope every contract inherits: ``BusinessEventId`` (the class name),
  ``BusinessEventLegalEntity``, ``ContextRecordSubject``, ``ControlNumber`` (a 64-bit integer,
  increasing with gaps), ``EventId`` (an upper-case GUID), ``EventTime`` (WCF ``/Date(ms)/``),
  ``EventTimeIso8601`` (seven fractional digits), ``InitiatingUserAADObjectId`` (``{GUID}``),
  ``MajorVersion``, ``MinorVersion``, ``ParentContextRecordSubjects``; the event's own fields at
  the same level;
- activation sends ``BusinessEventsTestEndpointContract`` first, its ControlNumber the minimum
  long, as consumers report it;
- the HTTPS endpoint is a URL and nothing more (D365 reads it from the Key Vault secret); no
  signature or custom header, since none is documented;
- sent only after the change committed (``StateStore.after_commit``), by a sending thread of its
  own, not the request that made the change (D365's dedicated batch threads);
- a failed send (no answer, or not 2xx) is retried ``retries`` times ``retry_interval_seconds``
  apart (3 × 1 s, D365's default), then lands in :attr:`BusinessEvents.errors` with its payload,
  from where :meth:`BusinessEvents.resend` sends it again, unchanged (same EventId, same
  ControlNumber), as the Errors tab's *Resend* does.

Guessed (docs/sandbox-departures.md): the class id and fields of the sales-order event
(``SalesOrderChangedBusinessEvent``, ``d365/order_events.py``; no standard one is confirmed), the ControlNumber's start and gap
sizes, that the errors list is kept in memory (it is lost with the process), and that activation
succeeds even when its test message fails (the failure is on the errors list).

:meth:`BusinessEvents.hold` / :meth:`BusinessEvents.release` are the fault switch for what
at-least-once delivery allows: held events go out in reverse order, each twice.
"""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from hl_d365_assets.sandbox.d365_simulator.store import StateStore

logger = logging.getLogger(__name__)

TEST_EVENT = "BusinessEventsTestEndpointContract"
TEST_CONTROL_NUMBER = -(2**63)
"""The test event's ControlNumber as consumers saw it: the minimum long."""
FIRST_CONTROL_NUMBER = 5_637_144_576
"""Where ControlNumbers start (the size of the reference's example, 5637985363)."""
CONTROL_NUMBER_STRIDE = 5
"""Each event's ControlNumber is above the last by 1..STRIDE×2-1: increasing, with gaps."""
DEFAULT_RETRIES = 3
DEFAULT_RETRY_INTERVAL_SECONDS = 1.0
SEND_TIMEOUT_SECONDS = 10.0
INITIATING_USER = "{6B1D3C2E-0A7F-4E51-9C3B-5D0E2F8A9B10}"
"""The simulator's one user, as ``InitiatingUserAADObjectId`` shows a user: a braced GUID."""


@dataclass
class FailedEvent:
    """One row of the Errors tab: the payload as it was sent, and why it failed."""

    error_id: int
    business_event_id: str
    url: str
    payload: dict
    attempts: int
    last_error: str
    failed_at: str

    def as_json(self) -> dict:
        return {
            "error_id": self.error_id,
            "business_event_id": self.business_event_id,
            # Not the URL: it is the endpoint's secret (the token in its path).
            "attempts": self.attempts,
            "last_error": self.last_error,
            "failed_at": self.failed_at,
            "payload": self.payload,
        }


@dataclass
class _Send:
    url: str
    payload: dict
    error_id: int | None = None
    """Set when this is a resend of an Errors-tab row."""


@dataclass
class Activation:
    business_event_id: str
    legal_entity: str
    """Lower case; ``""`` is every legal entity."""
    url: str = field(repr=False)


class BusinessEvents:
    """The business-events catalog's activations and the sending thread."""

    def __init__(
        self,
        store: StateStore,
        *,
        clock: Callable[[], float] = time.time,
        retries: int = DEFAULT_RETRIES,
        retry_interval_seconds: float = DEFAULT_RETRY_INTERVAL_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``transport``: how sends travel (default: real HTTP(S)); tests may hand an in-process
        transport of the receiver."""
        self.store = store
        self.clock = clock
        self.retries = retries
        self.retry_interval_seconds = retry_interval_seconds
        self.activations: list[Activation] = []
        self.errors: list[FailedEvent] = []
        self.sent: list[dict] = []
        """Payloads answered 2xx, in the order sent (duplicates included)."""
        self.attempts: list[float] = []
        """When each send attempt started (``time.monotonic()``), successful or not."""
        self._http = httpx.Client(transport=transport, timeout=SEND_TIMEOUT_SECONDS)
        self._queue: queue.SimpleQueue[_Send | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._held: list[_Send] | None = None
        self._next_error_id = 1
        self._rng = random.Random()
        self._thread = threading.Thread(target=self._run, name="d365-business-events", daemon=True)
        self._thread.start()

    # -- catalog --------------------------------------------------------------------------

    def activate(self, business_event_id: str, url: str, legal_entity: str = "") -> None:
        """Activate an event for a legal entity (blank: all) on an HTTPS endpoint; the
        endpoint's test message is sent first, as D365 does on activation."""
        activation = Activation(business_event_id, legal_entity.lower(), url)
        with self._lock:
            self.activations.append(activation)
        self._enqueue(_Send(url, self._envelope(TEST_EVENT, legal_entity.lower(), test=True)))

    def deactivate(self, business_event_id: str) -> None:
        with self._lock:
            self.activations = [
                a for a in self.activations if a.business_event_id != business_event_id
            ]

    # -- raising --------------------------------------------------------------------------

    def raise_after_commit(
        self, key: object, business_event_id: str, legal_entity: str, fields: dict
    ) -> None:
        """Send the event to every endpoint it is activated on once the current transaction
        commits; ``fields`` are the contract's own fields, as of this change."""
        self.store.after_commit(
            (business_event_id, key),
            lambda: self._raise(business_event_id, legal_entity.lower(), dict(fields)),
        )

    def _raise(self, business_event_id: str, legal_entity: str, fields: dict) -> None:
        with self._lock:
            urls = [
                a.url
                for a in self.activations
                if a.business_event_id == business_event_id and a.legal_entity in ("", legal_entity)
            ]
        if not urls:
            return
        payload = {**self._envelope(business_event_id, legal_entity), **fields}
        for url in urls:
            self._enqueue(_Send(url, payload))

    def _envelope(self, business_event_id: str, legal_entity: str, *, test: bool = False) -> dict:
        now_ms = int(self.clock() * 1000)
        moment = datetime.fromtimestamp(now_ms / 1000, UTC)
        return {
            "BusinessEventId": business_event_id,
            "BusinessEventLegalEntity": legal_entity,
            "ContextRecordSubject": "",
            "ControlNumber": TEST_CONTROL_NUMBER if test else self._control_number(),
            "EventId": str(uuid.uuid4()).upper(),
            "EventTime": f"/Date({now_ms})/",
            "EventTimeIso8601": moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
            "InitiatingUserAADObjectId": INITIATING_USER,
            "MajorVersion": 1 if not test else 0,
            "MinorVersion": 0,
            "ParentContextRecordSubjects": [],
        }

    def _control_number(self) -> int:
        """Increasing with gaps, and never repeated across a restart (a store sequence)."""
        step = self.store.next_value("business_event_control_number")
        return (
            FIRST_CONTROL_NUMBER
            + step * CONTROL_NUMBER_STRIDE
            + self._rng.randrange(CONTROL_NUMBER_STRIDE)
        )

    # -- Errors tab -----------------------------------------------------------------------

    def resend(self, error_id: int) -> None:
        """*Resend* on the Errors tab: the same payload again; the row goes once it is sent."""
        with self._lock:
            failed = next((e for e in self.errors if e.error_id == error_id), None)
        if failed is None:
            raise KeyError(f"no failed business event {error_id}")
        self._enqueue(_Send(failed.url, failed.payload, error_id=error_id))

    # -- the fault switch -----------------------------------------------------------------

    def hold(self) -> None:
        """Keep the next events back instead of sending them (a stalled batch thread)."""
        with self._lock:
            if self._held is None:
                self._held = []

    def release(self, *, reverse: bool = True, twice: bool = True) -> int:
        """Send the held events: newest first when ``reverse``, each twice when ``twice``
        (what at-least-once delivery with retries allows). Returns how many were held."""
        with self._lock:
            held, self._held = self._held or [], None
        ordered = list(reversed(held)) if reverse else held
        for send in ordered:
            self._enqueue(send)
        if twice:
            for send in ordered:
                self._enqueue(_Send(send.url, send.payload))
        return len(held)

    # -- sending --------------------------------------------------------------------------

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing is queued or being sent (tests, the demo)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._http.close()

    def _enqueue(self, send: _Send) -> None:
        with self._lock:
            if self._held is not None and send.error_id is None:
                self._held.append(send)
                return
            self._busy += 1
        self._queue.put(send)

    def _run(self) -> None:
        while True:
            send = self._queue.get()
            if send is None:
                return
            try:
                self._deliver(send)
            except Exception:  # the sending thread must outlive any one event
                logger.exception("business event send failed unexpectedly")
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _deliver(self, send: _Send) -> None:
        body = json.dumps(send.payload).encode()
        problem = ""
        attempts = 0
        for attempt in range(1 + self.retries):
            if attempt:
                time.sleep(self.retry_interval_seconds)
            attempts += 1
            with self._lock:
                self.attempts.append(time.monotonic())
            try:
                answer = self._http.post(
                    send.url, content=body, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: the endpoint did not answer"
                continue
            if 200 <= answer.status_code < 300:
                with self._lock:
                    self.sent.append(send.payload)
                    if send.error_id is not None:
                        self.errors = [e for e in self.errors if e.error_id != send.error_id]
                return
            problem = f"HTTP {answer.status_code}"
        with self._lock:
            if send.error_id is not None:
                for failed in self.errors:
                    if failed.error_id == send.error_id:
                        failed.attempts += attempts
                        failed.last_error = problem
                return
            self.errors.append(
                FailedEvent(
                    self._next_error_id,
                    send.payload["BusinessEventId"],
                    send.url,
                    send.payload,
                    attempts,
                    problem,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
            self._next_error_id += 1
