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
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
import httpx
from pydantic import Field

from hl_d365_assets.http import RETRYABLE, NoAnswer, RetryingTransport, RetryPolicy, retry_record


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
