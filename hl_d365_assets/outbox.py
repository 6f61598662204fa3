"""The outbox: how a write to another system happens exactly once.

Used by the customer sync (mdm/sync.py, table mdm.sync_requests) and the product sync
(products/sync.py, table mdm.product_sync_requests); the journals' poster keeps the same rule with
its own key on the D365 journal (ledger/exactly_once.py). Each request has a deterministic key and
is recorded as ``sending`` in its outbox table *before* it leaves, then finished with what came
back, each in a short writer session, so nothing holds the warehouse across an HTTP call. A run
killed in between leaves a ``sending`` row: the next run plans the same key again, and the
sender's create looks in the target first (by a key only our create gives the record) and adopts
what an earlier attempt made. What the sender does is the caller's; the recording and the reading
of failures are here, once.

A failure is one of two things: the target *refused* the data (a D365 validation error or a
missing record; a Retail 400/404/409/422) — recorded ``rejected`` with the target's words, and
the run goes on with the other requests — or anything else (no answer, a server error, a bad
token) — recorded ``failed`` and raised, so the step fails and its retry or the next run sends
it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

import duckdb

from hl_d365_assets.d365.errors import D365Error, D365NotFoundError, D365ValidationError
from hl_d365_assets.heartland_retail import (
    HeartlandRetailApiError,
    HeartlandRetailAuthenticationError,
)
from hl_d365_assets.warehouse import sql_file, transaction

logger = logging.getLogger(__name__)

Writer = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
Sender = Callable[[], tuple[str, str | None]]
"""Sends one request; answers (status, target key): created, adopted or updated."""

REJECTED = "rejected"
FAILED = "failed"
DONE = ("created", "adopted", "updated")
_RETAIL_REFUSED = frozenset({400, 404, 409, 422})


@dataclass(frozen=True)
class Outbox:
    """An outbox table's two statements (sql/<record>.sql, sql/<finish>.sql): ``record`` inserts
    or re-opens a request as ``sending`` from its parameters (``$request_key``, ``$now`` and the
    table's own columns); ``finish`` sets ``$status``, ``$target_key``, ``$detail``."""

    record: str
    finish: str


def send_once(
    writer: Writer,
    outbox: Outbox,
    request: Mapping[str, object],
    send: Sender,
    now: Callable[[], datetime],
) -> tuple[str, str | None]:
    """Record ``request``, run ``send``, record its outcome; (status, target key). A refusal
    answers ``("rejected", None)``; any other failure is recorded and raised."""
    key = request["request_key"]
    with writer() as conn, transaction(conn):
        conn.execute(sql_file(outbox.record), {**request, "now": now()}).fetchall()
    try:
        status, target_key = send()
    except (D365Error, HeartlandRetailApiError) as failure:
        if not refused(failure):
            _finish(writer, outbox, key, FAILED, None, str(failure), now)
            raise
        _finish(writer, outbox, key, REJECTED, None, str(failure), now)
        logger.warning("%s rejected: %s", key, failure)
        return REJECTED, None
    _finish(writer, outbox, key, status, target_key, None, now)
    return status, target_key


def refused(failure: Exception) -> bool:
    """The target looked at the data and said no (so sending it again cannot help)."""
    if isinstance(failure, D365ValidationError | D365NotFoundError):
        return True
    if isinstance(failure, HeartlandRetailApiError):
        return (
            not isinstance(failure, HeartlandRetailAuthenticationError)
            and failure.status in _RETAIL_REFUSED
        )
    return False


def _finish(
    writer: Writer,
    outbox: Outbox,
    request_key: object,
    status: str,
    target_key: str | None,
    detail: str | None,
    now: Callable[[], datetime],
) -> None:
    with writer() as conn, transaction(conn):
        conn.execute(
            sql_file(outbox.finish),
            {
                "request_key": request_key,
                "status": status,
                "target_key": target_key,
                "detail": detail,
                "now": now(),
            },
        ).fetchall()
