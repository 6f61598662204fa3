"""Alerts leave the warehouse: each ``ops.alerts`` row is posted as JSON to the webhook configured
in ``HL_D365_ALERT_WEBHOOK_URL`` (a chat or paging integration), once.

A dead endpoint must never hold up the books: delivery runs after the day's data is written,
outside the warehouse lock, with short timeouts, through the project's one HTTP seam
(:class:`~hl_d365_assets.http.RetryingTransport`, which retries and logs), and never raises; what
failed is written to ``ops.alerts.delivery_error`` and tried again by the next run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import dagster as dg
import duckdb
import httpx
from pydantic import Field

from hl_d365_assets.http import RETRYABLE, NoAnswer, RetryingTransport, RetryPolicy, retry_record

ALERT_BATCH = 1_000
"""Alerts read, posted and recorded at a time. A day can hold a million alerts (every gateway
transaction of a day whose POS tickets never arrived is a reconciliation break): read whole, as
Python dicts, they took a 7-day backfill's peak from 1.3 to 4.0 GB."""


def count_pending(
    writer: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    select: str,
    params: dict,
) -> int:
    """How many rows ``select`` (an undelivered-alerts SQL file) lists, counted by DuckDB over
    the query before its final ``ORDER BY`` (a count needs no order, and ``LIMIT NULL`` keeps
    DuckDB sorting): a day of the 1M benchmark holds ~480,000 alerts, which fetched into Python
    only to be counted took ~0.5 s a step, two steps a run (delivery and the finance route)."""
    unordered = select[: select.rindex("\nORDER BY ")]
    with writer() as conn:
        pending = conn.sql(unordered, params={**params, "after_at": None, "after_id": None})
        [(total,)] = pending.aggregate("count(*)").fetchall()
        return total


def pending_batches(
    writer: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    select: str,
    params: dict,
    batch_size: int = ALERT_BATCH,
) -> Iterator[list[dict]]:
    """The alerts ``select`` lists, ``batch_size`` at a time, oldest first: each batch is read under
    the writer and released before the caller posts it; the next starts after the last one's
    (raised_at, alert_id), so an alert whose post failed is not read again in the same run."""
    after: tuple[str | None, str | None] = (None, None)
    while True:
        with writer() as conn:
            cursor = conn.execute(
                select,
                {**params, "after_at": after[0], "after_id": after[1], "batch": batch_size},
            )
            names = [column[0] for column in cursor.description]
            batch = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        after = (batch[-1]["raised_at"], batch[-1]["alert_id"])


@dataclass(frozen=True)
class BatchOutcome:
    """What delivering a run's pending alerts did: how many were pending, delivered, the
    attempts made, and the first failed delivery (None when none failed)."""

    pending: int
    delivered: int
    attempts: int
    first_failure: Delivery | None


def deliver_pending(
    writer: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    webhook: AlertWebhookResource,
    select: str,
    params: dict,
    record: str,
    record_params: dict,
    transport: httpx.BaseTransport | None = None,
) -> BatchOutcome:
    """Post the alerts ``select`` lists a batch at a time (:func:`pending_batches`), recording
    each batch's outcome with ``record`` ($ids, $delivered, $errors, plus ``record_params``)
    before the next is read; the warehouse is never held during HTTP."""
    pending = delivered = attempts = 0
    first_failure = None
    for batch in pending_batches(writer, select, params):
        deliveries = webhook.deliver(batch, transport)
        with writer() as conn:
            conn.execute(
                record,
                {
                    **record_params,
                    "ids": [d.alert_id for d in deliveries],
                    "delivered": [d.delivered for d in deliveries],
                    "errors": [d.error for d in deliveries],
                },
            ).fetchall()
        pending += len(batch)
        delivered += sum(1 for d in deliveries if d.delivered)
        attempts += sum(d.attempts for d in deliveries)
        first_failure = first_failure or next((d for d in deliveries if not d.delivered), None)
    return BatchOutcome(pending, delivered, attempts, first_failure)


@dataclass(frozen=True)
class Delivery:
    alert_id: str
    delivered: bool
    attempts: int
    error: str | None


class AlertWebhookResource(dg.ConfigurableResource):
    """Where alerts go; an empty ``url`` keeps them in ``ops.alerts`` only."""

    url: str = Field(default="", description="HTTPS endpoint taking one JSON alert per POST.")
    timeout_seconds: float = 5.0
    max_attempts: int = 3
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 5.0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def endpoint(self) -> str:
        """The URL without its path and query, which often hold the webhook's secret: safe to
        log and to store in ops.alerts.delivery_error."""
        url = httpx.URL(self.url)
        return f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}/…"

    def deliver(
        self,
        alerts: list[dict],
        transport: httpx.BaseTransport | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> list[Delivery]:
        """Post each alert; a failure is reported, never raised."""
        policy = RetryPolicy(
            max_attempts=self.max_attempts,
            backoff_base_seconds=self.backoff_base_seconds,
            backoff_max_seconds=self.backoff_max_seconds,
            sleep=sleep,
            rng=random.Random(),
        )
        retrying = RetryingTransport(
            policy, transport, name=lambda request: f"POST {self.endpoint}"
        )
        with httpx.Client(timeout=self.timeout_seconds, transport=retrying) as http:
            return [self._deliver_one(http, alert) for alert in alerts]

    def _deliver_one(self, http: httpx.Client, alert: dict) -> Delivery:
        alert_id = alert["alert_id"]
        try:
            # Safe to repeat after a lost answer: the alert carries its id, and an alert seen
            # twice beats one lost (the next run would send an undelivered one again anyway).
            response = http.post(self.url, json=alert, extensions={RETRYABLE: True})
        except NoAnswer as exc:
            return Delivery(alert_id, False, exc.attempts, f"POST {self.endpoint}: {exc.failure}")
        except httpx.HTTPError as exc:
            return Delivery(alert_id, False, 1, f"POST {self.endpoint}: {exc}")
        attempts = retry_record(response).attempts
        if response.is_success:
            return Delivery(alert_id, True, attempts, None)
        return Delivery(
            alert_id, False, attempts, f"POST {self.endpoint}: HTTP {response.status_code}"
        )
