"""Alerts leave the warehouse: each ``ops.alerts`` row is posted as JSON to the webhook configured
in ``HL_D365_ALERT_WEBHOOK_URL`` (a chat or paging integration), once.

A dead endpoint must never hold up the books: delivery runs after the day's data is written,
outside the warehouse lock, with short timeouts and the project's one retry policy
(``http_retry.py``), and never raises; what failed is written to ``ops.alerts.delivery_error``
and tried again by the next run.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import dagster as dg
import httpx
from pydantic import Field

from hl_d365_assets.http_retry import (
    RETRY_AFTER_STATUSES,
    RETRYABLE_STATUSES,
    RETRYABLE_TRANSPORT_ERRORS,
    backoff_delay,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)


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
        self, alerts: list[dict], transport: httpx.BaseTransport | None = None
    ) -> list[Delivery]:
        """Post each alert; a failure is reported, never raised."""
        rng = random.Random()
        with httpx.Client(timeout=self.timeout_seconds, transport=transport) as http:
            return [self._deliver_one(http, alert, rng) for alert in alerts]

    def _deliver_one(self, http: httpx.Client, alert: dict, rng: random.Random) -> Delivery:
        error = None
        for attempt in range(1, self.max_attempts + 1):
            retry_after = None
            try:
                response = http.post(self.url, json=alert)
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                error = f"POST {self.endpoint}: {type(exc).__name__}: {exc or 'no detail'}"
            except httpx.HTTPError as exc:
                return Delivery(alert["alert_id"], False, attempt, f"POST {self.endpoint}: {exc}")
            else:
                if response.is_success:
                    return Delivery(alert["alert_id"], True, attempt, None)
                error = f"POST {self.endpoint}: HTTP {response.status_code}"
                if response.status_code not in RETRYABLE_STATUSES:
                    return Delivery(alert["alert_id"], False, attempt, error)
                if response.status_code in RETRY_AFTER_STATUSES:
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt < self.max_attempts:
                delay = backoff_delay(
                    attempt, self.backoff_base_seconds, self.backoff_max_seconds, retry_after, rng
                )
                logger.warning("alert %s: %s; retrying in %.2fs", alert["alert_id"], error, delay)
                time.sleep(delay)
        return Delivery(alert["alert_id"], False, self.max_attempts, error)
