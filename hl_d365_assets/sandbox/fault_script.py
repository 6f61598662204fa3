"""Misbehaviour on demand for the simulators (Heartland's and D365's): a thread-safe script of
faults, consumed in the order scripted.

``times`` counts matching requests; ``None`` means every matching request until :meth:`clear`.
Which requests a fault matches is each simulator's to say (:meth:`FaultScript.matches`); the
common verbs — throttle, fail, drop, slow — and the queue live here once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


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


class FaultScript:
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
        """A server error (5xx, optionally with ``Retry-After``) instead of handling the
        request: nothing is applied."""
        self._add(Fault("fail", times, path, status=status, retry_after=retry_after))

    def drop(self, times: int | None = 1, path: str | None = None) -> None:
        """Close the connection without an answer, before handling the request (in process:
        ``httpx.RemoteProtocolError``)."""
        self._add(Fault("drop", times, path))

    def slow(self, seconds: float, times: int | None = 1, path: str | None = None) -> None:
        """Handle the request, then hold the answer ``seconds`` (only a real server lets the
        client time out). A write is applied even if the client gave up: the case a client must
        not answer by writing twice."""
        self._add(Fault("slow", times, path, seconds=seconds))

    def clear(self) -> None:
        """Forget every pending fault and release requests held by :meth:`slow`."""
        with self._lock:
            self._pending.clear()
        self.release_slow()

    def release_slow(self) -> None:
        """Let held requests go now."""
        with self._lock:
            self._release.set()
            self._release = threading.Event()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def matches(self, fault: Fault, path: str, **request: object) -> bool:
        """Whether ``fault`` hits this request; by default any request, or exactly ``path``."""
        return fault.path is None or fault.path == path

    def take(self, path: str, **request: object) -> tuple[Fault | None, threading.Event]:
        """The first pending fault hitting this request (consumed), and the event held requests
        wait on."""
        with self._lock:
            for fault in self._pending:
                if self.matches(fault, path, **request):
                    self._consume(fault)
                    return fault, self._release
            return None, self._release

    def _add(self, fault: Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            self._pending.append(fault)

    def _consume(self, fault: Fault) -> None:
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining == 0:
                self._pending.remove(fault)
