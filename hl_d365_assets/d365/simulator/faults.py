"""Misbehaviour on demand, as :class:`hl_d365_assets.heartland.simulator.Faults` offers it, plus
the D365-specific cases: the Entra ID token endpoint down and a changeset rejected part-way.

Faults are consumed in the order scripted and are thread-safe. ``times`` counts matching
requests; ``None`` means every matching request until :meth:`Faults.clear`. ``path`` restricts a
fault to one path (``/data/$batch``) or, ending in ``/``, to a prefix (``/data/``); without it a
fault hits the OData requests (under ``/data/``), never the Entra ID endpoints — those have
:meth:`Faults.token_endpoint_down`.
"""

import threading
from dataclasses import dataclass

DATA_PREFIX = "/data/"


@dataclass
class Fault:
    kind: str
    remaining: int | None
    path: str | None
    status: int = 0
    retry_after: float | str | None = None
    seconds: float = 0.0
    operation: int = 0
    message: str = ""

    def matches(self, path: str, identity: bool) -> bool:
        if self.kind == "token_down":
            return identity
        if self.kind == "reject_changeset":
            return False
        if self.path is None:
            return path.startswith(DATA_PREFIX)
        if self.path.endswith("/"):
            return path.startswith(self.path)
        return path == self.path


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []
        self._release = threading.Event()

    def throttle(
        self, times: int | None = 1, retry_after: float | str | None = 1, path: str | None = None
    ) -> None:
        """429 Too Many Requests with ``Retry-After`` (seconds, or an HTTP-date string)."""
        self._add(Fault("throttle", times, path, status=429, retry_after=retry_after))

    def fail(
        self,
        times: int | None = 1,
        status: int = 503,
        retry_after: float | str | None = None,
        path: str | None = None,
    ) -> None:
        """A server error (5xx) instead of handling the request (nothing is applied)."""
        self._add(Fault("fail", times, path, status=status, retry_after=retry_after))

    def drop(self, times: int | None = 1, path: str | None = None) -> None:
        """Close the connection without an answer, before handling the request (in process:
        ``httpx.RemoteProtocolError``)."""
        self._add(Fault("drop", times, path))

    def slow(self, seconds: float, times: int | None = 1, path: str | None = None) -> None:
        """Handle the request, then hold the answer ``seconds`` (only a real server lets the
        client time out). The write is applied even if the client gave up: the case a
        client must not answer by writing twice."""
        self._add(Fault("slow", times, path, seconds=seconds))

    def stall(self, seconds: float, times: int | None = 1, path: str | None = None) -> None:
        """Hold the request ``seconds`` (or until :meth:`release_slow`), then drop it unhandled:
        the request never took effect, as when a client dies before it has sent it all (a
        crash between a journal's header and its lines)."""
        self._add(Fault("stall", times, path, seconds=seconds))

    def reject_tokens(self, times: int | None = None, path: str | None = None) -> None:
        """401 for OData requests whatever their token."""
        self._add(Fault("reject_token", times, path))

    def token_endpoint_down(self, times: int | None = None, status: int = 503) -> None:
        """The Entra ID endpoints (OpenID configuration and token) answer ``status``."""
        self._add(Fault("token_down", times, None, status=status))

    def reject_changeset(
        self,
        at_operation: int = 1,
        times: int | None = 1,
        message: str = "Simulated rejection (fault injected by the test).",
    ) -> None:
        """The ``at_operation``-th operation (1-based) of the next changeset fails with an
        ``AxODataWriteException``; the operations before it are rolled back."""
        if at_operation < 1:
            raise ValueError("at_operation counts from 1")
        self._add(Fault("reject_changeset", times, None, operation=at_operation, message=message))

    def clear(self) -> None:
        """Forget every pending fault and release requests held by :meth:`slow`."""
        with self._lock:
            self._pending.clear()
        self.release_slow()

    def release_slow(self) -> None:
        with self._lock:
            self._release.set()
            self._release = threading.Event()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _add(self, fault: Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            self._pending.append(fault)

    def take(self, path: str, identity: bool) -> tuple[Fault | None, threading.Event]:
        with self._lock:
            for fault in self._pending:
                if fault.matches(path, identity):
                    self._consume(fault)
                    return fault, self._release
            return None, self._release

    def take_changeset_rejection(self) -> Fault | None:
        with self._lock:
            for fault in self._pending:
                if fault.kind == "reject_changeset":
                    self._consume(fault)
                    return fault
            return None

    def _consume(self, fault: Fault) -> None:
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining == 0:
                self._pending.remove(fault)
