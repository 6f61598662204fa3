"""Alert routes defined in YAML (components/alert_route.py): which alerts of ``ops.alerts`` go to
which webhook, filtered by kind and severity, held during quiet hours.

Delivery is the project's one alert delivery (:class:`~hl_d365_assets.alerts.AlertWebhookResource`
through the one HTTP seam): retried, never raising, the endpoint's secret path never logged.
A route keeps its own delivery record (``ops.alert_route_deliveries``), so an alert goes once to
each route that takes it, whatever the default webhook did with it. An alert held by quiet hours
is not dropped: it is still undelivered for the route and goes on its first run after them.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, time

import duckdb
import httpx

from hl_d365_assets.alerts import AlertWebhookResource, count_pending, deliver_pending
from hl_d365_assets.time_zones import zone
from hl_d365_assets.warehouse import sql_file

SEVERITIES = ("low", "medium", "high", "critical")
"""ops.alerts severities, least to most urgent."""


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    timezone: str

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) falls in the quiet hours, read on the route's wall clock;
        a span past midnight (22:00-07:00) wraps."""
        local = moment.astimezone(zone(self.timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class Route:
    name: str
    kinds: tuple[str, ...]
    min_severity: str
    quiet_hours: QuietHours | None

    @property
    def severities(self) -> list[str]:
        return list(SEVERITIES[SEVERITIES.index(self.min_severity) :])


@dataclass(frozen=True)
class RouteReport:
    matching: int
    delivered: int
    failed: int
    held_for_quiet_hours: int


def route_alerts(
    writer: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    route: Route,
    webhook: AlertWebhookResource,
    first: date,
    last: date,
    now: datetime,
    transport: httpx.BaseTransport | None = None,
) -> RouteReport:
    """Send the route's undelivered alerts of ``first``..``last`` unless ``now`` is quiet, a
    batch at a time (alerts.pending_batches)."""
    select = sql_file("ops/select_alerts_for_route.sql")
    params = {
        "route": route.name,
        "first": first,
        "last": last,
        "kinds": list(route.kinds),
        "severities": route.severities,
    }
    if not webhook.enabled:
        return RouteReport(count_pending(writer, select, params), 0, 0, 0)
    if route.quiet_hours is not None and route.quiet_hours.contains(now):
        held = count_pending(writer, select, params)
        return RouteReport(held, 0, 0, held)
    outcome = deliver_pending(
        writer,
        webhook,
        select,
        params,
        sql_file("ops/record_route_deliveries.sql"),
        {"route": route.name},
        transport,
    )
    return RouteReport(outcome.pending, outcome.delivered, outcome.pending - outcome.delivered, 0)
